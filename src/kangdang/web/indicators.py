"""The indicator pages (工作指标): the dashboard of a county, township or village — every indicator as a card
against its target, and for the focus indicator the child units as a bar chart and a ranking, urban vs rural and
the trend by month — and the drill-down list of the residents behind a village figure (those counted and those
not, with the reason). Figures are precomputed (``indicators.read``); the charts (ECharts, ``static/js/
dashboard.js``) only draw what the tables already show."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import FieldError, InvalidInput, NotFound
from kangdang.core.pagination import PageRequest
from kangdang.indicators.catalogue import IndicatorDef, catalogue
from kangdang.indicators.drilldown import drill_down
from kangdang.indicators.periods import KIND_LABELS, Period, parse_period, stored_periods
from kangdang.indicators.read import (
    Figure,
    child_units,
    figures,
    percent,
    region_visible,
    require_unit,
    trend,
)
from kangdang.indicators.targets import default_county
from kangdang.regions.service import get_region, region_names
from kangdang.web.deps import CurrentActor, DbSession, render
from kangdang.web.resident_display import age_on

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store"}
DRILL_PAGE_SIZE = 30
DEFAULT_INDICATOR = "filing_rate"
AREA_LABELS = {"all": "全部", "urban": "城镇", "rural": "乡村"}
KIND_NAMES = {"county": "县", "township": "乡镇", "village": "村/居委会", "institution": "机构"}
CHILD_NAMES = {"county": "乡镇（街道）", "township": "村/居委会"}
WHICH = {"not_counted": "未计入", "counted": "已计入"}
UNIT_LENGTHS = (6, 9, 12)


def rate_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def target_text(value: Decimal | None) -> str:
    return "未设目标" if value is None else f"{value.normalize():f}%"


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Ranked:
    rank: int | None
    figure: Figure
    url: str
    drill_url: str | None


def dashboard_url(params: dict[str, str], **changes: str) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v}
    return "/indicators" + (f"?{urlencode(merged)}" if merged else "")


def drill_url(indicator: str, period: str, village: str, which: str = "not_counted", page: int = 1) -> str:
    query = {"indicator": indicator, "period": period, "village": village, "which": which}
    if page > 1:
        query["page"] = str(page)
    return "/indicators/drill?" + urlencode(query)


def _default_unit(session: DbSession, actor: Actor) -> str:
    """The actor's county; an all-seeing actor without a territory gets the first county on the platform."""
    county = default_county(session, actor)
    if county is None:
        raise NotFound("尚无可查看的县级工作指标")
    return county


def _indicator(code: str) -> IndicatorDef:
    found = catalogue().get(code)
    if found is None:
        raise InvalidInput(errors=[FieldError("indicator", "指标：请从列表中选择指标")])
    return found


def period_choices(today: date, chosen: Period) -> list[tuple[str, list[tuple[str, str]]]]:
    """The periods kept precomputed, newest year first, grouped as 年度 / 季度 / 月度 of each year."""
    periods = stored_periods(today)
    if chosen not in periods:
        periods.append(chosen)
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for year in sorted({p.year for p in periods}, reverse=True):
        for kind in ("year", "quarter", "month"):
            options = [(p.key, p.label) for p in sorted(periods) if p.year == year and p.kind == kind]
            if options:
                groups.append((f"{year}年 · {KIND_LABELS[kind]}", options))
    return groups


def _ranking(children: list[Figure], params: dict[str, str], indicator: str, can_drill: bool) -> list[Ranked]:
    """Child units by rate, best first (units without a denominator last); equal rates share a rank."""
    ordered = sorted(children, key=lambda f: (f.rate is None, -(f.rate or 0), f.unit_code))
    result: list[Ranked] = []
    previous: tuple[Decimal | None, int] | None = None
    for position, figure in enumerate(ordered, start=1):
        rank: int | None = None
        if figure.rate is not None:
            rank = previous[1] if previous and previous[0] == figure.rate else position
            previous = (figure.rate, rank)
        village = figure.unit_kind == "village"
        result.append(
            Ranked(
                rank=rank,
                figure=figure,
                url=dashboard_url(params, unit=figure.unit_code),
                drill_url=drill_url(indicator, figure.period, figure.unit_code) if village and can_drill else None,
            )
        )
    return result


def _crumbs(session: DbSession, actor: Actor, unit: str, params: dict[str, str]) -> list[tuple[str, str | None]]:
    """County › township › village down to the unit, each linked when the actor may see it."""
    codes = [unit[:n] for n in UNIT_LENGTHS if n <= len(unit)] if unit.isdigit() else [unit]
    names = region_names(session, codes)
    return [
        (
            names.get(code, code),
            dashboard_url(params, unit=code) if code != unit and region_visible(actor, code) else None,
        )
        for code in codes
    ]


def _chart_data(
    focus: IndicatorDef,
    overall: Figure,
    own: dict[str, Figure | None],
    ranking: list[Ranked],
    areas: dict[str, dict[str, Figure]],
    months: list[Figure],
) -> dict[str, Any]:
    """What ``dashboard.js`` draws, in the order of the page's tables."""
    units = sorted(ranking, key=lambda r: r.figure.unit_code)
    area_units = [("合计", own)] + [(r.figure.unit_name, areas.get(r.figure.unit_code, {})) for r in units]

    def rates(split: str) -> list[float | None]:
        return [_number(f.rate) if (f := figs.get(split)) else None for _, figs in area_units]

    def goal(split: str) -> float | None:
        found = own.get(split)
        return _number(found.target) if found else None

    return {
        "indicator": focus.name,
        "unit": overall.unit_name,
        "target": _number(overall.target),
        "units": {
            "names": [r.figure.unit_name for r in units],
            "rates": [_number(r.figure.rate) for r in units],
            "urls": [r.url for r in units],
        },
        "areas": {
            "names": [name for name, _ in area_units],
            "urban": rates("urban"),
            "rural": rates("rural"),
            "urban_target": goal("urban"),
            "rural_target": goal("rural"),
        },
        "trend": {
            "months": [f"{int(f.period[-2:])}月" for f in months],
            "rates": [_number(f.rate) for f in months],
        },
    }


def _json_block(data: dict[str, Any]) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>`` or HTML-significant characters)."""
    text = json.dumps(data, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704 - escaped above; never executed (type="application/json")


def _classes(session: DbSession, actor: Actor, unit: str, kind: str) -> dict[str, str | None]:
    """The urban/rural class of the villages on the page (the unit itself, or a township's villages): a village's
    figure is one area, judged against that area's target."""
    if kind == "township":
        return {region.code: region.area_type for region in get_region(session, actor, unit).children}
    if kind == "village":
        return {unit: get_region(session, actor, unit).region.area_type}
    return {}


def _village_figures(
    session: DbSession,
    actor: Actor,
    period: str,
    villages: list[str],
    indicator: str,
    area: str,
    classes: dict[str, str | None],
) -> list[Figure]:
    """The villages' figures in their order, each read under its own class (so its target is its area's); with
    an area chosen, only the villages of that area."""
    found: list[Figure] = []
    for split in ("urban", "rural", "all"):
        chosen = [v for v in villages if (classes.get(v) if classes.get(v) in ("urban", "rural") else "all") == split]
        if chosen and area in ("all", split):
            found.extend(figures(session, actor, period=period, units=chosen, indicators=[indicator], area_type=split))
    order = {code: index for index, code in enumerate(villages)}
    return sorted(found, key=lambda f: order[f.unit_code])


def _own_areas(
    session: DbSession, actor: Actor, overall: Figure, kind: str, village_class: str | None
) -> dict[str, Figure | None]:
    """The unit's figure in town and country: a village has one of them (its own figure)."""
    if kind == "village":
        return {split: overall if village_class == split else None for split in ("urban", "rural")}
    own: dict[str, Figure | None] = {}
    for split in ("urban", "rural"):
        found = figures(
            session,
            actor,
            period=overall.period,
            units=[overall.unit_code],
            indicators=[overall.indicator],
            area_type=split,
        )
        own[split] = found[0] if found else None
    return own


@router.get("/indicators")
def dashboard_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    period: str = "",
    unit: str = "",
    area: str = "all",
    indicator: str = DEFAULT_INDICATOR,
) -> Response:
    actor.require(Action.INDICATOR_VIEW)
    today = today_local()
    when = parse_period(period.strip() or str(today.year))
    focus = _indicator(indicator)
    unit = unit.strip() or _default_unit(session, actor)
    kind = require_unit(session, actor, unit)
    params = {"period": when.key, "unit": unit, "area": area, "indicator": focus.code}
    classes = _classes(session, actor, unit, kind)
    own_area = (classes.get(unit) or "all") if kind == "village" else area  # a village is one area
    cards = figures(session, actor, period=when.key, units=[unit], area_type=own_area)
    overall = next((f for f in cards if f.indicator == focus.code), None)
    if overall is None:  # only when the unit vanished from sight between the two reads
        raise NotFound()
    own = _own_areas(session, actor, overall, kind, classes.get(unit))
    children = child_units(session, actor, unit) if kind in ("county", "township") else []
    can_drill = actor.can(Action.INDICATOR_DRILL)
    areas: dict[str, dict[str, Figure]] = {}
    if kind == "township":
        every = _village_figures(session, actor, overall.period, children, focus.code, "all", classes)
        child_figures = every if area == "all" else [f for f in every if classes.get(f.unit_code) == area]
        for figure in every:
            areas[figure.unit_code] = {figure.area_type: figure}
    else:
        child_figures = figures(
            session, actor, period=when.key, units=children, indicators=[focus.code], area_type=area
        )
        for split in ("urban", "rural"):
            for figure in figures(
                session, actor, period=when.key, units=children, indicators=[focus.code], area_type=split
            ):
                areas.setdefault(figure.unit_code, {})[split] = figure
    ranking = _ranking(child_figures, params, focus.code, can_drill)
    months = trend(session, actor, indicator=focus.code, unit=unit, year=when.year, today=today, area_type=area)
    groups: dict[str, list[Figure]] = {}
    for figure in cards:
        groups.setdefault(catalogue()[figure.indicator].group, []).append(figure)
    unit_name = overall.unit_name
    context = {
        "page_title": f"工作指标 · {unit_name}",
        "params": params,
        "period": when,
        "kind": kind,
        "kind_name": KIND_NAMES[kind],
        "child_name": CHILD_NAMES.get(kind, ""),
        "unit_name": unit_name,
        "crumbs": _crumbs(session, actor, unit, params),
        "period_groups": period_choices(today, when),
        "area_labels": AREA_LABELS,
        "groups": groups,
        "indicators": catalogue(),
        "focus": focus,
        "overall": overall,
        "own": own,
        "ranking": ranking,
        "areas": areas,
        "months": months,
        "chart_data": _json_block(_chart_data(focus, overall, own, ranking, areas, months)),
        "village_drill": drill_url(focus.code, when.key, unit) if kind == "village" and can_drill else None,
        "can_drill": can_drill,
        "can_configure": actor.can(Action.INDICATOR_CONFIGURE),
        "url": dashboard_url,
        "drill_url": drill_url,
        "rate_text": rate_text,
        "target_text": target_text,
    }
    return render(request, "indicators/dashboard.html", context)


@router.get("/indicators/drill")
def drill_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    indicator: str = DEFAULT_INDICATOR,
    period: str = "",
    village: str = "",
    which: str = "not_counted",
    page: int = 1,
) -> Response:
    actor.require(Action.INDICATOR_DRILL)
    today = today_local()
    when = parse_period(period.strip() or str(today.year))
    focus = _indicator(indicator)
    which = which if which in WHICH else "not_counted"
    result = drill_down(
        session,
        actor,
        indicator=focus.code,
        period=when.key,
        village=village.strip(),
        which=which,
        page=PageRequest(page=page, size=DRILL_PAGE_SIZE),
    )
    params = {"period": when.key, "unit": result.village_code, "area": "all", "indicator": focus.code}
    context = {
        "page_title": f"{focus.name} · {result.village_name} · 明细",
        "focus": focus,
        "period": when,
        "result": result,
        "which": which,
        "which_labels": WHICH,
        "rate": rate_text(percent(result.numerator, result.denominator)),
        "crumbs": _crumbs(session, actor, result.village_code, params),
        "dashboard": dashboard_url(params),
        "tab_url": lambda tab: drill_url(focus.code, when.key, result.village_code, tab),
        "base_url": drill_url(focus.code, when.key, result.village_code, which),
        "age_of": lambda birth: age_on(birth, when.as_of(today)),
    }
    response = render(request, "indicators/drill.html", context)
    response.headers.update(NO_STORE)
    return response
