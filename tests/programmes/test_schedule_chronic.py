"""高血压 and 2型糖尿病 schedules (pure planner), with every date worked out by hand.

Enrolment on Tuesday 2 March 2027 unless a test says otherwise. Follow-up answers are as the signed form
stores them: dates as ISO text, 此次随访分类 (classification) and 下一步管理措施 (management_action) as codes.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from kangdang.programmes.schedule import EpisodeFacts, FormFact, plan
from kangdang.programmes.schedule.types import PlannedTask, done

ENROLLED = date(2027, 3, 2)


def facts(programme: str = "hypertension", enrolled: date = ENROLLED, others: tuple[str, ...] = ()) -> EpisodeFacts:
    return EpisodeFacts(programme, enrolled, date(1962, 5, 6), "1", {}, frozenset(others))


def visit(day: date, classification: str = "1", action: str = "1", *, code: str = "hypertension_followup", **more: Any):
    answers = {"visit_date": day.isoformat(), "classification": classification, "management_action": action, **more}
    return FormFact(uuid.uuid4(), code, day, answers)


def exam(day: date) -> FormFact:
    return FormFact(uuid.uuid4(), "health_examination", day, {"exam_date": day.isoformat()})


def task(tasks: list[PlannedTask], key: str) -> PlannedTask:
    [found] = [t for t in tasks if t.key == key]
    return found


def window(t: PlannedTask) -> tuple[date, date, str, str | None]:
    return t.opens_on, t.due_on, t.urgency, t.note


def after_one_visit(form: FormFact, programme: str = "hypertension") -> PlannedTask:
    """The task a single visit after enrolment leaves open (followup:2)."""
    tasks = plan(facts(programme), [form]).tasks
    assert task(tasks, "followup:1").done_form_id == form.id
    return task(tasks, "followup:2")


@pytest.mark.parametrize(
    ("programme", "title", "form_code"),
    [("hypertension", "高血压随访", "hypertension_followup"), ("diabetes", "糖尿病随访", "diabetes_followup")],
)
def test_the_first_follow_up_is_due_within_two_weeks_of_enrolment(programme: str, title: str, form_code: str) -> None:
    tasks = plan(facts(programme), []).tasks
    assert [t.key for t in tasks] == ["followup:1", "exam:1"]
    first = task(tasks, "followup:1")
    assert (first.title, first.form_code, first.status) == (title, form_code, "open")
    # 2 March + 14 days = 16 March
    assert window(first) == (date(2027, 3, 2), date(2027, 3, 16), "routine", "纳入管理后首次随访")


def test_a_visit_before_enrolment_that_set_a_later_date_carries_it_over() -> None:
    # 20 Feb, controlled → next within 3 months: 20 May, shown from 6 May (20 May − 14 days)
    before = visit(date(2027, 2, 20))
    first = task(plan(facts(), [before]).tasks, "followup:1")
    assert window(first) == (date(2027, 5, 6), date(2027, 5, 20), "routine", None)
    assert first.done_form_id is None  # the earlier visit is not a visit of this episode


def test_a_visit_before_enrolment_with_an_earlier_date_leaves_the_two_week_first_visit() -> None:
    # 25 Feb, first uncontrolled → recheck by 11 March, earlier than the 16 March of a new enrolment
    before = visit(date(2027, 2, 25), "2", "2")
    first = task(plan(facts(), [before]).tasks, "followup:1")
    assert window(first) == (date(2027, 3, 2), date(2027, 3, 16), "routine", "纳入管理后首次随访")


def test_a_controlled_visit_sets_the_next_within_three_months_shown_two_weeks_before() -> None:
    # 10 March + 3 months = 10 June; due from 27 May (10 June − 14 days)
    assert window(after_one_visit(visit(date(2027, 3, 10)))) == (date(2027, 5, 27), date(2027, 6, 10), "routine", None)


@pytest.mark.parametrize(
    ("enrolled", "visited", "opens", "due"),
    [
        (date(2026, 11, 16), date(2026, 11, 30), date(2027, 2, 14), date(2027, 2, 28)),  # 30 Nov + 3 months → 28 Feb
        (date(2027, 11, 16), date(2027, 11, 30), date(2028, 2, 15), date(2028, 2, 29)),  # 2028 is a leap year
        (date(2027, 5, 20), date(2027, 5, 31), date(2027, 8, 17), date(2027, 8, 31)),  # 31 May + 3 months → 31 Aug
    ],
)
def test_three_months_after_a_month_end_is_the_last_day_of_the_month(
    enrolled: date, visited: date, opens: date, due: date
) -> None:
    form = visit(visited)
    tasks = plan(facts(enrolled=enrolled), [form]).tasks
    assert task(tasks, "followup:1").done_on == visited
    assert (task(tasks, "followup:2").opens_on, task(tasks, "followup:2").due_on) == (opens, due)


def test_the_doctors_earlier_next_visit_date_is_honoured() -> None:
    form = visit(date(2027, 3, 10), next_visit_date="2027-05-01")
    # 1 May is before the rule's 10 June: due 1 May, shown from 17 April (1 May − 14 days)
    assert window(after_one_visit(form)) == (date(2027, 4, 17), date(2027, 5, 1), "routine", None)


def test_the_doctors_later_next_visit_date_is_capped_at_the_rules_date() -> None:
    form = visit(date(2027, 3, 10), next_visit_date="2027-07-01")
    assert window(after_one_visit(form))[:2] == (date(2027, 5, 27), date(2027, 6, 10))
    recheck = visit(date(2027, 3, 10), "2", "2", next_visit_date="2027-04-01")
    assert window(after_one_visit(recheck))[:2] == (date(2027, 3, 11), date(2027, 3, 24))  # 10 March + 14 days


def test_a_next_visit_date_on_the_visit_day_itself_is_ignored() -> None:
    form = visit(date(2027, 3, 10), next_visit_date="2027-03-10")
    assert after_one_visit(form).due_on == date(2027, 6, 10)


def test_the_first_uncontrolled_visit_calls_for_a_recheck_within_two_weeks() -> None:
    form = visit(date(2027, 3, 10), "2", "2")
    assert window(after_one_visit(form)) == (
        date(2027, 3, 11),
        date(2027, 3, 24),
        "recheck",
        "第1次控制不满意：调整用药，2周内随访",
    )


def test_an_adverse_drug_reaction_calls_for_a_recheck_within_two_weeks() -> None:
    form = visit(date(2027, 3, 10), "3", "2", code="diabetes_followup")
    assert window(after_one_visit(form, "diabetes")) == (
        date(2027, 3, 11),
        date(2027, 3, 24),
        "recheck",
        "药物不良反应：调整用药，2周内随访",
    )


@pytest.mark.parametrize(
    ("classification", "note"),
    [
        ("2", "连续两次控制不满意：建议转诊，2周内主动随访"),
        ("3", "药物不良反应难以控制：建议转诊，2周内主动随访"),
        ("4", "出现新的并发症或原有并发症加重：建议转诊，2周内主动随访"),
    ],
)
def test_a_referral_is_followed_up_actively_within_two_weeks(classification: str, note: str) -> None:
    form = visit(date(2027, 3, 31), classification, "3")
    # 31 March + 14 days = 14 April
    assert window(after_one_visit(form)) == (date(2027, 4, 1), date(2027, 4, 14), "referral", note)


def test_an_emergency_referral_is_followed_up_within_two_weeks() -> None:
    form = visit(date(2027, 3, 10), "2", "4", sbp="186", dbp="112")
    assert window(after_one_visit(form)) == (date(2027, 3, 11), date(2027, 3, 24), "emergency", "紧急转诊：2周内随访")


def test_each_visit_does_the_task_that_was_due_and_sets_the_next() -> None:
    visits = [
        visit(date(2027, 3, 10), "2", "2"),  # → recheck by 24 March
        visit(date(2027, 3, 22), "2", "3"),  # → referral by 5 April
        visit(date(2027, 4, 2)),  # → routine by 2 July, from 18 June
    ]
    followups = [t for t in plan(facts(), visits).tasks if t.form_code == "hypertension_followup"]
    assert [(t.key, t.due_on, t.urgency, t.done_on) for t in followups] == [
        ("followup:1", date(2027, 3, 16), "routine", date(2027, 3, 10)),
        ("followup:2", date(2027, 3, 24), "recheck", date(2027, 3, 22)),
        ("followup:3", date(2027, 4, 5), "referral", date(2027, 4, 2)),
        ("followup:4", date(2027, 7, 2), "routine", None),
    ]
    assert followups[3].opens_on == date(2027, 6, 18)


def test_the_other_programmes_follow_up_forms_do_not_count() -> None:
    diabetes_visit = visit(date(2027, 3, 10), code="diabetes_followup")
    first = task(plan(facts("hypertension"), [diabetes_visit]).tasks, "followup:1")
    assert first.status == "open" and first.due_on == date(2027, 3, 16)


def test_the_yearly_health_check_is_due_within_three_months_then_a_year_after_each() -> None:
    tasks = plan(facts(), []).tasks
    # 2 March + 90 days = 31 May (29 days to 31 March, 30 more to 30 April, 31 more to 31 May)
    first = task(tasks, "exam:1")
    assert (first.title, first.form_code, first.opens_on, first.due_on) == (
        "年度健康体检",
        "health_examination",
        date(2027, 3, 2),
        date(2027, 5, 31),
    )
    checked = exam(date(2027, 4, 15))
    tasks = plan(facts(), [checked]).tasks
    assert task(tasks, "exam:1").done_form_id == checked.id
    # 15 April 2028, shown from 16 March 2028 (30 days before)
    assert (task(tasks, "exam:2").opens_on, task(tasks, "exam:2").due_on) == (date(2028, 3, 16), date(2028, 4, 15))


@pytest.mark.parametrize(
    ("programme", "others", "plans_exam"),
    [
        ("hypertension", ("elderly",), False),  # the elderly programme owns the yearly check
        ("hypertension", ("diabetes", "mental"), True),
        ("diabetes", ("hypertension",), False),
        ("diabetes", ("mental", "tuberculosis"), True),
        ("mental", ("diabetes",), False),
        ("mental", ("tuberculosis",), True),
        ("elderly", ("hypertension", "diabetes", "mental"), True),
    ],
)
def test_the_yearly_health_check_is_planned_by_one_programme_only(
    programme: str, others: tuple[str, ...], plans_exam: bool
) -> None:
    tasks = plan(facts(programme, others=others), []).tasks
    assert any(t.form_code == "health_examination" for t in tasks) is plans_exam


def test_a_task_marked_done_is_a_new_equal_task_with_the_form() -> None:
    task = PlannedTask("followup:1", "高血压随访", "hypertension_followup", date(2024, 1, 1), date(2024, 1, 15))
    form = FormFact(uuid.uuid4(), "hypertension_followup", date(2024, 1, 3), {})
    marked = done(task, form)
    assert marked == replace(task, done_form_id=form.id, done_on=form.service_date)
    assert marked.status == "done" and task.status == "open"  # the planned task itself is unchanged
    assert done(task, None) is task
