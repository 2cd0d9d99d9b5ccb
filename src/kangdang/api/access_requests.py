"""JSON routes for reading records outside one's jurisdiction: applications (查阅申请) → approval → the resident's
consent → a read-only, time-limited grant (revoked, withdrawn or expired); and break-the-glass (紧急查阅).

Through an active grant or an open emergency access, ``GET /residents/{record_id}`` and the forms routes
answer as for one's own records (read only; the reads are audited with ``via``).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.residents.emergency import (
    EmergencyLine,
    EmergencyOpening,
    acknowledge_emergency,
    describe_emergency,
    list_emergency_alerts,
    open_emergency_access,
)
from kangdang.residents.grants import (
    MAX_EVIDENCE_BYTES,
    AccessApplication,
    AccessLine,
    ConsentDetails,
    DecisionNote,
    DecisionReason,
    apply_for_access,
    approve_request,
    describe_request,
    get_request_to_decide,
    list_my_requests,
    list_requests_to_decide,
    record_consent,
    record_withdrawal,
    reject_request,
    revoke_grant,
)
from kangdang.residents.models_access import AccessRequest

router = APIRouter(prefix="/access", tags=["access"], responses=ERROR_RESPONSES)

StatusFilter = Literal["pending", "approved", "active", "expired", "revoked", "withdrawn", "rejected", "closed", "all"]


class AccessRequestOut(BaseModel):
    id: uuid.UUID
    status: str = Field(description="pending, approved, active, expired, revoked, withdrawn or rejected")
    status_label: str
    person_name: str
    document_masked: str | None
    record_id: uuid.UUID | None = Field(description="Given to the applicant only while the grant is active")
    record_number: str | None
    managing_institution_id: uuid.UUID
    managing_institution_name: str
    requester_login: str
    requester_name: str
    requester_institution_name: str | None
    purpose: str
    parts: list[str]
    duration_days: int
    basis: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    consent_by_name: str | None
    consent_relationship: str | None
    consent_method: str | None
    consent_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    revoke_reason: str | None
    withdrawn_at: datetime | None
    withdraw_reason: str | None

    @classmethod
    def of(cls, line: AccessLine) -> AccessRequestOut:
        r = line.request
        return cls(
            id=r.id,
            status=line.status,
            status_label=line.status_label,
            person_name=line.person_name,
            document_masked=line.document_masked,
            record_id=r.record_id if line.record_number else None,
            record_number=line.record_number,
            managing_institution_id=r.managing_institution_id,
            managing_institution_name=line.managing_institution,
            requester_login=r.requester_login,
            requester_name=r.requester_name,
            requester_institution_name=line.requester_institution,
            purpose=r.purpose,
            parts=list(r.parts),
            duration_days=r.duration_days,
            basis=r.basis,
            requested_at=r.requested_at,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
            decision_reason=r.decision_reason,
            consent_by_name=r.consent_by_name,
            consent_relationship=r.consent_relationship,
            consent_method=r.consent_method,
            consent_at=r.consent_at,
            expires_at=r.expires_at,
            revoked_at=r.revoked_at,
            revoke_reason=r.revoke_reason,
            withdrawn_at=r.withdrawn_at,
            withdraw_reason=r.withdraw_reason,
        )


class ConsentIn(ConsentDetails):
    evidence_base64: str = Field(
        min_length=1,
        description="The evidence, base64-encoded: a PNG of the signature (method signature), or a scanned "
        "signed paper as PNG, JPEG or PDF (method scan); at most 5 MB, checked by its first bytes",
    )


class EmergencyAccessOut(BaseModel):
    id: uuid.UUID
    record_id: uuid.UUID
    record_number: str
    person_name: str
    login: str
    actor_name: str
    actor_institution_name: str | None
    reason: str
    opened_at: datetime
    expires_at: datetime
    is_open: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    @classmethod
    def of(cls, line: EmergencyLine) -> EmergencyAccessOut:
        e = line.access
        return cls(
            id=e.id,
            record_id=e.record_id,
            record_number=line.record_number,
            person_name=line.person_name,
            login=e.login,
            actor_name=e.actor_name,
            actor_institution_name=line.actor_institution,
            reason=e.reason,
            opened_at=e.opened_at,
            expires_at=e.expires_at,
            is_open=line.is_open,
            acknowledged_at=e.acknowledged_at,
            acknowledged_by=e.acknowledged_by,
        )


def _decided(session: Session, actor: CurrentActor, request: AccessRequest) -> AccessRequestOut:
    return AccessRequestOut.of(get_request_to_decide(session, actor, request.id))


# --- applications ------------------------------------------------------------------------------------------


@router.post(
    "/requests",
    response_model=AccessRequestOut,
    status_code=status.HTTP_201_CREATED,
    summary="Apply to read a resident's record held by another institution (full ID number and name)",
)
def create_request(body: AccessApplication, session: DbSession, actor: CurrentActor) -> AccessRequestOut:
    request = apply_for_access(session, actor, body)
    return AccessRequestOut.of(describe_request(session, request, for_decider=False))


@router.get("/requests/mine", response_model=PageOut[AccessRequestOut], summary="The caller's own applications")
def list_mine(session: DbSession, actor: CurrentActor, paging: Paging) -> PageOut[AccessRequestOut]:
    page = list_my_requests(session, actor, page=paging)
    return PageOut(
        items=[AccessRequestOut.of(ln) for ln in page.items], total=page.total, page=page.page, size=page.size
    )


@router.get(
    "/requests",
    response_model=PageOut[AccessRequestOut],
    summary="Applications for records the caller's institution manages (to decide)",
)
def list_to_decide(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    status_: Annotated[
        StatusFilter, Query(alias="status", description="closed: rejected, revoked, withdrawn or expired")
    ] = "pending",
) -> PageOut[AccessRequestOut]:
    page = list_requests_to_decide(session, actor, status=None if status_ == "all" else status_, page=paging)
    return PageOut(
        items=[AccessRequestOut.of(ln) for ln in page.items], total=page.total, page=page.page, size=page.size
    )


@router.post("/requests/{request_id}/approve", response_model=AccessRequestOut, summary="Approve an application")
def approve(
    request_id: uuid.UUID,
    session: DbSession,
    actor: CurrentActor,
    body: Annotated[DecisionNote | None, Body()] = None,
) -> AccessRequestOut:
    return _decided(session, actor, approve_request(session, actor, request_id, body))


@router.post("/requests/{request_id}/reject", response_model=AccessRequestOut, summary="Reject an application")
def reject(request_id: uuid.UUID, body: DecisionReason, session: DbSession, actor: CurrentActor) -> AccessRequestOut:
    return _decided(session, actor, reject_request(session, actor, request_id, body))


@router.post(
    "/requests/{request_id}/consent",
    response_model=AccessRequestOut,
    summary="Record the resident's or guardian's consent with its evidence: the grant becomes active",
)
def consent(request_id: uuid.UUID, body: ConsentIn, session: DbSession, actor: CurrentActor) -> AccessRequestOut:
    if len(body.evidence_base64) > 2 * MAX_EVIDENCE_BYTES:
        raise InvalidInput(errors=[FieldError("evidence_base64", "同意书文件不能超过 5 MB")])
    try:
        evidence = base64.b64decode(body.evidence_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(errors=[FieldError("evidence_base64", "同意书不是有效的 base64 编码")]) from None
    details = ConsentDetails.model_validate(body.model_dump(exclude={"evidence_base64"}))
    return _decided(session, actor, record_consent(session, actor, request_id, details, evidence))


@router.post(
    "/requests/{request_id}/revoke", response_model=AccessRequestOut, summary="Revoke a grant, with the reason"
)
def revoke(request_id: uuid.UUID, body: DecisionReason, session: DbSession, actor: CurrentActor) -> AccessRequestOut:
    return _decided(session, actor, revoke_grant(session, actor, request_id, body))


@router.post(
    "/requests/{request_id}/withdraw",
    response_model=AccessRequestOut,
    summary="Record that the resident's side withdrew (or refused) consent",
)
def withdraw(request_id: uuid.UUID, body: DecisionReason, session: DbSession, actor: CurrentActor) -> AccessRequestOut:
    return _decided(session, actor, record_withdrawal(session, actor, request_id, body))


# --- break-the-glass ---------------------------------------------------------------------------------------


@router.post(
    "/emergency",
    response_model=EmergencyAccessOut,
    status_code=status.HTTP_201_CREATED,
    summary="Break the glass: open a record outside one's jurisdiction for a few hours, stating the reason",
)
def open_emergency(body: EmergencyOpening, session: DbSession, actor: CurrentActor) -> EmergencyAccessOut:
    return EmergencyAccessOut.of(describe_emergency(session, open_emergency_access(session, actor, body)))


@router.get(
    "/emergency/alerts",
    response_model=PageOut[EmergencyAccessOut],
    summary="Emergency openings of records the caller's institution manages (unacknowledged by default)",
)
def list_alerts(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    acknowledged: Annotated[bool, Query(description="true: the acknowledged ones instead")] = False,
) -> PageOut[EmergencyAccessOut]:
    page = list_emergency_alerts(session, actor, acknowledged=acknowledged, page=paging)
    return PageOut(
        items=[EmergencyAccessOut.of(ln) for ln in page.items], total=page.total, page=page.page, size=page.size
    )


@router.post(
    "/emergency/{emergency_id}/acknowledge",
    response_model=EmergencyAccessOut,
    summary="Acknowledge an emergency opening (the alert ends; the record of it stays)",
)
def acknowledge(emergency_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> EmergencyAccessOut:
    return EmergencyAccessOut.of(describe_emergency(session, acknowledge_emergency(session, actor, emergency_id)))
