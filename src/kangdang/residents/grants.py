"""Access for other institutions (查阅申请): apply → the managing institution approves or rejects → the resident
or guardian consents → a read-only grant for a limited time → revoked, withdrawn or expired.

The applicant names the resident by full ID number and name and learns nothing more until the grant is active:
an unknown number and a wrong name answer with the same message. Only staff of the managing institution
decide. Every step is audited against the resident (subject ``person``); reads through a grant are audited by
the read paths themselves (``record.read`` with ``via = grant``). What a grant opens is decided in
``residents.scope.readable_records``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.crypto import cipher_for
from kangdang.access.roles import PERMISSIONS, Action
from kangdang.core.clock import utcnow
from kangdang.core.errors import Conflict, FieldError, InvalidInput, NotFound
from kangdang.core.pagination import Page, PageRequest, paginate
from kangdang.institutions.models import Institution
from kangdang.residents.codes import ID_CARD
from kangdang.residents.identity import normalize_document
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.models_access import AccessRequest
from kangdang.residents.scope import visible_records

NO_MATCH = "未找到与证件号码和姓名相符的档案"
IN_JURISDICTION = "该居民的档案在您的管辖范围内，可直接在“居民档案”中查阅，无需申请"
REQUEST_NOT_FOUND = "未找到该查阅申请，或您无权处理"

PARTS = {"profile": "基本信息与档案", "forms": "服务记录表单"}
STATUS_LABELS = {
    "pending": "待审批",
    "approved": "已批准，待居民同意",
    "active": "生效中",
    "expired": "已过期",
    "revoked": "已撤销",
    "withdrawn": "居民已撤回同意",
    "rejected": "未批准",
}
CONSENT_METHODS = {"signature": "现场签名", "scan": "上传签字的纸质同意书"}
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
EVIDENCE_TYPES = (  # magic bytes → content type
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
)


# --- input -----------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class ResidentIdentification(_Model):
    document_number: str = Field(min_length=1, max_length=40, description="The resident's full ID number")
    name: str = Field(min_length=1, max_length=50, description="The resident's name, as on the ID card")


class AccessApplication(ResidentIdentification):
    purpose: str = Field(min_length=1, max_length=200, description="用途")
    parts: list[Literal["profile", "forms"]] = Field(
        min_length=1, description="What to read: profile (基本信息与档案), forms (服务记录表单)"
    )
    duration_days: int = Field(ge=1, le=90, description="期限（天）, counted from the resident's consent")
    basis: str = Field(min_length=1, max_length=200, description="依据")

    @field_validator("parts")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return [p for p in PARTS if p in value]


class DecisionNote(_Model):
    reason: str | None = Field(default=None, max_length=200)


class DecisionReason(_Model):
    reason: str = Field(min_length=1, max_length=200)


class ConsentDetails(_Model):
    consent_by_name: str = Field(min_length=1, max_length=50, description="同意人姓名 (the resident or guardian)")
    relationship: Literal["self", "guardian"] = Field(description="self: 本人; guardian: 监护人")
    guardian_relationship: str | None = Field(
        default=None, max_length=20, description="The guardian's relationship to the resident (e.g. 父亲)"
    )
    method: Literal["signature", "scan"] = Field(description="signature: drawn in person; scan: a signed paper")

    @model_validator(mode="after")
    def _guardian_says_how(self) -> ConsentDetails:
        if self.relationship == "guardian" and not (self.guardian_relationship or "").strip():
            raise ValueError("监护人同意时请填写与居民的关系")
        return self

    @property
    def relationship_text(self) -> str:
        return "本人" if self.relationship == "self" else f"监护人（{(self.guardian_relationship or '').strip()}）"


# --- the lines the pages and the API show ------------------------------------------------------------------


@dataclass(frozen=True)
class AccessLine:
    request: AccessRequest
    person_name: str
    document_masked: str | None
    record_number: str | None  # only once the grant is active (and to the deciders)
    managing_institution: str
    requester_institution: str | None
    status: str  # the stored status, or "expired" for an active grant past its end

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status == "active"


def effective_status(request: AccessRequest, now: datetime | None = None) -> str:
    if request.status == "active" and request.expires_at is not None and request.expires_at <= (now or utcnow()):
        return "expired"
    return request.status


def detect_evidence_type(content: bytes) -> str | None:
    """The content type of consent evidence, judged by its first bytes (never by the name or the header)."""
    for magic, content_type in EVIDENCE_TYPES:
        if content.startswith(magic):
            return content_type
    return None


# --- finding the resident without disclosing anything ------------------------------------------------------


def find_resident(session: Session, document_number: str, name: str) -> tuple[Person, HealthRecord]:
    """The resident with this full ID number and name and their open record; anything else answers NO_MATCH.

    Exact lookup by the blind index of the number (never a prefix, never by name alone)."""
    number = normalize_document(ID_CARD, document_number)
    if not number:
        raise InvalidInput(NO_MATCH, errors=[FieldError("document_number", NO_MATCH)])
    index = cipher_for(session).blind_index(number)
    found = session.execute(
        select(Person, HealthRecord)
        .join(HealthRecord, HealthRecord.person_id == Person.id)
        .where(
            Person.document_index == index,
            Person.status == "active",
            HealthRecord.status == "active",
        )
        .limit(1)
    ).first()
    if found is None or found[0].name.replace(" ", "") != name.replace(" ", ""):
        raise InvalidInput(NO_MATCH, errors=[FieldError("document_number", NO_MATCH)])
    return found[0], found[1]


def in_jurisdiction(session: Session, actor: Actor, record: HealthRecord) -> bool:
    return (
        session.scalar(select(HealthRecord.id).where(HealthRecord.id == record.id, visible_records(actor))) is not None
    )


def home_institution(actor: Actor, action: Action) -> uuid.UUID | None:
    """The institution the actor acts for in ``action`` (their first membership that grants it)."""
    allowed = PERMISSIONS[action]
    return next((m.institution_id for m in actor.memberships if m.role in allowed), None)


# --- applying --------------------------------------------------------------------------------------------


def apply_for_access(session: Session, actor: Actor, data: AccessApplication) -> AccessRequest:
    """File an application to read a resident's record held by another institution."""
    actor.require(Action.ACCESS_APPLY)
    person, record = find_resident(session, data.document_number, data.name)
    if in_jurisdiction(session, actor, record):
        raise InvalidInput(IN_JURISDICTION, errors=[FieldError("document_number", IN_JURISDICTION)])
    open_one = session.scalar(
        select(AccessRequest.id).where(
            AccessRequest.record_id == record.id,
            AccessRequest.requester_user_id == actor.user_id,
            or_(
                AccessRequest.status.in_(("pending", "approved")),
                (AccessRequest.status == "active") & (AccessRequest.expires_at > utcnow()),
            ),
        )
    )
    if open_one is not None:
        raise Conflict("您对该居民已有待审批、待同意或生效中的查阅申请")
    request = AccessRequest(
        person_id=person.id,
        record_id=record.id,
        managing_institution_id=record.managing_institution_id,
        requester_user_id=actor.user_id,
        requester_login=actor.login,
        requester_name=actor.name,
        requester_institution_id=home_institution(actor, Action.ACCESS_APPLY),
        purpose=data.purpose,
        parts=list(data.parts),
        duration_days=data.duration_days,
        basis=data.basis,
        requested_at=utcnow(),
        status="pending",
    )
    session.add(request)
    session.flush()
    _audit(
        session,
        actor,
        "access.apply",
        request,
        purpose=data.purpose,
        parts=list(data.parts),
        duration_days=data.duration_days,
        basis=data.basis,
    )
    return request


def list_my_requests(session: Session, actor: Actor, *, page: PageRequest) -> Page[AccessLine]:
    """The actor's own applications, newest first."""
    actor.require(Action.ACCESS_APPLY)
    stmt = (
        select(AccessRequest)
        .where(AccessRequest.requester_user_id == actor.user_id)
        .order_by(AccessRequest.requested_at.desc(), AccessRequest.id.desc())
    )
    return _lines(session, paginate(session, stmt, page), for_decider=False)


def active_grant_for(session: Session, actor: Actor, request_id: uuid.UUID) -> AccessRequest:
    """The actor's own grant, while it is active and unexpired (else NotFound)."""
    request = session.scalar(
        select(AccessRequest).where(
            AccessRequest.id == request_id,
            AccessRequest.requester_user_id == actor.user_id,
            AccessRequest.status == "active",
            AccessRequest.expires_at > utcnow(),
        )
    )
    if request is None:
        raise NotFound(REQUEST_NOT_FOUND)
    return request


# --- deciding --------------------------------------------------------------------------------------------


def decided_by(actor: Actor, institution_id: Any) -> ColumnElement[bool]:
    """``institution_id`` is one the actor decides for: an institution where they hold ACCESS_DECIDE, or a
    village clinic or station it supervises (those have no records manager of their own)."""
    mine = actor.institutions_with(Action.ACCESS_DECIDE)
    supervised = select(Institution.id).where(Institution.supervisor_id.in_(mine))
    return or_(institution_id.in_(mine), institution_id.in_(supervised))


def _deciders_filter(actor: Actor) -> ColumnElement[bool]:
    """Requests about records managed by an institution the actor decides for: the institution that managed
    the record when the application came, or the one managing it now (after a transfer)."""
    now_managed = exists(
        select(HealthRecord.id).where(
            HealthRecord.id == AccessRequest.record_id, decided_by(actor, HealthRecord.managing_institution_id)
        )
    )
    return or_(decided_by(actor, AccessRequest.managing_institution_id), now_managed)


def list_requests_to_decide(
    session: Session, actor: Actor, *, status: str | None, page: PageRequest
) -> Page[AccessLine]:
    """Applications for records of the actor's institution; ``status`` "expired" lists grants past their end,
    "active" only unexpired ones, "closed" every finished one (rejected, revoked, withdrawn, expired)."""
    actor.require(Action.ACCESS_DECIDE)
    now = utcnow()
    stmt = select(AccessRequest).where(_deciders_filter(actor))
    if status == "closed":
        stmt = stmt.where(
            or_(
                AccessRequest.status.in_(("rejected", "revoked", "withdrawn")),
                (AccessRequest.status == "active") & (AccessRequest.expires_at <= now),
            )
        )
    elif status == "expired":
        stmt = stmt.where(AccessRequest.status == "active", AccessRequest.expires_at <= now)
    elif status == "active":
        stmt = stmt.where(AccessRequest.status == "active", AccessRequest.expires_at > now)
    elif status:
        stmt = stmt.where(AccessRequest.status == status)
    stmt = stmt.order_by(AccessRequest.requested_at.desc(), AccessRequest.id.desc())
    return _lines(session, paginate(session, stmt, page), for_decider=True)


def count_requests_to_decide(session: Session, actor: Actor) -> int:
    """Pending applications waiting for the actor's institution."""
    if not actor.can(Action.ACCESS_DECIDE):
        return 0
    return (
        session.scalar(
            select(func.count(AccessRequest.id)).where(AccessRequest.status == "pending", _deciders_filter(actor))
        )
        or 0
    )


def get_request_to_decide(session: Session, actor: Actor, request_id: uuid.UUID) -> AccessLine:
    actor.require(Action.ACCESS_DECIDE)
    return describe_request(session, _decidable(session, actor, request_id), for_decider=True)


def _decidable(session: Session, actor: Actor, request_id: uuid.UUID) -> AccessRequest:
    request = session.scalar(select(AccessRequest).where(AccessRequest.id == request_id, _deciders_filter(actor)))
    if request is None:
        raise NotFound(REQUEST_NOT_FOUND)
    return request


def approve_request(
    session: Session, actor: Actor, request_id: uuid.UUID, data: DecisionNote | None = None
) -> AccessRequest:
    """Approve a pending application; the grant starts once the resident's consent is recorded."""
    actor.require(Action.ACCESS_DECIDE)
    request = _decidable(session, actor, request_id)
    _require_status(request, ("pending",), "只有待审批的申请可以批准")
    request.status = "approved"
    _decided(request, actor, data.reason if data else None)
    session.flush()
    _audit(session, actor, "access.approve", request, reason=request.decision_reason)
    return request


def reject_request(session: Session, actor: Actor, request_id: uuid.UUID, data: DecisionReason) -> AccessRequest:
    actor.require(Action.ACCESS_DECIDE)
    request = _decidable(session, actor, request_id)
    _require_status(request, ("pending",), "只有待审批的申请可以不予批准")
    request.status = "rejected"
    _decided(request, actor, data.reason)
    session.flush()
    _audit(session, actor, "access.reject", request, reason=data.reason)
    return request


def record_consent(
    session: Session, actor: Actor, request_id: uuid.UUID, data: ConsentDetails, evidence: bytes
) -> AccessRequest:
    """Record the resident's (or guardian's) consent with its evidence: the grant becomes active for its days."""
    actor.require(Action.ACCESS_DECIDE)
    request = _decidable(session, actor, request_id)
    _require_status(request, ("approved",), "只有已批准、待居民同意的申请可以登记同意")
    content_type = _check_evidence(data.method, evidence)
    now = utcnow()
    request.consent_by_name = data.consent_by_name
    request.consent_relationship = data.relationship_text
    request.consent_method = data.method
    request.consent_evidence = evidence
    request.consent_evidence_type = content_type
    request.consent_at = now
    request.consent_recorded_by = actor.login
    request.expires_at = now + timedelta(days=request.duration_days)
    request.status = "active"
    session.flush()
    _audit(
        session,
        actor,
        "access.consent",
        request,
        consent_by=data.consent_by_name,
        relationship=data.relationship_text,
        method=data.method,
        evidence_type=content_type,
        evidence_bytes=len(evidence),
        expires_at=request.expires_at.isoformat(),
    )
    return request


def revoke_grant(session: Session, actor: Actor, request_id: uuid.UUID, data: DecisionReason) -> AccessRequest:
    """The managing institution ends an approved application or an active grant."""
    actor.require(Action.ACCESS_DECIDE)
    request = _decidable(session, actor, request_id)
    _require_status(request, ("approved", "active"), "只有已批准或生效中的授权可以撤销")
    request.status = "revoked"
    request.revoked_at = utcnow()
    request.revoked_by = actor.login
    request.revoke_reason = data.reason
    session.flush()
    _audit(session, actor, "access.revoke", request, reason=data.reason)
    return request


def record_withdrawal(session: Session, actor: Actor, request_id: uuid.UUID, data: DecisionReason) -> AccessRequest:
    """The resident (or guardian) withdraws their consent (or refuses it): recorded by the managing institution."""
    actor.require(Action.ACCESS_DECIDE)
    request = _decidable(session, actor, request_id)
    _require_status(request, ("approved", "active"), "只有待同意或生效中的授权可以登记撤回同意")
    request.status = "withdrawn"
    request.withdrawn_at = utcnow()
    request.withdrawn_by = actor.login
    request.withdraw_reason = data.reason
    session.flush()
    _audit(session, actor, "access.withdraw", request, reason=data.reason)
    return request


def consent_evidence(session: Session, actor: Actor, request_id: uuid.UUID) -> tuple[bytes, str]:
    """The stored signature or scanned consent, for the managing institution; the viewing is audited."""
    actor.require(Action.ACCESS_DECIDE)
    request = _decidable(session, actor, request_id)
    if request.consent_evidence is None or request.consent_evidence_type is None:
        raise NotFound("该申请没有登记同意书")
    _audit(session, actor, "access.consent_view", request)
    return request.consent_evidence, request.consent_evidence_type


def describe_request(session: Session, request: AccessRequest, *, for_decider: bool) -> AccessLine:
    """The line shown for a request the service has just loaded or changed for this actor."""
    return _lines(session, Page([request], 1, 1, 1), for_decider=for_decider).items[0]


# --- helpers ---------------------------------------------------------------------------------------------


def _require_status(request: AccessRequest, allowed: tuple[str, ...], message: str) -> None:
    if request.status not in allowed or effective_status(request) == "expired":
        raise Conflict(message)


def _decided(request: AccessRequest, actor: Actor, reason: str | None) -> None:
    request.decided_by = actor.login
    request.decided_at = utcnow()
    request.decision_reason = reason or None


def _check_evidence(method: str, evidence: bytes) -> str:
    field = "signature" if method == "signature" else "evidence"
    if not evidence:
        message = "请居民在签名框内签名" if method == "signature" else "请上传签字的同意书（PNG、JPEG 或 PDF）"
        raise InvalidInput(errors=[FieldError(field, message)])
    if len(evidence) > MAX_EVIDENCE_BYTES:
        raise InvalidInput(errors=[FieldError(field, "同意书文件不能超过 5 MB")])
    content_type = detect_evidence_type(evidence)
    if method == "signature" and content_type != "image/png":
        raise InvalidInput(errors=[FieldError(field, "签名应为 PNG 图像")])
    if content_type is None:
        raise InvalidInput(errors=[FieldError(field, "同意书只能是 PNG、JPEG 图像或 PDF 文件")])
    return content_type


def _audit(session: Session, actor: Actor, action: str, request: AccessRequest, **details: Any) -> None:
    record_event(
        session,
        actor,
        action,
        subject_type="person",
        subject_id=request.person_id,
        details={"request_id": str(request.id), "requester": request.requester_login, **details},
    )


def _lines(session: Session, page: Page[AccessRequest], *, for_decider: bool) -> Page[AccessLine]:
    requests = page.items
    persons = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_({r.person_id for r in requests})))}
    records = dict(
        session.execute(
            select(HealthRecord.id, HealthRecord.record_number).where(
                HealthRecord.id.in_({r.record_id for r in requests})
            )
        ).all()
    )
    institution_ids = {r.managing_institution_id for r in requests} | {
        r.requester_institution_id for r in requests if r.requester_institution_id
    }
    names = dict(
        session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(institution_ids))).all()
    )
    now = utcnow()
    lines = []
    for r in requests:
        status = effective_status(r, now)
        person = persons[r.person_id]
        lines.append(
            AccessLine(
                request=r,
                person_name=person.name,
                document_masked=person.document_masked,
                record_number=records.get(r.record_id) if for_decider or status == "active" else None,
                managing_institution=names.get(r.managing_institution_id, ""),
                requester_institution=names.get(r.requester_institution_id) if r.requester_institution_id else None,
                status=status,
            )
        )
    return Page(items=lines, total=page.total, page=page.page, size=page.size)
