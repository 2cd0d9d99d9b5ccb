"""Break-the-glass (紧急查阅): a doctor treating a resident from outside their jurisdiction opens the record for a
few hours (``KANGDANG_BREAK_GLASS_HOURS``, 3 by default) by stating a reason.

Read only (``residents.scope.readable_records``). The opening is audited as ``access.break_glass`` with the
reason (it shows in the resident's "who looked at this record" and stands out in the audit log), every read
through it as ``record.read`` / ``form.read`` with ``via = break_glass``, and the managing institution sees
an alert until one of its deciders acknowledges it (``access.acknowledge``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from pydantic import Field
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import utcnow
from kangdang.core.errors import Conflict, FieldError, InvalidInput, NotFound
from kangdang.core.pagination import Page, PageRequest, paginate
from kangdang.db.engine import settings_of
from kangdang.institutions.models import Institution
from kangdang.residents.grants import (
    IN_JURISDICTION,
    ResidentIdentification,
    decided_by,
    find_resident,
    home_institution,
)
from kangdang.residents.grants import in_jurisdiction as covers_record
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.models_access import EmergencyAccess

ALERT_NOT_FOUND = "未找到该紧急查阅记录，或您无权处理"


class EmergencyOpening(ResidentIdentification):
    reason: str = Field(min_length=4, max_length=200, description="紧急查阅原因 (at least 4 characters)")


@dataclass(frozen=True)
class EmergencyLine:
    access: EmergencyAccess
    person_name: str
    record_number: str
    actor_institution: str | None

    @property
    def is_open(self) -> bool:
        return self.access.expires_at > utcnow()


def open_emergency_access(session: Session, actor: Actor, data: EmergencyOpening) -> EmergencyAccess:
    """Open a record outside the actor's jurisdiction for KANGDANG_BREAK_GLASS_HOURS, on a stated reason."""
    actor.require(Action.BREAK_GLASS)
    reason = " ".join(data.reason.split())
    if len(reason) < 4:
        raise InvalidInput(errors=[FieldError("reason", "请说明紧急查阅的原因（至少 4 个字）")])
    person, record = find_resident(session, data.document_number, data.name)
    if covers_record(session, actor, record):
        raise InvalidInput(IN_JURISDICTION, errors=[FieldError("document_number", IN_JURISDICTION)])
    now = utcnow()
    access = EmergencyAccess(
        person_id=person.id,
        record_id=record.id,
        user_id=actor.user_id,
        login=actor.login,
        actor_name=actor.name,
        actor_institution_id=home_institution(actor, Action.BREAK_GLASS),
        reason=reason,
        opened_at=now,
        expires_at=now + timedelta(hours=settings_of(session).break_glass_hours),
        managing_institution_id=record.managing_institution_id,
    )
    session.add(access)
    session.flush()
    record_event(
        session,
        actor,
        "access.break_glass",
        subject_type="person",
        subject_id=person.id,
        details={
            "emergency_id": str(access.id),
            "record_number": record.record_number,
            "reason": reason,
            "expires_at": access.expires_at.isoformat(),
        },
    )
    return access


def list_my_emergency_accesses(session: Session, actor: Actor, *, open_only: bool = True) -> list[EmergencyLine]:
    """The actor's own emergency openings (the open ones by default), newest first."""
    actor.require(Action.BREAK_GLASS)
    stmt = select(EmergencyAccess).where(EmergencyAccess.user_id == actor.user_id)
    if open_only:
        stmt = stmt.where(EmergencyAccess.expires_at > utcnow())
    rows = list(session.scalars(stmt.order_by(EmergencyAccess.opened_at.desc()).limit(50)))
    return _lines(session, rows)


def _alerts_filter(actor: Actor) -> ColumnElement[bool]:
    return decided_by(actor, EmergencyAccess.managing_institution_id)


def list_emergency_alerts(
    session: Session, actor: Actor, *, acknowledged: bool = False, page: PageRequest
) -> Page[EmergencyLine]:
    """Emergency openings of records the actor's institution manages: unacknowledged ones (the alerts), or
    acknowledged ones (the history); newest first."""
    actor.require(Action.ACCESS_DECIDE)
    stmt = select(EmergencyAccess).where(
        _alerts_filter(actor),
        EmergencyAccess.acknowledged_at.is_not(None) if acknowledged else EmergencyAccess.acknowledged_at.is_(None),
    )
    result = paginate(session, stmt.order_by(EmergencyAccess.opened_at.desc(), EmergencyAccess.id.desc()), page)
    return Page(items=_lines(session, result.items), total=result.total, page=result.page, size=result.size)


def count_emergency_alerts(session: Session, actor: Actor) -> int:
    """Unacknowledged emergency openings of the actor's institution's records (0 for those who cannot decide)."""
    if not actor.can(Action.ACCESS_DECIDE):
        return 0
    stmt = select(func.count(EmergencyAccess.id)).where(
        _alerts_filter(actor), EmergencyAccess.acknowledged_at.is_(None)
    )
    return session.scalar(stmt) or 0


def acknowledge_emergency(session: Session, actor: Actor, emergency_id: uuid.UUID) -> EmergencyAccess:
    """The managing institution has seen the alert (the opening itself stays on record)."""
    actor.require(Action.ACCESS_DECIDE)
    access = session.scalar(select(EmergencyAccess).where(EmergencyAccess.id == emergency_id, _alerts_filter(actor)))
    if access is None:
        raise NotFound(ALERT_NOT_FOUND)
    if access.acknowledged_at is not None:
        raise Conflict("该紧急查阅已确认知悉")
    access.acknowledged_at = utcnow()
    access.acknowledged_by = actor.login
    session.flush()
    record_event(
        session,
        actor,
        "access.acknowledge",
        subject_type="person",
        subject_id=access.person_id,
        details={"emergency_id": str(access.id), "opened_by": access.login},
    )
    return access


def describe_emergency(session: Session, access: EmergencyAccess) -> EmergencyLine:
    """The line shown for an emergency access the service has just opened or acknowledged for this actor."""
    return _lines(session, [access])[0]


def _lines(session: Session, rows: list[EmergencyAccess]) -> list[EmergencyLine]:
    names = dict(
        session.execute(select(Person.id, Person.name).where(Person.id.in_({r.person_id for r in rows}))).all()
    )
    numbers = dict(
        session.execute(
            select(HealthRecord.id, HealthRecord.record_number).where(HealthRecord.id.in_({r.record_id for r in rows}))
        ).all()
    )
    ids = {r.actor_institution_id for r in rows if r.actor_institution_id}
    institutions = dict(session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids))).all())
    return [
        EmergencyLine(
            access=r,
            person_name=names.get(r.person_id, ""),
            record_number=numbers.get(r.record_id, ""),
            actor_institution=institutions.get(r.actor_institution_id) if r.actor_institution_id else None,
        )
        for r in rows
    ]
