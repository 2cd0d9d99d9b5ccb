"""Appraisal pages (绩效考核): the county's weights for a year, computing a score sheet with a subsidy budget, the
computed sheets, one sheet ranked, and its Excel download."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import InvalidInput
from kangdang.exchange.appraisal_xlsx import appraisal_filename, render_appraisal_xlsx
from kangdang.indicators.appraisal import (
    KIND_LABELS,
    compute_sheet,
    get_scheme,
    get_sheet,
    item_labels,
    list_sheets,
    set_scheme,
)
from kangdang.indicators.targets import MAX_YEAR, MIN_YEAR, county_choices, default_county, require_county
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values

router = APIRouter()

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(raw: str) -> int:
    year = int(raw) if raw.isdigit() else today_local().year
    return year if MIN_YEAR <= year <= MAX_YEAR else today_local().year


def _county(session: Session, actor: Actor, requested: str) -> str | None:
    return requested if requested.isdigit() and len(requested) == 6 else default_county(session, actor)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    county: str | None,
    year: int,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    actor.require(Action.APPRAISAL_VIEW)
    context: dict[str, Any] = {
        "page_title": "绩效考核",
        "county": county,
        "county_name": "",
        "counties": county_choices(session, actor),
        "year": year,
        "years": list(range(today_local().year + 1, today_local().year - 4, -1)),
        "item_names": item_labels(),
        "kinds": list(KIND_LABELS.items()),
        "can_manage": actor.can(Action.APPRAISAL_MANAGE),
        "scheme": None,
        "sheets": [],
        "weight_values": {},
        "weight_errors": {},
        "compute_values": {"period": str(year), "institution_kind": "township", "budget": ""},
        "compute_errors": {},
        "saved": request.query_params.get("saved", ""),
    }
    if county:
        region = require_county(session, actor, county)
        scheme = get_scheme(session, actor, county=county, year=year)
        context.update(
            county_name=region.name,
            scheme=scheme,
            sheets=list_sheets(session, actor, county=county),
            weight_values={item: _plain(weight) for item, weight in scheme.weights.items()},
        )
    context.update(extra)
    return render(request, "appraisal/index.html", context, status_code=status_code)


@router.get("/appraisal")
def appraisal_page(
    request: Request, session: DbSession, actor: CurrentActor, year: str = "", county: str = ""
) -> Response:
    return _page(request, session, actor, county=_county(session, actor, county), year=_year(year))


@router.post("/appraisal/scheme", dependencies=[CsrfChecked])
async def scheme_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.APPRAISAL_MANAGE)
    values = form_values(await request.form())
    county, year = values.get("county", ""), _year(values.get("year", ""))
    weights = {key.removeprefix("weights."): value for key, value in values.items() if key.startswith("weights.")}
    errors: FormErrors
    try:
        set_scheme(session, actor, county=county, year=year, weights=weights)
        return RedirectResponse(f"/appraisal?county={county}&year={year}&saved=scheme", status_code=303)
    except InvalidInput as error:
        session.rollback()
        errors = errors_of(error)
    errors["__message__"] = "权重未保存：" + errors.get("__message__", "")
    return _page(
        request,
        session,
        actor,
        county=_county(session, actor, county),
        year=year,
        status_code=422,
        weight_values=weights,
        weight_errors=errors,
    )


@router.post("/appraisal/sheets", dependencies=[CsrfChecked])
async def compute_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.APPRAISAL_MANAGE)
    values = form_values(await request.form())
    county = values.get("county", "")
    try:
        view = compute_sheet(
            session,
            actor,
            county=county,
            period=values.get("period", "").strip(),
            institution_kind=values.get("institution_kind", ""),
            budget=values.get("budget", ""),
        )
        return RedirectResponse(f"/appraisal/sheets/{view.sheet.id}", status_code=303)
    except InvalidInput as error:
        session.rollback()
        errors = errors_of(error)
    period = values.get("period", "")
    year = _year(period[:4])
    return _page(
        request,
        session,
        actor,
        county=_county(session, actor, county),
        year=year,
        status_code=422,
        compute_values=values,
        compute_errors=errors,
    )


@router.get("/appraisal/sheets/{sheet_id}.xlsx")
def sheet_xlsx(session: DbSession, actor: CurrentActor, sheet_id: uuid.UUID) -> Response:
    view = get_sheet(session, actor, sheet_id)
    county = require_county(session, actor, view.sheet.region_code)
    content = render_appraisal_xlsx(view, county_name=county.name)
    ascii_name = f"appraisal-{view.sheet.period}-{view.sheet.institution_kind}.xlsx"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(appraisal_filename(view))}"
    return Response(content, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": disposition})


@router.get("/appraisal/sheets/{sheet_id}")
def sheet_page(request: Request, session: DbSession, actor: CurrentActor, sheet_id: uuid.UUID) -> Response:
    view = get_sheet(session, actor, sheet_id)
    county = require_county(session, actor, view.sheet.region_code)
    context = {
        "page_title": f"绩效考核 · {view.period.label}",
        "view": view,
        "county_name": county.name,
        "items": list(view.weights),
        "plain": _plain,
    }
    return render(request, "appraisal/sheet.html", context)
