"""From base cells to the figures pages read: sums per village, township, county and managing institution, each
for all residents and split urban/rural by the village's area type; population denominators (建档率) from the
population table (a unit's own row, else the sum of its villages' rows)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, tuple_
from sqlalchemy.orm import Session

from kangdang.core.clock import utcnow
from kangdang.db.bulk import insert_rows
from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.models import VALUE_TABLE, IndicatorCell, IndicatorValue
from kangdang.institutions.models import Catchment
from kangdang.regions.models import Region, RegionPopulation

Key = tuple[str, str, str, str, str]  # indicator, period, unit kind, unit code, area type


def _populations(session: Session, codes: Iterable[str]) -> dict[tuple[str, int], int]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(
        select(RegionPopulation.region_code, RegionPopulation.year, RegionPopulation.resident_population).where(
            RegionPopulation.region_code.in_(wanted)
        )
    )
    return {(code, year): people for code, year, people in rows}


def _sums(session: Session, kind: str, codes: list[str], institutions: set[uuid.UUID]) -> list[tuple[Any, ...]]:
    """(indicator, period, unit code, area type, numerator, denominator) for the units of one kind, summed in SQL."""
    area = func.coalesce(Region.area_type, "rural")
    unit: Any
    where: ColumnElement[bool]
    if kind == "institution":
        unit = IndicatorCell.institution_id
        where = IndicatorCell.institution_id.in_(institutions)
    else:
        length = {"village": 12, "township": 9, "county": 6}[kind]
        unit = func.substr(IndicatorCell.village_code, 1, length)
        where = or_(*[IndicatorCell.village_code.startswith(code) for code in codes])
    stmt = (
        select(
            IndicatorCell.indicator,
            IndicatorCell.period,
            unit,
            area,
            func.sum(IndicatorCell.numerator),
            func.sum(IndicatorCell.denominator),
        )
        .join(Region, Region.code == IndicatorCell.village_code, isouter=True)
        .where(where)
        .group_by(IndicatorCell.indicator, IndicatorCell.period, unit, area)
    )
    return [tuple(row) for row in session.execute(stmt)]


def refresh_values(session: Session, *, villages: set[str], institutions: set[uuid.UUID]) -> int:
    """Recompute the stored figures of the units these villages and institutions touch; returns the rows."""
    units = {
        "village": sorted(villages),
        "township": sorted({v[:9] for v in villages}),
        "county": sorted({v[:6] for v in villages}),
        "institution": sorted(str(i) for i in institutions),
    }
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for kind, codes in units.items():
        if not codes:
            continue
        for indicator, period, code, area, numerator, denominator in _sums(session, kind, codes, institutions):
            for split in ("all",) if kind == "village" else ("all", area):  # a village is all one area
                total = sums[(indicator, period, kind, str(code), split)]
                total[0] += int(numerator or 0)
                total[1] += int(denominator or 0)
    population = _population_denominators(session, units["county"] + units["township"], institutions)
    from_population = {code for code, d in catalogue().items() if d.from_population}
    now = utcnow()
    rows = [
        {
            "indicator": indicator,
            "period": period,
            "unit_kind": kind,
            "unit_code": code,
            "area_type": split,
            "numerator": numerator,
            "denominator": population(kind, code, split, int(period[:4]))
            if indicator in from_population
            else denominator,
            "computed_at": now,
        }
        for (indicator, period, kind, code, split), (numerator, denominator) in sums.items()
    ]
    unit_keys = [(kind, code) for kind, codes in units.items() for code in codes]
    for chunk in _chunks(unit_keys, 500):
        session.execute(
            delete(IndicatorValue).where(tuple_(IndicatorValue.unit_kind, IndicatorValue.unit_code).in_(chunk))
        )
    insert_rows(session, VALUE_TABLE, rows)
    return len(rows)


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def _population_denominators(
    session: Session, regions: list[str], institutions: set[uuid.UUID]
) -> Callable[[str, str, str, int], int | None]:
    """A function (kind, code, area, year) → 常住人口, or None when it was not entered."""
    catchments: dict[str, set[str]] = defaultdict(set)
    if institutions:
        for institution_id, region_code in session.execute(
            select(Catchment.institution_id, Catchment.region_code).where(
                Catchment.institution_id.in_(institutions), Catchment.valid_to.is_(None)
            )
        ):
            catchments[str(institution_id)].add(region_code)
    counties = sorted({r[:6] for r in regions} | {c[:6] for cs in catchments.values() for c in cs})
    village_areas = (
        {
            code: area or "rural"
            for code, area in session.execute(
                select(Region.code, Region.area_type).where(
                    Region.level == 5, or_(*[Region.code.startswith(c) for c in counties])
                )
            )
        }
        if counties
        else {}
    )
    known = _populations(session, [*village_areas, *regions])

    by_prefix: dict[str, list[str]] = defaultdict(list)
    for village in village_areas:
        by_prefix[village[:6]].append(village)
        by_prefix[village[:9]].append(village)
        by_prefix[village].append(village)
    found: dict[tuple[str, str, str, int], int | None] = {}

    def members(kind: str, code: str) -> list[str]:
        if kind == "institution":
            return sorted({v for region in catchments.get(code, ()) for v in by_prefix.get(region, ())})
        return by_prefix.get(code, [])

    def population(kind: str, code: str, area: str, year: int) -> int | None:
        key = (kind, code, area, year)
        if key not in found:
            if area == "all" and kind != "institution" and (code, year) in known:
                found[key] = known[(code, year)]
            else:
                counted = [
                    known[(v, year)]
                    for v in members(kind, code)
                    if (v, year) in known and (area == "all" or village_areas[v] == area)
                ]
                found[key] = sum(counted) if counted else None
        return found[key]

    return population


def value_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IndicatorValue)) or 0
