"""What a home page shows: the actor's workplace (catchment, staff) or the county's institutions by township."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.core.clock import today_local
from kangdang.institutions.actors import current
from kangdang.institutions.models import Catchment, Institution, Membership
from kangdang.institutions.service import visible_institutions
from kangdang.regions.codes import Level
from kangdang.regions.models import Region, RegionPopulation


@dataclass
class Workplace:
    institution: Institution
    villages: list[Region]
    population: int | None
    staff: int
    supervised: int
    population_by_village: dict[str, int] = field(default_factory=dict)


def my_workplaces(session: Session, actor: Actor, *, year: int | None = None) -> list[Workplace]:
    """The actor's own institutions, each with its current catchment, population, staff and supervised count."""
    ids = [m.institution_id for m in actor.memberships]
    if not ids:
        return []
    today = today_local()
    year = year or today.year
    institutions = list(session.scalars(select(Institution).where(Institution.id.in_(ids)).order_by(Institution.code)))
    catchment_rows = session.execute(
        select(Catchment.institution_id, Region)
        .join(Region, Region.code == Catchment.region_code)
        .where(Catchment.institution_id.in_(ids), current(Catchment.valid_from, Catchment.valid_to, today))
        .order_by(Region.code)
    ).all()
    villages: dict[uuid.UUID, list[Region]] = defaultdict(list)
    for institution_id, region in catchment_rows:
        villages[institution_id].append(region)
    codes = [r.code for _i, r in catchment_rows]
    population = (
        dict(
            session.execute(
                select(RegionPopulation.region_code, RegionPopulation.resident_population).where(
                    RegionPopulation.region_code.in_(codes), RegionPopulation.year == year
                )
            ).all()
        )
        if codes
        else {}
    )
    staff = dict(
        session.execute(
            select(Membership.institution_id, func.count(func.distinct(Membership.practitioner_id)))
            .where(Membership.institution_id.in_(ids), current(Membership.valid_from, Membership.valid_to, today))
            .group_by(Membership.institution_id)
        ).all()
    )
    supervised = dict(
        session.execute(
            select(Institution.supervisor_id, func.count())
            .where(Institution.supervisor_id.in_(ids), Institution.status == "active")
            .group_by(Institution.supervisor_id)
        ).all()
    )
    result = []
    for institution in institutions:
        own = villages.get(institution.id, [])
        figures = {r.code: population[r.code] for r in own if r.code in population}
        result.append(
            Workplace(
                institution=institution,
                villages=own,
                population=sum(figures.values()) if figures else None,
                staff=staff.get(institution.id, 0),
                supervised=supervised.get(institution.id, 0),
                population_by_village=figures,
            )
        )
    return result


@dataclass
class TownshipLine:
    region: Region
    villages: int = 0
    urban_villages: int = 0
    institutions: int = 0
    village_offices: int = 0
    staff: int = 0
    population: int | None = None


@dataclass
class CountyOverview:
    lines: list[TownshipLine]

    @property
    def totals(self) -> TownshipLine:
        total = TownshipLine(region=Region(code="", name="合计", level=Level.TOWNSHIP))
        for line in self.lines:
            total.villages += line.villages
            total.urban_villages += line.urban_villages
            total.institutions += line.institutions
            total.village_offices += line.village_offices
            total.staff += line.staff
            if line.population is not None:
                total.population = (total.population or 0) + line.population
        return total


def county_overview(session: Session, actor: Actor, county_code: str, *, year: int | None = None) -> CountyOverview:
    """Per township of a county: villages, institutions, staff and population — a handful of grouped queries."""
    today = today_local()
    year = year or today.year
    townships = list(session.scalars(select(Region).where(Region.parent_code == county_code).order_by(Region.code)))
    lines = {t.code: TownshipLine(region=t) for t in townships}
    township = func.substr(Region.code, 1, 9)
    for code, total, urban in session.execute(
        select(township, func.count(), func.sum(case((Region.area_type == "urban", 1), else_=0)))
        .where(Region.code.startswith(county_code), Region.level == Level.VILLAGE)
        .group_by(township)
    ):
        if code in lines:
            lines[code].villages, lines[code].urban_villages = total, int(urban or 0)
    for code, population in session.execute(
        select(township, func.sum(RegionPopulation.resident_population))
        .join(RegionPopulation, RegionPopulation.region_code == Region.code)
        .where(Region.code.startswith(county_code), Region.level == Level.VILLAGE, RegionPopulation.year == year)
        .group_by(township)
    ):
        if code in lines:
            lines[code].population = int(population)
    inst_township = func.substr(Institution.region_code, 1, 9)
    for code, total, offices in session.execute(
        select(
            inst_township,
            func.count(),
            func.sum(case((Institution.type.in_(("village_office", "community_station")), 1), else_=0)),
        )
        .where(
            Institution.region_code.startswith(county_code), Institution.status == "active", visible_institutions(actor)
        )
        .group_by(inst_township)
    ):
        if code in lines:
            lines[code].institutions, lines[code].village_offices = total, int(offices or 0)
    for code, staff in session.execute(
        select(inst_township, func.count(func.distinct(Membership.practitioner_id)))
        .join(Institution, Institution.id == Membership.institution_id)
        .where(
            Institution.region_code.startswith(county_code),
            current(Membership.valid_from, Membership.valid_to, today),
            visible_institutions(actor),
        )
        .group_by(inst_township)
    ):
        if code in lines:
            lines[code].staff = staff
    return CountyOverview(lines=list(lines.values()))
