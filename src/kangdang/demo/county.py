"""Loading the demo county. Idempotent: a second run finds everything in place and changes nothing.

Everything goes through the same service functions the pages and the API use, as the platform itself.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor, system_actor
from kangdang.access.crypto import cipher_for
from kangdang.access.models import User
from kangdang.access.roles import Role
from kangdang.core.clock import today_local
from kangdang.demo.forms import load_demo_forms
from kangdang.demo.keepers import load_demo_keepers
from kangdang.demo.people import make_person
from kangdang.demo.programmes import load_demo_programmes
from kangdang.demo.residents import load_demo_residents
from kangdang.indicators.refresh import recompute_all
from kangdang.institutions.models import Institution, Practitioner
from kangdang.institutions.schemas import AccountCreate, InstitutionCreate, PractitionerCreate
from kangdang.institutions.service import create_institution
from kangdang.institutions.staff import create_account, create_practitioner
from kangdang.institutions.types import InstitutionType, Qualification
from kangdang.regions.codes import Level
from kangdang.regions.models import Region
from kangdang.regions.population import set_population
from kangdang.regions.service import import_bundled_regions
from kangdang.residents.models import HealthRecord

COUNTY_CODE = "330521"
DEMO_PASSWORD = "Kangdang2026"  # noqa: S105 - published demo password, printed by `make run`
CENTRAL_TOWNSHIPS = {"330521102", "330521115"}  # 新市镇, 莫干山镇: 中心卫生院
TOWNSHIP_A = "330521102"  # 新市镇 — the demo township of the township accounts
TOWNSHIP_B = "330521115"  # 莫干山镇 — a second township for scope comparisons
STAFF_SINCE = date(2020, 1, 1)
# login, role, where: the bureau, the township-A centre, a village office of township A or of township B.
DEMO_ACCOUNTS = (
    ("admin", Role.SYSTEM_ADMIN, "bureau"),
    ("xianju", Role.COUNTY_MANAGER, "bureau"),
    ("ducha", Role.COUNTY_INSPECTOR, "bureau"),
    ("jigou", Role.INSTITUTION_ADMIN, "centre_a"),
    ("dangan", Role.RECORDS_MANAGER, "centre_a"),
    ("yisheng", Role.TOWNSHIP_DOCTOR, "centre_a"),
    ("cunyi", Role.VILLAGE_DOCTOR, "village_a"),
    ("cunyi2", Role.VILLAGE_DOCTOR, "village_b"),
    ("yiyuan", Role.HOSPITAL_DOCTOR, "hospital"),
    ("tongji", Role.AGGREGATE_VIEWER, "bureau"),
)
POPULATION_YEARS = (2025, 2026)


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: Role
    institution: str

    @property
    def role_label(self) -> str:
        return self.role.label


@dataclass
class DemoSummary:
    institutions_created: int = 0
    practitioners_created: int = 0
    accounts_created: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


Progress = Callable[[str], None]


def load_demo_county(session: Session, *, progress: Progress | None = None) -> DemoSummary:
    """The demo county: its structure (``load_demo_structure``), a few thousand residents with their forms and
    programmes, and the figures."""
    actor = system_actor()
    note = progress or (lambda _message: None)
    summary = load_demo_structure(session, progress=progress)
    villages = list(
        session.scalars(
            select(Region)
            .where(Region.code.startswith(COUNTY_CODE), Region.level == Level.VILLAGE)
            .order_by(Region.code)
        )
    )
    load_demo_residents(session, actor)
    note("人口数")
    _demo_population(session, actor, villages)
    note("演示表单")
    load_demo_forms(session)
    note("重点人群健康管理")
    load_demo_programmes(session)
    load_demo_keepers(session)
    note("工作指标")
    session.flush()
    recompute_all(session, county=COUNTY_CODE, today=today_local())
    return summary


def load_demo_structure(session: Session, *, progress: Progress | None = None) -> DemoSummary:
    """The county without residents: divisions, institutions (卫健局, hospital, centres, village offices), their
    staff and the demo accounts. Idempotent; shared by the demo and the synthetic county (``demo.synthetic``)."""
    actor = system_actor()
    note = progress or (lambda _message: None)
    summary = DemoSummary()
    rng = random.Random(330521)

    note("区划：全国省、市、县、乡级及德清县村级")
    import_bundled_regions(session, actor, county_codes=(COUNTY_CODE,))
    county = session.get_one(Region, COUNTY_CODE)
    townships = list(session.scalars(select(Region).where(Region.parent_code == COUNTY_CODE).order_by(Region.code)))
    villages = list(
        session.scalars(
            select(Region)
            .where(Region.code.startswith(COUNTY_CODE), Region.level == Level.VILLAGE)
            .order_by(Region.code)
        )
    )

    note("机构：卫健局、县级医院、卫生院、社区卫生服务中心/站、村卫生室")
    existing = {code: inst for code, inst in ((i.code, i) for i in session.scalars(select(Institution)))}

    def institution(
        code: str, name: str, type_: InstitutionType, region: str, supervisor: Institution | None, catchment: list[str]
    ) -> Institution:
        if code in existing:
            return existing[code]
        created = create_institution(
            session,
            actor,
            InstitutionCreate(
                code=code,
                name=name,
                type=type_,
                region_code=region,
                supervisor_id=supervisor.id if supervisor else None,
                catchment=catchment,
                phone=_demo_phone(code),
            ),
        )
        existing[code] = created
        summary.institutions_created += 1
        return created

    bureau = institution(
        f"{COUNTY_CODE}-01", f"{county.name}卫生健康局", InstitutionType.HEALTH_ADMIN, COUNTY_CODE, None, []
    )
    hospital = institution(
        f"{COUNTY_CODE}-02", f"{county.name}人民医院", InstitutionType.COUNTY_HOSPITAL, COUNTY_CODE, bureau, []
    )
    institution(f"{COUNTY_CODE}-03", f"{county.name}疾病预防控制中心", InstitutionType.CDC, COUNTY_CODE, bureau, [])
    institution(
        f"{COUNTY_CODE}-04", f"{county.name}妇幼保健院", InstitutionType.MATERNAL_CHILD, COUNTY_CODE, bureau, []
    )

    centres: dict[str, Institution] = {}
    local_offices: list[tuple[Institution, Institution]] = []  # (office, its centre)
    for township in townships:
        units = [v for v in villages if v.parent_code == township.code]
        is_street = township.name.endswith("街道")
        if is_street:
            centre_type, centre_name = InstitutionType.COMMUNITY_CENTRE, f"{township.name}社区卫生服务中心"
        elif township.code in CENTRAL_TOWNSHIPS:
            centre_type, centre_name = InstitutionType.TOWNSHIP_CENTRAL, f"{township.name}中心卫生院"
        else:
            centre_type, centre_name = InstitutionType.TOWNSHIP_GENERAL, f"{township.name}卫生院"
        centre = institution(
            f"{township.code}-01", centre_name, centre_type, township.code, bureau, [v.code for v in units]
        )
        centres[township.code] = centre
        for unit in units:
            short = unit.name.removesuffix("村委会").removesuffix("居委会")
            if unit.area_type == "urban":
                office_type, office_name = InstitutionType.COMMUNITY_STATION, f"{short}卫生服务站"
            else:
                office_type, office_name = InstitutionType.VILLAGE_OFFICE, f"{short}卫生室"
            office = institution(f"{unit.code}-01", office_name, office_type, unit.code, centre, [unit.code])
            local_offices.append((office, centre))

    note("人员与账号")
    cipher = cipher_for(session)
    known = set(session.scalars(select(Practitioner.id_number_index)))

    def staff(inst: Institution, role: Role, qualification: Qualification, address: str) -> uuid.UUID | None:
        person = make_person(rng, address_code=address)
        licence = f"{inst.region_code[:6]}{rng.randrange(10**8):08d}"
        if cipher.blind_index(person.id_number) in known:
            return None
        practitioner = create_practitioner(
            session,
            actor,
            PractitionerCreate(
                name=person.name,
                id_number=person.id_number,
                sex=person.sex,
                phone=person.phone,
                qualification=qualification,
                institution_id=inst.id,
                role=role,
                valid_from=STAFF_SINCE,
                licence_no=licence if qualification is not Qualification.MANAGER else None,
            ),
        )
        known.add(practitioner.id_number_index)
        summary.practitioners_created += 1
        return practitioner.id

    first_staff: dict[tuple[str, Role], uuid.UUID | None] = {}

    def remember(key: tuple[str, Role], practitioner_id: uuid.UUID | None) -> None:
        first_staff.setdefault(key, practitioner_id)

    remember((bureau.code, Role.COUNTY_MANAGER), staff(bureau, Role.COUNTY_MANAGER, Qualification.MANAGER, COUNTY_CODE))
    remember(
        (bureau.code, Role.COUNTY_INSPECTOR),
        staff(bureau, Role.COUNTY_INSPECTOR, Qualification.PUBLIC_HEALTH, COUNTY_CODE),
    )
    remember((bureau.code, Role.SYSTEM_ADMIN), staff(bureau, Role.SYSTEM_ADMIN, Qualification.MANAGER, COUNTY_CODE))
    remember(
        (bureau.code, Role.AGGREGATE_VIEWER),
        staff(bureau, Role.AGGREGATE_VIEWER, Qualification.PUBLIC_HEALTH, COUNTY_CODE),
    )
    remember(
        (hospital.code, Role.HOSPITAL_DOCTOR),
        staff(hospital, Role.HOSPITAL_DOCTOR, Qualification.PHYSICIAN, COUNTY_CODE),
    )
    for centre in centres.values():
        for role, qualification in (
            (Role.TOWNSHIP_DOCTOR, Qualification.PHYSICIAN),
            (Role.TOWNSHIP_DOCTOR, Qualification.ASSISTANT_PHYSICIAN),
            (Role.RECORDS_MANAGER, Qualification.PUBLIC_HEALTH),
            (Role.INSTITUTION_ADMIN, Qualification.MANAGER),
        ):
            remember((centre.code, role), staff(centre, role, qualification, COUNTY_CODE))
    for office, _centre in local_offices:
        qualification = (
            Qualification.RURAL_DOCTOR
            if office.type == InstitutionType.VILLAGE_OFFICE
            else Qualification.ASSISTANT_PHYSICIAN
        )
        remember((office.code, Role.VILLAGE_DOCTOR), staff(office, Role.VILLAGE_DOCTOR, qualification, COUNTY_CODE))

    note("演示账号")
    village_a = _first_office(local_offices, TOWNSHIP_A, InstitutionType.VILLAGE_OFFICE)
    village_b = _first_office(local_offices, TOWNSHIP_B, InstitutionType.VILLAGE_OFFICE)
    centre_a = centres[TOWNSHIP_A]
    places = {
        "bureau": bureau,
        "hospital": hospital,
        "centre_a": centre_a,
        "village_a": village_a,
        "village_b": village_b,
    }
    for login, role, place in DEMO_ACCOUNTS:
        inst = places[place]
        summary.logins.append(DemoLogin(login=login, role=role, institution=inst.name))
        if session.scalar(select(User.id).where(User.login == login)) is not None:
            continue
        practitioner_id = first_staff.get((inst.code, role)) or _member_of(session, inst, role)
        create_account(session, actor, practitioner_id, AccountCreate(login=login, password=DEMO_PASSWORD))
        summary.accounts_created += 1
    session.flush()
    return summary


def _demo_population(session: Session, actor: Actor, villages: list[Region]) -> None:
    """常住人口 per village, scaled to the demo residents (the demo files a sample of each village, not all of
    its people): a filing rate of about 60–85%, lower in towns, as counties report."""
    filed = {
        code: count
        for code, count in session.execute(
            select(HealthRecord.village_code, func.count()).group_by(HealthRecord.village_code)
        )
    }
    rng = random.Random(2026)
    for village in villages:
        share = rng.uniform(0.55, 0.75) if village.area_type == "urban" else rng.uniform(0.7, 0.88)
        base = max(10, round(filed.get(village.code, 0) / share))
        for offset, year in enumerate(POPULATION_YEARS):
            resident = int(base * (1 + 0.01 * offset))
            set_population(
                session,
                actor,
                region_code=village.code,
                year=year,
                resident_population=resident,
                registered_population=int(resident * rng.uniform(0.8, 1.05)),
                aged_0_6=int(resident * 0.06),
                aged_65_plus=int(resident * 0.19),
                source="演示数据",
                only_if_missing=True,
            )


def _first_office(offices: list[tuple[Institution, Institution]], township: str, type_: InstitutionType) -> Institution:
    return next(o for o, _c in offices if o.region_code.startswith(township) and o.type == type_)


def _member_of(session: Session, institution: Institution, role: Role) -> uuid.UUID:
    from kangdang.institutions.models import Membership

    return session.scalars(
        select(Membership.practitioner_id)
        .where(Membership.institution_id == institution.id, Membership.role == role.value)
        .order_by(Membership.created_at)
    ).first()  # type: ignore[return-value]


def demo_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts as they stand in the database, with the institution each works in."""
    from kangdang.institutions.models import Membership

    logins = []
    for login, role, _place in DEMO_ACCOUNTS:
        name = session.scalar(
            select(Institution.name)
            .join(Membership, Membership.institution_id == Institution.id)
            .join(User, User.practitioner_id == Membership.practitioner_id)
            .where(User.login == login, Membership.role == role.value)
        )
        if name is not None:
            logins.append(DemoLogin(login=login, role=role, institution=name))
    return logins


def _demo_phone(code: str) -> str:
    """A stable landline in 湖州's area code (0572), derived from the institution code (no randomness,
    so that loading stays deterministic and idempotent)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    return f"0572-8{int(digits) % 1_000_000:06d}"
