"""Pages for households (家庭档案): list, family page with members and history, create, edit, members, head."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.errors import InvalidInput
from kangdang.core.pagination import PageRequest
from kangdang.regions.codes import Level
from kangdang.regions.service import region_choices, region_names
from kangdang.residents import codes
from kangdang.residents.households import (
    HouseholdView,
    add_member,
    change_head,
    create_household,
    get_household,
    list_households,
    remove_member,
    update_household,
)
from kangdang.residents.numbering import group_number
from kangdang.residents.schemas import HouseholdFields, HouseholdUpdate, MemberChange
from kangdang.residents.scope import get_visible_person
from kangdang.residents.search import search_residents
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values, parse
from kangdang.web.resident_display import history_lines

router = APIRouter(prefix="/households")

ENVIRONMENT = (
    ("kitchen_ventilation", "厨房排风设施", codes.KITCHEN_VENTILATION),
    ("fuel_type", "燃料类型", codes.FUEL_TYPES),
    ("water_source", "饮水", codes.WATER_SOURCES),
    ("toilet_type", "厕所", codes.TOILET_TYPES),
    ("livestock_pen", "禽畜栏", codes.LIVESTOCK_PENS),
)
EDITABLE = (
    "address",
    "phone",
    *(name for name, _label, _table in ENVIRONMENT),
    "economic_status",
    "main_problems",
)
SAVED_MESSAGES = {
    "created": "家庭档案已建立",
    "1": "已保存",
    "member": "成员已加入本家庭",
    "removed": "成员已移出本家庭，记录保留在原成员中",
    "head": "户主已更换",
}
NON_HEAD_RELATIONSHIPS = [(k, v) for k, v in codes.RELATIONSHIPS.items() if k != codes.HEAD]
NO_OLD_HEAD = "99"  # change_head wants a relationship for the former head even when the household has none


# --- finding a resident by what the user typed ----------------------------------------------------------


def find_one_resident(session: Session, actor: Actor, text: str) -> tuple[uuid.UUID | None, str | None]:
    """The one visible resident (with an open record) matching an ID number, record number or name."""
    query = text.strip()
    if not query:
        return None, "请输入居民的身份证号、档案编号或姓名"
    hits = search_residents(session, actor, query=query, page=PageRequest(size=2))
    if hits.total == 0:
        return None, f"未找到“{query}”，或该居民不在您的管辖范围内"
    if hits.total > 1:
        return None, f"“{query}”对应 {hits.total} 位居民，请输入身份证号或档案编号"
    return hits.items[0].person.id, None


# --- list ----------------------------------------------------------------------------------------------


def _village_options(session: Session, actor: Actor) -> list[tuple[str, str]]:
    return [(r.code, f"{r.code} {r.name}") for r in region_choices(session, actor, min_level=Level.VILLAGE)]


@router.get("")
def households_page(
    request: Request, session: DbSession, actor: CurrentActor, q: str = "", village: str = "", page: int = 1
) -> Response:
    village = village.strip() if village.strip().isdigit() else ""
    result = list_households(
        session, actor, page=PageRequest(page=page, size=50), region_code=village or None, query=q.strip() or None
    )
    filters = {"q": q, "village": village}
    return render(
        request,
        "households/list.html",
        {
            "page_title": "家庭档案",
            "page": result,
            "filters": filters,
            "village_options": _village_options(session, actor),
            "village_names": region_names(session, [h.region_code for h, _head, _n in result.items]),
            "base_url": "/households?" + urlencode({k: v for k, v in filters.items() if v}),
            "can_create": actor.can(Action.RESIDENT_EDIT),
        },
    )


# --- create --------------------------------------------------------------------------------------------


def _form_context(session: Session, actor: Actor, values: dict[str, Any], errors: FormErrors) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "environment": [(name, label, list(table.items())) for name, label, table in ENVIRONMENT],
        "economic_options": list(codes.ECONOMIC_STATUS.items()),
        "village_options": _village_options(session, actor),
    }


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


@router.get("/new")
def new_household_page(request: Request, session: DbSession, actor: CurrentActor, head: str = "") -> Response:
    actor.require(Action.RESIDENT_EDIT)
    values: dict[str, Any] = {}
    head_person = None
    head_id = _uuid(head)
    if head_id is not None:
        head_person = get_visible_person(session, actor, head_id)
        values = {
            "head": str(head_person.id),
            "region_code": head_person.current_region_code,
            "address": head_person.current_address or "",
            "phone": head_person.phone or "",
        }
    context = _form_context(session, actor, values, {})
    return render(
        request, "households/form.html", context | {"page_title": "新建家庭档案", "mode": "create", "head": head_person}
    )


@router.post("/new", dependencies=[CsrfChecked])
async def create_household_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.RESIDENT_EDIT)
    values = form_values(await request.form())
    head_id = _uuid(values.get("head", ""))
    errors: FormErrors = {}
    if head_id is None:
        head_id, problem = find_one_resident(session, actor, values.get("head_lookup", ""))
        if problem:
            errors["head_lookup"] = problem
    fields = {k: values.get(k, "") for k in ("region_code", *EDITABLE)}
    data, parse_errors = parse(HouseholdFields, fields)
    errors |= parse_errors
    if data is not None and head_id is not None and not errors:
        try:
            household = create_household(session, actor, data, head_id=head_id)
            return RedirectResponse(f"/households/{household.id}?saved=created", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    head_person = get_visible_person(session, actor, head_id) if head_id is not None else None
    context = _form_context(session, actor, values, errors | {"__message__": "家庭档案未保存"})
    return render(
        request,
        "households/form.html",
        context | {"page_title": "新建家庭档案", "mode": "create", "head": head_person},
        status_code=422,
    )


# --- the family page -----------------------------------------------------------------------------------


def _detail_context(session: Session, actor: Actor, view: HouseholdView, **forms: dict[str, Any]) -> dict[str, Any]:
    names = {ln.person.id: ln.person.name for ln in view.members + view.former}
    history = [
        (line, names.get(row.person_id) if row.entity == "member" and row.person_id else None)
        for row, line in zip(view.history, history_lines(session, view.history), strict=True)
    ]
    head_id = view.household.head_person_id
    return {
        "page_title": f"家庭 {view.household.household_number}",
        "v": view,
        "h": view.household,
        "environment": [
            (label, table.get(getattr(view.household, name) or "", "—")) for name, label, table in ENVIRONMENT
        ],
        "history": history,
        "can_edit": actor.can(Action.RESIDENT_EDIT),
        "relationship_options": NON_HEAD_RELATIONSHIPS if head_id is not None else list(codes.RELATIONSHIPS.items()),
        "old_head_options": NON_HEAD_RELATIONSHIPS,
        "head_candidates": [(str(ln.person.id), ln.person.name) for ln in view.members if ln.person.id != head_id],
        "group_number": group_number,
        "member_values": forms.get("member_values", {}),
        "member_errors": forms.get("member_errors", {}),
        "head_values": forms.get("head_values", {}),
        "head_errors": forms.get("head_errors", {}),
        "remove_errors": forms.get("remove_errors", {}),
    }


@router.get("/{household_id}")
def household_page(
    request: Request, session: DbSession, actor: CurrentActor, household_id: uuid.UUID, saved: str = ""
) -> Response:
    view = get_household(session, actor, household_id)
    context = _detail_context(session, actor, view)
    return render(request, "households/detail.html", context | {"saved_message": SAVED_MESSAGES.get(saved)})


def _detail_with_errors(
    request: Request, session: Session, actor: Actor, household_id: uuid.UUID, **forms: dict[str, Any]
) -> Response:
    view = get_household(session, actor, household_id)
    context = _detail_context(session, actor, view, **forms)
    return render(request, "households/detail.html", context, status_code=422)


# --- edit ----------------------------------------------------------------------------------------------


@router.get("/{household_id}/edit")
def edit_household_page(request: Request, session: DbSession, actor: CurrentActor, household_id: uuid.UUID) -> Response:
    actor.require(Action.RESIDENT_EDIT)
    view = get_household(session, actor, household_id)
    values = {name: getattr(view.household, name) or "" for name in EDITABLE}
    context = _form_context(session, actor, values, {})
    return render(
        request,
        "households/form.html",
        context | {"page_title": f"修改家庭 {view.household.household_number}", "mode": "edit", "h": view.household},
    )


@router.post("/{household_id}/edit", dependencies=[CsrfChecked])
async def edit_household_submit(
    request: Request, session: DbSession, actor: CurrentActor, household_id: uuid.UUID
) -> Response:
    values = form_values(await request.form())
    data, errors = parse(HouseholdUpdate, {k: values.get(k, "") for k in EDITABLE})
    if data is not None:
        try:
            update_household(session, actor, household_id, data)
            return RedirectResponse(f"/households/{household_id}?saved=1", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    view = get_household(session, actor, household_id)
    context = _form_context(session, actor, values, errors or {"__message__": "修改未保存"})
    return render(
        request,
        "households/form.html",
        context | {"page_title": f"修改家庭 {view.household.household_number}", "mode": "edit", "h": view.household},
        status_code=422,
    )


# --- members and head ----------------------------------------------------------------------------------


@router.post("/{household_id}/members", dependencies=[CsrfChecked])
async def add_member_submit(
    request: Request, session: DbSession, actor: CurrentActor, household_id: uuid.UUID
) -> Response:
    actor.require(Action.RESIDENT_EDIT)
    get_household(session, actor, household_id)  # out of scope answers 404 before anything else
    values = form_values(await request.form())
    person_id, problem = find_one_resident(session, actor, values.get("resident", ""))
    errors: FormErrors = {"resident": problem} if problem else {}
    fields = {"person_id": str(person_id or uuid.UUID(int=0)), "relationship": values.get("relationship", "")}
    if values.get("valid_from"):
        fields["valid_from"] = values["valid_from"]
    data, parse_errors = parse(MemberChange, fields)
    errors |= parse_errors
    if not fields["relationship"]:
        errors["relationship"] = "请选择与户主关系"
    if data is not None and not errors:
        try:
            add_member(session, actor, household_id, data)
            return RedirectResponse(f"/households/{household_id}?saved=member", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    if "person_id" in errors:
        errors["resident"] = errors.pop("person_id")
    errors.setdefault("__message__", "成员未添加")
    return _detail_with_errors(request, session, actor, household_id, member_values=values, member_errors=errors)


@router.post("/{household_id}/members/{person_id}/remove", dependencies=[CsrfChecked])
def remove_member_submit(
    request: Request, session: DbSession, actor: CurrentActor, household_id: uuid.UUID, person_id: uuid.UUID
) -> Response:
    try:
        remove_member(session, actor, household_id, person_id)
    except InvalidInput as error:
        session.rollback()
        return _detail_with_errors(request, session, actor, household_id, remove_errors=errors_of(error))
    return RedirectResponse(f"/households/{household_id}?saved=removed", status_code=303)


@router.post("/{household_id}/head", dependencies=[CsrfChecked])
async def change_head_submit(
    request: Request, session: DbSession, actor: CurrentActor, household_id: uuid.UUID
) -> Response:
    actor.require(Action.RESIDENT_EDIT)
    view = get_household(session, actor, household_id)
    values = form_values(await request.form())
    new_head_id = _uuid(values.get("new_head_id", ""))
    relationship = values.get("old_head_relationship", "") if view.household.head_person_id else NO_OLD_HEAD
    errors: FormErrors = {}
    if new_head_id is None:
        errors["new_head_id"] = "请选择新户主"
    if not relationship:
        errors["old_head_relationship"] = "请选择原户主与新户主的关系"
    if new_head_id is not None and not errors:
        try:
            change_head(session, actor, household_id, new_head_id=new_head_id, old_head_relationship=relationship)
            return RedirectResponse(f"/households/{household_id}?saved=head", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    errors.setdefault("__message__", "户主未更换")
    return _detail_with_errors(request, session, actor, household_id, head_values=values, head_errors=errors)
