"""JSON route for the audit trail."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.residents.audit_search import AuditQuery, search_audit

router = APIRouter(prefix="/audit-events", tags=["audit"], responses=ERROR_RESPONSES)


class AuditEventOut(BaseModel):
    model_config = {"from_attributes": True}

    id: uuid.UUID
    at: datetime
    user_id: uuid.UUID | None
    login: str | None
    action: str
    subject_type: str | None
    subject_id: str | None
    client_ip: str | None
    details: dict[str, Any]


@router.get("", response_model=PageOut[AuditEventOut], summary="Audit events, newest first")
def list_(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    action: Annotated[str | None, Query(max_length=64, description="Action prefix, e.g. login")] = None,
    login: Annotated[str | None, Query(max_length=64, description="Only this user's events")] = None,
    record_number: Annotated[
        str | None, Query(max_length=20, description="Only events about the resident with this record number")
    ] = None,
    since: Annotated[date | None, Query(description="From this China date (inclusive)")] = None,
    until: Annotated[date | None, Query(description="Up to this China date (inclusive)")] = None,
) -> PageOut[AuditEventOut]:
    query = AuditQuery(action_prefix=action, login=login, record_number=record_number, since=since, until=until)
    page = search_audit(session, actor, query, page=paging)
    return PageOut(
        items=[AuditEventOut.model_validate(e) for e in page.items], total=page.total, page=page.page, size=page.size
    )
