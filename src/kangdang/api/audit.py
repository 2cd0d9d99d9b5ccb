"""JSON route for the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kangdang.access.audit import list_audit_events
from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut

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
) -> PageOut[AuditEventOut]:
    page = list_audit_events(session, actor, page=paging, action_prefix=action)
    return PageOut(
        items=[AuditEventOut.model_validate(e) for e in page.items], total=page.total, page=page.page, size=page.size
    )
