"""严重精神障碍 schedule (pure planner), with every date worked out by hand.

Enrolment on Tuesday 2 March 2027. Answers as the signed follow-up form stores them: 此次随访分类
(classification) 1 不稳定, 2 基本稳定, 3 稳定; none when the patient was not seen (失访) or has died.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from kangdang.programmes.schedule import EpisodeFacts, FormFact, plan
from kangdang.programmes.schedule.types import PlannedTask

ENROLLED = date(2027, 3, 2)
FACTS = EpisodeFacts("mental", ENROLLED, date(1980, 7, 9), "1")


def followup(day: date, classification: str | None = "3", **more: Any) -> FormFact:
    answers: dict[str, Any] = {"visit_date": day.isoformat(), "visit_mode": "2", **more}
    if classification is not None:
        answers["classification"] = classification
    return FormFact(uuid.uuid4(), "mental_followup", day, answers)


def supplement(day: date) -> FormFact:
    return FormFact(uuid.uuid4(), "mental_supplement", day, {"visit_date": day.isoformat(), "consent": "1"})


def task(tasks: list[PlannedTask], key: str) -> PlannedTask:
    [found] = [t for t in tasks if t.key == key]
    return found


def next_after(form: FormFact) -> PlannedTask:
    tasks = plan(FACTS, [form]).tasks
    assert task(tasks, "followup:1").done_form_id == form.id
    return task(tasks, "followup:2")


def test_enrolment_asks_for_the_supplement_and_a_first_visit_within_two_weeks() -> None:
    result = plan(FACTS, [])
    assert result.closing is None
    assert [t.key for t in result.tasks] == ["supplement", "followup:1", "exam:1"]
    info = task(result.tasks, "supplement")
    assert (info.title, info.form_code) == ("严重精神障碍患者个人信息补充表", "mental_supplement")
    assert (info.opens_on, info.due_on, info.status) == (date(2027, 3, 2), date(2027, 3, 16), "open")
    first = task(result.tasks, "followup:1")
    assert (first.title, first.opens_on, first.due_on, first.note) == (
        "严重精神障碍随访",
        date(2027, 3, 2),
        date(2027, 3, 16),
        "纳入管理后首次随访",
    )
    assert task(result.tasks, "exam:1").due_on == date(2027, 5, 31)  # 2 March + 90 days


def test_the_supplement_is_done_once_even_when_it_was_filled_before_enrolment() -> None:
    filled = supplement(date(2025, 6, 3))
    again = supplement(date(2027, 3, 8))
    info = task(plan(FACTS, [filled, again]).tasks, "supplement")
    assert (info.done_form_id, info.done_on) == (filled.id, date(2025, 6, 3))


def test_a_stable_patient_is_seen_again_in_three_months() -> None:
    # 10 March + 3 months = 10 June, shown from 27 May
    nxt = next_after(followup(date(2027, 3, 10), "3"))
    assert (nxt.opens_on, nxt.due_on, nxt.urgency, nxt.note) == (date(2027, 5, 27), date(2027, 6, 10), "routine", None)


def test_a_basically_stable_patient_is_rechecked_after_two_weeks() -> None:
    nxt = next_after(followup(date(2027, 3, 10), "2"))
    assert (nxt.opens_on, nxt.due_on, nxt.urgency, nxt.note) == (
        date(2027, 3, 11),
        date(2027, 3, 24),
        "recheck",
        "基本稳定：调整治疗，观察2周后随访",
    )


def test_an_unstable_patient_is_referred_and_followed_up_within_two_weeks() -> None:
    nxt = next_after(followup(date(2027, 3, 10), "1"))
    assert (nxt.opens_on, nxt.due_on, nxt.urgency, nxt.note) == (
        date(2027, 3, 11),
        date(2027, 3, 24),
        "referral",
        "不稳定：建议立即转诊，2周内随访",
    )


def test_the_doctors_earlier_next_visit_date_is_honoured_for_a_stable_patient() -> None:
    nxt = next_after(followup(date(2027, 3, 10), "3", next_visit_date="2027-04-10"))
    assert (nxt.opens_on, nxt.due_on) == (date(2027, 3, 27), date(2027, 4, 10))


def test_a_visit_that_missed_the_patient_is_retried_within_a_month() -> None:
    # 31 March + 1 month = 30 April (April has no 31st)
    nxt = next_after(followup(date(2027, 3, 31), None, visit_mode="3", lost_reason="1"))
    assert (nxt.opens_on, nxt.due_on, nxt.urgency, nxt.note) == (
        date(2027, 4, 1),
        date(2027, 4, 30),
        "routine",
        "上次随访未见到患者，1个月内再次随访",
    )


def test_a_visit_recording_the_death_closes_the_episode_on_the_day_of_death() -> None:
    stable = followup(date(2027, 3, 10), "3")
    death = followup(date(2027, 4, 20), None, visit_mode="3", death_date="2027-04-12", death_cause="1")
    later = followup(date(2027, 5, 2), "3")  # entered after the death: ignored
    result = plan(FACTS, [supplement(date(2027, 3, 5)), stable, death, later])
    assert result.closing is not None
    assert (result.closing.on, result.closing.outcome, result.closing.note) == (
        date(2027, 4, 12),
        "died",
        "随访记录患者死亡",
    )
    # the death visit did the follow-up due on 10 June; nothing is planned after it, not even the check-up
    assert [(t.key, t.done_on) for t in result.tasks] == [
        ("supplement", date(2027, 3, 5)),
        ("followup:1", date(2027, 3, 10)),
        ("followup:2", date(2027, 4, 20)),
    ]
