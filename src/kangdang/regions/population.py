"""Use cases for population figures (常住人口 and friends): set one, import a table, read for display.

A figure can be entered at any level. Where a region has no figure of its own for a year, the figure shown
for it is the sum of its children's (see ``population_overview``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import ErrorCollector, FieldError, InvalidInput, NotFound
from kangdang.regions.codes import Level, level_of
from kangdang.regions.models import Region, RegionPopulation
from kangdang.regions.tables import LABELS, PopulationRow, parse_population_table

FIGURES = ("resident_population", "registered_population", "aged_0_6", "aged_65_plus")


def _require_editable(actor: Actor, region_code: str) -> None:
    actor.require(Action.POPULATION_EDIT)
    if not actor.scope.covers_region(region_code):
        raise NotFound("未找到该区划，或不在您的管辖范围内")


def set_population(
    session: Session,
    actor: Actor,
    *,
    region_code: str,
    year: int,
    resident_population: int,
    registered_population: int | None = None,
    aged_0_6: int | None = None,
    aged_65_plus: int | None = None,
    source: str | None = None,
    only_if_missing: bool = False,
) -> RegionPopulation:
    """Enter or correct a region's population for a year (county managers, within their county)."""
    _require_editable(actor, region_code)
    row = PopulationRow(
        row=None,
        region_code=region_code,
        year=year,
        resident_population=resident_population,
        registered_population=registered_population,
        aged_0_6=aged_0_6,
        aged_65_plus=aged_65_plus,
    )
    errors = ErrorCollector()
    for problem in row.problems():
        errors.add(problem.field, problem.message)
    if session.get(Region, region_code) is None:
        errors.add("region_code", f"区划代码 {region_code} 不存在")
    errors.raise_if_any("人口数未保存")
    existing = session.scalar(
        select(RegionPopulation).where(RegionPopulation.region_code == region_code, RegionPopulation.year == year)
    )
    if existing is not None and only_if_missing:
        return existing
    return _store(session, actor, existing, row, source)


def _store(
    session: Session, actor: Actor, existing: RegionPopulation | None, row: PopulationRow, source: str | None
) -> RegionPopulation:
    values = {name: getattr(row, name) for name in FIGURES}
    if existing is None:
        existing = RegionPopulation(region_code=row.region_code, year=row.year, **values)
        session.add(existing)
        before = None
    else:
        before = {name: getattr(existing, name) for name in FIGURES}
        for name, value in values.items():
            setattr(existing, name, value)
    existing.source = source
    existing.updated_by = actor.login
    session.flush()
    record_event(
        session,
        actor,
        "population.set",
        subject_type="region",
        subject_id=row.region_code,
        details={"year": row.year, "before": before, "after": values, "source": source},
    )
    return existing


def import_population(session: Session, actor: Actor, *, filename: str, content: bytes) -> int:
    """Import a CSV or Excel table of population figures. Any bad row rejects the whole file."""
    actor.require(Action.POPULATION_EDIT)
    rows, problems = parse_population_table(filename, content)
    errors = ErrorCollector(list(problems))
    codes = {r.region_code for r in rows}
    known = set(session.scalars(select(Region.code).where(Region.code.in_(codes)))) if codes else set()
    for r in rows:
        if r.region_code not in known:
            errors.add("region_code", f"第 {r.row} 行：区划代码 {r.region_code} 不存在", row=r.row)
        elif not actor.scope.covers_region(r.region_code):
            errors.add("region_code", f"第 {r.row} 行：区划 {r.region_code} 不在您的管辖范围内", row=r.row)
    if not rows and not errors.errors:
        errors.add("file", "文件中没有数据行")
    if errors.errors:
        errors.errors.sort(key=lambda e: e.row or 0)
        raise InvalidInput(f"人口数文件有 {len(errors.errors)} 处错误，未导入任何数据", errors=errors.errors)
    existing = {
        (p.region_code, p.year): p
        for p in session.scalars(select(RegionPopulation).where(RegionPopulation.region_code.in_(codes)))
    }
    for r in rows:
        _store(session, actor, existing.get((r.region_code, r.year)), r, f"导入：{filename}"[:200])
    return len(rows)


@dataclass(frozen=True)
class PopulationLine:
    region: Region
    own: RegionPopulation | None  # entered for the region itself
    children_total: int | None  # sum of the children's resident population, when any child has one

    @property
    def resident_population(self) -> int | None:
        return self.own.resident_population if self.own else self.children_total


def population_overview(session: Session, actor: Actor, *, parent_code: str, year: int) -> list[PopulationLine]:
    """The children of a region with their population in ``year`` (their own figure, or their children's sum)."""
    actor.require(Action.REGION_VIEW)
    children = list(session.scalars(select(Region).where(Region.parent_code == parent_code).order_by(Region.code)))
    if not children:
        return []
    codes = [c.code for c in children]
    own = {
        p.region_code: p
        for p in session.scalars(
            select(RegionPopulation).where(RegionPopulation.region_code.in_(codes), RegionPopulation.year == year)
        )
    }
    figures = dict(
        session.execute(
            select(RegionPopulation.region_code, RegionPopulation.resident_population).where(
                RegionPopulation.region_code.startswith(parent_code), RegionPopulation.year == year
            )
        ).all()
    )
    totals = rolled_up(figures)
    return [PopulationLine(c, own.get(c.code), _children_total(totals, c.code)) for c in children]


_PARENT_DIGITS = {12: 9, 9: 6, 6: 4, 4: 2}


def rolled_up(figures: dict[str, int]) -> dict[str, int]:
    """Each region's figure: its own where entered, otherwise the sum of its children's (recursively)."""
    totals = dict(figures)
    for digits in (12, 9, 6, 4):
        sums: dict[str, int] = {}
        for code, value in totals.items():
            if len(code) == digits:
                parent = code[: _PARENT_DIGITS[digits]]
                sums[parent] = sums.get(parent, 0) + value
        for parent, value in sums.items():
            totals.setdefault(parent, value)
    return totals


def _children_total(totals: dict[str, int], code: str) -> int | None:
    child_digits = {d: c for c, d in _PARENT_DIGITS.items()}.get(len(code))
    if child_digits is None:
        return None
    values = [v for c, v in totals.items() if len(c) == child_digits and c.startswith(code)]
    return sum(values) if values else None


def population_of(session: Session, region_code: str, year: int) -> RegionPopulation | None:
    return session.scalar(
        select(RegionPopulation).where(RegionPopulation.region_code == region_code, RegionPopulation.year == year)
    )


# --- entering a township's figures, the population page, the template ---------------------------------------


def set_populations(session: Session, actor: Actor, *, rows: Sequence[PopulationRow], source: str | None = None) -> int:
    """Enter the figures of several regions at once (a township's villages for a year); all rows or none.

    Every row is checked before anything is stored; rows equal to the stored figures are left alone (no audit
    event). Returns the number of rows stored. Field names of errors are ``<region code>.<figure>``.
    """
    actor.require(Action.POPULATION_EDIT)
    codes = {r.region_code for r in rows}
    names: dict[str, str] = (
        {code: name for code, name in session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))}
        if codes
        else {}
    )
    errors = ErrorCollector()
    seen: set[tuple[str, int]] = set()
    for r in rows:
        code = r.region_code
        if code not in names or not actor.scope.covers_region(code):
            errors.add(f"{code}.region_code", f"区划代码 {code} 不存在，或不在您的管辖范围内", r.row)
            continue
        label = f"{names[code]}（{code}）"
        if (code, r.year) in seen:
            errors.add(f"{code}.region_code", f"{label}：重复录入", r.row)
        seen.add((code, r.year))
        for problem in r.problems():
            errors.add(f"{code}.{problem.field}", f"{label}：{problem.message}", r.row)
    errors.raise_if_any(f"人口数有 {len(errors.errors)} 处错误，未保存任何数据")
    existing = {
        (p.region_code, p.year): p
        for p in session.scalars(select(RegionPopulation).where(RegionPopulation.region_code.in_(codes)))
    }
    stored = 0
    for r in rows:
        old = existing.get((r.region_code, r.year))
        if old is not None and all(getattr(old, name) == getattr(r, name) for name in FIGURES):
            continue
        _store(session, actor, old, r, source)
        stored += 1
    return stored


@dataclass(frozen=True)
class PopulationSheet:
    """What the population page shows for one region and year."""

    region: Region
    year: int
    path: list[Region]  # ancestors, province first
    lines: list[PopulationLine]  # the children with their figures
    total: int | None  # sum of the lines (None when no line has a figure)
    county: Region | None  # the county of a township (or the region itself when it is a county)
    county_total: int | None
    townships: list[Region]  # the townships of ``county``, to pick from
    editable: bool  # the actor may enter the figures of these villages

    @property
    def missing(self) -> int:
        return sum(1 for line in self.lines if line.resident_population is None)


def population_sheet(session: Session, actor: Actor, *, region_code: str, year: int) -> PopulationSheet:
    """A region's children with their population in ``year``, its total and its county's total.

    A village shows its township. The villages of a township are editable by county managers in their county.
    """
    from kangdang.regions.service import ancestor_codes

    actor.require(Action.REGION_VIEW)
    if not 1949 <= year <= 2200:
        raise InvalidInput(errors=[FieldError("year", "年份应在 1949–2200 之间")])
    region = session.get(Region, region_code) if level_of(region_code) is not None else None
    if region is None:
        raise NotFound(f"区划代码 {region_code} 不存在")
    if region.level == Level.VILLAGE and region.parent_code:
        region = session.get_one(Region, region.parent_code)
    above = ancestor_codes(region.code)
    found = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(above)))} if above else {}
    path = [found[c] for c in above if c in found]
    lines = population_overview(session, actor, parent_code=region.code, year=year)
    total = _sum(lines)
    county: Region | None = None
    county_total: int | None = None
    townships: list[Region] = []
    if region.level == Level.COUNTY:
        county, county_total, townships = region, total, [line.region for line in lines]
    elif region.level == Level.TOWNSHIP and path:
        county = path[-1]
        county_lines = population_overview(session, actor, parent_code=county.code, year=year)
        county_total, townships = _sum(county_lines), [line.region for line in county_lines]
    return PopulationSheet(
        region=region,
        year=year,
        path=path,
        lines=lines,
        total=total,
        county=county,
        county_total=county_total,
        townships=townships,
        editable=region.level == Level.TOWNSHIP
        and actor.can(Action.POPULATION_EDIT)
        and actor.scope.covers_region(region.code),
    )


def _sum(lines: Sequence[PopulationLine]) -> int | None:
    figures = [line.resident_population for line in lines if line.resident_population is not None]
    return sum(figures) if figures else None


TEMPLATE_FIGURES = ("region_code", "year", *FIGURES)


def population_template(session: Session, actor: Actor, *, region_code: str, year: int) -> bytes:
    """A CSV (UTF-8 with BOM, for Excel) to fill in: one row per village under ``region_code``, with the year and
    any figures already stored. The trailing 名称 column is for the reader; the import ignores it.
    """
    actor.require(Action.REGION_VIEW)
    if not 1949 <= year <= 2200:
        raise InvalidInput(errors=[FieldError("year", "年份应在 1949–2200 之间")])
    region = session.get(Region, region_code) if level_of(region_code) is not None else None
    if region is None:
        raise NotFound(f"区划代码 {region_code} 不存在")
    stmt = (
        select(Region.code, Region.name, RegionPopulation)
        .outerjoin(RegionPopulation, (RegionPopulation.region_code == Region.code) & (RegionPopulation.year == year))
        .where(Region.code.startswith(region.code, autoescape=True), Region.level == int(Level.VILLAGE))
        .order_by(Region.code)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([LABELS[key] for key in TEMPLATE_FIGURES] + ["名称"])
    for code, name, figures in session.execute(stmt):
        values = ["" if figures is None else _blank(getattr(figures, key)) for key in FIGURES]
        writer.writerow([code, year, *values, name])
    return buffer.getvalue().encode("utf-8-sig")


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)
