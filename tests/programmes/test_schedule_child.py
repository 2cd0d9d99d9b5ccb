"""0～6岁儿童 schedule as a pure function: every window, month-end clamping, late enrolment, the column
(visit_age) that does a check, expiry and the 7th birthday. Dates worked out by hand."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from kangdang.programmes.schedule import plan
from kangdang.programmes.schedule.types import Closing, EpisodeFacts, FormFact, Plan, PlannedTask


def child(born: date, enrolled_on: date | None = None, **details: Any) -> EpisodeFacts:
    return EpisodeFacts("child", enrolled_on or born, born, "1", details)


def form(code: str, day: date, **answers: Any) -> FormFact:
    return FormFact(uuid.uuid4(), code, day, {"visit_date": day.isoformat(), **answers})


def by_key(result: Plan) -> dict[str, PlannedTask]:
    return {t.key: t for t in result.tasks}


def windows(result: Plan) -> list[tuple[str, str, str, date, date, date | None]]:
    return [(t.key, t.title, t.form_code, t.opens_on, t.due_on, t.expires_on) for t in result.tasks]


def test_a_newborn_gets_every_visit_to_the_seventh_birthday() -> None:
    result = plan(child(date(2027, 3, 10)), [])
    assert windows(result) == [
        # born (and home) 10 March: within a week (17 March); a newborn until day 28 (10 + 28 = 38 − 31 = 7 April)
        ("newborn", "新生儿家庭访视", "newborn_visit", date(2027, 3, 10), date(2027, 3, 17), date(2027, 4, 7)),
        # 满月 28–30 days: 7–9 April; counts until the 3月龄 check opens (10 June)
        ("check:1", "满月健康检查", "child_check_infant", date(2027, 4, 7), date(2027, 4, 9), date(2027, 6, 10)),
        # 满3月 (10 June) to 3月29天 (the day before 4 months, 9 July); until 6 months (10 Sept)
        ("check:3", "3月龄健康检查", "child_check_infant", date(2027, 6, 10), date(2027, 7, 9), date(2027, 9, 10)),
        ("check:6", "6月龄健康检查", "child_check_infant", date(2027, 9, 10), date(2027, 10, 9), date(2027, 11, 10)),
        ("check:8", "8月龄健康检查", "child_check_infant", date(2027, 11, 10), date(2027, 12, 9), date(2028, 3, 10)),
        ("check:12", "12月龄健康检查", "child_check_toddler", date(2028, 3, 10), date(2028, 4, 9), date(2028, 9, 10)),
        ("check:18", "18月龄健康检查", "child_check_toddler", date(2028, 9, 10), date(2028, 10, 9), date(2029, 3, 10)),
        ("check:24", "24月龄健康检查", "child_check_toddler", date(2029, 3, 10), date(2029, 4, 9), date(2029, 9, 10)),
        ("check:30", "30月龄健康检查", "child_check_toddler", date(2029, 9, 10), date(2029, 10, 9), date(2030, 3, 10)),
        # from 3岁 a whole year: 满3周岁 (10 March 2030) to 3周岁11个月29天 (9 March 2031)
        ("check:36", "3岁健康检查", "child_check_preschool", date(2030, 3, 10), date(2031, 3, 9), date(2031, 3, 10)),
        ("check:48", "4岁健康检查", "child_check_preschool", date(2031, 3, 10), date(2032, 3, 9), date(2032, 3, 10)),
        ("check:60", "5岁健康检查", "child_check_preschool", date(2032, 3, 10), date(2033, 3, 9), date(2033, 3, 10)),
        # the 6岁 check counts until the 7th birthday (10 March 2034)
        ("check:72", "6岁健康检查", "child_check_preschool", date(2033, 3, 10), date(2034, 3, 9), date(2034, 3, 10)),
    ]
    assert all(t.status == "open" and t.urgency == "routine" for t in result.tasks)
    assert by_key(result)["check:1"].preset == {"visit_age": "1"}
    assert by_key(result)["check:30"].preset == {"visit_age": "30"}
    assert by_key(result)["newborn"].preset == {}
    assert result.closing == Closing(date(2034, 3, 10), "aged_out", "年满7岁")


def test_the_newborn_visit_is_due_a_week_after_discharge() -> None:
    # born 10 March, discharged 13 March: 13–20 March; still a newborn only until 7 April
    task = by_key(plan(child(date(2027, 3, 10), discharge_date="2027-03-13"), []))["newborn"]
    assert (task.opens_on, task.due_on, task.expires_on) == (date(2027, 3, 13), date(2027, 3, 20), date(2027, 4, 7))


def test_windows_of_a_child_born_on_the_31st_are_clamped_to_the_month_end() -> None:
    result = by_key(plan(child(date(2027, 1, 31)), []))
    # 满月: 31 Jan + 28 days = 28 Feb (Jan has 0 days left, Feb 28); + 30 days = 2 March (2027 is not leap)
    # it counts until 3 months: 31 April does not exist → 30 April
    assert (result["check:1"].opens_on, result["check:1"].due_on) == (date(2027, 2, 28), date(2027, 3, 2))
    assert result["check:1"].expires_on == date(2027, 4, 30)
    # 3月龄: 30 April to the day before 4 months (31 May) = 30 May
    assert (result["check:3"].opens_on, result["check:3"].due_on) == (date(2027, 4, 30), date(2027, 5, 30))
    # 8月龄: 31 Sept → 30 Sept; the day before 9 months (31 Oct) = 30 Oct
    assert (result["check:8"].opens_on, result["check:8"].due_on) == (date(2027, 9, 30), date(2027, 10, 30))
    # 12月龄: 31 Jan 2028; 13 months = 31 Feb 2028 → 29 Feb (leap year), less a day = 28 Feb
    assert (result["check:12"].opens_on, result["check:12"].due_on) == (date(2028, 1, 31), date(2028, 2, 28))
    # 24月龄: 31 Jan 2029; 25 months = 31 Feb 2029 → 28 Feb, less a day = 27 Feb
    assert (result["check:24"].opens_on, result["check:24"].due_on) == (date(2029, 1, 31), date(2029, 2, 27))


def test_a_child_born_on_29_february_ages_out_on_28_february() -> None:
    result = plan(child(date(2028, 2, 29)), [])
    # 84 months later is 29 Feb 2035, which does not exist → 28 Feb 2035
    assert result.closing == Closing(date(2035, 2, 28), "aged_out", "年满7岁")
    assert by_key(result)["check:72"].expires_on == date(2035, 2, 28)


def test_a_child_enrolled_at_two_is_not_asked_for_the_visits_already_past() -> None:
    # born 31 Jan 2027, enrolled 10 Feb 2029: 18月龄 counted until 31 Jan 2029 (24 months), so only 24月龄 on
    result = plan(child(date(2027, 1, 31), date(2029, 2, 10)), [])
    assert [t.key for t in result.tasks] == ["check:24", "check:30", "check:36", "check:48", "check:60", "check:72"]
    # the 24月龄 window (31 Jan – 27 Feb 2029) already open on enrolment
    assert (result.tasks[0].opens_on, result.tasks[0].due_on) == (date(2029, 1, 31), date(2029, 2, 27))


def test_a_check_expiring_on_the_enrolment_day_is_not_planned() -> None:
    # enrolled 31 Jan 2029: the 18月龄 check expires that very day (the 24月龄 one opens)
    keys = [t.key for t in plan(child(date(2027, 1, 31), date(2029, 1, 31)), []).tasks]
    assert keys[0] == "check:24"
    # a day earlier the 18月龄 check still counts
    keys = [t.key for t in plan(child(date(2027, 1, 31), date(2029, 1, 30)), []).tasks]
    assert keys[0] == "check:18"


def test_checks_done_before_a_late_enrolment_are_kept_as_done() -> None:
    twelve = form("child_check_toddler", date(2028, 2, 10), visit_age="12")
    result = by_key(plan(child(date(2027, 1, 31), date(2029, 2, 10)), [twelve]))
    assert (result["check:12"].status, result["check:12"].done_form_id, result["check:12"].done_on) == (
        "done",
        twelve.id,
        date(2028, 2, 10),
    )
    assert "check:18" not in result and "check:8" not in result


def test_a_check_is_done_by_a_form_filled_in_its_column_whatever_the_form_or_date() -> None:
    born = date(2027, 3, 10)
    newborn = form("newborn_visit", date(2027, 3, 15))
    month = form("child_check_infant", date(2027, 4, 8), visit_age="1")
    # a late 3月龄 check (4 months old, 15 July) still does the 3月龄 task
    three = form("child_check_infant", date(2027, 7, 15), visit_age="3")
    # a second form in the 3月龄 column does nothing more; a 6月龄 one does the 6月龄 check only
    again = form("child_check_infant", date(2027, 7, 20), visit_age="3")
    six = form("child_check_infant", date(2027, 9, 20), visit_age="6")
    result = by_key(plan(child(born), [six, again, three, month, newborn]))
    assert (result["newborn"].done_form_id, result["newborn"].done_on) == (newborn.id, date(2027, 3, 15))
    assert result["check:1"].done_form_id == month.id
    assert (result["check:3"].done_form_id, result["check:3"].done_on) == (three.id, date(2027, 7, 15))
    assert result["check:6"].done_form_id == six.id
    assert result["check:8"].status == "open"
    assert {t.done_form_id for t in result.values()} == {newborn.id, month.id, three.id, six.id, None}


def test_year_checks_are_matched_on_the_preschool_form_by_age_in_months() -> None:
    born = date(2027, 3, 10)
    four = form("child_check_preschool", date(2031, 4, 2), visit_age="48")
    result = by_key(plan(child(born), [four]))
    assert result["check:48"].done_form_id == four.id
    assert result["check:36"].status == "open" and result["check:60"].status == "open"


def test_a_newborn_visit_after_day_28_is_still_the_done_newborn_visit() -> None:
    # the form itself refuses visits after the newborn period; the planner takes whatever was signed
    late = form("newborn_visit", date(2027, 4, 8))
    task = by_key(plan(child(date(2027, 3, 10)), [late]))["newborn"]
    assert (task.status, task.done_on) == ("done", date(2027, 4, 8))
