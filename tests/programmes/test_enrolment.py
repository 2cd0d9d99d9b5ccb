"""Enrolling, editing and closing programme episodes through the services: who may be enrolled, the facts each
programme needs, history, permissions; and a 严重精神障碍 and a 肺结核 episode driven by signed forms.

Controlled time: Tuesday 2 March 2027 in Shanghai unless a test moves on. Dates worked out by hand.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from kangdang.access.models import AuditEvent
from kangdang.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.service import close_episode, enrol, get_episode, update_episode
from kangdang.records.service import save_form
from kangdang.residents.lifecycle import close_record
from kangdang.residents.models import ResidentChange
from kangdang.residents.schemas import RecordClosure
from tests.records.forms.test_mental_followup import visit as mental_visit
from tests.records.forms.test_mental_supplement import supplement
from tests.records.forms.test_tb_first_visit import first_visit
from tests.records.forms.test_tb_followup import closing as tb_closing
from tests.records.forms.test_tb_followup import visit as tb_visit
from tests.residents.factories import file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2027, 3, 2)
TB_DETAILS = {"notified_on": "2027-03-01", "treatment_start": "2027-02-26", "patient_type": "1"}


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def in_2027(time_machine: Any) -> None:
    time_machine.move_to(at(TODAY), tick=False)


def resident(db: Any, actor_of: Any, born: date = date(1966, 5, 6), sex: str = "1", name: str = "钱管理") -> Any:
    return file_resident(db, actor_of("cunyi"), name=name, born=born, sex=sex)


def history(db: Any, person_id: Any) -> list[ResidentChange]:
    return list(
        db.scalars(
            select(ResidentChange)
            .where(ResidentChange.person_id == person_id, ResidentChange.entity == "programme_episode")
            .order_by(ResidentChange.at)
        )
    )


def assert_nothing_saved(db: Any, person_id: Any) -> None:
    assert db.scalar(select(func.count()).select_from(Episode).where(Episode.person_id == person_id)) == 0
    assert db.scalar(select(func.count()).select_from(CareTask).where(CareTask.person_id == person_id)) == 0
    assert history(db, person_id) == []


def tasks_of(db: Any, person_id: Any, status: str = "open") -> dict[str, CareTask]:
    db.expire_all()
    rows = db.scalars(select(CareTask).where(CareTask.person_id == person_id, CareTask.status == status))
    return {t.key: t for t in rows}


# --- who may be enrolled ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("programme", "born", "sex", "reason"),
    [
        ("child", date(2020, 3, 1), "1", "0～6岁儿童健康管理的服务对象为未满7周岁的儿童"),  # 7 yesterday
        ("elderly", date(1963, 1, 1), "2", "老年人健康管理的服务对象为65岁及以上（含当年满65岁）的居民"),
        ("hypertension", date(1992, 3, 3), "1", "高血压患者健康管理的服务对象为35岁及以上的居民"),  # 35 tomorrow
        ("diabetes", date(1992, 3, 3), "2", "2型糖尿病患者健康管理的服务对象为35岁及以上的居民"),
        ("maternal", date(1995, 6, 1), "1", "孕产妇健康管理的服务对象为辖区内的孕产妇"),
    ],
)
def test_a_resident_outside_the_programmes_population_is_refused(
    db: Any, actor_of: Any, programme: str, born: date, sex: str, reason: str
) -> None:
    record = resident(db, actor_of, born, sex)
    details = {"gestational_weeks": "10"} if programme == "maternal" else None
    with pytest.raises(InvalidInput) as refused:
        enrol(db, actor_of("cunyi"), record.id, programme, details=details)
    assert refused.value.message == reason
    assert refused.value.errors == [FieldError("programme", reason)]
    assert_nothing_saved(db, record.person_id)


@pytest.mark.parametrize(
    ("programme", "born"),
    [
        ("child", date(2020, 3, 3)),  # 6 until tomorrow
        ("elderly", date(1962, 12, 31)),  # 64 today, 65 this year
        ("hypertension", date(1992, 3, 2)),  # 35 today
    ],
)
def test_the_edges_of_the_populations_are_accepted(db: Any, actor_of: Any, programme: str, born: date) -> None:
    record = resident(db, actor_of, born)
    episode = enrol(db, actor_of("cunyi"), record.id, programme)
    assert (episode.programme, episode.status, episode.enrolled_on) == (programme, "active", TODAY)


def test_a_pregnancy_needs_the_last_period_or_the_weeks(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of, date(1996, 4, 9), "2")
    with pytest.raises(InvalidInput) as refused:
        enrol(db, actor_of("cunyi"), record.id, "maternal", details={})
    assert refused.value.message == "纳入管理的信息有误"
    assert refused.value.errors == [FieldError("lmp", "末次月经：请填写末次月经日期，或填写纳入时的孕周")]
    assert_nothing_saved(db, record.person_id)


def test_tuberculosis_needs_the_notification_date(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    with pytest.raises(InvalidInput) as refused:
        enrol(db, actor_of("cunyi"), record.id, "tuberculosis", details={"patient_type": "1"})
    assert refused.value.errors == [FieldError("notified_on", "接到管理通知日期：此项为必填项")]
    assert_nothing_saved(db, record.person_id)


@pytest.mark.parametrize(
    ("programme", "enrolled_on", "details", "error"),
    [
        ("hypertension", date(2027, 3, 3), None, FieldError("enrolled_on", "纳入管理日期：不能晚于今天")),
        ("maternal", None, {"lmp": "2027-03-05"}, FieldError("lmp", "末次月经：不能晚于2027-03-02")),
        (
            "tuberculosis",
            None,
            {"notified_on": "2027-03-04"},
            FieldError("notified_on", "接到管理通知日期：不能晚于2027-03-02"),
        ),
        (
            "tuberculosis",
            None,
            {"notified_on": "2027-03-01", "treatment_start": "2027-03-09"},
            FieldError("treatment_start", "开始治疗日期：不能晚于2027-03-02"),
        ),
    ],
)
def test_dates_in_the_future_are_refused(
    db: Any, actor_of: Any, programme: str, enrolled_on: date | None, details: Any, error: FieldError
) -> None:
    record = resident(db, actor_of, date(1990, 8, 1), "2")
    with pytest.raises(InvalidInput) as refused:
        enrol(db, actor_of("cunyi"), record.id, programme, enrolled_on=enrolled_on, details=details)
    assert refused.value.errors == [error]
    assert_nothing_saved(db, record.person_id)


def test_a_second_active_episode_of_the_same_programme_is_a_conflict(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    enrol(db, actor_of("cunyi"), record.id, "hypertension")
    with pytest.raises(Conflict) as refused:
        enrol(db, actor_of("yisheng"), record.id, "hypertension")
    assert refused.value.message == "该居民已在高血压健康管理中"
    assert db.scalar(select(func.count()).select_from(Episode).where(Episode.person_id == record.person_id)) == 1


def test_a_closed_record_cannot_be_enrolled(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    close_record(db, actor_of("dangan"), record.id, RecordClosure(reason="2", closed_on=TODAY))
    with pytest.raises(Conflict) as refused:
        enrol(db, actor_of("cunyi"), record.id, "hypertension")
    assert refused.value.message == "该档案已注销，不能纳入管理"
    assert_nothing_saved(db, record.person_id)


@pytest.mark.parametrize("login", ["tongji", "yiyuan"])
def test_only_care_staff_enrol(db: Any, actor_of: Any, login: str) -> None:
    record = resident(db, actor_of)
    with pytest.raises(PermissionDenied):
        enrol(db, actor_of(login), record.id, "hypertension")
    assert_nothing_saved(db, record.person_id)


def test_another_villages_doctor_finds_neither_the_record_nor_the_episode(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    with pytest.raises(NotFound) as missing:
        enrol(db, actor_of("cunyi2"), record.id, "hypertension")
    assert missing.value.message == "未找到该居民档案，或不在您的管辖范围内"
    episode = enrol(db, actor_of("cunyi"), record.id, "hypertension")
    other = actor_of("cunyi2")
    for attempt in (
        lambda: get_episode(db, other, episode.id),
        lambda: update_episode(db, other, episode.id, details={}),
        lambda: close_episode(db, other, episode.id, outcome="moved_out"),
    ):
        with pytest.raises(NotFound) as missing:
            attempt()
        assert missing.value.message == "未找到该管理记录，或不在您的管辖范围内"
    assert db.get(Episode, episode.id).status == "active"


# --- history, editing, closing ------------------------------------------------------------------------


def test_enrolment_editing_and_closing_are_kept_in_history(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    doctor = actor_of("cunyi")
    episode = enrol(db, doctor, record.id, "tuberculosis", details={"notified_on": "2027-03-01"})
    update_episode(db, doctor, episode.id, details={"treatment_start": "2027-02-26", "patient_type": "2"})
    close_episode(db, doctor, episode.id, outcome="moved_out", closed_on=TODAY)
    rows = {r.action: r for r in history(db, record.person_id)}  # one of each, all by cunyi, about this episode
    assert sorted(rows) == ["programme.close", "programme.enrol", "programme.update"]
    assert {(r.login, r.entity_id) for r in rows.values()} == {("cunyi", str(episode.id))}
    assert rows["programme.enrol"].changes == {
        "programme": [None, "tuberculosis"],
        "enrolled_on": [None, "2027-03-02"],
        "notified_on": [None, "2027-03-01"],
        "patient_type": [None, "1"],
    }
    assert rows["programme.update"].changes == {
        "details": [
            {"notified_on": "2027-03-01", "patient_type": "1"},
            {"notified_on": "2027-03-01", "treatment_start": "2027-02-26", "patient_type": "2"},
        ]
    }
    assert rows["programme.close"].changes == {
        "status": ["active", "closed"],
        "outcome": [None, "moved_out"],
        "closed_on": [None, "2027-03-02"],
    }
    assert (episode.status, episode.outcome, episode.closed_by) == ("closed", "moved_out", "cunyi")


def test_an_edit_that_changes_nothing_writes_no_history(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    episode = enrol(db, actor_of("cunyi"), record.id, "tuberculosis", details=TB_DETAILS)
    update_episode(db, actor_of("cunyi"), episode.id, details={"patient_type": "1"})
    assert [r.action for r in history(db, record.person_id)] == ["programme.enrol"]


def test_closing_with_other_needs_a_note_and_closing_cancels_the_open_tasks(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    doctor = actor_of("cunyi")
    episode = enrol(db, doctor, record.id, "hypertension")
    assert set(tasks_of(db, record.person_id)) == {"followup:1", "exam:1"}
    with pytest.raises(InvalidInput) as refused:
        close_episode(db, doctor, episode.id, outcome="other", note="  ")
    assert refused.value.errors == [FieldError("outcome_note", "说明：结案原因为“其他”时请说明")]
    assert db.get(Episode, episode.id).status == "active"
    assert [r.action for r in history(db, record.person_id)] == ["programme.enrol"]

    close_episode(db, doctor, episode.id, outcome="other", note="长期在外地子女处居住")
    assert (episode.status, episode.outcome, episode.outcome_note) == ("closed", "other", "长期在外地子女处居住")
    assert tasks_of(db, record.person_id) == {}
    assert set(tasks_of(db, record.person_id, "cancelled")) == {"followup:1", "exam:1"}
    with pytest.raises(Conflict) as again:
        close_episode(db, doctor, episode.id, outcome="moved_out")
    assert again.value.message == "该管理已结案"
    with pytest.raises(Conflict) as edit:
        update_episode(db, doctor, episode.id, details={})
    assert edit.value.message == "该管理已结案，不能再修改"
    # a new episode may start once the last one is closed
    assert enrol(db, doctor, record.id, "hypertension").id != episode.id


@pytest.mark.parametrize(
    ("outcome", "closed_on", "error"),
    [
        ("aged_out", None, FieldError("outcome", "结案原因：请选择有效的转归")),  # not an outcome of this programme
        ("moved_out", date(2027, 3, 3), FieldError("closed_on", "结案日期：应在纳入管理日期与今天之间")),
        ("moved_out", date(2027, 2, 28), FieldError("closed_on", "结案日期：应在纳入管理日期与今天之间")),
    ],
)
def test_a_close_with_a_wrong_outcome_or_date_is_refused(
    db: Any, actor_of: Any, outcome: str, closed_on: date | None, error: FieldError
) -> None:
    record = resident(db, actor_of)
    episode = enrol(db, actor_of("cunyi"), record.id, "hypertension", enrolled_on=date(2027, 3, 1))
    with pytest.raises(InvalidInput) as refused:
        close_episode(db, actor_of("cunyi"), episode.id, outcome=outcome, closed_on=closed_on)
    assert refused.value.errors == [error]
    assert db.get(Episode, episode.id).status == "active"
    assert set(tasks_of(db, record.person_id)) == {"followup:1", "exam:1"}


def test_reading_an_episode_is_audited(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    episode = enrol(db, actor_of("cunyi"), record.id, "hypertension")
    view = get_episode(db, actor_of("yisheng"), episode.id)
    assert (view.programme.label, [t.key for t in view.tasks]) == ("高血压", ["exam:1", "followup:1"])
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "programme.read"))
    assert (event.login, event.subject_type, event.subject_id) == ("yisheng", "person", str(record.person_id))
    assert event.details["episode_id"] == str(episode.id)
    assert event.details["programme"] == "hypertension"


# --- 严重精神障碍 and 肺结核 through the forms ----------------------------------------------------------------


def test_a_mental_disorder_episode_follows_its_signed_forms(db: Any, actor_of: Any, time_machine: Any) -> None:
    doctor = actor_of("cunyi")
    record = resident(db, actor_of, date(1980, 7, 9), name="孙精神")
    enrol(db, doctor, record.id, "mental")
    tasks = tasks_of(db, record.person_id)
    assert {k: (t.opens_on, t.due_on) for k, t in tasks.items()} == {
        "supplement": (date(2027, 3, 2), date(2027, 3, 16)),
        "followup:1": (date(2027, 3, 2), date(2027, 3, 16)),
        "exam:1": (date(2027, 3, 2), date(2027, 5, 31)),  # 2 March + 90 days
    }

    time_machine.move_to(at(date(2027, 3, 5)), tick=False)
    info = save_form(
        db,
        doctor,
        record.id,
        "mental_supplement",
        supplement(visit_date="2027-03-05", consent_signed_on="2027-03-05"),
        sign=True,
    )
    assert "supplement" not in tasks_of(db, record.person_id)
    assert tasks_of(db, record.person_id, "done")["supplement"].done_form_id == info.id

    # 10 March: a stable patient (稳定) → next within 3 months: 10 June, shown from 27 May
    time_machine.move_to(at(date(2027, 3, 10)), tick=False)
    save_form(db, doctor, record.id, "mental_followup", mental_visit(visit_date="2027-03-10"), sign=True)
    nxt = tasks_of(db, record.person_id)["followup:2"]
    assert (nxt.opens_on, nxt.due_on, nxt.urgency) == (date(2027, 5, 27), date(2027, 6, 10), "routine")

    # 8 June: danger level 1 → 基本稳定 → observed for 2 weeks: 22 June
    time_machine.move_to(at(date(2027, 6, 8)), tick=False)
    answers = mental_visit(visit_date="2027-06-08", danger_level="1")
    save_form(db, doctor, record.id, "mental_followup", answers, sign=True)
    nxt = tasks_of(db, record.person_id)["followup:3"]
    assert (nxt.opens_on, nxt.due_on, nxt.urgency, nxt.note) == (
        date(2027, 6, 9),
        date(2027, 6, 22),
        "recheck",
        "基本稳定：调整治疗，观察2周后随访",
    )


def test_a_tuberculosis_course_is_followed_and_closed_by_its_last_visit(
    db: Any, actor_of: Any, time_machine: Any
) -> None:
    doctor = actor_of("cunyi")
    record = resident(db, actor_of, date(1975, 1, 20), name="周结核")
    episode = enrol(db, doctor, record.id, "tuberculosis", details=TB_DETAILS)
    [first] = tasks_of(db, record.person_id).values()
    assert (first.key, first.opens_on, first.due_on) == ("first", date(2027, 3, 1), date(2027, 3, 4))

    # 3 March: first visit, supervised by his wife (家属) → every 10 days while intensive: 13 March
    time_machine.move_to(at(date(2027, 3, 3)), tick=False)
    answers = first_visit(visit_date="2027-03-03", pickup_date="2027-03-31", next_visit_date="2027-03-13")
    save_form(db, doctor, record.id, "tb_first_visit", answers, sign=True)
    nxt = tasks_of(db, record.person_id)["followup:2"]
    assert (nxt.opens_on, nxt.due_on, nxt.note) == (
        date(2027, 3, 10),
        date(2027, 3, 13),
        "强化期家属督导：每10天随访1次",
    )

    time_machine.move_to(at(date(2027, 3, 13)), tick=False)
    answers = tb_visit(visit_date="2027-03-13", treatment_month=1, next_visit_date="2027-03-23")
    save_form(db, doctor, record.id, "tb_followup", answers, sign=True)
    assert tasks_of(db, record.person_id)["followup:3"].due_on == date(2027, 3, 23)

    # 30 August: the last visit records the course completed on 26 August → the episode closes
    time_machine.move_to(at(date(2027, 8, 30)), tick=False)
    answers = tb_closing(visit_date="2027-08-30", stop_date="2027-08-26", treatment_month=6, supervisor="1")
    save_form(db, doctor, record.id, "tb_followup", answers, sign=True)
    db.refresh(episode)
    assert (episode.status, episode.outcome, episode.closed_on) == ("closed", "course_completed", date(2027, 8, 26))
    assert tasks_of(db, record.person_id) == {}
    assert set(tasks_of(db, record.person_id, "done")) == {"first", "followup:2", "followup:3"}
    assert sorted(r.action for r in history(db, record.person_id)) == ["programme.close", "programme.enrol"]
