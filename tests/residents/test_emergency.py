"""Break-the-glass: a doctor outside the jurisdiction opens a record for 3 hours on a stated reason; read only;
the managing institution is alerted until it acknowledges; the opening and the reads show in the resident's
access log."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from kangdang.access.models import AuditEvent
from kangdang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.records.service import get_form, save_form
from kangdang.residents.emergency import (
    EmergencyOpening,
    acknowledge_emergency,
    count_emergency_alerts,
    list_emergency_alerts,
    list_my_emergency_accesses,
    open_emergency_access,
)
from kangdang.residents.grants import NO_MATCH
from kangdang.residents.search import search_residents
from kangdang.residents.service import get_record_view, record_access_log
from tests.residents.factories import file_resident, id_number
from tests.residents.test_grants import followup, moganshan_records_manager

NAME = "急诊病人"
START = datetime(2026, 5, 10, 6, 0, tzinfo=UTC)  # 14:00 in Beijing


@pytest.fixture
def resident(db, actor_of):
    number = id_number(date(1950, 2, 2))
    record = file_resident(
        db, actor_of("cunyi"), name=NAME, born=date(1950, 2, 2), document_number=number, filed_on=date(2020, 1, 1)
    )
    form = save_form(db, actor_of("cunyi"), record.id, "hypertension_followup", followup(), sign=True)
    return record, number, form


def _open(db, actor, number: str, reason: str = "急诊昏迷，需了解既往病史和用药"):
    return open_emergency_access(db, actor, EmergencyOpening(document_number=number, name=NAME, reason=reason))


def test_break_glass_opens_the_record_for_three_hours_then_closes_it(db, actor_of, resident, time_machine):
    record, number, form = resident
    yiyuan = actor_of("yiyuan")
    time_machine.move_to(START, tick=False)
    access = _open(db, yiyuan, number)
    assert access.expires_at - access.opened_at == timedelta(hours=3)
    view = get_record_view(db, yiyuan, record.id)
    assert view.basis.via == "break_glass" and view.basis.reason == "急诊昏迷，需了解既往病史和用药"
    assert get_form(db, yiyuan, form.id).id == form.id
    assert [line.access.id for line in list_my_emergency_accesses(db, yiyuan)] == [access.id]
    time_machine.move_to(START + timedelta(hours=2, minutes=59), tick=False)
    get_record_view(db, yiyuan, record.id)
    time_machine.move_to(START + timedelta(hours=3, seconds=1), tick=False)
    with pytest.raises(NotFound):
        get_record_view(db, yiyuan, record.id)
    with pytest.raises(NotFound):
        get_form(db, yiyuan, form.id)
    assert list_my_emergency_accesses(db, yiyuan) == []


def test_break_glass_requires_a_reason_of_four_characters(db, actor_of, resident):
    _record, number, _form = resident
    with pytest.raises(ValidationError):
        EmergencyOpening(document_number=number, name=NAME, reason="急诊")
    with pytest.raises(InvalidInput) as error:  # blanks do not count
        _open(db, actor_of("yiyuan"), number, reason="急  诊   ")
    assert [e.field for e in error.value.errors] == ["reason"]


def test_break_glass_names_nobody_for_a_wrong_name_and_is_not_for_everyone(db, actor_of, resident):
    _record, number, _form = resident
    with pytest.raises(InvalidInput) as error:
        open_emergency_access(
            db, actor_of("yiyuan"), EmergencyOpening(document_number=number, name="别人", reason="急诊抢救需要")
        )
    assert error.value.message == NO_MATCH
    for login in ("tongji", "dangan", "xianju"):
        with pytest.raises(PermissionDenied):
            _open(db, actor_of(login), number)
    with pytest.raises(InvalidInput) as error:  # within one's own jurisdiction there is nothing to break
        _open(db, actor_of("cunyi"), number)
    assert "无需申请" in error.value.message


def test_break_glass_is_read_only_and_lists_nothing(db, actor_of, resident):
    record, number, _form = resident
    cunyi2 = actor_of("cunyi2")  # a village doctor of another township
    _open(db, cunyi2, number)
    assert get_record_view(db, cunyi2, record.id).basis.via == "break_glass"
    with pytest.raises(NotFound):
        save_form(db, cunyi2, record.id, "hypertension_followup", followup(), sign=False)
    assert search_residents(db, cunyi2, query=number, page=PageRequest()).total == 0


def test_the_managing_institution_is_alerted_until_it_acknowledges(db, actor_of, resident):
    record, number, _form = resident
    dangan = actor_of("dangan")
    before = count_emergency_alerts(db, dangan)
    access = _open(db, actor_of("yiyuan"), number)
    assert count_emergency_alerts(db, dangan) == before + 1
    assert count_emergency_alerts(db, actor_of("jigou")) == before + 1
    assert count_emergency_alerts(db, actor_of("yiyuan")) == 0
    alerts = list_emergency_alerts(db, dangan, page=PageRequest())
    line = next(ln for ln in alerts.items if ln.access.id == access.id)
    assert line.person_name == NAME and line.access.reason == "急诊昏迷，需了解既往病史和用药"
    assert line.actor_institution == "德清县人民医院"
    with pytest.raises(NotFound):  # another township's deciders neither see nor acknowledge it
        acknowledge_emergency(db, moganshan_records_manager(db, actor_of), access.id)
    acknowledge_emergency(db, dangan, access.id)
    assert access.acknowledged_by == "dangan"
    assert count_emergency_alerts(db, dangan) == before
    with pytest.raises(Conflict):
        acknowledge_emergency(db, actor_of("jigou"), access.id)
    done = list_emergency_alerts(db, dangan, acknowledged=True, page=PageRequest())
    assert access.id in {ln.access.id for ln in done.items}
    acks = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "access.acknowledge", AuditEvent.subject_id == str(record.person_id)
        )
    ).all()
    assert [e.login for e in acks] == ["dangan"]


def test_the_opening_and_its_reads_show_in_the_residents_access_log(db, actor_of, resident):
    record, number, form = resident
    yiyuan = actor_of("yiyuan")
    access = _open(db, yiyuan, number)
    get_record_view(db, yiyuan, record.id)
    get_form(db, yiyuan, form.id)
    log = record_access_log(db, actor_of("dangan"), record.id, page=PageRequest())
    mine = [(e.action, e.details) for e in log.items if e.login == "yiyuan"]
    actions = {a for a, _ in mine}
    assert actions == {"access.break_glass", "record.read", "form.read"}
    opening = next(d for a, d in mine if a == "access.break_glass")
    assert opening["reason"] == "急诊昏迷，需了解既往病史和用药" and opening["emergency_id"] == str(access.id)
    assert all(d.get("via") == "break_glass" for a, d in mine if a != "access.break_glass")
