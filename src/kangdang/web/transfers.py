"""Pages for a record's life: transfer request, closure (注销) and reopening, and the transfer worklist."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import InvalidInput
from kangdang.core.pagination import PageRequest
from kangdang.institutions.models import Institution
from kangdang.institutions.service import institution_choices
from kangdang.institutions.types import PRIMARY_CARE_TYPES
from kangdang.regions.codes import Level
from kangdang.regions.service import region_choices, region_names
from kangdang.residents.codes import CLOSURE_REASONS, TRANSFER_STATUS
from kangdang.residents.lifecycle import (
    cancel_transfer,
    close_record,
    confirm_transfer,
    list_transfers,
    reopen_record,
    request_transfer,
    return_transfer,
    transfer_receivers,
)
from kangdang.residents.numbering import group_number
from kangdang.residents.schemas import RecordClosure, RecordReopening, TransferDecision, TransferRequest
from kangdang.residents.scope import get_visible_record
from kangdang.residents.service import RecordView, get_record_view
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values, parse
from kangdang.web.resident_display import lookup_names

router = APIRouter()

PRIMARY_CARE = sorted(t.value for t in PRIMARY_CARE_TYPES)
SAVED_MESSAGES = {
    "confirmed": "已确认迁入，档案现由本机构管理",
    "returned": "已退回该迁移申请",
    "cancelled": "已撤回该迁移申请",
}


# --- the record the page is about --------------------------------------------------------------------


def _allowed_record(session: Session, actor: Actor, record_id: uuid.UUID, action: Action) -> None:
    """Out of scope answers 404 (like a missing record) before a missing permission answers 403."""
    actor.require(Action.RESIDENT_VIEW)
    get_visible_record(session, actor, record_id)
    actor.require(action)


def _safe_next(value: str, fallback: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else fallback


def _record_context(view: RecordView, title: str) -> dict[str, Any]:
    return {"page_title": f"{title}：{view.person.name}", "rv": view, "group_number": group_number}


# --- transfer request ------------------------------------------------------------------------------------


def _receivers(session: Session, actor: Actor, village_code: str) -> tuple[list[Institution], bool]:
    """Primary-care institutions a record can go to: those serving the village typed (the receiving side may
    lie outside the actor's territory; the directory of institutions is not personal data), else the ones
    the actor can see."""
    if len(village_code) == 12 and village_code.isdigit():
        serving = transfer_receivers(session, actor, village_code)
        if serving:
            return serving, True
    return [i for i in institution_choices(session, actor) if i.type in PRIMARY_CARE], False


def _transfer_context(
    session: Session, actor: Actor, view: RecordView, values: dict[str, Any], errors: FormErrors
) -> dict[str, Any]:
    village_code = str(values.get("to_village_code", "")).strip()
    receivers, serving = _receivers(session, actor, village_code)
    return _record_context(view, "档案迁移") | {
        "values": values,
        "errors": errors,
        "village_options": [(r.code, r.name) for r in region_choices(session, actor, min_level=Level.VILLAGE)],
        "village_name": region_names(session, [village_code]).get(village_code) if village_code else None,
        "receiver_options": [(str(i.id), f"{i.code} {i.name}") for i in receivers],
        "receivers_serve_village": serving,
        "pending": next((t for t in view.transfers if t.status == "pending"), None),
    }


@router.get("/residents/{record_id}/transfer")
def transfer_page(
    request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID, to_village_code: str = ""
) -> Response:
    _allowed_record(session, actor, record_id, Action.RECORD_TRANSFER)
    view = get_record_view(session, actor, record_id)
    values = {"to_village_code": to_village_code.strip()[:12]}
    return render(request, "lifecycle/transfer.html", _transfer_context(session, actor, view, values, {}))


@router.get("/residents/{record_id}/transfer/receivers")
def transfer_receivers_fragment(
    request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID, to_village_code: str = ""
) -> Response:
    """The receiving-institution select for the village typed (htmx swaps it in)."""
    _allowed_record(session, actor, record_id, Action.RECORD_TRANSFER)
    code = to_village_code.strip()[:12]
    receivers, serving = _receivers(session, actor, code)
    context = {
        "values": {"to_village_code": code},
        "errors": {},
        "receiver_options": [(str(i.id), f"{i.code} {i.name}") for i in receivers],
        "receivers_serve_village": serving,
        "village_name": region_names(session, [code]).get(code) if code else None,
    }
    return render(request, "lifecycle/_receivers.html", context)


@router.post("/residents/{record_id}/transfer", dependencies=[CsrfChecked])
async def transfer_submit(request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID) -> Response:
    _allowed_record(session, actor, record_id, Action.RECORD_TRANSFER)
    values = form_values(await request.form())
    values["to_village_code"] = values.get("to_village_code", "").strip()
    fields = {k: values.get(k, "") for k in ("to_institution_id", "to_village_code", "reason")}
    data, errors = parse(TransferRequest, fields)
    if data is not None:
        try:
            request_transfer(session, actor, record_id, data)
            return RedirectResponse(f"/residents/{record_id}", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    view = get_record_view(session, actor, record_id)
    context = _transfer_context(session, actor, view, values, errors | {"__message__": "迁移申请未提交"})
    return render(request, "lifecycle/transfer.html", context, status_code=422)


# --- closure and reopening -------------------------------------------------------------------------------


def _close_context(view: RecordView, values: dict[str, Any], errors: FormErrors) -> dict[str, Any]:
    return _record_context(view, "注销档案") | {
        "values": values,
        "errors": errors,
        "reason_options": list(CLOSURE_REASONS.items()),
    }


@router.get("/residents/{record_id}/close")
def close_page(request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID) -> Response:
    _allowed_record(session, actor, record_id, Action.RECORD_CLOSE)
    view = get_record_view(session, actor, record_id)
    values = {"closed_on": today_local().isoformat()}
    return render(request, "lifecycle/close.html", _close_context(view, values, {}))


@router.post("/residents/{record_id}/close", dependencies=[CsrfChecked])
async def close_submit(request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID) -> Response:
    _allowed_record(session, actor, record_id, Action.RECORD_CLOSE)
    values = form_values(await request.form())
    data, errors = parse(RecordClosure, {k: values.get(k, "") for k in ("reason", "closed_on", "note")})
    if not values.get("reason"):
        errors["reason"] = "请选择注销原因"
    if data is not None and not errors:
        try:
            close_record(session, actor, record_id, data)
            return RedirectResponse(f"/residents/{record_id}", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    view = get_record_view(session, actor, record_id)
    context = _close_context(view, values, errors | {"__message__": errors.get("__message__", "档案未注销")})
    return render(request, "lifecycle/close.html", context, status_code=422)


@router.get("/residents/{record_id}/reopen")
def reopen_page(request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID) -> Response:
    _allowed_record(session, actor, record_id, Action.RECORD_CLOSE)
    view = get_record_view(session, actor, record_id)
    return render(request, "lifecycle/reopen.html", _record_context(view, "恢复档案") | {"values": {}, "errors": {}})


@router.post("/residents/{record_id}/reopen", dependencies=[CsrfChecked])
async def reopen_submit(request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID) -> Response:
    _allowed_record(session, actor, record_id, Action.RECORD_CLOSE)
    values = form_values(await request.form())
    data, errors = parse(RecordReopening, {"reason": values.get("reason", "")})
    if data is not None:
        try:
            reopen_record(session, actor, record_id, data)
            return RedirectResponse(f"/residents/{record_id}", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    view = get_record_view(session, actor, record_id)
    context = _record_context(view, "恢复档案") | {
        "values": values,
        "errors": errors | {"__message__": errors.get("__message__", "档案未恢复")},
    }
    return render(request, "lifecycle/reopen.html", context, status_code=422)


# --- the transfer worklist -------------------------------------------------------------------------------


def _worklist(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    direction: str,
    status: str | None,
    page: int = 1,
    saved: str = "",
    row_errors: dict[str, FormErrors] | None = None,
    status_code: int = 200,
) -> Response:
    result = list_transfers(session, actor, direction=direction, page=PageRequest(page=page, size=50), status=status)
    pending = {
        d: list_transfers(session, actor, direction=d, page=PageRequest(size=1), status="pending").total
        for d in ("incoming", "outgoing")
    }
    codes = [c for ln in result.items for c in (ln.transfer.from_village_code, ln.transfer.to_village_code)]
    logins = {x for ln in result.items for x in (ln.transfer.requested_by, ln.transfer.decided_by) if x}
    filters = {"direction": direction, "status": status or ""}
    return render(
        request,
        "transfers/list.html",
        {
            "page_title": "档案迁移",
            "page": result,
            "filters": filters,
            "pending": pending,
            "status_options": list(TRANSFER_STATUS.items()),
            "village_names": region_names(session, codes),
            "people": lookup_names(session, logins=logins).logins,
            "group_number": group_number,
            "saved_message": SAVED_MESSAGES.get(saved),
            "row_errors": row_errors or {},
            "base_url": "/transfers?" + urlencode(filters),
        },
        status_code=status_code,
    )


@router.get("/transfers")
def transfers_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    direction: str = "incoming",
    status: str | None = None,
    page: int = 1,
    saved: str = "",
) -> Response:
    direction = direction if direction in ("incoming", "outgoing") else "incoming"
    chosen = "pending" if status is None or (status and status not in TRANSFER_STATUS) else status
    return _worklist(request, session, actor, direction=direction, status=chosen or None, page=page, saved=saved)


async def _decide(
    request: Request, session: DbSession, actor: CurrentActor, transfer_id: uuid.UUID, decide: Any, saved: str
) -> Response:
    """The receiving side's decision (confirm or return), with the note as the form gave it."""
    values = form_values(await request.form())
    data, errors = parse(TransferDecision, {"note": values.get("note", "").strip() or None})
    if data is not None:
        try:
            decide(session, actor, transfer_id, data)
            return RedirectResponse(f"/transfers?direction=incoming&saved={saved}", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    return _worklist(
        request,
        session,
        actor,
        direction="incoming",
        status="pending",
        row_errors={str(transfer_id): errors},
        status_code=422,
    )


@router.post("/transfers/{transfer_id}/confirm", dependencies=[CsrfChecked])
async def confirm_submit(request: Request, session: DbSession, actor: CurrentActor, transfer_id: uuid.UUID) -> Response:
    return await _decide(request, session, actor, transfer_id, confirm_transfer, "confirmed")


@router.post("/transfers/{transfer_id}/return", dependencies=[CsrfChecked])
async def return_submit(request: Request, session: DbSession, actor: CurrentActor, transfer_id: uuid.UUID) -> Response:
    return await _decide(request, session, actor, transfer_id, return_transfer, "returned")


@router.post("/transfers/{transfer_id}/cancel", dependencies=[CsrfChecked])
async def cancel_submit(request: Request, session: DbSession, actor: CurrentActor, transfer_id: uuid.UUID) -> Response:
    values = form_values(await request.form())
    try:
        cancel_transfer(session, actor, transfer_id)
    except InvalidInput as error:
        session.rollback()
        return _worklist(
            request,
            session,
            actor,
            direction="outgoing",
            status="pending",
            row_errors={str(transfer_id): errors_of(error)},
            status_code=422,
        )
    return RedirectResponse(
        _safe_next(values.get("next", ""), "/transfers?direction=outgoing&saved=cancelled"), status_code=303
    )
