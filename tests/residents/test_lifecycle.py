"""A record's life: transfer across townships, closure and reopening, and hand-over when an institution closes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kangdang.access.models import AuditEvent
from kangdang.access.roles import Role
from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.institutions.models import Institution
from kangdang.institutions.schemas import AccountCreate, InstitutionClosure, PractitionerCreate
from kangdang.institutions.staff import create_account, create_practitioner
from kangdang.institutions.types import Qualification
from kangdang.residents.lifecycle import (
    cancel_transfer,
    close_institution_and_hand_over,
    close_record,
    confirm_transfer,
    list_transfers,
    reopen_record,
    request_transfer,
    return_transfer,
)
from kangdang.residents.models import HealthRecord, ResidentChange
from kangdang.residents.schemas import RecordClosure, RecordReopening, TransferDecision, TransferRequest
from kangdang.residents.service import get_record_view
from tests.residents.factories import MOGANSHAN_VILLAGE, file_resident, id_number


def _institution(db, code: str) -> Institution:
    return db.scalar(select(Institution).where(Institution.code == code))


@pytest.fixture
def moganshan_manager(db, actor_of):
    """A records manager of 莫干山镇中心卫生院 (the receiving side of a cross-township transfer)."""
    centre = _institution(db, "330521115-01")
    practitioner = create_practitioner(
        db,
        actor_of("xianju"),
        PractitionerCreate(
            name="莫干山档案员",
            id_number=id_number(date(1985, 5, 5), "2"),
            sex="2",
            qualification=Qualification.PUBLIC_HEALTH,
            institution_id=centre.id,
            role=Role.RECORDS_MANAGER,
            valid_from=date(2020, 1, 1),
        ),
    )
    create_account(db, actor_of("xianju"), practitioner.id, AccountCreate(login="mgsdangan", password="Kangdang2026"))
    return actor_of("mgsdangan")


def _transfer_to_moganshan(db, actor_of):
    record = file_resident(db, actor_of("cunyi"), name="迁出者")
    target = _institution(db, f"{MOGANSHAN_VILLAGE}-01")
    transfer = request_transfer(
        db,
        actor_of("dangan"),
        record.id,
        TransferRequest(to_institution_id=target.id, to_village_code=MOGANSHAN_VILLAGE, reason="搬到莫干山镇居住"),
    )
    return record, transfer, target


def test_a_confirmed_transfer_moves_the_record_and_keeps_number_and_history(db, actor_of, moganshan_manager):
    record, transfer, target = _transfer_to_moganshan(db, actor_of)
    number = record.record_number
    with pytest.raises(NotFound):
        get_record_view(db, actor_of("cunyi2"), record.id)
    incoming = list_transfers(db, moganshan_manager, direction="incoming", page=PageRequest())
    assert [line.transfer.id for line in incoming.items] == [transfer.id]
    confirm_transfer(db, moganshan_manager, transfer.id)
    db.expire_all()
    moved = db.get(HealthRecord, record.id)
    assert (moved.record_number, moved.managing_institution_id, moved.village_code) == (
        number,
        target.id,
        MOGANSHAN_VILLAGE,
    )
    assert get_record_view(db, actor_of("cunyi2"), record.id).record.record_number == number
    with pytest.raises(NotFound):
        get_record_view(db, actor_of("cunyi"), record.id)
    actions = set(db.scalars(select(ResidentChange.action).where(ResidentChange.person_id == record.person_id)))
    assert {"file", "request", "confirm"} <= actions


def test_a_returned_transfer_leaves_the_record_where_it_was(db, actor_of, moganshan_manager):
    record, transfer, _target = _transfer_to_moganshan(db, actor_of)
    with pytest.raises(InvalidInput):
        return_transfer(db, moganshan_manager, transfer.id, TransferDecision(note=None))
    return_transfer(db, moganshan_manager, transfer.id, TransferDecision(note="该居民未在本镇居住"))
    db.expire_all()
    assert db.get(HealthRecord, record.id).village_code == "330521102200"
    assert transfer.status == "returned"


def test_only_the_receiving_side_decides_and_the_sender_may_withdraw(db, actor_of, moganshan_manager):
    _record, transfer, _target = _transfer_to_moganshan(db, actor_of)
    with pytest.raises(PermissionDenied):
        confirm_transfer(db, actor_of("cunyi2"), transfer.id)  # a village doctor has no transfer rights
    with pytest.raises(NotFound):
        cancel_transfer(db, moganshan_manager, transfer.id)  # the receiver cannot see the record yet
    cancel_transfer(db, actor_of("dangan"), transfer.id)
    with pytest.raises(InvalidInput):
        confirm_transfer(db, moganshan_manager, transfer.id)


def test_closure_and_reopening_keep_the_record_and_its_history(db, actor_of):
    manager = actor_of("dangan")
    record = file_resident(db, actor_of("cunyi"), name="注销者", filed_on=date(2026, 1, 5))
    with pytest.raises(PermissionDenied):
        close_record(db, actor_of("cunyi"), record.id, RecordClosure(reason="1", closed_on=date(2026, 11, 1)))
    with pytest.raises(InvalidInput) as caught:
        close_record(db, manager, record.id, RecordClosure(reason="1", closed_on=date(2025, 12, 31)))
    assert "早于建档日期" in caught.value.errors[0].message
    close_record(db, manager, record.id, RecordClosure(reason="1", closed_on=date(2026, 11, 1), note="病故"))
    assert (record.status, record.closure_reason) == ("closed", "1")
    reopen_record(db, manager, record.id, RecordReopening(reason="误报死亡，居民仍健在"))
    assert record.status == "active" and record.closed_on is None
    actions = [
        c.action
        for c in db.scalars(
            select(ResidentChange).where(ResidentChange.person_id == record.person_id).order_by(ResidentChange.at)
        )
    ]
    assert actions[-2:] == ["close", "reopen"]


def test_closing_an_institution_hands_its_records_to_the_successor_in_one_audited_operation(db, actor_of):
    record = file_resident(db, actor_of("cunyi"), name="交接者")
    office = _institution(db, "330521102200-01")
    assert record.managing_institution_id == office.id
    centre = _institution(db, "330521102-01")
    _closed, moved = close_institution_and_hand_over(
        db,
        actor_of("xianju"),
        office.id,
        InstitutionClosure(
            status="merged", closed_on=date(2026, 12, 1), successor_id=centre.id, reason="村卫生室并入卫生院"
        ),
    )
    assert moved >= 1
    db.expire_all()
    assert db.get(HealthRecord, record.id).managing_institution_id == centre.id
    change = db.scalar(
        select(ResidentChange).where(ResidentChange.person_id == record.person_id, ResidentChange.action == "hand_over")
    )
    assert change is not None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "record.hand_over"))
    assert event is not None and event.details["records"] == moved


def test_outsiders_cannot_touch_the_lifecycle_of_a_record(db, actor_of):
    record = file_resident(db, actor_of("cunyi"), name="外人")
    with pytest.raises((NotFound, PermissionDenied)):
        close_record(db, actor_of("cunyi2"), record.id, RecordClosure(reason="3", closed_on=date(2026, 11, 1)))
    with pytest.raises((NotFound, PermissionDenied)):
        request_transfer(
            db,
            actor_of("cunyi2"),
            record.id,
            TransferRequest(
                to_institution_id=_institution(db, "330521115-01").id, to_village_code=MOGANSHAN_VILLAGE, reason="x"
            ),
        )
