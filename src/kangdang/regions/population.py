"""Use cases for population figures (常住人口 and friends): set one, import a table, read for display.

A figure can be entered at any level. Where a region has no figure of its own for a year, the figure shown
for it is the sum of its children's (see ``population_overview``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import ErrorCollector, InvalidInput, NotFound
from kangdang.regions.models import Region, RegionPopulation
from kangdang.regions.tables import PopulationRow, parse_population_table

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
        row=None, region_code=region_code, year=year, resident_population=resident_population,
        registered_population=registered_population, aged_0_6=aged_0_6, aged_65_plus=aged_65_plus,
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
        session, actor, "population.set", subject_type="region", subject_id=row.region_code,
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
    grandchild_sums = dict(
        session.execute(
            select(Region.parent_code, func.sum(RegionPopulation.resident_population))
            .join(RegionPopulation, RegionPopulation.region_code == Region.code)
            .where(Region.parent_code.in_(codes), RegionPopulation.year == year)
            .group_by(Region.parent_code)
        ).all()
    )
    return [PopulationLine(c, own.get(c.code), grandchild_sums.get(c.code)) for c in children]


def population_of(session: Session, region_code: str, year: int) -> RegionPopulation | None:
    return session.scalar(
        select(RegionPopulation).where(RegionPopulation.region_code == region_code, RegionPopulation.year == year)
    )
