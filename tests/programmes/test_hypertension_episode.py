"""Done-when (issue 5): enrolling a hypertension patient plans the next follow-up; an uncontrolled visit brings
it within two weeks; two in a row call for referral; an amendment re-plans. Dates worked out by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kangdang.programmes.models import CareTask
from kangdang.programmes.service import enrol
from kangdang.records.service import amend_form, mark_entered_in_error, save_form
from tests.residents.factories import file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)


def followup(day: date, sbp: int, dbp: int, **changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "visit_date": day.isoformat(),
        "visit_mode": "1",
        "symptoms": ["1"],
        "sbp": str(sbp),
        "dbp": str(dbp),
        "weight": "70",
        "height": "170",
        "medication_adherence": "1",
        "adverse_reaction": "1",
        "medicines": [{"name": "苯磺酸氨氯地平片", "times_per_day": "1", "dose": "5"}],
    }
    return answers | changes


def open_tasks(db: Any, person_id: Any) -> list[CareTask]:
    db.expire_all()
    return list(
        db.scalars(
            select(CareTask)
            .where(CareTask.person_id == person_id, CareTask.status == "open")
            .order_by(CareTask.form_code, CareTask.key)
        )
    )


@pytest.fixture
def patient(db: Any, actor_of: Any, time_machine: Any) -> Any:
    time_machine.move_to(at(date(2027, 3, 2)), tick=False)
    return file_resident(db, actor_of("cunyi"), name="钱高压", born=date(1966, 5, 6))


def test_enrolment_plans_the_first_follow_up_within_two_weeks(db: Any, actor_of: Any, patient: Any) -> None:
    episode = enrol(db, actor_of("cunyi"), patient.id, "hypertension")
    assert episode.enrolled_on == date(2027, 3, 2)
    [exam, first] = open_tasks(db, patient.person_id)
    assert (first.key, first.title, first.form_code) == ("followup:1", "高血压随访", "hypertension_followup")
    assert (first.opens_on, first.due_on) == (date(2027, 3, 2), date(2027, 3, 16))  # 2 March + 14 days
    assert first.note == "纳入管理后首次随访"
    # the yearly health check: within 3 months of enrolment (2 March + 90 days = 31 May)
    assert (exam.form_code, exam.due_on) == ("health_examination", date(2027, 5, 31))


def test_uncontrolled_then_again_uncontrolled_moves_the_date_and_calls_for_referral(
    db: Any, actor_of: Any, patient: Any, time_machine: Any
) -> None:
    doctor = actor_of("cunyi")
    enrol(db, doctor, patient.id, "hypertension")
    # 10 March: 148/92 at 60 years is above 140/90 → first 控制不满意 → recheck within 2 weeks (24 March)
    time_machine.move_to(at(date(2027, 3, 10)), tick=False)
    first = save_form(db, doctor, patient.id, "hypertension_followup", followup(date(2027, 3, 10), 148, 92), sign=True)
    [_exam, task] = open_tasks(db, patient.person_id)
    assert (task.key, task.opens_on, task.due_on) == ("followup:2", date(2027, 3, 11), date(2027, 3, 24))
    assert (task.urgency, task.note) == ("recheck", "第1次控制不满意：调整用药，2周内随访")
    done = db.scalar(select(CareTask).where(CareTask.person_id == patient.person_id, CareTask.key == "followup:1"))
    assert (done.status, done.done_on, done.done_form_id) == ("done", date(2027, 3, 10), first.id)

    # 23 March: 146/88, again not controlled → referral, active follow-up within 2 weeks (6 April)
    time_machine.move_to(at(date(2027, 3, 23)), tick=False)
    save_form(db, doctor, patient.id, "hypertension_followup", followup(date(2027, 3, 23), 146, 88), sign=True)
    [_exam, task] = open_tasks(db, patient.person_id)
    assert (task.key, task.due_on, task.urgency) == ("followup:3", date(2027, 4, 6), "referral")
    assert task.note == "连续两次控制不满意：建议转诊，2周内主动随访"

    # 3 April: 132/82 controlled → routine: within 3 months (3 July), shown as due from 19 June
    time_machine.move_to(at(date(2027, 4, 3)), tick=False)
    third = save_form(db, doctor, patient.id, "hypertension_followup", followup(date(2027, 4, 3), 132, 82), sign=True)
    [_exam, task] = open_tasks(db, patient.person_id)
    assert (task.key, task.opens_on, task.due_on, task.urgency) == (
        "followup:4",
        date(2027, 6, 19),
        date(2027, 7, 3),
        "routine",
    )

    # amending the 3 April visit to 150/95 re-plans: third uncontrolled in a row → referral by 17 April
    amend_form(db, doctor, third.id, followup(date(2027, 4, 3), 150, 95), reason="血压录入错误")
    [_exam, task] = open_tasks(db, patient.person_id)
    assert (task.key, task.due_on, task.urgency) == ("followup:4", date(2027, 4, 17), "referral")

    # withdrawing the 23 March visit: the 3 April visit did the follow-up due on 24 March
    second_id = db.scalar(
        select(CareTask.done_form_id).where(CareTask.person_id == patient.person_id, CareTask.key == "followup:2")
    )
    mark_entered_in_error(db, actor_of("yisheng"), second_id, reason="重复录入")
    [_exam, task] = open_tasks(db, patient.person_id)
    assert task.key == "followup:3"
