"""Which residents an actor may see: the one SQL filter of the residents domain (deny by default).

A record is visible when its responsible village lies in the actor's territory (catchment villages, or a
county role's region subtree) or when one of the actor's own institutions manages it. A person is visible
through a visible record. Out of scope answers exactly like missing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.core.errors import NotFound
from kangdang.residents.models import HealthRecord, Person

NOT_FOUND = "未找到该居民档案，或不在您的管辖范围内"


def visible_records(actor: Actor) -> ColumnElement[bool]:
    scope = actor.scope
    if scope.everything:
        return true()
    clauses: list[ColumnElement[bool]] = [HealthRecord.village_code.startswith(p) for p in scope.region_prefixes]
    if scope.village_codes:
        clauses.append(HealthRecord.village_code.in_(scope.village_codes))
    own = {m.institution_id for m in actor.memberships}
    if own:
        clauses.append(HealthRecord.managing_institution_id.in_(own))
    return or_(*clauses) if clauses else false()


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
