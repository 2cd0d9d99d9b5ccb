"""A record's life: transfer between institutions, closure (注销) and reopening, hand-over on closure.

Numbers and history never change; nothing is deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, insert, or_, select, update
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import today_local, utcnow
from kangdang.core.errors import ErrorCollector, InvalidInput, NotFound
from kangdang.core.pagination import Page, PageRequest, paginate
from kangdang.institutions.models import Institution
from kangdang.institutions.schemas import InstitutionClosure
from kangdang.institutions.service import close_institution, institutions_serving
from kangdang.institutions.types import PRIMARY_CARE_TYPES
from kangdang.residents.codes import CLOSURE_REASONS
from kangdang.residents.events import RecordEvent, publish
from kangdang.residents.history import record_change
from kangdang.residents.merge import MERGE_NOTE
from kangdang.residents.models import HealthRecord, Person, RecordTransfer, ResidentChange
from kangdang.residents.schemas import RecordClosure, RecordReopening, TransferDecision, TransferRequest
from kangdang.residents.scope import get_visible_record

# --- transfer (迁出申请 → 待确认 → 已确认 / 已退回) ---------------------------------------------------------


def request_transfer(session: Session, actor: Actor, record_id: uuid.UUID, data: TransferRequest) -> RecordTransfer:
    actor.require(Action.RECORD_TRANSFER)
    record = get_visible_record(session, actor, record_id)
    errors = ErrorCollector()
    if record.status != "active":
        errors.add("record", "已注销的档案不能迁移")
    pending = session.scalar(
        select(RecordTransfer.id).where(RecordTransfer.record_id == record.id, RecordTransfer.status == "pending")
    )
    if pending is not None:
        errors.add("record", "该档案已有待确认的迁移申请")
    target = session.get(Institution, data.to_institution_id)
    if target is None or target.status != "active" or target.type not in {t.value for t in PRIMARY_CARE_TYPES}:
        errors.add("to_institution_id", "接收机构须是正常运行的基层医疗卫生机构")
    else:
        serves = target in institutions_serving(session, data.to_village_code)
        if not serves:
            errors.add("to_village_code", "接收机构的服务范围不包括该村/居委会")
        if target.id == record.managing_institution_id and data.to_village_code == record.village_code:
            errors.add("to_institution_id", "档案已由该机构在该村管理")
    errors.raise_if_any("迁移申请未提交")
    transfer = RecordTransfer(
        record_id=record.id,
        from_institution_id=record.managing_institution_id,
        to_institution_id=data.to_institution_id,
        from_village_code=record.village_code,
        to_village_code=data.to_village_code,
        reason=data.reason,
        requested_by=actor.login,
    )
    session.add(transfer)
    session.flush()
    record_change(
        session,
        actor,
        entity="transfer",
        entity_id=transfer.id,
        action="request",
        person_id=record.person_id,
        changes={
            "to_institution": [None, target.name if target else None],
            "to_village": [None, data.to_village_code],
            "reason": [None, data.reason],
        },
    )
    return transfer


def transfer_receivers(session: Session, actor: Actor, village_code: str) -> list[Institution]:
    """Primary-care institutions that could receive a record for the village (they may lie outside the
    actor's territory: the directory of institutions is not personal data)."""
    actor.require(Action.RECORD_TRANSFER)
    return institutions_serving(session, village_code, types=frozenset(t.value for t in PRIMARY_CARE_TYPES))


def incoming_transfers(actor: Actor) -> ColumnElement[bool]:
    """Transfers the actor decides on: addressed to their institution or to a village in their territory."""
    clauses: list[ColumnElement[bool]] = []
    own = {m.institution_id for m in actor.memberships}
    if own:
        clauses.append(RecordTransfer.to_institution_id.in_(own))
    clauses.extend(RecordTransfer.to_village_code.startswith(p) for p in actor.scope.region_prefixes)
    if actor.scope.village_codes:
        clauses.append(RecordTransfer.to_village_code.in_(actor.scope.village_codes))
    if actor.scope.everything:
        return RecordTransfer.id.is_not(None)
    return or_(*clauses) if clauses else false()


def _get_incoming(session: Session, actor: Actor, transfer_id: uuid.UUID) -> RecordTransfer:
    transfer = session.scalar(select(RecordTransfer).where(RecordTransfer.id == transfer_id, incoming_transfers(actor)))
    if transfer is None:
        raise NotFound("未找到该迁移申请，或不是发给您所在机构的")
    if transfer.status != "pending":
        raise InvalidInput(f"该迁移申请已处理（{transfer.status}）")
    return transfer


def confirm_transfer(
    session: Session, actor: Actor, transfer_id: uuid.UUID, data: TransferDecision | None = None
) -> RecordTransfer:
    """The receiving side accepts: the record now belongs to it; number and history stay."""
    actor.require(Action.RECORD_TRANSFER)
    transfer = _get_incoming(session, actor, transfer_id)
    record = session.get_one(HealthRecord, transfer.record_id)
    if record.status != "active":
        raise InvalidInput("档案已注销，不能迁入")
    before = (str(record.managing_institution_id), record.village_code)
    record.managing_institution_id, record.village_code = transfer.to_institution_id, transfer.to_village_code
    _decide(transfer, actor, "confirmed", data)
    record_change(
        session,
        actor,
        entity="transfer",
        entity_id=transfer.id,
        action="confirm",
        person_id=record.person_id,
        changes={
            "managing_institution_id": [before[0], str(transfer.to_institution_id)],
            "village_code": [before[1], transfer.to_village_code],
        },
    )
    session.flush()
    publish(session, actor, RecordEvent("moved", record_id=record.id))
    return transfer


def return_transfer(session: Session, actor: Actor, transfer_id: uuid.UUID, data: TransferDecision) -> RecordTransfer:
    """The receiving side refuses, with a reason; the record stays where it was."""
    actor.require(Action.RECORD_TRANSFER)
    if not data.note:
        raise InvalidInput("请填写退回原因", errors=[_field("note", "请填写退回原因")])
    transfer = _get_incoming(session, actor, transfer_id)
    _decide(transfer, actor, "returned", data)
    record = session.get_one(HealthRecord, transfer.record_id)
    record_change(
        session,
        actor,
        entity="transfer",
        entity_id=transfer.id,
        action="return",
        person_id=record.person_id,
        changes={"note": [None, data.note]},
    )
    session.flush()
    return transfer


def cancel_transfer(session: Session, actor: Actor, transfer_id: uuid.UUID) -> RecordTransfer:
    """The sending side withdraws its pending request."""
    actor.require(Action.RECORD_TRANSFER)
    transfer = session.get(RecordTransfer, transfer_id)
    if transfer is None:
        raise NotFound("未找到该迁移申请")
    record = get_visible_record(session, actor, transfer.record_id)
    if transfer.status != "pending":
        raise InvalidInput("只能撤回待确认的申请")
    _decide(transfer, actor, "cancelled", None)
    record_change(
        session,
        actor,
        entity="transfer",
        entity_id=transfer.id,
        action="cancel",
        person_id=record.person_id,
        changes={"status": ["pending", "cancelled"]},
    )
    session.flush()
    return transfer


def _decide(transfer: RecordTransfer, actor: Actor, status: str, data: TransferDecision | None) -> None:
    transfer.status, transfer.decided_by, transfer.decided_at = status, actor.login, utcnow()
    transfer.decision_note = data.note if data else None


@dataclass(frozen=True)
class TransferLine:
    transfer: RecordTransfer
    record: HealthRecord
    person: Person
    from_institution: Institution
    to_institution: Institution


def list_transfers(
    session: Session, actor: Actor, *, direction: str, page: PageRequest, status: str | None = "pending"
) -> Page[TransferLine]:
    """Incoming requests to decide, or the actor's outgoing ones, with names (no N+1)."""
    actor.require(Action.RECORD_TRANSFER)
    from kangdang.residents.scope import visible_records

    stmt = select(RecordTransfer).join(HealthRecord, HealthRecord.id == RecordTransfer.record_id)
    if direction == "incoming":
        stmt = stmt.where(incoming_transfers(actor))
    else:
        stmt = stmt.where(visible_records(actor), ~incoming_transfers(actor))
    if status:
        stmt = stmt.where(RecordTransfer.status == status)
    result = paginate(session, stmt.order_by(RecordTransfer.requested_at.desc()), page)
    records = {
        r.id: r
        for r in session.scalars(select(HealthRecord).where(HealthRecord.id.in_([t.record_id for t in result.items])))
    }
    people = {
        p.id: p for p in session.scalars(select(Person).where(Person.id.in_([r.person_id for r in records.values()])))
    }
    ids = {t.from_institution_id for t in result.items} | {t.to_institution_id for t in result.items}
    institutions = {i.id: i for i in session.scalars(select(Institution).where(Institution.id.in_(ids)))}
    lines = [
        TransferLine(
            t,
            records[t.record_id],
            people[records[t.record_id].person_id],
            institutions[t.from_institution_id],
            institutions[t.to_institution_id],
        )
        for t in result.items
    ]
    return Page(items=lines, total=result.total, page=result.page, size=result.size)


# --- closure and reopening -------------------------------------------------------------------------------


def close_record(session: Session, actor: Actor, record_id: uuid.UUID, data: RecordClosure) -> HealthRecord:
    """注销: death, moving away, loss to follow-up, refusal or other, with a date. The record is kept."""
    actor.require(Action.RECORD_CLOSE)
    record = get_visible_record(session, actor, record_id)
    errors = ErrorCollector()
    if record.status != "active":
        errors.add("record", "该档案已注销")
    if data.closed_on > today_local():
        errors.add("closed_on", "注销日期不能晚于今天")
    elif data.closed_on < record.filed_on:
        errors.add("closed_on", "注销日期不能早于建档日期")
    errors.raise_if_any("档案未注销")
    record.status, record.closed_on, record.closure_reason, record.closure_note = (
        "closed",
        data.closed_on,
        data.reason,
        data.note,
    )
    session.execute(
        update(RecordTransfer)
        .where(RecordTransfer.record_id == record.id, RecordTransfer.status == "pending")
        .values(status="cancelled", decided_by=actor.login, decided_at=utcnow(), decision_note="档案已注销")
    )
    record_change(
        session,
        actor,
        entity="record",
        entity_id=record.id,
        action="close",
        person_id=record.person_id,
        changes={
            "status": ["active", "closed"],
            "closure_reason": [None, CLOSURE_REASONS[data.reason]],
            "closed_on": [None, data.closed_on],
            "note": [None, data.note],
        },
    )
    session.flush()
    publish(session, actor, RecordEvent("closed", record_id=record.id))
    return record


def reopen_record(session: Session, actor: Actor, record_id: uuid.UUID, data: RecordReopening) -> HealthRecord:
    """恢复: a closed record becomes active again (e.g. a resident came back); the closure stays in history."""
    actor.require(Action.RECORD_CLOSE)
    record = get_visible_record(session, actor, record_id)
    errors = ErrorCollector()
    if record.status != "closed":
        errors.add("record", "该档案未注销")
    elif record.closure_note == MERGE_NOTE:
        errors.add("record", "该档案因重复合并而注销，请撤销合并")
    other = session.scalar(
        select(HealthRecord.record_number).where(
            HealthRecord.person_id == record.person_id, HealthRecord.status == "active", HealthRecord.id != record.id
        )
    )
    if other is not None:
        errors.add("record", f"该居民已有正常档案 {other}")
    errors.raise_if_any("档案未恢复")
    before = {"status": record.status, "closure_reason": record.closure_reason, "closed_on": record.closed_on}
    record.status, record.closed_on, record.closure_reason, record.closure_note = "active", None, None, None
    record_change(
        session,
        actor,
        entity="record",
        entity_id=record.id,
        action="reopen",
        person_id=record.person_id,
        changes={
            "status": [before["status"], "active"],
            "closed_on": [before["closed_on"], None],
            "reason": [None, data.reason],
        },
    )
    session.flush()
    return record


# --- hand-over when an institution closes ------------------------------------------------------------------


def close_institution_and_hand_over(
    session: Session, actor: Actor, institution_id: uuid.UUID, data: InstitutionClosure
) -> tuple[Institution, int]:
    """Close or merge an institution and move every record it manages to the successor, in one operation."""
    institution = close_institution(session, actor, institution_id, data)
    moving = list(
        session.execute(
            select(HealthRecord.id, HealthRecord.person_id).where(
                HealthRecord.managing_institution_id == institution.id
            )
        )
    )
    session.execute(
        update(HealthRecord)
        .where(HealthRecord.managing_institution_id == institution.id)
        .values(managing_institution_id=data.successor_id)
    )
    session.execute(
        update(RecordTransfer)
        .where(RecordTransfer.to_institution_id == institution.id, RecordTransfer.status == "pending")
        .values(to_institution_id=data.successor_id)
    )
    if moving:
        change = {"managing_institution_id": [str(institution.id), str(data.successor_id)], "reason": data.reason}
        session.execute(
            insert(ResidentChange),
            [
                {
                    "id": _new_id(),
                    "at": utcnow(),
                    "person_id": person_id,
                    "entity": "record",
                    "entity_id": str(record_id),
                    "action": "hand_over",
                    "login": actor.login,
                    "changes": change,
                }
                for record_id, person_id in moving
            ],
        )
    record_event(
        session,
        actor,
        "record.hand_over",
        subject_type="institution",
        subject_id=institution.id,
        details={"successor_id": data.successor_id, "records": len(moving)},
    )
    session.flush()
    publish(session, actor, RecordEvent("handed_over", institution_id=institution.id, successor_id=data.successor_id))
    return institution, len(moving)


def _new_id() -> uuid.UUID:
    from kangdang.core.ids import new_id

    return new_id()


def _field(name: str, message: str):
    from kangdang.core.errors import FieldError

    return FieldError(name, message)
