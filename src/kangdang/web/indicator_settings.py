"""The county's indicator settings page (指标设置): targets per indicator and year for 全部/城镇/乡村, and the
parameters of the indicator rules. Everyone who sees figures may look; the county bureau changes them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import DomainError, InvalidInput
from kangdang.indicators.models import AREA_TYPES
from kangdang.indicators.parameters import PARAMETER_SPECS, check_value, set_parameter
from kangdang.indicators.targets import (
    AREA_LABELS,
    MAX_YEAR,
    MIN_YEAR,
    county_choices,
    default_county,
    list_parameters,
    list_targets,
    parse_target,
    require_county,
    set_target,
)
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, form_values

router = APIRouter()

TARGET_ERROR = "请填写0～100之间的百分数，最多两位小数；留空为不设目标"
SAVED = {"targets": "目标已保存。", "parameters": "参数已保存。指标将在下次重新计算后按新参数更新。"}


def _year(raw: str) -> int:
    year = int(raw) if raw.isdigit() else today_local().year
    return year if MIN_YEAR <= year <= MAX_YEAR else today_local().year


def _county(session: Session, actor: Actor, requested: str) -> str | None:
    return requested if requested.isdigit() and len(requested) == 6 else default_county(session, actor)


def _text(value: Any) -> str:
    """A value as the form shows it: booleans as true/false, numbers without trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except InvalidOperation:
        return str(value)


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
    actor.require(Action.INDICATOR_VIEW)
    context: dict[str, Any] = {
        "page_title": "指标设置",
        "county": county,
        "county_name": "",
        "counties": county_choices(session, actor),
        "year": year,
        "years": list(range(today_local().year + 2, today_local().year - 4, -1)),
        "areas": [(area, AREA_LABELS[area]) for area in AREA_TYPES],
        "can_configure": actor.can(Action.INDICATOR_CONFIGURE),
        "targets": [],
        "parameters": [],
        "target_values": {},
        "target_errors": {},
        "parameter_values": {},
        "parameter_errors": {},
        "notice": SAVED.get(request.query_params.get("saved", ""), ""),
    }
    if county:
        region = require_county(session, actor, county)
        lines = list_targets(session, actor, county=county, year=year)
        parameters = list_parameters(session, actor, county=county)
        context.update(
            county_name=region.name,
            targets=lines,
            parameters=parameters,
            target_values={
                f"target.{line.indicator}.{area}": _text(value)
                for line in lines
                for area, value in line.targets.items()
            },
            parameter_values={f"param.{p.spec.key}": _text(p.value) for p in parameters},
        )
    context.update(extra)
    return render(request, "indicator_settings/index.html", context, status_code=status_code)


@router.get("/indicators/settings")
def settings_page(
    request: Request, session: DbSession, actor: CurrentActor, year: str = "", county: str = ""
) -> Response:
    return _page(request, session, actor, county=_county(session, actor, county), year=_year(year))


@router.post("/indicators/settings/targets", dependencies=[CsrfChecked])
async def targets_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    """Save every target of the year that changed; nothing is saved while any value is wrong."""
    actor.require(Action.INDICATOR_CONFIGURE)
    values = form_values(await request.form())
    county, year = values.get("county", ""), _year(values.get("year", ""))
    current = {line.indicator: line for line in list_targets(session, actor, county=county, year=year)}
    errors: FormErrors = {}
    changes = []
    for indicator, line in current.items():
        for area in AREA_TYPES:
            field = f"target.{indicator}.{area}"
            if field not in values:
                continue
            try:
                wanted = parse_target(values[field])
            except ValueError:
                errors[field] = f"{line.name}（{AREA_LABELS[area]}）：{TARGET_ERROR}"
                continue
            if wanted != line.targets.get(area):
                changes.append((indicator, area, wanted))
    if not errors:
        try:
            for indicator, area, wanted in changes:
                set_target(session, actor, county=county, indicator=indicator, year=year, area_type=area, target=wanted)
            return RedirectResponse(f"/indicators/settings?county={county}&year={year}&saved=targets", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = {e.field: e.message for e in error.errors} or {"__general__": error.message}
    errors["__message__"] = "目标未保存，请更正标出的项目"
    return _page(
        request,
        session,
        actor,
        county=county,
        year=year,
        status_code=422,
        target_values={k: v for k, v in values.items() if k.startswith("target.")},
        target_errors=errors,
    )


@router.post("/indicators/settings/parameters", dependencies=[CsrfChecked])
async def parameters_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    """Save every parameter that changed; nothing is saved while any value is wrong."""
    actor.require(Action.INDICATOR_CONFIGURE)
    values = form_values(await request.form())
    county, year = values.get("county", ""), _year(values.get("year", ""))
    current = {p.spec.key: p.value for p in list_parameters(session, actor, county=county)}
    errors: FormErrors = {}
    changes = []
    for key in PARAMETER_SPECS:
        field = f"param.{key}"
        if field not in values:
            continue
        try:
            wanted = check_value(key, values[field])
        except DomainError as error:
            errors[field] = error.errors[0].message if error.errors else error.message
            continue
        if _text(wanted) != _text(current.get(key)):
            changes.append((key, wanted))
    if not errors:
        try:
            for key, wanted in changes:
                set_parameter(session, actor, county=county, key=key, value=wanted)
            return RedirectResponse(
                f"/indicators/settings?county={county}&year={year}&saved=parameters#parameters", status_code=303
            )
        except InvalidInput as error:
            session.rollback()
            errors = {e.field: e.message for e in error.errors} or {"__general__": error.message}
    errors["__message__"] = "参数未保存，请更正标出的项目"
    return _page(
        request,
        session,
        actor,
        county=county,
        year=year,
        status_code=422,
        parameter_values={k: v for k, v in values.items() if k.startswith("param.")},
        parameter_errors=errors,
    )
