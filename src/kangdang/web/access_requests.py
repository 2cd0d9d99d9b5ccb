"""Pages for reading records outside one's jurisdiction: applications (查阅申请) and their decisions (查阅审批),
the resident's consent with a signature drawn in the browser or a scanned paper, and break-the-glass (紧急查阅)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.errors import DomainError, PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.db.engine import settings_of
from kangdang.residents.emergency import (
    EmergencyOpening,
    acknowledge_emergency,
    list_emergency_alerts,
    list_my_emergency_accesses,
    open_emergency_access,
)
from kangdang.residents.grants import (
    CONSENT_METHODS,
    MAX_EVIDENCE_BYTES,
    PARTS,
    AccessApplication,
    ConsentDetails,
    DecisionNote,
    DecisionReason,
    apply_for_access,
    approve_request,
    consent_evidence,
    get_request_to_decide,
    list_my_requests,
    list_requests_to_decide,
    record_consent,
    record_withdrawal,
    reject_request,
    revoke_grant,
)
from kangdang.residents.numbering import group_number
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values, parse

router = APIRouter()

SAVED_MESSAGES = {
    "applied": "查阅申请已提交，请等待档案管理机构审批；批准后还需居民本人或监护人同意",
    "approved": "已批准。请在居民本人或监护人同意后登记同意，授权随即生效",
    "rejected": "已不予批准",
    "consented": "已登记居民同意，授权已生效",
    "revoked": "已撤销该授权",
    "withdrawn": "已登记居民撤回同意，授权已终止",
    "acknowledged": "已确认知悉该紧急查阅",
}
BREAK_GLASS_FIELDS = {"document_number": "bg_document_number", "name": "bg_name", "reason": "bg_reason"}
DEFAULT_APPLICATION = {"parts": ["profile"], "duration_days": "7"}


# --- the applicant's page --------------------------------------------------------------------------------


def _applicant_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    bg_values: dict[str, Any] | None = None,
    bg_errors: FormErrors | None = None,
    saved: str = "",
    page: int = 1,
    status_code: int = 200,
) -> Response:
    can_apply, can_break = actor.can(Action.ACCESS_APPLY), actor.can(Action.BREAK_GLASS)
    if not (can_apply or can_break):
        raise PermissionDenied()
    context = {
        "page_title": "查阅申请",
        "can_apply": can_apply,
        "can_break_glass": can_break,
        "values": values or DEFAULT_APPLICATION,
        "errors": errors or {},
        "bg_values": bg_values or {},
        "bg_errors": bg_errors or {},
        "parts": PARTS,
        "break_glass_hours": settings_of(session).break_glass_hours,
        "saved_message": SAVED_MESSAGES.get(saved),
        "mine": list_my_requests(session, actor, page=PageRequest(page=page, size=30)) if can_apply else None,
        "emergencies": list_my_emergency_accesses(session, actor) if can_break else [],
        "group_number": group_number,
    }
    return render(request, "access/index.html", context, status_code=status_code)


@router.get("/access")
def access_page(request: Request, session: DbSession, actor: CurrentActor, saved: str = "", page: int = 1) -> Response:
    return _applicant_page(request, session, actor, saved=saved, page=page)


@router.post("/access/apply", dependencies=[CsrfChecked])
async def apply_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.ACCESS_APPLY)
    values = form_values(await request.form(), lists=("parts",))
    fields = {k: values.get(k, "") for k in ("document_number", "name", "purpose", "duration_days", "basis")}
    data, errors = parse(AccessApplication, fields | {"parts": values.get("parts", [])})
    if data is not None:
        try:
            apply_for_access(session, actor, data)
            return RedirectResponse("/access?saved=applied", status_code=303)
        except DomainError as error:
            if isinstance(error, PermissionDenied):
                raise
            session.rollback()
            errors = errors_of(error)
    errors.setdefault("__message__", "查阅申请未提交")
    if "parts" in errors:
        errors["parts"] = "请至少选择一项查阅内容"
    values.pop("document_number", None)  # the full ID number is not sent back to the page
    return _applicant_page(request, session, actor, values=values, errors=errors, status_code=422)


@router.post("/access/break-glass", dependencies=[CsrfChecked])
async def break_glass_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.BREAK_GLASS)
    values = form_values(await request.form())
    fields = {name: values.get(field, "") for name, field in BREAK_GLASS_FIELDS.items()}
    data, errors = parse(EmergencyOpening, fields)
    if data is not None:
        try:
            access = open_emergency_access(session, actor, data)
            return RedirectResponse(f"/residents/{access.record_id}", status_code=303)
        except DomainError as error:
            if isinstance(error, PermissionDenied):
                raise
            session.rollback()
            errors = errors_of(error)
    errors = {BREAK_GLASS_FIELDS.get(k, k): v for k, v in errors.items()}
    errors.setdefault("__message__", "紧急查阅未开启")
    values.pop("bg_document_number", None)
    return _applicant_page(request, session, actor, bg_values=values, bg_errors=errors, status_code=422)


# --- the deciders' worklist ------------------------------------------------------------------------------


def _decider_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    saved: str = "",
    row_errors: dict[str, FormErrors] | None = None,
    status_code: int = 200,
) -> Response:
    actor.require(Action.ACCESS_DECIDE)
    size = PageRequest(size=100)
    context = {
        "page_title": "查阅审批",
        "pending": list_requests_to_decide(session, actor, status="pending", page=size),
        "approved": list_requests_to_decide(session, actor, status="approved", page=size),
        "active": list_requests_to_decide(session, actor, status="active", page=size),
        "closed": list_requests_to_decide(session, actor, status="closed", page=PageRequest(size=30)),
        "alerts": list_emergency_alerts(session, actor, page=size),
        "acknowledged": list_emergency_alerts(session, actor, acknowledged=True, page=PageRequest(size=20)),
        "parts": PARTS,
        "methods": CONSENT_METHODS,
        "saved_message": SAVED_MESSAGES.get(saved),
        "row_errors": row_errors or {},
        "group_number": group_number,
    }
    return render(request, "access/requests.html", context, status_code=status_code)


@router.get("/access/requests")
def requests_page(request: Request, session: DbSession, actor: CurrentActor, saved: str = "") -> Response:
    return _decider_page(request, session, actor, saved=saved)


async def _decide(
    request: Request, session: Session, actor: Actor, request_id: uuid.UUID, decide: Any, schema: Any, saved: str
) -> Response:
    actor.require(Action.ACCESS_DECIDE)
    values = form_values(await request.form())
    reason = values.get("reason", "").strip()
    data, errors = parse(schema, {"reason": reason or None} if schema is DecisionNote else {"reason": reason})
    if data is not None:
        try:
            decide(session, actor, request_id, data)
            return RedirectResponse(f"/access/requests?saved={saved}", status_code=303)
        except DomainError as error:
            if isinstance(error, PermissionDenied):
                raise
            session.rollback()
            errors = errors_of(error)
    if "reason" in errors and not reason:
        errors["reason"] = "请填写原因"
    errors.setdefault("__message__", "未能处理该申请")
    return _decider_page(request, session, actor, row_errors={str(request_id): errors}, status_code=422)


@router.post("/access/requests/{request_id}/approve", dependencies=[CsrfChecked])
async def approve_submit(request: Request, session: DbSession, actor: CurrentActor, request_id: uuid.UUID) -> Response:
    return await _decide(request, session, actor, request_id, approve_request, DecisionNote, "approved")


@router.post("/access/requests/{request_id}/reject", dependencies=[CsrfChecked])
async def reject_submit(request: Request, session: DbSession, actor: CurrentActor, request_id: uuid.UUID) -> Response:
    return await _decide(request, session, actor, request_id, reject_request, DecisionReason, "rejected")


@router.post("/access/requests/{request_id}/revoke", dependencies=[CsrfChecked])
async def revoke_submit(request: Request, session: DbSession, actor: CurrentActor, request_id: uuid.UUID) -> Response:
    return await _decide(request, session, actor, request_id, revoke_grant, DecisionReason, "revoked")


@router.post("/access/requests/{request_id}/withdraw", dependencies=[CsrfChecked])
async def withdraw_submit(request: Request, session: DbSession, actor: CurrentActor, request_id: uuid.UUID) -> Response:
    return await _decide(request, session, actor, request_id, record_withdrawal, DecisionReason, "withdrawn")


@router.post("/access/emergency/{emergency_id}/acknowledge", dependencies=[CsrfChecked])
def acknowledge_submit(request: Request, session: DbSession, actor: CurrentActor, emergency_id: uuid.UUID) -> Response:
    acknowledge_emergency(session, actor, emergency_id)
    return RedirectResponse("/access/requests?saved=acknowledged#emergency", status_code=303)


# --- consent -----------------------------------------------------------------------------------------------


def _consent_page(
    request: Request,
    session: Session,
    actor: Actor,
    request_id: uuid.UUID,
    *,
    values: dict[str, Any],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    line = get_request_to_decide(session, actor, request_id)
    context = {
        "page_title": f"登记居民同意：{line.person_name}",
        "line": line,
        "values": values,
        "errors": errors,
        "parts": PARTS,
        "methods": list(CONSENT_METHODS.items()),
        "max_mb": MAX_EVIDENCE_BYTES // 2**20,
        "group_number": group_number,
    }
    return render(request, "access/consent.html", context, status_code=status_code)


@router.get("/access/requests/{request_id}/consent")
def consent_page(request: Request, session: DbSession, actor: CurrentActor, request_id: uuid.UUID) -> Response:
    values = {"relationship": "self", "method": "signature"}
    return _consent_page(request, session, actor, request_id, values=values, errors={})


def _signature_bytes(data_url: str) -> bytes:
    """The PNG behind the canvas's data URL (empty when nothing usable was sent)."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix) or len(data_url) > 2 * MAX_EVIDENCE_BYTES:
        return b""
    try:
        return base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        return b""


@router.post("/access/requests/{request_id}/consent", dependencies=[CsrfChecked])
async def consent_submit(request: Request, session: DbSession, actor: CurrentActor, request_id: uuid.UUID) -> Response:
    actor.require(Action.ACCESS_DECIDE)
    form = await request.form()
    values = form_values(form)
    fields = {k: values.get(k, "") for k in ("consent_by_name", "relationship", "guardian_relationship", "method")}
    fields["guardian_relationship"] = fields["guardian_relationship"] or None
    data, errors = parse(ConsentDetails, fields)
    evidence = b""
    if data is not None and data.method == "signature":
        evidence = _signature_bytes(values.get("signature", ""))
    elif data is not None:
        upload = form.get("evidence")
        if isinstance(upload, UploadFile) and upload.filename:
            evidence = await upload.read(MAX_EVIDENCE_BYTES + 1)
    if data is not None:
        try:
            record_consent(session, actor, request_id, data, evidence)
            return RedirectResponse("/access/requests?saved=consented", status_code=303)
        except DomainError as error:
            if isinstance(error, PermissionDenied):
                raise
            session.rollback()
            errors = errors_of(error)
    if "__root__" in errors:
        errors["guardian_relationship"] = errors.pop("__root__")
    errors.setdefault("__message__", "同意未登记")
    values.pop("signature", None)
    return _consent_page(request, session, actor, request_id, values=values, errors=errors, status_code=422)


@router.get("/access/requests/{request_id}/evidence")
def evidence_file(session: DbSession, actor: CurrentActor, request_id: uuid.UUID) -> Response:
    content, content_type = consent_evidence(session, actor, request_id)
    extension = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}.get(content_type, "bin")
    name = quote(f"同意书-{request_id}.{extension}")
    return Response(
        content,
        media_type=content_type,
        headers={
            "Content-Disposition": f"inline; filename=\"consent-{request_id}.{extension}\"; filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
