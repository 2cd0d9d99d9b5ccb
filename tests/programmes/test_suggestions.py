"""Suggested programmes (建议纳入管理) from age, the 个人基本信息表's past history and programme forms signed
without an episode; never while an episode is active or after a refusal. Controlled time: 2 March 2027."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from kangdang.access.models import AuditEvent
from kangdang.core.errors import NotFound, PermissionDenied
from kangdang.programmes.codes import Programme
from kangdang.programmes.service import close_episode, enrol
from kangdang.programmes.suggestions import Suggestion, suggest_programmes
from kangdang.records.service import save_form
from kangdang.residents.lifecycle import close_record
from kangdang.residents.schemas import RecordClosure
from tests.programmes.test_hypertension_episode import followup as hypertension_visit
from tests.records.forms.test_antenatal_first import EXAMPLE as ANTENATAL_FIRST
from tests.records.forms.test_mental_followup import visit as mental_visit
from tests.records.forms.test_personal_basic_info import COMPLETE as BASIC_INFO
from tests.records.forms.test_tb_first_visit import first_visit
from tests.records.forms.test_tb_followup import closing as tb_closing
from tests.residents.factories import file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2027, 3, 2)
H = Programme.HYPERTENSION


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def in_2027(time_machine: Any) -> None:
    time_machine.move_to(at(TODAY), tick=False)


def resident(db: Any, actor_of: Any, born: date = date(1966, 5, 6), sex: str = "1") -> Any:
    return file_resident(db, actor_of("cunyi"), name="孙建议", born=born, sex=sex)


def basic_info(db: Any, actor_of: Any, record: Any, *diseases: str, day: date = TODAY) -> None:
    rows = [{"disease": code, "diagnosed": "2015-06"} for code in diseases] or [{"disease": "1"}]
    answers = BASIC_INFO | {"past_diseases": rows, "visit_date": day.isoformat()}
    save_form(db, actor_of("cunyi"), record.id, "personal_basic_info", answers, sign=True)


def suggested(db: Any, actor_of: Any, record: Any, login: str = "cunyi", **kwargs: Any) -> list[Suggestion]:
    return suggest_programmes(db, actor_of(login), record.id, **kwargs)


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        (date(1960, 1, 5), [Suggestion(Programme.ELDERLY, "年满65岁")]),
        (date(1962, 12, 31), [Suggestion(Programme.ELDERLY, "今年年满65岁")]),  # 64 today, 65 this year
        (date(1963, 1, 1), []),
        (date(2024, 5, 1), [Suggestion(Programme.CHILD, "未满7周岁")]),
        (date(2020, 3, 3), [Suggestion(Programme.CHILD, "未满7周岁")]),  # 7 tomorrow
        (date(2020, 3, 2), []),  # 7 today
    ],
)
def test_children_and_the_elderly_are_suggested_by_age(
    db: Any, actor_of: Any, born: date, expected: list[Suggestion]
) -> None:
    assert suggested(db, actor_of, resident(db, actor_of, born)) == expected


def test_the_past_history_on_the_basic_information_suggests_chronic_programmes(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    assert suggested(db, actor_of, record) == []
    basic_info(db, actor_of, record, "2", "3", "8", "9")  # 9 结核病: a past history is no reason
    assert suggested(db, actor_of, record) == [
        Suggestion(Programme.HYPERTENSION, "个人基本信息表既往史：高血压"),
        Suggestion(Programme.DIABETES, "个人基本信息表既往史：糖尿病"),
        Suggestion(Programme.MENTAL, "个人基本信息表既往史：严重精神障碍"),
    ]


def test_hypertension_and_diabetes_are_not_suggested_under_35(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of, date(1995, 4, 1))
    basic_info(db, actor_of, record, "2", "3", "8")
    assert suggested(db, actor_of, record) == [Suggestion(Programme.MENTAL, "个人基本信息表既往史：严重精神障碍")]


def test_a_follow_up_form_without_an_episode_is_a_reason_and_reasons_add_up(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of)
    save_form(db, actor_of("cunyi"), record.id, "hypertension_followup", hypertension_visit(TODAY, 132, 82), sign=True)
    assert suggested(db, actor_of, record) == [Suggestion(H, "已有高血压患者随访记录")]
    basic_info(db, actor_of, record, "2")
    assert suggested(db, actor_of, record) == [Suggestion(H, "个人基本信息表既往史：高血压；已有高血压患者随访记录")]


def test_an_active_episode_or_a_refusal_ends_the_suggestion(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of, date(1958, 4, 1))
    basic_info(db, actor_of, record, "2")
    assert [s.programme for s in suggested(db, actor_of, record)] == [Programme.ELDERLY, H]
    episode = enrol(db, actor_of("cunyi"), record.id, "hypertension")
    assert [s.programme for s in suggested(db, actor_of, record)] == [Programme.ELDERLY]
    close_episode(db, actor_of("cunyi"), episode.id, outcome="refused")
    save_form(db, actor_of("cunyi"), record.id, "hypertension_followup", hypertension_visit(TODAY, 150, 95), sign=True)
    assert [s.programme for s in suggested(db, actor_of, record, today=date(2027, 6, 1))] == [Programme.ELDERLY]


def test_after_a_closed_episode_only_newer_evidence_counts(db: Any, actor_of: Any, time_machine: Any) -> None:
    record = resident(db, actor_of)
    basic_info(db, actor_of, record, "2")
    episode = enrol(db, actor_of("cunyi"), record.id, "hypertension")
    close_episode(db, actor_of("cunyi"), episode.id, outcome="moved_out")
    assert suggested(db, actor_of, record) == []  # the history on file was this episode's
    time_machine.move_to(at(date(2027, 5, 10)), tick=False)  # back home: a follow-up without an episode
    visit = hypertension_visit(date(2027, 5, 10), 136, 84)
    save_form(db, actor_of("cunyi"), record.id, "hypertension_followup", visit, sign=True)
    assert suggested(db, actor_of, record) == [Suggestion(H, "已有高血压患者随访记录")]


def test_a_recent_first_antenatal_check_suggests_a_pregnancy(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of, date(1996, 4, 9), "2")
    # 8 December 2026 → 2 March 2027 = 84 days = 12 weeks
    answers = ANTENATAL_FIRST | {
        "visit_date": "2027-03-02",
        "lmp": "2026-12-08",
        "gestational_weeks": 12,
        "next_visit_date": "2027-04-12",
    }
    save_form(db, actor_of("cunyi"), record.id, "antenatal_first", answers, sign=True)
    expected = [Suggestion(Programme.MATERNAL, "已有第1次产前检查记录")]
    assert suggested(db, actor_of, record) == expected
    # 2 March + 299 days = 26 December still counts; 300 days later (27 December) no longer
    assert suggested(db, actor_of, record, today=date(2027, 12, 26)) == expected
    assert suggested(db, actor_of, record, today=date(2027, 12, 27)) == []
    enrol(db, actor_of("cunyi"), record.id, "maternal", details={"lmp": "2026-12-08"})
    assert suggested(db, actor_of, record) == []


def test_tuberculosis_is_suggested_by_its_forms_until_the_treatment_stops(
    db: Any, actor_of: Any, time_machine: Any
) -> None:
    record = resident(db, actor_of)
    basic_info(db, actor_of, record, "9")
    assert suggested(db, actor_of, record) == []
    answers = first_visit(visit_date="2027-03-02", pickup_date="2027-03-30", next_visit_date="2027-03-12")
    save_form(db, actor_of("cunyi"), record.id, "tb_first_visit", answers, sign=True)
    expected = [Suggestion(Programme.TUBERCULOSIS, "已有肺结核患者第一次入户随访记录")]
    assert suggested(db, actor_of, record) == expected
    # 2 March 2027 + 364 days = 29 February 2028 still counts; a year later no longer
    assert suggested(db, actor_of, record, today=date(2028, 2, 29)) == expected
    assert suggested(db, actor_of, record, today=date(2028, 3, 1)) == []
    time_machine.move_to(at(date(2027, 3, 20)), tick=False)
    answers = tb_closing(visit_date="2027-03-20", stop_date="2027-03-18", stop_reason="4", treatment_month=1)
    save_form(db, actor_of("cunyi"), record.id, "tb_followup", answers, sign=True)
    assert suggested(db, actor_of, record) == []


def test_a_resident_recorded_as_dead_or_with_a_closed_record_gets_no_suggestion(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of, date(1950, 2, 2))
    assert [s.programme for s in suggested(db, actor_of, record)] == [Programme.ELDERLY]
    death = mental_visit(visit_date="2027-03-02", visit_mode="3", death_date="2027-02-27", death_cause="4")
    save_form(db, actor_of("cunyi"), record.id, "mental_followup", death, sign=True)
    assert suggested(db, actor_of, record) == []

    other = resident(db, actor_of, date(1950, 2, 2))
    close_record(db, actor_of("dangan"), other.id, RecordClosure(reason="2", closed_on=TODAY))
    assert suggested(db, actor_of, other) == []


def test_suggestions_are_read_within_jurisdiction_audited_and_in_few_queries(db: Any, actor_of: Any) -> None:
    record = resident(db, actor_of, date(1958, 4, 1))
    basic_info(db, actor_of, record, "2", "3")
    with pytest.raises(PermissionDenied):
        suggested(db, actor_of, record, "tongji")
    for login in ("cunyi2", "yiyuan"):  # another village's doctor; a hospital doctor has no jurisdiction
        with pytest.raises(NotFound):
            suggested(db, actor_of, record, login)
    township, record_id, person_id = actor_of("yisheng"), record.id, record.person_id
    db.expire_all()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql)

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        found = suggest_programmes(db, township, record_id)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert [s.programme for s in found] == [Programme.ELDERLY, H, Programme.DIABETES]
    # the record, the person, the episodes, the latest forms
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "programme.suggest"))
    assert (audit.login, audit.subject_id) == ("yisheng", str(person_id))
