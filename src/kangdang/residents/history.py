"""Writing and reading the history of residents' data (who changed what, when, from what to what)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.crypto import redact
from kangdang.residents.models import ResidentChange


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date):
        return str(value)
    return value


def json_safe(changes: dict[str, Any]) -> dict[str, Any]:
    """What the history keeps of ``{field: value or [old, new]}``: ids and dates as text, phones masked."""
    return {k: redact(k, _plain(v) if not isinstance(v, list) else [_plain(x) for x in v]) for k, v in changes.items()}


def diff(obj: object, values: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the values that differ from the object's current ones."""
    return {
        key: [_plain(getattr(obj, key)), _plain(value)]
        for key, value in values.items()
        if _plain(getattr(obj, key)) != _plain(value)
    }


def record_change(
    session: Session,
    actor: Actor,
    *,
    entity: str,
    entity_id: uuid.UUID | str,
    action: str,
    changes: dict[str, Any],
    person_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
    audit: bool = True,
) -> ResidentChange:
    """Keep the change in the residents' history and (by default) in the security audit trail."""
    row = ResidentChange(
        person_id=person_id,
        household_id=household_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        login=actor.login,
        changes=json_safe(changes),
    )
    session.add(row)
    if audit:
        record_event(
            session,
            actor,
            f"{entity}.{action}",
            subject_type="person" if person_id else entity,
            subject_id=person_id or entity_id,
            details={"changes": row.changes},
        )
    return row


def apply_changes(
    session: Session,
    actor: Actor,
    obj: Any,
    values: dict[str, Any],
    *,
    entity: str,
    person_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
) -> dict[str, list[Any]]:
    """Set ``values`` on ``obj`` and keep what really changed (old → new) in the history."""
    changes = diff(obj, values)
    for key, value in values.items():
        setattr(obj, key, value)
    if changes:
        record_change(
            session,
            actor,
            entity=entity,
            entity_id=obj.id,
            action="update",
            person_id=person_id,
            household_id=household_id,
            changes=changes,
        )
    return changes


def changes_of(
    session: Session, *, person_ids: Iterable[uuid.UUID] = (), household_ids: Iterable[uuid.UUID] = ()
) -> list[ResidentChange]:
    """History rows of persons and households, newest first (the caller checks visibility)."""
    persons, households = list(person_ids), list(household_ids)
    clauses = []
    if persons:
        clauses.append(ResidentChange.person_id.in_(persons))
    if households:
        clauses.append(ResidentChange.household_id.in_(households))
    if not clauses:
        return []
    return list(
        session.scalars(
            select(ResidentChange).where(or_(*clauses)).order_by(ResidentChange.at.desc(), ResidentChange.id.desc())
        )
    )
