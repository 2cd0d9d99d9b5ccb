"""A county's indicator settings (指标设置): its targets (工作目标) per indicator, year and area type — the work
plan sets e.g. filing targets of urban 60%→70% and rural 20%→30% — and the reading of its parameters for the
settings pages. Targets are versioned rows (``IndicatorTarget``): the newest setting wins, the older ones are
the history; an empty target clears it. The figures read them through ``indicators.read.targets``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import ErrorCollector, FieldError, InvalidInput, NotFound
from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.models import AREA_TYPES, IndicatorTarget
from kangdang.indicators.parameters import PARAMETER_SPECS, ParameterSpec, current_parameters, parameter_value
from kangdang.indicators.read import county_of, region_visible, targets
from kangdang.regions.codes import Level
from kangdang.regions.models import Region

AREA_LABELS = {"all": "全部", "urban": "城镇", "rural": "乡村"}
COUNTY_NOT_FOUND = "未找到该县（区），或不在您的管辖范围内"
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class TargetLine:
    """One indicator's targets for a year, by area type (None: no target)."""

    indicator: str
    name: str
    targets: dict[str, Decimal | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ParameterLine:
    spec: ParameterSpec
    value: Any


def may_manage_county(actor: Actor, county: str) -> bool:
    """Whether the county lies within the actor's region prefixes (or the actor sees everything)."""
    return actor.scope.everything or any(county.startswith(p) for p in actor.scope.region_prefixes)


def default_county(session: Session, actor: Actor) -> str | None:
    """The county an actor's settings and appraisal pages open on: their own, or (seeing everything) the first."""
    own = county_of(actor)
    if own:
        return own
    if not actor.scope.everything:
        return None
    return session.scalar(select(Region.code).where(Region.level == Level.COUNTY).order_by(Region.code).limit(1))


def county_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """The counties the actor may pick (code, name), in code order."""
    rows = session.execute(select(Region.code, Region.name).where(Region.level == Level.COUNTY).order_by(Region.code))
    return [(code, name) for code, name in rows if region_visible(actor, code)]


def require_county(session: Session, actor: Actor, county: str) -> Region:
    """The county, or NotFound when it is missing or outside the actor's territory (for reading)."""
    region = session.get(Region, county) if county.isdigit() and len(county) == 6 else None
    if region is None or not region_visible(actor, county):
        raise NotFound(COUNTY_NOT_FOUND)
    return region


def check_managed_county(session: Session, actor: Actor, county: str) -> None:
    """A field error unless the county exists and lies within the actor's region prefixes (for writing)."""
    region = session.get(Region, county) if county.isdigit() and len(county) == 6 else None
    if region is None:
        raise InvalidInput(errors=[FieldError("county", "县（区）：没有这个县（区）")])
    if not may_manage_county(actor, county):
        raise InvalidInput(errors=[FieldError("county", "县（区）：不在您的管辖范围内")])


def check_year(year: Any, errors: ErrorCollector) -> int | None:
    try:
        value = int(str(year).strip())
    except ValueError:
        value = None
    if value is None or not MIN_YEAR <= value <= MAX_YEAR:
        errors.add("year", f"年度：请填写{MIN_YEAR}～{MAX_YEAR}之间的年份")
        return None
    return value


def parse_target(raw: Any) -> Decimal | None:
    """A target as a percent (0–100, at most two decimals), None for empty; ValueError otherwise."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    try:
        value = Decimal(str(raw).strip().removesuffix("%"))
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite() or not 0 <= value <= 100 or value != value.quantize(Decimal("0.01")):
        raise ValueError(raw)
    return value.quantize(Decimal("0.01"))


def set_target(
    session: Session, actor: Actor, *, county: str, indicator: str, year: int | str, area_type: str, target: Any
) -> IndicatorTarget:
    """Set (or, with an empty target, clear) the county's target for one indicator, year and area type.

    A new row each time; the previous setting stays as history."""
    actor.require(Action.INDICATOR_CONFIGURE)
    check_managed_county(session, actor, county)
    errors = ErrorCollector()
    definition = catalogue().get(indicator)
    if definition is None:
        errors.add("indicator", "指标：没有这个指标")
    when = check_year(year, errors)
    if area_type not in AREA_TYPES:
        errors.add("area_type", "城乡：请选择全部、城镇或乡村")
    try:
        goal = parse_target(target)
    except ValueError:
        goal = None
        errors.add("target", "目标值：请填写0～100之间的百分数，最多两位小数；留空为不设目标")
    errors.raise_if_any()
    assert definition is not None and when is not None
    before = targets(session, county, when).get((indicator, area_type))
    row = IndicatorTarget(
        region_code=county, indicator=indicator, year=when, area_type=area_type, target=goal, set_by=actor.login
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor,
        "indicator.target",
        subject_type="region",
        subject_id=county,
        details={
            "indicator": indicator,
            "year": when,
            "area_type": area_type,
            "from": None if before is None else str(before),
            "to": None if goal is None else str(goal),
        },
    )
    return row


def list_targets(session: Session, actor: Actor, *, county: str, year: int) -> list[TargetLine]:
    """The county's current targets for a year, one line per indicator in the catalogue's order."""
    actor.require(Action.INDICATOR_VIEW)
    require_county(session, actor, county)
    errors = ErrorCollector()
    when = check_year(year, errors)
    errors.raise_if_any()
    assert when is not None
    goals = targets(session, county, when)
    return [
        TargetLine(code, definition.name, {area: goals.get((code, area)) for area in AREA_TYPES})
        for code, definition in catalogue().items()
    ]


def list_parameters(session: Session, actor: Actor, *, county: str) -> list[ParameterLine]:
    """The county's parameters as they apply now (each key's newest setting, or its default), by spec."""
    actor.require(Action.INDICATOR_VIEW)
    require_county(session, actor, county)
    current = current_parameters(session, county)
    return [ParameterLine(spec, parameter_value(current, key)) for key, spec in PARAMETER_SPECS.items()]
