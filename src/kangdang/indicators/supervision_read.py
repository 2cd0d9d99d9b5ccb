"""Reading supervision (督导检查): who sees which inspections, the year's plan with each unit's coverage, one
inspection with its sample, checks and findings, and the inspection-based rates (from the newest check of each
sampled record). The use cases that change an inspection are in ``indicators.supervision``.

Who sees what: county roles see the inspections of their territory (the target within their region prefixes) and
manage those their bureau made; the institution admin and records manager of a centre see the inspections of the
township their institution is in (and rectify its findings). Everybody else lacks ``inspection.view``. An
inspection out of sight answers like a missing one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import PERMISSIONS, Action, Role
from kangdang.core.errors import NotFound
from kangdang.indicators.models_supervision import Inspection, InspectionCheck, InspectionFinding, InspectionSample
from kangdang.indicators.read import percent
from kangdang.institutions.models import Institution
from kangdang.institutions.types import InstitutionType
from kangdang.regions.models import Region
from kangdang.residents.models import HealthRecord, Person

INSPECTION_NOT_FOUND = "未找到该督导检查，或不在您的管辖范围内"
MINIMUM_PER_YEAR = {"county": 2, "city": 1}  # inspections of each unit a year
STATUS_LABELS = {"planned": "已计划", "sampled": "已抽样", "closed": "已结束"}
PHONE_LABELS = {"confirmed": "核实属实", "not_confirmed": "核实不符", "not_reached": "未接通"}
CENTRE_ROLES = frozenset({Role.INSTITUTION_ADMIN, Role.RECORDS_MANAGER})


# --- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectionRates:
    """The inspection-based rates: of the checked sampled records, how many were filled to standard (合格) and
    had a dynamic record (使用); of the telephone checks, how many reached the resident and confirmed the record."""

    sampled: int = 0
    checked: int = 0
    qualified: int = 0
    dynamic: int = 0
    phone_confirmed: int = 0
    phone_not_confirmed: int = 0
    phone_not_reached: int = 0

    @property
    def phone_checked(self) -> int:
        return self.phone_confirmed + self.phone_not_confirmed + self.phone_not_reached

    @property
    def phone_reached(self) -> int:
        return self.phone_confirmed + self.phone_not_confirmed

    @property
    def qualified_rate(self) -> Decimal | None:
        return percent(self.qualified, self.checked)

    @property
    def usage_rate(self) -> Decimal | None:
        return percent(self.dynamic, self.checked)

    @property
    def dynamic_rate(self) -> Decimal | None:
        """The usage rate under the name the appraisal reads (动态使用率)."""
        return self.usage_rate

    @property
    def reached_rate(self) -> Decimal | None:
        return percent(self.phone_reached, self.phone_checked)

    @property
    def confirmed_rate(self) -> Decimal | None:
        """Confirmed by the resident, of the calls that reached them (真实性)."""
        return percent(self.phone_confirmed, self.phone_reached)

    def __add__(self, other: InspectionRates) -> InspectionRates:
        return InspectionRates(
            sampled=self.sampled + other.sampled,
            checked=self.checked + other.checked,
            qualified=self.qualified + other.qualified,
            dynamic=self.dynamic + other.dynamic,
            phone_confirmed=self.phone_confirmed + other.phone_confirmed,
            phone_not_confirmed=self.phone_not_confirmed + other.phone_not_confirmed,
            phone_not_reached=self.phone_not_reached + other.phone_not_reached,
        )


@dataclass(frozen=True)
class InspectionLine:
    inspection: Inspection
    target_name: str
    sampled: int
    checked: int
    findings: int
    open_findings: int


@dataclass(frozen=True)
class Coverage:
    """How often a unit was inspected in the year against the minimum (2 for a township, 1 for a county)."""

    unit_code: str
    unit_name: str
    level: str  # the inspecting level: county | city
    planned: int
    done: int  # sampled or closed
    minimum: int

    @property
    def below(self) -> bool:
        return self.planned < self.minimum


@dataclass(frozen=True)
class InspectionPlan:
    year: int
    inspections: list[InspectionLine]
    coverage: list[Coverage]


@dataclass(frozen=True)
class SampleLine:
    sample_id: uuid.UUID
    position: int
    record_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    sex: str
    document_masked: str | None
    record_number: str
    village_code: str
    village_name: str
    institution_name: str
    phone: str | None  # in full, for the telephone check
    checks: list[InspectionCheck] = field(default_factory=list)  # newest first

    @property
    def check(self) -> InspectionCheck | None:
        return self.checks[0] if self.checks else None


@dataclass(frozen=True)
class FindingLine:
    finding: InspectionFinding
    institution_name: str | None

    def overdue(self, today: date) -> bool:
        """Still open after its deadline."""
        return self.finding.status == "open" and today > self.finding.deadline


@dataclass(frozen=True)
class InspectionView:
    inspection: Inspection
    target_name: str
    samples: list[SampleLine]
    findings: list[FindingLine]
    rates: InspectionRates
    manageable: bool  # the actor's bureau made it and may check, record findings, draw, close
    rectifiable: bool  # the actor is staff of the inspected centre and may report rectifications
    institutions: list[tuple[str, str]]  # the inspected unit's institutions (id, name), for findings


# --- scope --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Territory:
    everything: bool = False
    prefixes: tuple[str, ...] = ()  # county (or city) bureau: targets within these regions
    townships: tuple[str, ...] = ()  # staff of a centre: inspections of exactly these townships


def centre_townships(session: Session, actor: Actor, action: Action) -> tuple[str, ...]:
    """The townships of the institutions where the actor is institution admin or records manager (with
    ``action``): the unit an inspection of theirs targets."""
    ids = {m.institution_id for m in actor.memberships if m.role in CENTRE_ROLES and m.role in PERMISSIONS[action]}
    if not ids:
        return ()
    codes = session.scalars(select(Institution.region_code).where(Institution.id.in_(ids)))
    return tuple(sorted({code[:9] for code in codes if len(code) >= 9}))


def territory_of(session: Session, actor: Actor) -> Territory:
    actor.require(Action.INSPECTION_VIEW)
    if actor.scope.everything:
        return Territory(everything=True)
    county_roles = any(
        m.role.is_county_role and m.role in PERMISSIONS[Action.INSPECTION_VIEW] for m in actor.memberships
    )
    prefixes = tuple(actor.scope.region_prefixes) if county_roles else ()
    return Territory(prefixes=prefixes, townships=centre_townships(session, actor, Action.INSPECTION_VIEW))


def visible_inspections(territory: Territory) -> ColumnElement[bool]:
    if territory.everything:
        return true()
    clauses = [Inspection.target_region_code.startswith(p) for p in territory.prefixes]
    if territory.townships:
        clauses.append(Inspection.target_region_code.in_(territory.townships))
    return or_(*clauses) if clauses else false()


def manages(actor: Actor, inspection: Inspection) -> bool:
    """The inspecting bureau's staff (or a superior one's) with inspection.manage."""
    if not actor.can(Action.INSPECTION_MANAGE):
        return False
    return actor.scope.everything or any(
        inspection.inspector_region_code.startswith(p) for p in actor.scope.region_prefixes
    )


def get_visible_inspection(session: Session, actor: Actor, inspection_id: uuid.UUID) -> Inspection:
    found = session.scalar(
        select(Inspection).where(Inspection.id == inspection_id, visible_inspections(territory_of(session, actor)))
    )
    if found is None:
        raise NotFound(INSPECTION_NOT_FOUND)
    return found


def region_name(session: Session, code: str) -> str:
    return session.scalar(select(Region.name).where(Region.code == code)) or code


# --- reading ------------------------------------------------------------------------------------------


def _current_checks(sample_ids: ColumnElement[bool]) -> Select[tuple[uuid.UUID]]:
    """The newest check of each sample matching ``sample_ids`` (a clause on InspectionCheck.sample_id)."""
    ranked = (
        select(
            InspectionCheck.id,
            func.row_number()
            .over(
                partition_by=InspectionCheck.sample_id,
                order_by=(InspectionCheck.checked_at.desc(), InspectionCheck.id.desc()),
            )
            .label("rank"),
        )
        .where(sample_ids)
        .subquery()
    )
    return select(ranked.c.id).where(ranked.c.rank == 1)


def _rates(rows: Iterable[tuple[bool, bool, str | None]], sampled: int) -> InspectionRates:
    checked = qualified = dynamic = 0
    phones: dict[str, int] = defaultdict(int)
    for filled, used, phone in rows:
        checked += 1
        qualified += bool(filled)
        dynamic += bool(used)
        if phone:
            phones[phone] += 1
    return InspectionRates(
        sampled, checked, qualified, dynamic, phones["confirmed"], phones["not_confirmed"], phones["not_reached"]
    )


def _rates_of(session: Session, inspection_ids: list[uuid.UUID]) -> dict[uuid.UUID, InspectionRates]:
    if not inspection_ids:
        return {}
    in_samples = InspectionCheck.sample_id.in_(
        select(InspectionSample.id).where(InspectionSample.inspection_id.in_(inspection_ids))
    )
    rows = session.execute(
        select(
            InspectionSample.inspection_id,
            InspectionCheck.filled_to_standard,
            InspectionCheck.dynamic,
            InspectionCheck.phone_result,
        )
        .join(InspectionSample, InspectionSample.id == InspectionCheck.sample_id)
        .where(InspectionCheck.id.in_(_current_checks(in_samples)))
    ).all()
    sampled = dict(
        session.execute(
            select(InspectionSample.inspection_id, func.count())
            .where(InspectionSample.inspection_id.in_(inspection_ids))
            .group_by(InspectionSample.inspection_id)
        ).all()
    )
    by_inspection: dict[uuid.UUID, list[tuple[bool, bool, str | None]]] = defaultdict(list)
    for inspection_id, filled, used, phone in rows:
        by_inspection[inspection_id].append((filled, used, phone))
    return {i: _rates(by_inspection[i], sampled.get(i, 0)) for i in inspection_ids}


def inspection_rates(session: Session, actor: Actor, inspection_id: uuid.UUID) -> InspectionRates:
    """The inspection-based rates of one inspection (no personal data: not audited)."""
    inspection = get_visible_inspection(session, actor, inspection_id)
    return _rates_of(session, [inspection.id])[inspection.id]


def inspection_rates_by_region(session: Session, *, county: str, year: int) -> dict[str, InspectionRates]:
    """The county's inspection-based rates of a year by inspected township, over all its inspections' current
    checks (for the appraisal; aggregates only — the caller checks the permission)."""
    ids = dict(
        session.execute(
            select(Inspection.id, Inspection.target_region_code).where(
                Inspection.level == "county",
                Inspection.year == year,
                Inspection.inspector_region_code == county,
                Inspection.status != "planned",
            )
        ).all()
    )
    result: dict[str, InspectionRates] = {}
    for inspection_id, rates in _rates_of(session, list(ids)).items():
        township = ids[inspection_id]
        result[township] = result[township] + rates if township in result else rates
    return dict(sorted(result.items()))


def _coverage(session: Session, territory: Territory, inspections: list[Inspection]) -> list[Coverage]:
    units: list[tuple[str, str, int]] = []  # (code, inspecting level, minimum)
    prefixes = territory.prefixes
    if territory.everything:
        prefixes = tuple(sorted({i.inspector_region_code for i in inspections}))
    for prefix in prefixes:
        child_level, level = {6: (4, "county"), 4: (3, "city")}.get(len(prefix), (0, ""))
        codes = session.scalars(
            select(Region.code).where(Region.parent_code == prefix, Region.level == child_level).order_by(Region.code)
        )
        units.extend((code, level, MINIMUM_PER_YEAR[level]) for code in codes if level)
    units.extend((code, "county", MINIMUM_PER_YEAR["county"]) for code in territory.townships)
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_({u[0] for u in units}))).all())
    planned: dict[tuple[str, str], int] = defaultdict(int)
    done: dict[tuple[str, str], int] = defaultdict(int)
    for inspection in inspections:
        key = (inspection.target_region_code, inspection.level)
        planned[key] += 1
        done[key] += inspection.status != "planned"
    seen: set[tuple[str, str]] = set()
    result = []
    for code, level, minimum in units:
        if (code, level) in seen:
            continue
        seen.add((code, level))
        result.append(
            Coverage(code, names.get(code, code), level, planned[(code, level)], done[(code, level)], minimum)
        )
    return result


def list_inspections(session: Session, actor: Actor, *, year: int) -> InspectionPlan:
    """The year's inspections the actor may see, newest plan first, and how often each unit was inspected."""
    territory = territory_of(session, actor)
    inspections = list(
        session.scalars(
            select(Inspection)
            .where(Inspection.year == year, visible_inspections(territory))
            .order_by(Inspection.planned_on.desc(), Inspection.target_region_code, Inspection.round)
        )
    )
    ids = [i.id for i in inspections]
    rates = _rates_of(session, ids)
    findings: dict[uuid.UUID, tuple[int, int]] = {}
    if ids:
        rows = session.execute(
            select(
                InspectionFinding.inspection_id,
                func.count(),
                func.sum(case((InspectionFinding.status == "open", 1), else_=0)),
            )
            .where(InspectionFinding.inspection_id.in_(ids))
            .group_by(InspectionFinding.inspection_id)
        )
        findings = {i: (int(total), int(open_ or 0)) for i, total, open_ in rows}
    names = dict(
        session.execute(
            select(Region.code, Region.name).where(Region.code.in_({i.target_region_code for i in inspections}))
        ).all()
    )
    lines = [
        InspectionLine(
            inspection=i,
            target_name=names.get(i.target_region_code, i.target_region_code),
            sampled=rates[i.id].sampled,
            checked=rates[i.id].checked,
            findings=findings.get(i.id, (0, 0))[0],
            open_findings=findings.get(i.id, (0, 0))[1],
        )
        for i in inspections
    ]
    return InspectionPlan(year, lines, _coverage(session, territory, inspections))


def _samples(session: Session, inspection: Inspection) -> list[SampleLine]:
    rows = session.execute(
        select(
            InspectionSample.id,
            InspectionSample.position,
            HealthRecord.id,
            Person.id,
            Person.name,
            Person.sex,
            Person.document_masked,
            HealthRecord.record_number,
            InspectionSample.village_code,
            Region.name,
            Institution.name,
            Person.phone,
        )
        .join(HealthRecord, HealthRecord.id == InspectionSample.record_id)
        .join(Person, Person.id == HealthRecord.person_id)
        .join(Region, Region.code == InspectionSample.village_code)
        .join(Institution, Institution.id == InspectionSample.institution_id)
        .where(InspectionSample.inspection_id == inspection.id)
        .order_by(InspectionSample.position)
    ).all()
    checks: dict[uuid.UUID, list[InspectionCheck]] = defaultdict(list)
    for check in session.scalars(
        select(InspectionCheck)
        .join(InspectionSample, InspectionSample.id == InspectionCheck.sample_id)
        .where(InspectionSample.inspection_id == inspection.id)
        .order_by(InspectionCheck.checked_at.desc(), InspectionCheck.id.desc())
    ):
        checks[check.sample_id].append(check)
    lines = []
    for (
        sample_id,
        position,
        record_id,
        person_id,
        name,
        sex,
        masked,
        number,
        village,
        place,
        institution,
        phone,
    ) in rows:
        lines.append(
            SampleLine(
                sample_id=sample_id,
                position=position,
                record_id=record_id,
                person_id=person_id,
                name=name,
                sex=sex,
                document_masked=masked,
                record_number=number,
                village_code=village,
                village_name=place,
                institution_name=institution,
                phone=phone,
                checks=checks[sample_id],
            )
        )
    return lines


def get_inspection(session: Session, actor: Actor, inspection_id: uuid.UUID, *, audit: bool = True) -> InspectionView:
    """One inspection with its sample (names, masked ID numbers, phones for the telephone check — reading it is
    audited against the residents), each record's current check and history, the findings and the rates."""
    inspection = get_visible_inspection(session, actor, inspection_id)
    samples = _samples(session, inspection)
    findings = [
        FindingLine(finding, name)
        for finding, name in session.execute(
            select(InspectionFinding, Institution.name)
            .outerjoin(Institution, Institution.id == InspectionFinding.institution_id)
            .where(InspectionFinding.inspection_id == inspection.id)
            .order_by(InspectionFinding.created_at, InspectionFinding.id)
        ).all()
    ]
    institutions = [
        (str(i), n)
        for i, n in session.execute(
            select(Institution.id, Institution.name)
            .where(
                Institution.region_code.startswith(inspection.target_region_code),
                Institution.status == "active",
                Institution.type != InstitutionType.HEALTH_ADMIN,
            )
            .order_by(Institution.region_code, Institution.name)
        ).all()
    ]
    rectifiable = actor.can(Action.INSPECTION_RECTIFY) and (
        actor.scope.everything
        or inspection.target_region_code in centre_townships(session, actor, Action.INSPECTION_RECTIFY)
    )
    if audit and samples:
        record_event(
            session,
            actor,
            "inspection.sample_view",
            subject_type="inspection",
            subject_id=inspection.id,
            details={"person_ids": [str(s.person_id) for s in samples]},
        )
    return InspectionView(
        inspection=inspection,
        target_name=region_name(session, inspection.target_region_code),
        samples=samples,
        findings=findings,
        rates=_rates_of(session, [inspection.id])[inspection.id],
        manageable=manages(actor, inspection),
        rectifiable=rectifiable,
        institutions=institutions,
    )
