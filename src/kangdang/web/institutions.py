"""Pages for institutions: list, detail, create, edit, close or merge."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from kangdang.access.roles import Action
from kangdang.core.errors import DomainError
from kangdang.core.pagination import PageRequest
from kangdang.institutions.schemas import InstitutionClosure, InstitutionCreate, InstitutionUpdate
from kangdang.institutions.service import (
    create_institution,
    get_institution,
    institution_choices,
    list_institutions,
    update_institution,
)
from kangdang.institutions.staff import institution_staff_counts
from kangdang.institutions.types import INSTITUTION_TYPE_LABELS, STATUS_LABELS
from kangdang.regions.codes import Level
from kangdang.regions.service import region_choices
from kangdang.residents.lifecycle import close_institution_and_hand_over
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import errors_of, form_values, parse
from kangdang.web.keepers import keeper_context

router = APIRouter(prefix="/institutions")

TYPE_OPTIONS = [(k.value, v) for k, v in INSTITUTION_TYPE_LABELS.items()]
STATUS_OPTIONS = list(STATUS_LABELS.items())


@router.get("")
def institutions_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    q: str = "",
    type: str = "",
    status: str = "",
    region: str = "",
    page: int = 1,
) -> Response:
    result = list_institutions(
        session,
        actor,
        page=PageRequest(page=page, size=50),
        query=q or None,
        type=type or None,
        status=status or None,
        region_code=region or None,
    )
    query = "&".join(f"{k}={v}" for k, v in (("q", q), ("type", type), ("status", status), ("region", region)) if v)
    return render(
        request,
        "institutions/list.html",
        {
            "page_title": "机构",
            "page": result,
            "filters": {"q": q, "type": type, "status": status, "region": region},
            "type_options": TYPE_OPTIONS,
            "status_options": STATUS_OPTIONS,
            "base_url": "/institutions?" + query,
            "staff_counts": institution_staff_counts(session, [i.id for i in result.items]),
            "can_create": actor.can(Action.INSTITUTION_CREATE),
        },
    )


def _form_context(
    session: DbSession, actor: CurrentActor, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    regions = region_choices(session, actor, min_level=Level.COUNTY)
    return {
        "values": values,
        "errors": errors,
        "type_options": TYPE_OPTIONS,
        "region_options": [(r.code, f"{r.code} {r.name}") for r in regions if r.level < Level.VILLAGE]
        + [(r.code, f"{r.code} {r.name}") for r in regions if r.level == Level.VILLAGE],
        "village_groups": _village_groups(regions),
        "supervisor_options": [(str(i.id), f"{i.code} {i.name}") for i in institution_choices(session, actor)],
    }


def _village_groups(regions: list[Any]) -> list[tuple[str, list[Any]]]:
    townships = {r.code: r.name for r in regions if r.level == Level.TOWNSHIP}
    groups: dict[str, list[Any]] = {}
    for region in regions:
        if region.level == Level.VILLAGE:
            groups.setdefault(townships.get(region.parent_code, region.parent_code or ""), []).append(region)
    return list(groups.items())


@router.get("/new")
def new_institution_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.INSTITUTION_CREATE)
    context = _form_context(session, actor, {"catchment": []}, {})
    return render(request, "institutions/form.html", context | {"page_title": "新建机构", "mode": "create"})


@router.post("/new", dependencies=[CsrfChecked])
async def create_institution_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.INSTITUTION_CREATE)
    values = form_values(await request.form(), lists=("catchment",))
    data, errors = parse(InstitutionCreate, values)
    if data is not None:
        try:
            institution = create_institution(session, actor, data)
            return RedirectResponse(f"/institutions/{institution.id}?saved=1", status_code=303)
        except DomainError as error:
            session.rollback()
            errors = errors_of(error)
    context = _form_context(session, actor, values, errors or {"__message__": "机构未保存"})
    return render(
        request, "institutions/form.html", context | {"page_title": "新建机构", "mode": "create"}, status_code=422
    )


@router.get("/{institution_id}")
def institution_page(
    request: Request, session: DbSession, actor: CurrentActor, institution_id: uuid.UUID, saved: int = 0
) -> Response:
    detail = get_institution(session, actor, institution_id)
    successors = [
        (str(i.id), f"{i.code} {i.name}") for i in institution_choices(session, actor) if i.id != institution_id
    ]
    return render(
        request,
        "institutions/detail.html",
        {
            "page_title": detail.institution.name,
            "d": detail,
            "saved": saved,
            "successor_options": successors,
            "closure_values": {},
            "closure_errors": {},
            **keeper_context(session, actor, institution_id),
        },
    )


@router.get("/{institution_id}/edit")
def edit_institution_page(
    request: Request, session: DbSession, actor: CurrentActor, institution_id: uuid.UUID
) -> Response:
    detail = get_institution(session, actor, institution_id)
    if not detail.can_edit:
        actor.require(Action.INSTITUTION_CREATE)  # raises: only managers edit
    i = detail.institution
    values = {
        "code": i.code,
        "name": i.name,
        "type": i.type,
        "region_code": i.region_code,
        "supervisor_id": str(i.supervisor_id or ""),
        "address": i.address or "",
        "phone": i.phone or "",
        "catchment": [r.code for r in detail.catchment],
    }
    context = _form_context(session, actor, values, {})
    return render(
        request,
        "institutions/form.html",
        context
        | {
            "page_title": f"修改机构：{i.name}",
            "mode": "edit",
            "institution": i,
            "county_level": actor.can(Action.INSTITUTION_CREATE),
        },
    )


@router.post("/{institution_id}/edit", dependencies=[CsrfChecked])
async def edit_institution_submit(
    request: Request, session: DbSession, actor: CurrentActor, institution_id: uuid.UUID
) -> Response:
    detail = get_institution(session, actor, institution_id)
    actor.require(Action.INSTITUTION_EDIT)  # permission before reading the form: no validation answers for outsiders
    county_level = actor.can(Action.INSTITUTION_CREATE)
    values = form_values(await request.form(), lists=("catchment",))
    editable = ("name", "address", "phone") + (("type", "supervisor_id", "catchment") if county_level else ())
    data, errors = parse(InstitutionUpdate, {k: values.get(k, [] if k == "catchment" else "") for k in editable})
    if data is not None:
        try:
            update_institution(session, actor, institution_id, data)
            return RedirectResponse(f"/institutions/{institution_id}?saved=1", status_code=303)
        except DomainError as error:
            session.rollback()
            errors = errors_of(error)
    values |= {"code": detail.institution.code, "region_code": detail.institution.region_code}
    context = _form_context(session, actor, values, errors)
    return render(
        request,
        "institutions/form.html",
        context
        | {
            "page_title": f"修改机构：{detail.institution.name}",
            "mode": "edit",
            "institution": detail.institution,
            "county_level": county_level,
        },
        status_code=422,
    )


@router.post("/{institution_id}/close", dependencies=[CsrfChecked])
async def close_institution_submit(
    request: Request, session: DbSession, actor: CurrentActor, institution_id: uuid.UUID
) -> Response:
    get_institution(session, actor, institution_id)  # out of scope answers like missing
    actor.require(Action.INSTITUTION_CLOSE)
    values = form_values(await request.form())
    data, errors = parse(InstitutionClosure, values)
    if data is not None:
        try:
            close_institution_and_hand_over(session, actor, institution_id, data)
            return RedirectResponse(f"/institutions/{institution_id}?saved=1", status_code=303)
        except DomainError as error:
            session.rollback()
            errors = errors_of(error)
    detail = get_institution(session, actor, institution_id)
    successors = [
        (str(i.id), f"{i.code} {i.name}") for i in institution_choices(session, actor) if i.id != institution_id
    ]
    return render(
        request,
        "institutions/detail.html",
        {
            "page_title": detail.institution.name,
            "d": detail,
            "saved": 0,
            "successor_options": successors,
            "closure_values": values,
            "closure_errors": errors or {"__message__": "机构未撤销"},
            **keeper_context(session, actor, institution_id),
        },
        status_code=422,
    )
