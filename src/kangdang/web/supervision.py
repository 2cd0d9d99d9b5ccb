"""Supervision pages (督导检查): the year's plan (inspections, coverage per township, a form to plan one) and an
inspection (its sample with a compact checklist per record, the inspection-based rates, findings and their
rectification). The rules are in ``indicators.supervision``; these routes parse forms and render."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import Conflict, InvalidInput, NotFound
from kangdang.indicators.models_supervision import InspectionFinding, InspectionSample
from kangdang.indicators.supervision import (
    MAX_SAMPLE_SIZE,
    PHONE_LABELS,
    STATUS_LABELS,
    close_inspection,
    draw_sample,
    get_inspection,
    list_inspections,
    plan_inspection,
    record_check,
    record_finding,
    rectify_finding,
)
from kangdang.residents.numbering import group_number
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store"}
DEFAULT_SAMPLE_SIZE = 30
SAVED = {
    "planned": "督导检查已计划",
    "sampled": "已抽取样本",
    "checked": "检查结果已保存",
    "finding": "问题已记录",
    "rectified": "整改情况已报告",
    "closed": "督导检查已结束",
}
LEVEL_TEXT = {"county": "县级督导", "city": "市级督导"}


def _require_manage(actor: CurrentActor) -> None:
    """Runs before the form body is read (and before the CSRF check reads it)."""
    actor.require(Action.INSPECTION_MANAGE)


def _require_rectify(actor: CurrentActor) -> None:
    actor.require(Action.INSPECTION_RECTIFY)


Manager = Depends(_require_manage)
Rectifier = Depends(_require_rectify)


def _page(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200) -> Response:
    response = render(request, template, context, status_code=status_code)
    response.headers.update(NO_STORE)  # the sample lists residents with their phone numbers
    return response


def _year(raw: str | int | None) -> int:
    try:
        year = int(raw or 0)
    except ValueError:
        year = 0
    return year if 2000 <= year <= 2100 else today_local().year


def _day(values: dict[str, str], key: str, label: str, errors: FormErrors) -> date | None:
    raw = values.get(key, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[key] = f"{label}：请填写正确的日期，如 2027-03-01"
        return None


def _int(values: dict[str, str], key: str, label: str, errors: FormErrors) -> int | None:
    raw = values.get(key, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        errors[key] = f"{label}：请填写整数"
        return None


# --- the year's plan ----------------------------------------------------------------------------------


def _plan_page(
    request: Request,
    session: Session,
    actor: Actor,
    year: int,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    plan = list_inspections(session, actor, year=year)
    can_manage = actor.can(Action.INSPECTION_MANAGE)
    targets = [(c.unit_code, c.unit_name) for c in plan.coverage] if can_manage else []
    context = {
        "page_title": "督导检查",
        "plan": plan,
        "year": year,
        "years": list(range(today_local().year + 1, today_local().year - 4, -1)),
        "can_manage": can_manage,
        "targets": targets,
        "values": values
        or {"planned_on": max(today_local(), date(year, 1, 1)).isoformat(), "sample_size": str(DEFAULT_SAMPLE_SIZE)},
        "errors": errors or {},
        "status_text": STATUS_LABELS,
        "level_text": LEVEL_TEXT,
        "max_sample": MAX_SAMPLE_SIZE,
        "below": [c for c in plan.coverage if c.below],
    }
    return _page(request, "supervision/plan.html", context, status_code=status_code)


@router.get("/supervision")
def plan_page(request: Request, session: DbSession, actor: CurrentActor, year: str = "") -> Response:
    return _plan_page(request, session, actor, _year(year))


@router.post("/supervision", dependencies=[Manager, CsrfChecked])
async def plan_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    values = form_values(await request.form())
    errors: FormErrors = {}
    planned_on = _day(values, "planned_on", "检查日期", errors)
    if planned_on is None and "planned_on" not in errors:
        errors["planned_on"] = "检查日期：请填写"
    size = _int(values, "sample_size", "抽样数量", errors)
    if size is None and "sample_size" not in errors:
        errors["sample_size"] = "抽样数量：请填写"
    seed = _int(values, "seed", "随机种子", errors)
    round_ = _int(values, "round", "轮次", errors)
    if not values.get("target_region_code"):
        errors["target_region_code"] = "检查对象：请选择乡镇（街道）"
    year = planned_on.year if planned_on else _year(values.get("year"))
    if not errors and planned_on is not None and size is not None:
        try:
            inspection = plan_inspection(
                session,
                actor,
                target_region_code=values["target_region_code"],
                year=year,
                round=round_,
                planned_on=planned_on,
                title=values.get("title"),
                sample_size=size,
                seed=seed,
            )
            return RedirectResponse(f"/supervision/{inspection.id}?saved=planned", status_code=303)
        except InvalidInput as error:
            errors = errors_of(error)
    errors.setdefault("__message__", "督导检查未计划，请更正以下问题")
    return _plan_page(request, session, actor, year, values=values, errors=errors, status_code=422)


# --- one inspection -----------------------------------------------------------------------------------


def _inspection_page(
    request: Request,
    session: Session,
    actor: Actor,
    inspection_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    view = get_inspection(session, actor, inspection_id)
    today = today_local()
    context: dict[str, Any] = {
        "page_title": view.inspection.title,
        "v": view,
        "inspection": view.inspection,
        "rates": view.rates,
        "status_text": STATUS_LABELS,
        "level_text": LEVEL_TEXT,
        "phone_labels": PHONE_LABELS,
        "group_number": group_number,
        "saved": SAVED.get(str(request.query_params.get("saved", "")), ""),
        "message": "",
        "can_check": view.manageable and view.inspection.status == "sampled",
        "can_open_records": actor.can(Action.RESIDENT_VIEW),
        "finding_values": {"deadline": ""},
        "finding_errors": {},
        "rectify_values": {},
        "rectify_errors": {},
        "rectify_for": None,
        "check_errors": {},
        "check_for": None,
        "today_iso": today.isoformat(),
    }
    context.update(extra)
    return _page(request, "supervision/inspection.html", context, status_code=status_code)


@router.get("/supervision/{inspection_id}")
def inspection_page(request: Request, session: DbSession, actor: CurrentActor, inspection_id: uuid.UUID) -> Response:
    return _inspection_page(request, session, actor, inspection_id)


@router.post("/supervision/{inspection_id}/sample", dependencies=[Manager, CsrfChecked])
def sample_submit(request: Request, session: DbSession, actor: CurrentActor, inspection_id: uuid.UUID) -> Response:
    try:
        draw_sample(session, actor, inspection_id)
    except Conflict as error:
        return _inspection_page(request, session, actor, inspection_id, status_code=409, message=error.message)
    return RedirectResponse(f"/supervision/{inspection_id}?saved=sampled", status_code=303)


@router.post("/supervision/samples/{sample_id}/check", dependencies=[Manager, CsrfChecked])
async def check_submit(request: Request, session: DbSession, actor: CurrentActor, sample_id: uuid.UUID) -> Response:
    values = form_values(await request.form())
    htmx = request.headers.get("hx-request") == "true"
    sample = session.get(InspectionSample, sample_id)
    if sample is None:
        raise NotFound("未找到该抽样档案，或不在您的管辖范围内")
    try:
        record_check(
            session,
            actor,
            sample_id,
            filled_to_standard=values.get("filled_to_standard") == "1",
            dynamic=values.get("dynamic") == "1",
            phone_result=values.get("phone_result") or None,
            note=values.get("note"),
        )
    except (InvalidInput, Conflict) as error:
        if htmx:  # htmx swaps no error answers: show the message above the page instead
            details = [e.message for e in error.errors]
            response = render(request, "errors/fragment.html", {"message": error.message, "details": details})
            response.headers.update({"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"})
            return response
        return _inspection_page(
            request,
            session,
            actor,
            sample.inspection_id,
            status_code=error.status_code,
            check_errors=errors_of(error) | {"__message__": "检查结果未保存：" + error.message},
            check_for=sample_id,
        )
    if htmx:
        view = get_inspection(session, actor, sample.inspection_id, audit=False)
        line = next(s for s in view.samples if s.sample_id == sample_id)
        context = {
            "s": line,
            "v": view,
            "rates": view.rates,
            "phone_labels": PHONE_LABELS,
            "group_number": group_number,
            "can_check": True,
            "can_open_records": actor.can(Action.RESIDENT_VIEW),
            "check_errors": {},
            "check_for": None,
            "oob": True,
        }
        return _page(request, "supervision/_checked.html", context)
    return RedirectResponse(f"/supervision/{sample.inspection_id}?saved=checked#s-{sample.position}", status_code=303)


@router.post("/supervision/{inspection_id}/findings", dependencies=[Manager, CsrfChecked])
async def finding_submit(
    request: Request, session: DbSession, actor: CurrentActor, inspection_id: uuid.UUID
) -> Response:
    values = form_values(await request.form())
    errors: FormErrors = {}
    deadline = _day(values, "deadline", "整改期限", errors)
    if deadline is None and "deadline" not in errors:
        errors["deadline"] = "整改期限：请填写"
    institution: uuid.UUID | None = None
    if values.get("institution_id"):
        try:
            institution = uuid.UUID(values["institution_id"])
        except ValueError:
            errors["institution_id"] = "被检查机构：请选择被检查单位的机构"
    if not errors and deadline is not None:
        try:
            record_finding(
                session,
                actor,
                inspection_id,
                institution_id=institution,
                description=values.get("description", ""),
                deadline=deadline,
            )
            return RedirectResponse(f"/supervision/{inspection_id}?saved=finding#findings", status_code=303)
        except InvalidInput as error:
            errors = errors_of(error)
        except Conflict as error:
            errors = {"__message__": error.message, "__general__": error.message}
    errors.setdefault("__message__", "问题未记录，请更正以下问题")
    return _inspection_page(
        request,
        session,
        actor,
        inspection_id,
        status_code=422,
        finding_values=values,
        finding_errors=errors,
    )


@router.post("/supervision/findings/{finding_id}/rectify", dependencies=[Rectifier, CsrfChecked])
async def rectify_submit(request: Request, session: DbSession, actor: CurrentActor, finding_id: uuid.UUID) -> Response:
    values = form_values(await request.form())
    errors: FormErrors = {}
    day = _day(values, "rectified_on", "整改日期", errors)
    finding = session.get(InspectionFinding, finding_id)
    if finding is None:
        raise NotFound("未找到该问题，或不在您的管辖范围内")
    if not errors:
        try:
            rectify_finding(session, actor, finding_id, rectification=values.get("rectification", ""), rectified_on=day)
            return RedirectResponse(f"/supervision/{finding.inspection_id}?saved=rectified#findings", status_code=303)
        except InvalidInput as error:
            errors = errors_of(error)
        except Conflict as error:
            errors = {"__message__": error.message, "__general__": error.message}
    errors.setdefault("__message__", "整改情况未保存，请更正以下问题")
    return _inspection_page(
        request,
        session,
        actor,
        finding.inspection_id,
        status_code=422,
        rectify_values=values,
        rectify_errors=errors,
        rectify_for=finding_id,
    )


@router.post("/supervision/{inspection_id}/close", dependencies=[Manager, CsrfChecked])
def close_submit(request: Request, session: DbSession, actor: CurrentActor, inspection_id: uuid.UUID) -> Response:
    try:
        close_inspection(session, actor, inspection_id)
    except (Conflict, InvalidInput) as error:
        message = "；".join([error.message, *(e.message for e in error.errors)])
        return _inspection_page(request, session, actor, inspection_id, status_code=409, message=message)
    return RedirectResponse(f"/supervision/{inspection_id}?saved=closed", status_code=303)
