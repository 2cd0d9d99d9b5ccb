"""JSON routes for indicators (工作指标): the catalogue, the precomputed figures of units with their targets, the
figures of a unit's townships or villages, a unit's trend by month, the residents behind a village's figure
(drill-down, audited by the service) and the quarterly or annual report as Excel. Figures are read, never
aggregated live; targets and parameters are in ``api.indicator_settings``."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from starlette.responses import Response

from kangdang.access.roles import Action
from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.indicator_schemas import DrillOut, FigureOut, IndicatorOut
from kangdang.api.schemas import ERROR_RESPONSES
from kangdang.core.clock import today_local
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.exchange.report_xlsx import XLSX_MEDIA_TYPE, render_report_xlsx
from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.drilldown import drill_down
from kangdang.indicators.read import child_units, figures, require_unit, trend
from kangdang.indicators.reports import build_report

router = APIRouter(prefix="/indicators", tags=["indicators"], responses=ERROR_RESPONSES)

MAX_UNITS = 100
AreaType = Literal["all", "urban", "rural"]
PERIOD_PATTERN = r"^\d{4}(Q[1-4]|M(0[1-9]|1[0-2]))?$"
PeriodQuery = Annotated[
    str, Query(pattern=PERIOD_PATTERN, description="A year (2027), quarter (2027Q1) or month (2027M01)")
]
AreaQuery = Annotated[AreaType, Query(description="all | urban | rural (by the village's class)")]
UNIT_HELP = "A county (6 digits), township (9), village (12) code, or an institution's id"


def _indicators(codes: list[str]) -> list[str]:
    unknown = [code for code in codes if code not in catalogue()]
    if unknown:
        raise InvalidInput(errors=[FieldError("indicator", f"指标：未知的指标代码 {unknown[0][:40]}")])
    return list(dict.fromkeys(codes))


@router.get(
    "", response_model=list[IndicatorOut], summary="The indicator catalogue: code, name, group, numerator, denominator"
)
def list_indicators(actor: CurrentActor) -> list[IndicatorOut]:
    return [IndicatorOut.of(definition) for definition in catalogue().values()]


@router.get(
    "/figures",
    response_model=list[FigureOut],
    summary="Figures of one or more units of one kind for a period, with targets and attainment",
)
def unit_figures(
    session: DbSession,
    actor: CurrentActor,
    period: PeriodQuery,
    unit: Annotated[list[str], Query(min_length=1, description=f"{UNIT_HELP}; repeat for several units of one kind")],
    indicator: Annotated[list[str] | None, Query(description="Only these indicators (repeatable); default all")] = None,
    area_type: AreaQuery = "all",
) -> list[FigureOut]:
    if len(unit) > MAX_UNITS:
        raise InvalidInput(errors=[FieldError("unit", f"统计单位：一次最多{MAX_UNITS}个")])
    wanted = _indicators(indicator or [])
    actor.require(Action.INDICATOR_VIEW)  # before the units: a refused caller learns nothing about them
    for code in unit:
        require_unit(session, actor, code)
    found = figures(session, actor, period=period, units=unit, indicators=wanted or None, area_type=area_type)
    return [FigureOut.of(figure) for figure in found]


@router.get(
    "/children",
    response_model=list[FigureOut],
    summary="Figures of the units one level down: a county's townships or a township's villages",
)
def children_figures(
    session: DbSession,
    actor: CurrentActor,
    parent: Annotated[str, Query(pattern=r"^\d{6}(\d{3})?$", description="A county (6 digits) or township (9) code")],
    period: PeriodQuery,
    indicator: Annotated[list[str] | None, Query(description="Only these indicators (repeatable); default all")] = None,
    area_type: AreaQuery = "all",
) -> list[FigureOut]:
    wanted = _indicators(indicator or [])
    actor.require(Action.INDICATOR_VIEW)
    require_unit(session, actor, parent)
    codes = child_units(session, actor, parent)
    found = figures(session, actor, period=period, units=codes, indicators=wanted or None, area_type=area_type)
    return [FigureOut.of(figure) for figure in found]


@router.get("/trend", response_model=list[FigureOut], summary="One unit's figure for each month of a year begun so far")
def unit_trend(
    session: DbSession,
    actor: CurrentActor,
    indicator: Annotated[str, Query(max_length=40, description="An indicator code")],
    unit: Annotated[str, Query(max_length=36, description=UNIT_HELP)],
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Default: this year")] = None,
    area_type: AreaQuery = "all",
) -> list[FigureOut]:
    _indicators([indicator])
    actor.require(Action.INDICATOR_VIEW)
    require_unit(session, actor, unit)
    today = today_local()
    found = trend(
        session, actor, indicator=indicator, unit=unit, year=year or today.year, today=today, area_type=area_type
    )
    return [FigureOut.of(figure) for figure in found]


@router.get(
    "/drill",
    response_model=DrillOut,
    summary="The residents behind a village's figure: those counted, or those not counted with the reason",
)
def drill(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    indicator: Annotated[str, Query(max_length=40, description="An indicator code")],
    period: PeriodQuery,
    village: Annotated[str, Query(pattern=r"^\d{12}$", description="A village code (12 digits)")],
    which: Annotated[Literal["not_counted", "counted"], Query(description="Which list")] = "not_counted",
) -> DrillOut:
    _indicators([indicator])
    result = drill_down(
        session,
        actor,
        indicator=indicator,
        period=period,
        village=village,
        which=which,
        page=paging,
        today=today_local(),
    )
    return DrillOut.of(result, which)


@router.get(
    "/reports/{period}.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "The report as an Excel workbook"}},
    summary="The quarterly (2027Q1) or annual (2027) report of a county or township as Excel",
)
def report_xlsx(
    session: DbSession,
    actor: CurrentActor,
    period: str,
    unit: Annotated[str, Query(max_length=12, description="A county (6 digits) or township (9) code")],
) -> Response:
    report = build_report(session, actor, unit=unit, period=period, today=today_local())
    fallback = f"report-{report.unit_code}-{report.period}.xlsx"
    name = quote(f"{report.unit_name}-{report.period}-{'季度报表' if report.kind == 'quarter' else '年度报表'}.xlsx")
    return Response(
        render_report_xlsx(report),
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
        },
    )
