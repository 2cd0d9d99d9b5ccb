"""Pages for staff (人员): list, register, view, edit; memberships; accounts and password resets."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import FieldError, InvalidInput, PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.institutions.schemas import AccountCreate, MembershipCreate, PractitionerCreate, PractitionerUpdate
from kangdang.institutions.service import institution_choices
from kangdang.institutions.staff import (
    account_of,
    add_membership,
    create_account,
    create_practitioner,
    end_membership,
    get_practitioner,
    list_practitioners,
    manageable_institutions,
    memberships_of,
    reset_user_password,
    reveal_id_number,
    role_choices,
    set_account_active,
    update_practitioner,
)
from kangdang.institutions.types import QUALIFICATION_LABELS, Qualification
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values, parse
from kangdang.web.keepers import training_context

router = APIRouter(prefix="/staff")

QUALIFICATION_OPTIONS = [(k.value, v) for k, v in QUALIFICATION_LABELS.items()]
SEX_OPTIONS = [("1", "男"), ("2", "女")]
STATUS_OPTIONS = [("active", "在职"), ("left", "离职")]
EDITABLE = ("name", "phone", "qualification", "licence_no", "practice_scope", "status")
SAVED_MESSAGES = {
    "1": "已保存",
    "membership": "已添加任职",
    "ended": "任职已结束，记录保留在任职历史中",
    "account": "账号已创建，该人员现在可以用登录名和初始密码登录",
    "password": "密码已重置，账号已解锁；该用户已登录的会话均已退出",
    "active": "账号已启用",
    "inactive": "账号已停用",
    "training": "已添加培训记录",
    "withdrawn": "培训记录已撤销，仍保留在培训记录中",
}
NO_STORE = {"Cache-Control": "no-store"}


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


# --- list ----------------------------------------------------------------------------------------------


@router.get("")
def staff_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    q: str = "",
    institution: str = "",
    qualification: str = "",
    page: int = 1,
) -> Response:
    institution_id = _uuid_or_none(institution)
    if qualification not in {q.value for q in Qualification}:
        qualification = ""
    result = list_practitioners(
        session,
        actor,
        page=PageRequest(page=page, size=50),
        query=q.strip() or None,
        institution_id=institution_id,
        qualification=qualification or None,
    )
    filters = {"q": q, "institution": str(institution_id or ""), "qualification": qualification}
    return render(
        request,
        "staff/list.html",
        {
            "page_title": "人员",
            "page": result,
            "filters": filters,
            "memberships": memberships_of(session, actor, [p.id for p in result.items]),
            "institution_options": _institution_options(institution_choices(session, actor, active_only=False)),
            "qualification_options": QUALIFICATION_OPTIONS,
            "base_url": "/staff?" + urlencode({k: v for k, v in filters.items() if v}),
            "can_create": actor.can(Action.STAFF_MANAGE),
        },
    )


def _institution_options(institutions: list[Any]) -> list[tuple[str, str]]:
    return [(str(i.id), f"{i.code} {i.name}") for i in institutions]


# --- register ------------------------------------------------------------------------------------------


def _create_context(
    session: DbSession, actor: CurrentActor, values: dict[str, Any], errors: FormErrors
) -> dict[str, Any]:
    return {
        "page_title": "新增人员",
        "values": values,
        "errors": errors,
        "sex_options": SEX_OPTIONS,
        "qualification_options": QUALIFICATION_OPTIONS,
        "institution_options": _institution_options(manageable_institutions(session, actor)),
        "role_options": [(r.value, r.label) for r in role_choices(actor)],
    }


@router.get("/new")
def new_staff_page(request: Request, session: DbSession, actor: CurrentActor, institution: str = "") -> Response:
    actor.require(Action.STAFF_MANAGE)
    values = {"valid_from": today_local().isoformat(), "institution_id": institution}
    return render(request, "staff/new.html", _create_context(session, actor, values, {}))


@router.post("/new", dependencies=[CsrfChecked])
async def create_staff_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.STAFF_MANAGE)
    values = form_values(await request.form())
    data, errors = parse(PractitionerCreate, values)
    if data is not None:
        try:
            practitioner = create_practitioner(session, actor, data)
            return RedirectResponse(f"/staff/{practitioner.id}?saved=1", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    context = _create_context(session, actor, values, errors or {"__message__": "人员未保存"})
    return render(request, "staff/new.html", context, status_code=422)


# --- one practitioner ----------------------------------------------------------------------------------


def _detail(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    practitioner_id: uuid.UUID,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    detail = get_practitioner(session, actor, practitioner_id)
    context: dict[str, Any] = {
        "page_title": detail.practitioner.name,
        "d": detail,
        "account": account_of(session, actor, practitioner_id),
        "institution_options": _institution_options(manageable_institutions(session, actor)),
        "role_options": [(r.value, r.label) for r in role_choices(actor)],
        "revealed": None,
        "saved": "",
        "membership_values": {"valid_from": today_local().isoformat()},
        "membership_errors": {},
        "end_errors": {},
        "account_values": {},
        "account_errors": {},
        "password_errors": {},
        **training_context(session, actor, practitioner_id),
    }
    context.update(extra)
    context["saved_message"] = SAVED_MESSAGES.get(context["saved"], "")
    response = render(request, "staff/detail.html", context, status_code=status_code)
    response.headers.update(headers or {})
    return response


@router.get("/{practitioner_id}")
def staff_detail_page(
    request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID, saved: str = ""
) -> Response:
    return _detail(request, session, actor, practitioner_id, saved=saved)


@router.post("/{practitioner_id}/reveal", dependencies=[CsrfChecked])
def reveal_submit(request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID) -> Response:
    number = reveal_id_number(session, actor, practitioner_id)
    return _detail(request, session, actor, practitioner_id, revealed=number, headers=NO_STORE)


@router.get("/{practitioner_id}/edit")
def edit_staff_page(request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID) -> Response:
    detail = get_practitioner(session, actor, practitioner_id)
    if not detail.can_manage:
        raise PermissionDenied("您无权管理该人员")
    p = detail.practitioner
    values = {key: getattr(p, key) or "" for key in EDITABLE}
    return render(request, "staff/edit.html", _edit_context(detail, values, {}))


@router.post("/{practitioner_id}/edit", dependencies=[CsrfChecked])
async def edit_staff_submit(
    request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID
) -> Response:
    detail = get_practitioner(session, actor, practitioner_id)
    actor.require(Action.STAFF_MANAGE)  # permission before reading the form
    submitted = form_values(await request.form())
    values = {key: submitted.get(key, "") for key in EDITABLE}
    data, errors = parse(PractitionerUpdate, values)
    if data is not None:
        try:
            update_practitioner(session, actor, practitioner_id, data)
            return RedirectResponse(f"/staff/{practitioner_id}?saved=1", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
            detail = get_practitioner(session, actor, practitioner_id)
    return render(request, "staff/edit.html", _edit_context(detail, values, errors), status_code=422)


def _edit_context(detail: Any, values: dict[str, Any], errors: FormErrors) -> dict[str, Any]:
    return {
        "page_title": f"修改人员信息：{detail.practitioner.name}",
        "d": detail,
        "values": values,
        "errors": errors,
        "qualification_options": QUALIFICATION_OPTIONS,
        "status_options": STATUS_OPTIONS,
    }


# --- memberships ---------------------------------------------------------------------------------------


@router.post("/{practitioner_id}/memberships", dependencies=[CsrfChecked])
async def add_membership_submit(
    request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID
) -> Response:
    actor.require(Action.STAFF_MANAGE)
    values = form_values(await request.form())
    data, errors = parse(MembershipCreate, {k: v for k, v in values.items() if k != "valid_from" or v})
    if data is not None:
        try:
            add_membership(session, actor, practitioner_id, data)
            return RedirectResponse(f"/staff/{practitioner_id}?saved=membership", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    return _detail(
        request,
        session,
        actor,
        practitioner_id,
        status_code=422,
        membership_values=values,
        membership_errors=errors or {"__message__": "任职未保存"},
    )


@router.post("/{practitioner_id}/memberships/{membership_id}/end", dependencies=[CsrfChecked])
async def end_membership_submit(
    request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID, membership_id: uuid.UUID
) -> Response:
    raw = form_values(await request.form()).get("valid_to", "").strip()
    try:
        valid_to = date.fromisoformat(raw) if raw else None
    except ValueError:
        errors: FormErrors = {"__message__": "任职未结束", "valid_to": "请输入日期，格式为 YYYY-MM-DD"}
    else:
        try:
            end_membership(session, actor, membership_id, valid_to=valid_to, practitioner_id=practitioner_id)
            return RedirectResponse(f"/staff/{practitioner_id}?saved=ended", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    return _detail(request, session, actor, practitioner_id, status_code=422, end_errors=errors)


# --- account -------------------------------------------------------------------------------------------


@router.post("/{practitioner_id}/account", dependencies=[CsrfChecked])
async def create_account_submit(
    request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID
) -> Response:
    actor.require(Action.USER_MANAGE)
    values = form_values(await request.form())
    data, errors = parse(AccountCreate, {"login": values.get("login", ""), "password": values.get("password", "")})
    if data is not None:
        try:
            create_account(session, actor, practitioner_id, data)
            return RedirectResponse(f"/staff/{practitioner_id}?saved=account", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
    return _detail(
        request,
        session,
        actor,
        practitioner_id,
        status_code=422,
        account_values={"login": values.get("login", "")},
        account_errors=errors or {"__message__": "账号未创建"},
    )


@router.post("/{practitioner_id}/account/password", dependencies=[CsrfChecked])
async def reset_password_submit(
    request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID
) -> Response:
    actor.require(Action.USER_MANAGE)
    values = form_values(await request.form())
    password, confirm = values.get("password", ""), values.get("confirm_password", "")
    try:
        if password != confirm:
            raise InvalidInput("密码未重置", errors=[FieldError("confirm_password", "两次输入的密码不一致")])
        reset_user_password(session, actor, practitioner_id, new_password=password)
        return RedirectResponse(f"/staff/{practitioner_id}?saved=password", status_code=303)
    except InvalidInput as error:
        session.rollback()
        errors = errors_of(error)
    return _detail(request, session, actor, practitioner_id, status_code=422, password_errors=errors)


@router.post("/{practitioner_id}/account/active", dependencies=[CsrfChecked])
async def account_active_submit(
    request: Request, session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID
) -> Response:
    actor.require(Action.USER_MANAGE)
    active = form_values(await request.form()).get("active") == "1"
    try:
        set_account_active(session, actor, practitioner_id, active=active)
        saved = "active" if active else "inactive"
        return RedirectResponse(f"/staff/{practitioner_id}?saved={saved}", status_code=303)
    except InvalidInput as error:
        session.rollback()
        errors = errors_of(error)
    return _detail(request, session, actor, practitioner_id, status_code=422, password_errors=errors)
