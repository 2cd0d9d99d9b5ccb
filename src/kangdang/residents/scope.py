"""Which residents an actor may see: the one SQL filter of the residents domain (deny by default).

A record is visible when its responsible village lies in the actor's territory (catchment villages, or a
county role's region subtree) or when one of the actor's own institutions manages it. A person is visible
through a visible record. Out of scope answers exactly like missing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, and_, cast, exists, false, or_, select, true
from sqlalchemy.orm import QueryableAttribute, Session

from kangdang.access.actor import Actor
from kangdang.core.clock import utcnow
from kangdang.core.errors import NotFound
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.models_access import AccessRequest, EmergencyAccess

NOT_FOUND = "未找到该居民档案，或不在您的管辖范围内"


def visible_records(actor: Actor) -> ColumnElement[bool]:
    return visible_by(actor, HealthRecord.village_code, HealthRecord.managing_institution_id)


def visible_by(
    actor: Actor, village_code: QueryableAttribute[str], institution_id: QueryableAttribute[uuid.UUID]
) -> ColumnElement[bool]:
    """The same rule on any table that carries a record's village and keeper (care tasks copy them)."""
    parts = scope_parts(actor, village_code, institution_id)
    return or_(*parts) if parts else false()


def scope_parts(
    actor: Actor, village_code: QueryableAttribute[str], institution_id: QueryableAttribute[uuid.UUID]
) -> list[ColumnElement[bool]]:
    """``visible_by`` as disjoint conditions (none: nothing visible): the territory's villages, then what the
    actor's institutions keep outside it. Counting each part apart lets each read one index, where the OR of a
    village and an institution column cannot be read from either."""
    scope = actor.scope
    if scope.everything:
        return [true()]
    villages: list[ColumnElement[bool]] = [village_code.startswith(p) for p in scope.region_prefixes]
    if scope.village_codes:
        villages.append(village_code.in_(scope.village_codes))
    parts = [or_(*villages)] if villages else []
    own = {m.institution_id for m in actor.memberships}
    if own:
        parts.append(and_(institution_id.in_(own), ~or_(*villages)) if villages else institution_id.in_(own))
    return parts


def visible_persons(actor: Actor) -> ColumnElement[bool]:
    if actor.scope.everything:
        return true()
    return exists(select(HealthRecord.id).where(HealthRecord.person_id == Person.id, visible_records(actor)))


def get_visible_record(session: Session, actor: Actor, record_id: uuid.UUID) -> HealthRecord:
    record = session.scalar(select(HealthRecord).where(HealthRecord.id == record_id, visible_records(actor)))
    if record is None:
        raise NotFound(NOT_FOUND)
    return record


def get_visible_person(session: Session, actor: Actor, person_id: uuid.UUID) -> Person:
    person = session.scalar(select(Person).where(Person.id == person_id, visible_persons(actor)))
    if person is None:
        raise NotFound(NOT_FOUND)
    return person


def village_in_territory(actor: Actor, village_code: str) -> bool:
    return actor.scope.covers_region(village_code)


# --- reading outside one's jurisdiction: grants and break-the-glass (read only) ---------------------------

RecordPart = Literal["profile", "forms"]


@dataclass(frozen=True)
class ReadBasis:
    """Why an actor may read a record: their jurisdiction, an active grant, or an open emergency access."""

    via: Literal["jurisdiction", "grant", "break_glass"] = "jurisdiction"
    source_id: uuid.UUID | None = None  # the access request or the emergency access
    expires_at: datetime | None = None
    parts: tuple[str, ...] = ("profile", "forms")
    reason: str | None = None

    @property
    def is_jurisdiction(self) -> bool:
        return self.via == "jurisdiction"

    def covers(self, part: RecordPart) -> bool:
        return part in self.parts

    def audit_details(self) -> dict[str, Any]:
        """What a read through this basis adds to its audit event (nothing for one's own jurisdiction)."""
        if self.via == "grant":
            return {"via": "grant", "request_id": str(self.source_id)}
        if self.via == "break_glass":
            return {"via": "break_glass", "emergency_id": str(self.source_id), "reason": self.reason}
        return {}


JURISDICTION = ReadBasis()


def _grant_covers(actor: Actor, now: datetime, part: RecordPart) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [
        AccessRequest.requester_user_id == actor.user_id,
        AccessRequest.status == "active",
        AccessRequest.expires_at > now,
    ]
    if part != "profile":  # the parts are a short JSON list of known words: its text holds the quoted word
        clauses.append(cast(AccessRequest.parts, String).like(f'%"{part}"%'))
    return clauses


def readable_records(actor: Actor, now: datetime, part: RecordPart = "profile") -> ColumnElement[bool]:
    """Records the actor may READ: their jurisdiction, or an active unexpired grant covering ``part``, or an
    unexpired emergency access. Only read paths use it; lists, searches and every write keep visible_records."""
    if actor.scope.everything:
        return true()
    grant = exists(
        select(AccessRequest.id).where(AccessRequest.record_id == HealthRecord.id, *_grant_covers(actor, now, part))
    )
    emergency = exists(
        select(EmergencyAccess.id).where(
            EmergencyAccess.record_id == HealthRecord.id,
            EmergencyAccess.user_id == actor.user_id,
            EmergencyAccess.expires_at > now,
        )
    )
    return or_(visible_records(actor), grant, emergency)


def read_record(
    session: Session, actor: Actor, record_id: uuid.UUID, part: RecordPart = "profile"
) -> tuple[HealthRecord, ReadBasis]:
    """The record the actor may read, and on what basis (out of reach answers like missing)."""
    now = utcnow()
    found = session.execute(
        select(HealthRecord, visible_records(actor)).where(
            HealthRecord.id == record_id, readable_records(actor, now, part)
        )
    ).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    record, in_jurisdiction = found
    if in_jurisdiction:
        return record, JURISDICTION
    grant = session.scalar(
        select(AccessRequest)
        .where(AccessRequest.record_id == record.id, *_grant_covers(actor, now, part))
        .order_by(AccessRequest.expires_at.desc())
        .limit(1)
    )
    if grant is not None:
        return record, ReadBasis("grant", grant.id, grant.expires_at, tuple(grant.parts))
    emergency = session.scalar(
        select(EmergencyAccess)
        .where(
            EmergencyAccess.record_id == record.id,
            EmergencyAccess.user_id == actor.user_id,
            EmergencyAccess.expires_at > now,
        )
        .order_by(EmergencyAccess.expires_at.desc())
        .limit(1)
    )
    if emergency is None:  # pragma: no cover - the first query found one of the three
        raise NotFound(NOT_FOUND)
    return record, ReadBasis("break_glass", emergency.id, emergency.expires_at, reason=emergency.reason)


def get_readable_record(
    session: Session, actor: Actor, record_id: uuid.UUID, part: RecordPart = "profile"
) -> HealthRecord:
    return read_record(session, actor, record_id, part)[0]
