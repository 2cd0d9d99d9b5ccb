"""Reading the precomputed figures (never aggregating live): one unit or the units under a parent, with the
county's targets beside them, and the trend by month. Figures are aggregates — no person in them — but an actor
sees only units that hold or lie within their territory (``unit_visible``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.errors import FieldError, InvalidInput, NotFound
from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.models import AREA_TYPES, IndicatorTarget, IndicatorValue
from kangdang.indicators.periods import Period, months_of, parse_period
from kangdang.institutions.models import Institution
from kangdang.regions.models import Region

UNIT_NOT_FOUND = "未找到该统计单位，或不在您的管辖范围内"
KIND_BY_LENGTH = {6: "county", 9: "township", 12: "village"}
CHILD_KIND = {"county": "township", "township": "village"}
HUNDRED = Decimal(100)


def percent(numerator: int, denominator: int | None) -> Decimal | None:
    """numerator ÷ denominator × 100, two decimals (None when there is no denominator)."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Figure:
    indicator: str
    period: str
    unit_kind: str  # village | township | county | institution
    unit_code: str  # region code, or the institution's id
    unit_name: str
    area_type: str  # all | urban | rural
    numerator: int
    denominator: int | None
    target: Decimal | None = None

    @property
    def rate(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)

    @property
    def attainment(self) -> Decimal | None:
        """The rate as a percentage of the target (100 = target met)."""
        if self.rate is None or not self.target:
            return None
        return (self.rate * HUNDRED / self.target).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def target_met(self) -> bool | None:
        return None if self.rate is None or self.target is None else self.rate >= self.target


def unit_kind_of(code: str) -> str:
    """The kind of a region unit by the length of its code; an institution's id otherwise."""
    kind = KIND_BY_LENGTH.get(len(code)) if code.isdigit() else None
    if kind is None:
        try:
            uuid.UUID(code)
        except ValueError:
            raise InvalidInput(errors=[FieldError("unit", "统计单位：请选择县、乡镇、村或机构")]) from None
        return "institution"
    return kind


def _territory(actor: Actor) -> tuple[bool, tuple[str, ...]]:
    scope = actor.scope
    if scope.everything:
        return True, ()
    return False, tuple(scope.region_prefixes) + tuple(sorted(scope.village_codes))


def region_visible(actor: Actor, code: str) -> bool:
    """A region unit is visible when it lies within the actor's territory or holds part of it."""
    everything, territory = _territory(actor)
    return everything or any(code.startswith(t) or t.startswith(code) for t in territory)


def county_of(actor: Actor) -> str | None:
    """The county whose figures the actor works with (the first of their territory); None for all-seeing actors
    without a territory (they pick a county)."""
    _everything, territory = _territory(actor)
    return territory[0][:6] if territory else None


def _check_area(area_type: str) -> str:
    if area_type not in AREA_TYPES:
        raise InvalidInput(errors=[FieldError("area_type", "城乡：请选择全部、城镇或乡村")])
    return area_type


def _names(session: Session, kind: str, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    if kind == "institution":
        ids = [uuid.UUID(c) for c in wanted]
        return {
            str(i): n
            for i, n in session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids)))
        }
    return {
        code: name for code, name in session.execute(select(Region.code, Region.name).where(Region.code.in_(wanted)))
    }


def targets(session: Session, county: str, year: int) -> dict[tuple[str, str], Decimal | None]:
    """The county's current targets for a year by (indicator, area type): the newest setting of each wins."""
    newest = (
        select(IndicatorTarget.indicator, IndicatorTarget.area_type, func.max(IndicatorTarget.set_at).label("at"))
        .where(IndicatorTarget.region_code == county, IndicatorTarget.year == year)
        .group_by(IndicatorTarget.indicator, IndicatorTarget.area_type)
        .subquery()
    )
    rows = session.execute(
        select(IndicatorTarget.indicator, IndicatorTarget.area_type, IndicatorTarget.target)
        .join(
            newest,
            and_(
                IndicatorTarget.indicator == newest.c.indicator,
                IndicatorTarget.area_type == newest.c.area_type,
                IndicatorTarget.set_at == newest.c.at,
            ),
        )
        .where(IndicatorTarget.region_code == county, IndicatorTarget.year == year)
    )
    return {(indicator, area): target for indicator, area, target in rows}


def _target(goals: dict[tuple[str, str], Decimal | None], indicator: str, area_type: str) -> Decimal | None:
    found = goals.get((indicator, area_type))
    return found if found is not None else goals.get((indicator, "all"))


def figures(
    session: Session,
    actor: Actor,
    *,
    period: str,
    units: Sequence[str],
    indicators: Sequence[str] | None = None,
    area_type: str = "all",
) -> list[Figure]:
    """The figures of the given units (region codes of one kind, or institution ids) for one period, in the
    order of the units then of the catalogue; units the actor may not see are left out."""
    return _figures(session, actor, [parse_period(period)], units, indicators, area_type)


def _figures(
    session: Session,
    actor: Actor,
    periods: list[Period],
    units: Sequence[str],
    indicators: Sequence[str] | None,
    area_type: str,
) -> list[Figure]:
    """The figures of the units for each period (periods of one year), in one query: by period, unit, indicator."""
    actor.require(Action.INDICATOR_VIEW)
    _check_area(area_type)
    codes = [code for code in dict.fromkeys(units) if code]
    if not codes or not periods:
        return []
    kind = unit_kind_of(codes[0])
    if any(unit_kind_of(code) != kind for code in codes):
        raise InvalidInput(errors=[FieldError("unit", "统计单位：一次只能比较同一级的单位")])
    visible = [code for code in codes if _unit_visible(session, actor, kind, code)]
    wanted = list(indicators) if indicators else list(catalogue())
    rows = session.execute(
        select(IndicatorValue).where(
            IndicatorValue.unit_kind == kind,
            IndicatorValue.unit_code.in_(visible),
            IndicatorValue.period.in_([p.key for p in periods]),
            IndicatorValue.area_type == ("all" if kind == "village" else area_type),  # a village is one area
            IndicatorValue.indicator.in_(wanted),
        )
    ).scalars()
    found = {(row.period, row.unit_code, row.indicator): row for row in rows}
    names = _names(session, kind, visible)
    goals = _goals_for(session, actor, visible, kind, periods[0])
    result = []
    for when in periods:
        for code in visible:
            for code_indicator in wanted:
                row = found.get((when.key, code, code_indicator))
                result.append(
                    Figure(
                        indicator=code_indicator,
                        period=when.key,
                        unit_kind=kind,
                        unit_code=code,
                        unit_name=names.get(code, code),
                        area_type=area_type,
                        numerator=row.numerator if row else 0,
                        denominator=row.denominator
                        if row
                        else (None if catalogue()[code_indicator].from_population else 0),
                        target=_target(goals, code_indicator, area_type),
                    )
                )
    return result


def _goals_for(
    session: Session, actor: Actor, codes: list[str], kind: str, when: Period
) -> dict[tuple[str, str], Decimal | None]:
    county = codes[0][:6] if kind != "institution" and codes else county_of(actor)
    return targets(session, county, when.year) if county else {}


def _unit_visible(session: Session, actor: Actor, kind: str, code: str) -> bool:
    if kind != "institution":
        return region_visible(actor, code)
    institution = session.get(Institution, uuid.UUID(code))
    if institution is None:
        return False
    return (
        actor.scope.everything
        or institution.id in actor.scope.institution_ids
        or region_visible(actor, institution.region_code)
    )


def child_units(session: Session, actor: Actor, parent: str) -> list[str]:
    """The units one level below a region (a county's townships, a township's villages) the actor may see,
    in code order; only those with a stored figure (villages without residents have none)."""
    actor.require(Action.INDICATOR_VIEW)
    kind = CHILD_KIND.get(unit_kind_of(parent))
    if kind is None or not region_visible(actor, parent):
        return []
    codes = session.scalars(
        select(IndicatorValue.unit_code)
        .where(IndicatorValue.unit_kind == kind, IndicatorValue.unit_code.startswith(parent))
        .distinct()
        .order_by(IndicatorValue.unit_code)
    )
    return [code for code in codes if region_visible(actor, code)]


def institution_units(session: Session, actor: Actor, region: str) -> list[str]:
    """The institutions with figures whose region lies within ``region`` (ids as text), by name."""
    actor.require(Action.INDICATOR_VIEW)
    ids = select(IndicatorValue.unit_code).where(IndicatorValue.unit_kind == "institution").distinct()
    rows = session.execute(
        select(Institution.id, Institution.region_code)
        .where(
            func.cast(Institution.id, IndicatorValue.unit_code.type).in_(ids),
            Institution.region_code.startswith(region),
        )
        .order_by(Institution.region_code, Institution.name)
    )
    return [
        str(i)
        for i, code in rows
        if actor.scope.everything or i in actor.scope.institution_ids or region_visible(actor, code)
    ]


def trend(
    session: Session, actor: Actor, *, indicator: str, unit: str, year: int, today: date, area_type: str = "all"
) -> list[Figure]:
    """One unit's figure for each month of the year begun by ``today`` (the trend line of the dashboard)."""
    months = months_of(parse_period(str(year)), today)
    return _figures(session, actor, months, [unit], [indicator], area_type)


def require_unit(session: Session, actor: Actor, unit: str) -> str:
    """The unit's kind, or NotFound when it is missing or out of the actor's sight."""
    actor.require(Action.INDICATOR_VIEW)
    kind = unit_kind_of(unit)
    if not _unit_visible(session, actor, kind, unit):
        raise NotFound(UNIT_NOT_FOUND)
    return kind
