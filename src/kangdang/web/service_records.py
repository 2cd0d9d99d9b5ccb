"""Pages for filled forms (服务记录): fill any national form, see derived values live, sign, amend, print.

One generic renderer (templates/records/) draws every definition; routes only read the submitted fields,
call the records service and render.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.errors import DomainError, InvalidInput
from kangdang.exchange.form_pdf import render_form_pdf
from kangdang.programmes.service import task_for_form
from kangdang.records.bound import bound_values
from kangdang.records.catalogue import catalogue
from kangdang.records.definition import FormDefinition
from kangdang.records.engine import enabled_items
from kangdang.records.legacy import upgrade_answers
from kangdang.records.models import ServiceRecord
from kangdang.records.service import (
    amend_form,
    answers_of,
    bound_values_of,
    form_versions,
    get_form,
    mark_entered_in_error,
    new_form,
    preview_form,
    save_form,
    sign_form,
)
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.numbering import group_number
from kangdang.residents.scope import visible_records
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.form_input import answers_from_form, derived_display, display, row_count, values_for_page
from kangdang.web.forms import FormErrors, errors_of

router = APIRouter()

STATUS_LABELS = {"draft": "草稿", "completed": "已签名", "amended": "已被修订", "entered_in_error": "已作废"}
SAVED_MESSAGES = {"signed": "表单已签名保存", "draft": "草稿已保存", "amended": "修订已保存", "void": "表单已作废"}


def _fill_context(
    session: Session,
    record: HealthRecord,
    form: FormDefinition,
    values: dict[str, Any],
    errors: FormErrors,
    bound: dict[str, str],
    *,
    action: str,
    amending: ServiceRecord | None = None,
    reason: str = "",
) -> dict[str, Any]:
    person = session.get_one(Person, record.person_id)
    return {
        "page_title": f"{form.title}：{person.name}",
        "form": form,
        "cat": catalogue(),
        "values": values,
        "errors": errors,
        "bound": bound,
        "record": record,
        "person": person,
        "derived": derived_display(form, values),
        "enabled": enabled_items(form, values),
        "row_count": row_count,
        "action": action,
        "amending": amending,
        "reason": reason,
        "group_number": group_number,
    }


@router.get("/residents/{record_id}/forms/new")
def new_form_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    record_id: uuid.UUID,
    form: str,
    task: uuid.UUID | None = None,
) -> Response:
    draft = new_form(session, actor, record_id, form)
    answers = dict(draft.answers)
    if task is not None:  # opened from the worklist: the task's preset (e.g. 第几次随访) fills the form
        care_task = task_for_form(session, actor, task, record_id)
        if care_task.form_code == draft.form.code:
            answers.update(care_task.preset or {})
    record = session.get_one(HealthRecord, record_id)
    context = _fill_context(
        session,
        record,
        draft.form,
        values_for_page(answers),
        {},
        draft.bound,
        action=f"/residents/{record_id}/forms/new?form={draft.form.code}",
    )
    return render(request, "records/fill.html", context)


@router.post("/residents/{record_id}/forms/new", dependencies=[CsrfChecked])
async def new_form_submit(
    request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID, form: str
) -> Response:
    data = await request.form()
    definition = catalogue().form(form)
    raw = answers_from_form(definition, data)
    sign = data.get("intent") == "sign"
    try:
        row = save_form(session, actor, record_id, definition.code, raw, sign=sign)
    except InvalidInput as error:
        return _refill(
            request, session, actor, record_id, definition, raw, error, f"/residents/{record_id}/forms/new?form={form}"
        )
    return RedirectResponse(f"/forms/{row.id}?saved={'signed' if sign else 'draft'}", status_code=303)


def _refill(
    request: Request,
    session: Session,
    actor: Actor,
    record_id: uuid.UUID,
    form: FormDefinition,
    raw: dict[str, Any],
    error: DomainError,
    action: str,
    amending: ServiceRecord | None = None,
    reason: str = "",
) -> Response:
    """The form again with what was typed, every error beside its field, and the derived values."""
    record = session.get_one(HealthRecord, record_id)
    bound = bound_values(session, record, session.get_one(Person, record.person_id))
    values = values_for_page(raw)
    preview = preview_form(session, actor, record_id, form.code, raw)
    values.update({k: v for k, v in values_for_page(preview.answers).items() if k not in values})
    context = _fill_context(
        session, record, form, values, errors_of(error), bound, action=action, amending=amending, reason=reason
    )
    return render(request, "records/fill.html", context, status_code=422)


@router.post("/residents/{record_id}/forms/preview", dependencies=[CsrfChecked])
async def preview_submit(
    request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID, form: str
) -> Response:
    """Derived values and the enabled items for what is typed so far (the page updates them live)."""
    data = await request.form()
    definition = catalogue().form(form)
    outcome = preview_form(session, actor, record_id, definition.code, answers_from_form(definition, data))
    return JSONResponse(
        {
            "derived": derived_display(definition, outcome.answers),
            "enabled": sorted(enabled_items(definition, outcome.answers)),
            "errors": {e.field: e.message for e in outcome.errors},
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/forms/{form_id}")
def form_page(
    request: Request, session: DbSession, actor: CurrentActor, form_id: uuid.UUID, saved: str = ""
) -> Response:
    row = get_form(session, actor, form_id)
    return render(request, "records/view.html", _view_context(session, actor, row, saved=saved))


def _view_context(session: Session, actor: Actor, row: ServiceRecord, *, saved: str = "") -> dict[str, Any]:
    form = catalogue().form_at(row.form_code, row.form_version)
    record = session.get_one(HealthRecord, row.record_id)
    person = session.get_one(Person, row.person_id)
    versions = form_versions(session, actor, row.id)
    live = row.status in ("draft", "completed")
    # read through a grant or break-glass: a read-only view, whatever the reader's role
    own = session.scalar(select(HealthRecord.id).where(HealthRecord.id == row.record_id, visible_records(actor)))
    live = live and own is not None
    return {
        "page_title": f"{form.title}：{person.name}",
        "form": form,
        "row": row,
        "record": record,
        "person": person,
        "bound": bound_values_of(session, row),
        "answers": answers_of(session, row),
        "display": display,
        "versions": versions,
        "status_labels": STATUS_LABELS,
        "saved": {"signed": "表单已签名保存", "draft": "草稿已保存", "amended": "修订已保存", "void": "表单已作废"}.get(
            saved, ""
        ),
        "can_edit": live and row.status == "draft" and actor.can(Action.FORM_FILL),
        "can_amend": live and row.status == "completed" and actor.can(Action.FORM_AMEND),
        "can_void": live and actor.can(Action.FORM_VOID),
        "group_number": group_number,
    }


@router.get("/forms/{form_id}/edit")
def edit_draft_page(request: Request, session: DbSession, actor: CurrentActor, form_id: uuid.UUID) -> Response:
    row = get_form(session, actor, form_id)
    if row.status != "draft":
        return RedirectResponse(f"/forms/{row.id}", status_code=303)
    form = catalogue().form(row.form_code)
    record = session.get_one(HealthRecord, row.record_id)
    context = _fill_context(
        session,
        record,
        form,
        values_for_page(answers_of(session, row)),
        {},
        bound_values_of(session, row),
        action=f"/forms/{row.id}/edit",
    )
    return render(request, "records/fill.html", context)


@router.post("/forms/{form_id}/edit", dependencies=[CsrfChecked])
async def edit_draft_submit(request: Request, session: DbSession, actor: CurrentActor, form_id: uuid.UUID) -> Response:
    row = get_form(session, actor, form_id)
    form = catalogue().form(row.form_code)
    data = await request.form()
    raw = answers_from_form(form, data)
    sign = data.get("intent") == "sign"
    try:
        save_form(session, actor, row.record_id, form.code, raw, sign=sign, draft_id=row.id)
    except InvalidInput as error:
        return _refill(request, session, actor, row.record_id, form, raw, error, f"/forms/{row.id}/edit")
    return RedirectResponse(f"/forms/{row.id}?saved={'signed' if sign else 'draft'}", status_code=303)


@router.post("/forms/{form_id}/sign", dependencies=[CsrfChecked])
def sign_submit(request: Request, session: DbSession, actor: CurrentActor, form_id: uuid.UUID) -> Response:
    try:
        row = sign_form(session, actor, form_id)
    except InvalidInput as error:
        row = get_form(session, actor, form_id)
        form = catalogue().form(row.form_code)
        answers = answers_of(session, row)
        return _refill(request, session, actor, row.record_id, form, answers, error, f"/forms/{row.id}/edit")
    return RedirectResponse(f"/forms/{row.id}?saved=signed", status_code=303)


@router.get("/forms/{form_id}/amend")
def amend_page(request: Request, session: DbSession, actor: CurrentActor, form_id: uuid.UUID) -> Response:
    actor.require(Action.FORM_AMEND)
    row = get_form(session, actor, form_id)
    if row.status != "completed":
        return RedirectResponse(f"/forms/{row.id}", status_code=303)
    form = catalogue().form(row.form_code)
    record = session.get_one(HealthRecord, row.record_id)
    context = _fill_context(
        session,
        record,
        form,
        values_for_page(upgrade_answers(form, answers_of(session, row), row.form_version)),
        {},
        bound_values_of(session, row),
        action=f"/forms/{row.id}/amend",
        amending=row,
    )
    return render(request, "records/fill.html", context)


@router.post("/forms/{form_id}/amend", dependencies=[CsrfChecked])
async def amend_submit(request: Request, session: DbSession, actor: CurrentActor, form_id: uuid.UUID) -> Response:
    actor.require(Action.FORM_AMEND)
    row = get_form(session, actor, form_id)
    form = catalogue().form(row.form_code)
    data = await request.form()
    raw = answers_from_form(form, data)
    reason = str(data.get("reason") or "")
    try:
        new = amend_form(session, actor, row.id, raw, reason=reason)
    except InvalidInput as error:
        action = f"/forms/{row.id}/amend"
        return _refill(request, session, actor, row.record_id, form, raw, error, action, row, reason)
    return RedirectResponse(f"/forms/{new.id}?saved=amended", status_code=303)


@router.post("/forms/{form_id}/void", dependencies=[CsrfChecked])
async def void_submit(request: Request, session: DbSession, actor: CurrentActor, form_id: uuid.UUID) -> Response:
    data = await request.form()
    try:
        row = mark_entered_in_error(session, actor, form_id, reason=str(data.get("reason") or ""))
    except InvalidInput as error:
        row = get_form(session, actor, form_id)
        context = _view_context(session, actor, row)
        context["void_error"] = error.errors[0].message if error.errors else error.message
        return render(request, "records/view.html", context, status_code=422)
    return RedirectResponse(f"/forms/{row.id}?saved=void", status_code=303)


@router.get("/forms/{form_id}/print.pdf")
def print_form(request: Request, session: DbSession, actor: CurrentActor, form_id: uuid.UUID) -> Response:
    row = get_form(session, actor, form_id, purpose="form.print")
    form = catalogue().form_at(row.form_code, row.form_version)
    pdf = render_form_pdf(form, row, answers_of(session, row), bound_values_of(session, row))
    filename = f"form-{row.form_code}-{row.service_date.isoformat()}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
