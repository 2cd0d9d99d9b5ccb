"""Writing and reading the audit trail. Every login, logout and write records an event here."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.chain import remember_pending
from kangdang.access.crypto import redact
from kangdang.access.models import AuditEvent
from kangdang.access.roles import Action
from kangdang.core.pagination import Page, PageRequest, paginate


def record_event(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    subject_type: str | None = None,
    subject_id: str | uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    login: str | None = None,
    user_id: uuid.UUID | None = None,
    client_ip: str | None = None,
) -> AuditEvent:
    if actor is not None and actor.is_system:
        login, user_id, client_ip, actor = actor.login, None, actor.client_ip, None
    event = AuditEvent(
        user_id=actor.user_id if actor else user_id,
        login=actor.login if actor else login,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id) if subject_id is not None else None,
        client_ip=actor.client_ip if actor else client_ip,
        details=_jsonable(details or {}),
    )
    session.add(event)
    remember_pending(session, event)
    return event


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(redact(str(k), v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def list_audit_events(
    session: Session,
    actor: Actor,
    *,
    page: PageRequest,
    action_prefix: str | None = None,
    user_ids: frozenset[uuid.UUID] | None = None,
) -> Page[AuditEvent]:
    """Audit events, newest first. ``user_ids`` narrows to users the caller may oversee."""
    actor.require(Action.AUDIT_VIEW)
    stmt: Select = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action_prefix:
        stmt = stmt.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    if user_ids is not None:
        stmt = stmt.where(AuditEvent.user_id.in_(user_ids))
    return paginate(session, stmt, page)
