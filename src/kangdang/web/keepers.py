"""Page sections and form handlers for staff training (培训记录, on the staff page) and responsible records
managers (档案管理责任人, on the institution page)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.errors import InvalidInput
from kangdang.institutions.keepers import designate_keeper, end_keeper, keeper_candidates, list_keepers, may_designate
from kangdang.institutions.service import get_institution, institution_choices
from kangdang.institutions.training import (
    TrainingCreate,
    add_training,
    list_training,
    may_manage_training,
    withdraw_training,
)
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values, parse

router = APIRouter()

PASSED_OPTIONS = [("1", "合格"), ("0", "不合格")]
TRAINING_FIELDS = ("course", "held_on", "hours", "score", "passed", "organiser", "certificate_no")


# --- the staff page's 培训记录 section -----------------------------------------------------------------


def training_context(session: Session, actor: Actor, practitioner_id: uuid.UUID) -> dict[str, Any]:
    """What templates/staff/detail.html needs for its training section (the caller has checked visibility)."""
    return {
        "training": list_training(session, actor, practitioner_id),
        "can_manage_training": may_manage_training(session, actor, practitioner_id),
        "passed_options": PASSED_OPTIONS,
        "training_values": {"passed": "1"},
        "training_errors": {},
        "withdraw_errors": {},
    }


def _staff_page(request: Request, session: Session, actor: Actor, practitioner_id: uuid.UUID, **extra: Any) -> Response:
    from kangdang.web.staff import _detail  # the staff page, re-rendered with this section's errors

    return _detail(request, session, actor, practitioner_id, status_code=422, **extra)


@router.post("/staff/{practitioner_id}/training", dependencies=[CsrfChecked])
async def add_training_submit(
    request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID
) -> Response:
    actor.require(Action.TRAINING_MANAGE)
    submitted = form_values(await request.form())
    values = {key: submitted.get(key, "") for key in TRAINING_FIELDS}
    data, errors = parse(TrainingCreate, values)
    if data is not None:
        try:
            add_training(session, actor, practitioner_id, data)
            return RedirectResponse(f"/staff/{practitioner_id}?saved=training#training", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    return _staff_page(
        request,
        session,
        actor,
        practitioner_id,
        training_values=values,
        training_errors=errors or {"__message__": "培训记录未保存"},
    )


@router.post("/staff/{practitioner_id}/training/{training_id}/withdraw", dependencies=[CsrfChecked])
async def withdraw_training_submit(
    request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID, training_id: uuid.UUID
) -> Response:
    reason = form_values(await request.form()).get("reason", "")
    try:
        withdraw_training(session, actor, training_id, reason=reason, practitioner_id=practitioner_id)
        return RedirectResponse(f"/staff/{practitioner_id}?saved=withdrawn#training", status_code=303)
    except InvalidInput as error:
        session.rollback()
        errors = errors_of(error)
    return _staff_page(request, session, actor, practitioner_id, withdraw_errors=errors)


# --- the institution page's 档案管理责任人 section ------------------------------------------------------


def keeper_context(session: Session, actor: Actor, institution_id: uuid.UUID) -> dict[str, Any]:
    """What templates/institutions/detail.html needs for its keepers section.

    Keepers are named staff: an actor who may not see staff (the aggregate-only viewer) gets no section.
    """
    if not actor.can(Action.STAFF_VIEW):
        return {"keepers": None}
    designating = may_designate(session, actor, institution_id)
    candidates = keeper_candidates(session, actor, institution_id) if designating else []
    return {
        "keepers": list_keepers(session, actor, institution_id),
        "can_designate": designating,
        "keeper_options": [
            (str(c.practitioner.id), f"{c.practitioner.name}" + ("" if c.eligible else "（无合格培训记录）"))
            for c in candidates
        ],
        "keeper_values": {},
        "keeper_errors": {},
        "keeper_end_errors": {},
    }


def _institution_page(
    request: Request, session: Session, actor: Actor, institution_id: uuid.UUID, **extra: Any
) -> Response:
    detail = get_institution(session, actor, institution_id)
    successors = [
        (str(i.id), f"{i.code} {i.name}") for i in institution_choices(session, actor) if i.id != institution_id
    ]
    context: dict[str, Any] = {
        "page_title": detail.institution.name,
        "d": detail,
        "saved": 0,
        "successor_options": successors,
        "closure_values": {},
        "closure_errors": {},
        **keeper_context(session, actor, institution_id),
    }
    context.update(extra)
    return render(request, "institutions/detail.html", context, status_code=422)


@router.post("/institutions/{institution_id}/keepers", dependencies=[CsrfChecked])
async def designate_keeper_submit(
    request: Request, session: DbSession, actor: CurrentActor, institution_id: uuid.UUID
) -> Response:
    actor.require(Action.KEEPER_DESIGNATE)
    values = form_values(await request.form())
    errors: FormErrors
    try:
        practitioner_id = uuid.UUID(values.get("practitioner_id", ""))
    except ValueError:
        errors = {"__message__": "未指定档案管理责任人", "practitioner_id": "请选择人员"}
    else:
        try:
            designate_keeper(session, actor, institution_id, practitioner_id=practitioner_id)
            return RedirectResponse(f"/institutions/{institution_id}?saved=1#keepers", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    return _institution_page(request, session, actor, institution_id, keeper_values=values, keeper_errors=errors)


@router.post("/institutions/{institution_id}/keepers/{keeper_id}/end", dependencies=[CsrfChecked])
async def end_keeper_submit(
    request: Request, session: DbSession, actor: CurrentActor, institution_id: uuid.UUID, keeper_id: uuid.UUID
) -> Response:
    reason = form_values(await request.form()).get("reason", "")
    try:
        end_keeper(session, actor, keeper_id, reason=reason, institution_id=institution_id)
        return RedirectResponse(f"/institutions/{institution_id}?saved=1#keepers", status_code=303)
    except InvalidInput as error:
        session.rollback()
        errors = errors_of(error)
    return _institution_page(request, session, actor, institution_id, keeper_end_errors=errors)
