"""肺结核 schedule (pure planner), with every date worked out by hand.

Notified on Monday 1 March 2027, treatment started on 26 February 2027. A new patient (初治, type "1") is in
the intensive phase for 2 months, until 26 April; a retreated one (复治, "2") for 3 months, until 26 May.
督导人员 (supervisor): "1" 医生, "2" 家属.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from kangdang.programmes.schedule import EpisodeFacts, FormFact, plan
from kangdang.programmes.schedule.types import PlannedTask

NOTIFIED = date(2027, 3, 1)
FAMILY_NOTE = "强化期家属督导：每10天随访1次"
MONTHLY_NOTE = "每月随访1次"


def facts(patient_type: str = "1", treatment_start: str | None = "2027-02-26") -> EpisodeFacts:
    details: dict[str, Any] = {"notified_on": NOTIFIED.isoformat(), "patient_type": patient_type}
    if treatment_start:
        details["treatment_start"] = treatment_start
    return EpisodeFacts("tuberculosis", NOTIFIED, date(1975, 1, 20), "1", details)


def first_visit(day: date, supervisor: str = "2", **more: Any) -> FormFact:
    answers = {"visit_date": day.isoformat(), "patient_type": "1", "supervisor": supervisor, **more}
    return FormFact(uuid.uuid4(), "tb_first_visit", day, answers)


def followup(day: date, supervisor: str = "2", **more: Any) -> FormFact:
    answers = {"visit_date": day.isoformat(), "treatment_month": 1, "supervisor": supervisor, **more}
    return FormFact(uuid.uuid4(), "tb_followup", day, answers)


def open_task(tasks: list[PlannedTask]) -> PlannedTask:
    [found] = [t for t in tasks if t.status == "open"]
    return found


def window(t: PlannedTask) -> tuple[date, date, str | None]:
    return t.opens_on, t.due_on, t.note


def test_the_first_home_visit_is_due_within_72_hours_of_the_notification() -> None:
    result = plan(facts(), [])
    [first] = result.tasks
    assert (first.key, first.title, first.form_code) == ("first", "肺结核第一次入户随访（72小时内）", "tb_first_visit")
    assert (first.opens_on, first.due_on) == (date(2027, 3, 1), date(2027, 3, 4))  # 1 March + 3 days
    assert result.closing is None


def test_family_supervision_brings_a_visit_every_ten_days_in_the_intensive_phase() -> None:
    visit = first_visit(date(2027, 3, 3))
    tasks = plan(facts(), [visit]).tasks
    assert [(t.key, t.done_on) for t in tasks] == [("first", date(2027, 3, 3)), ("followup:2", None)]
    nxt = tasks[1]
    assert (nxt.title, nxt.form_code, nxt.urgency) == ("肺结核随访", "tb_followup", "routine")
    # 3 March + 10 days = 13 March, shown from 10 March (3 days before)
    assert window(nxt) == (date(2027, 3, 10), date(2027, 3, 13), FAMILY_NOTE)


def test_family_supervision_turns_monthly_when_the_intensive_phase_ends() -> None:
    visits = [first_visit(date(2027, 3, 3)), followup(date(2027, 3, 13)), followup(date(2027, 4, 25))]
    # 25 April is the last day of the intensive phase (26 Feb + 2 months = 26 April): 10 days → 5 May
    assert window(open_task(plan(facts(), visits).tasks)) == (date(2027, 5, 2), date(2027, 5, 5), FAMILY_NOTE)
    visits[-1] = followup(date(2027, 4, 26))
    # from 26 April the continuation phase: 26 May, shown from 19 May (7 days before)
    assert window(open_task(plan(facts(), visits).tasks)) == (date(2027, 5, 19), date(2027, 5, 26), MONTHLY_NOTE)


def test_a_retreated_patients_intensive_phase_lasts_three_months() -> None:
    visits = [first_visit(date(2027, 3, 3)), followup(date(2027, 5, 25))]
    # 26 Feb + 3 months = 26 May: 25 May is still intensive → 4 June
    assert window(open_task(plan(facts("2"), visits).tasks)) == (date(2027, 6, 1), date(2027, 6, 4), FAMILY_NOTE)
    visits[-1] = followup(date(2027, 5, 26))
    assert window(open_task(plan(facts("2"), visits).tasks)) == (date(2027, 6, 19), date(2027, 6, 26), MONTHLY_NOTE)


def test_without_a_treatment_start_the_phase_counts_from_the_notification() -> None:
    visits = [first_visit(date(2027, 3, 3)), followup(date(2027, 4, 30))]
    # 1 March + 2 months = 1 May: 30 April is still intensive → 10 May
    assert open_task(plan(facts(treatment_start=None), visits).tasks).due_on == date(2027, 5, 10)


def test_a_doctor_supervised_patient_is_assessed_monthly_from_the_start() -> None:
    tasks = plan(facts(), [first_visit(date(2027, 3, 3), supervisor="1")]).tasks
    # 3 March + 1 month = 3 April, shown from 27 March
    assert window(open_task(tasks)) == (date(2027, 3, 27), date(2027, 4, 3), MONTHLY_NOTE)


def test_a_change_of_supervisor_recorded_at_a_visit_changes_the_interval() -> None:
    visits = [first_visit(date(2027, 3, 3), supervisor="2"), followup(date(2027, 3, 13), supervisor="1")]
    # now supervised by the doctor: 13 March + 1 month = 13 April
    assert open_task(plan(facts(), visits).tasks).due_on == date(2027, 4, 13)


def test_the_doctors_earlier_next_visit_date_is_honoured() -> None:
    tasks = plan(facts(), [first_visit(date(2027, 3, 3), next_visit_date="2027-03-10")]).tasks
    assert window(open_task(tasks)) == (date(2027, 3, 7), date(2027, 3, 10), FAMILY_NOTE)


def test_each_follow_up_does_the_visit_that_was_due() -> None:
    visits = [first_visit(date(2027, 3, 3)), followup(date(2027, 3, 12)), followup(date(2027, 3, 22))]
    tasks = plan(facts(), visits).tasks
    assert [(t.key, t.due_on, t.done_on) for t in tasks] == [
        ("first", date(2027, 3, 4), date(2027, 3, 3)),
        ("followup:2", date(2027, 3, 13), date(2027, 3, 12)),
        ("followup:3", date(2027, 3, 22), date(2027, 3, 22)),
        ("followup:4", date(2027, 4, 1), None),
    ]


@pytest.mark.parametrize(("reason", "outcome"), [("1", "course_completed"), ("2", "died"), ("3", "lost"), ("4", "mdr")])
def test_the_visit_that_stops_treatment_closes_the_episode(reason: str, outcome: str) -> None:
    stop = followup(date(2027, 8, 30), supervisor="1", stop_date="2027-08-26", stop_reason=reason)
    visits = [first_visit(date(2027, 3, 3), supervisor="1"), followup(date(2027, 4, 2), supervisor="1"), stop]
    result = plan(facts(), [*visits, followup(date(2027, 9, 28), supervisor="1")])
    assert result.closing is not None
    assert (result.closing.on, result.closing.outcome, result.closing.note) == (
        date(2027, 8, 26),
        outcome,
        "随访记录停止治疗",
    )
    # nothing is planned after the closing visit (the visit after it is ignored)
    assert [(t.key, t.done_on) for t in result.tasks] == [
        ("first", date(2027, 3, 3)),
        ("followup:2", date(2027, 4, 2)),
        ("followup:3", date(2027, 8, 30)),
    ]
