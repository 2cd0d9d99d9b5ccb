"""Programme enrolments of the demo county (重点人群健康管理), with a realistic share of tasks overdue.

Enrolled: every child under 7 (0～6岁儿童), every resident who is 65 or more this year (老年人), every resident with
demo hypertension or diabetes follow-ups, nine pregnancies of women aged 20–40 (from 6 weeks to 38, two delivered),
four patients with a severe mental disorder and two with tuberculosis (one notified two days ago, not yet visited).
Most services were done: children's checks and the elderly's yearly health check and TCM service mostly in time,
most unsatisfactory chronic follow-ups rechecked within 2 weeks — so that about a fifth of the open chronic tasks
are overdue, as in a county that works its lists. The two demo villages (cunyi's 句城, cunyi2's 高峰) also get
newly diagnosed hypertension patients: three whose first follow-up is overdue and two due this week.

The managing doctor is the record's responsible doctor, else the village doctor of the resident's village.
Episodes, forms and history are inserted in bulk, then ``programmes.sync.refresh_people`` plans every task.
Dates count from today (the demo is loaded on the day it runs); skipped when episodes exist already.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kangdang.access.actor import system_actor
from kangdang.access.audit import record_event
from kangdang.core.clock import today_local, utcnow
from kangdang.core.ids import new_id
from kangdang.demo import programme_forms as made
from kangdang.demo.forms import _Resident
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.programmes.codes import Programme
from kangdang.programmes.enrolment import check_details
from kangdang.programmes.models import Episode
from kangdang.programmes.sync import refresh_people
from kangdang.records.context import add_months, age_in_years
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import HealthRecord, Person, ResidentChange

COUNTY_CODE = "330521"
FOCUS_VILLAGES = ("330521102200", "330521115200")  # 句城 (cunyi), 高峰 (cunyi2)
SEED = 3305215
CHUNK = 1000
RECHECKED = 0.9  # an unsatisfactory follow-up is rechecked within 2 weeks …
RECHECK_MET = 0.92  # … and then mostly satisfactory
# pregnancies: weeks today, weeks at the signed first antenatal check (None: not done), weeks when enrolled
PREGNANCIES = ((6, None, 6), (11, 9, 9), (17, 11, 11), (23, 12, 12), (30, 10, 10), (34, None, 15), (38, 12, 12))
DELIVERED = ((5, 2, False), (24, 21, True))  # days since delivery, since discharge; postpartum visit signed
NEW_HYPERTENSION = (47, 33, 26, 10, 6)  # days since enrolment: first follow-up overdue (3), due this week (2)


@dataclass
class _Member:
    resident: _Resident
    village: str
    doctor_id: uuid.UUID | None


@dataclass
class DemoProgrammes:
    episodes: dict[str, int] = field(default_factory=dict)
    forms: int = 0
    tasks: int = 0


def load_demo_programmes(session: Session, *, today: date | None = None) -> DemoProgrammes:
    """Enrol the demo county's key populations once; returns what was added (nothing when already there)."""
    if session.scalar(select(func.count()).select_from(Episode)):
        return DemoProgrammes()
    today = today or today_local()
    rng = random.Random(SEED)
    members = _members(session)
    plan = _Plan(rng, today)
    chronic = _chronic_followups(session)
    selfcare = dict(
        session.execute(
            select(ServiceRecord.person_id, func.max(ServiceRecord.service_date))
            .where(ServiceRecord.form_code == "elderly_selfcare", ServiceRecord.status == "completed")
            .group_by(ServiceRecord.person_id)
        ).all()
    )
    for member in members:
        r = member.resident
        age = age_in_years(r.birth, today)
        if age < 7:
            plan.enrol(member, Programme.CHILD, max(r.birth, r.filed_on))
            plan.rows += made.child_rows(rng, r, today)
        elderly = today.year - r.birth.year >= 65
        if elderly:
            plan.enrol(member, Programme.ELDERLY, max(r.filed_on, date(r.birth.year + 65, 1, 1)))
        for code, (first, last_day, last) in sorted(chronic.get(r.person_id, {}).items()):
            programme = Programme.HYPERTENSION if code == "hypertension_followup" else Programme.DIABETES
            plan.enrol(member, programme, max(first, add_months(r.birth, 35 * 12)))
            if member.village not in FOCUS_VILLAGES:
                plan.recheck(member, code, last_day, last)
        if elderly or r.person_id in chronic:
            plan.yearly(member, elderly=elderly, selfcare=selfcare.get(r.person_id))
    plan.special_groups(members, chronic)
    return plan.write(session)


class _Plan:
    """The episodes and forms to write, collected resident by resident."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng, self.today = rng, today
        self.episodes: list[dict[str, Any]] = []
        self.rows: list[dict[str, Any]] = []
        self.used: set[uuid.UUID] = set()

    def enrol(self, member: _Member, programme: Programme, on: date, **details: Any) -> None:
        r = member.resident
        facts = check_details(programme, details, birth_date=r.birth, enrolled_on=on, today=self.today)
        self.episodes.append(
            {
                "id": new_id(),
                "person_id": r.person_id,
                "record_id": r.record_id,
                "programme": programme.value,
                "status": "active",
                "enrolled_on": on,
                "enrolled_by": system_actor().login,
                "managing_institution_id": r.institution_id,
                "managing_doctor_id": member.doctor_id,
                "details": facts,
            }
        )

    def recheck(self, member: _Member, code: str, last_day: date, last: dict[str, Any]) -> None:
        if last.get("management_action") in (None, "1") or self.rng.random() >= RECHECKED:
            return
        day = last_day + timedelta(days=self.rng.randrange(7, 14))
        met = self.rng.random() < RECHECK_MET
        if day <= self.today:
            self.rows.append(made.recheck_row(self.rng, member.resident, code, last, day, self.today, met=met))

    def yearly(self, member: _Member, *, elderly: bool, selfcare: date | None) -> None:
        """The yearly health check (most in the last year, some a year or two ago), with the self-care
        assessment and the TCM service for the elderly."""
        rng, r, today = self.rng, member.resident, self.today
        recent = rng.random() < 0.8
        day = today - timedelta(days=rng.randrange(15, 330) if recent else rng.randrange(380, 700))
        if day >= r.filed_on and (recent or rng.random() < 0.7):
            self.rows.append(made.exam_row(rng, r, day, today))
            if made.fits("elderly_selfcare", r, day) and (selfcare is None or selfcare < today - timedelta(days=365)):
                self.rows.append(made.selfcare_row(rng, r, day, today))
        if made.fits("elderly_tcm", r, day) and day >= r.filed_on and rng.random() < (0.75 if recent else 0.4):
            self.rows.append(made.tcm_row(rng, r, day, today))

    def pick(self, members: list[_Member], count: int, low: int, high: int, sex: str | None = None) -> list[_Member]:
        """``count`` residents of these ages not yet chosen: one from each demo village first, then any."""
        fit = [
            m
            for m in members
            if low <= age_in_years(m.resident.birth, self.today) <= high
            and (sex is None or m.resident.sex == sex)
            and m.resident.person_id not in self.used
        ]
        chosen = [next(m for m in fit if m.village == v) for v in FOCUS_VILLAGES if any(m.village == v for m in fit)]
        rest = [m for m in fit if m not in chosen]
        chosen += self.rng.sample(rest, max(0, min(count - len(chosen), len(rest))))
        self.used |= {m.resident.person_id for m in chosen}
        return chosen[:count]

    def special_groups(self, members: list[_Member], chronic: dict[uuid.UUID, Any]) -> None:
        self.used |= set(chronic)
        self.pregnancies(self.pick(members, len(PREGNANCIES) + len(DELIVERED), 20, 40, sex="2"))
        self.mental(self.pick(members, 4, 25, 60))
        self.tuberculosis(self.pick(members, 2, 25, 65))
        for village in FOCUS_VILLAGES:
            local = [m for m in members if m.village == village]
            for member, days in zip(self.pick(local, len(NEW_HYPERTENSION), 45, 79), NEW_HYPERTENSION, strict=False):
                self.enrol(member, Programme.HYPERTENSION, self.today - timedelta(days=days))

    def pregnancies(self, women: list[_Member]) -> None:
        rng, today = self.rng, self.today
        for woman, (weeks, first, enrolled) in zip(women, PREGNANCIES, strict=False):
            lmp = today - timedelta(weeks=weeks, days=rng.randrange(0, 6))
            day = lmp + timedelta(weeks=enrolled, days=rng.randrange(0, 5))
            day = min(max(day, woman.resident.filed_on), today)
            self.enrol(woman, Programme.MATERNAL, day, lmp=lmp)
            if first is not None:
                self.rows.append(made.antenatal_first_row(rng, woman.resident, lmp, day, today))
        for woman, (since, home, visited) in zip(women[len(PREGNANCIES) :], DELIVERED, strict=False):
            delivered, discharged = today - timedelta(days=since), today - timedelta(days=home)
            lmp = delivered - timedelta(weeks=39, days=rng.randrange(0, 7))
            day = max(lmp + timedelta(weeks=11), woman.resident.filed_on)
            self.enrol(woman, Programme.MATERNAL, day, lmp=lmp, delivery_date=delivered, discharge_date=discharged)
            self.rows.append(made.antenatal_first_row(rng, woman.resident, lmp, day, today))
            if visited:
                visit = discharged + timedelta(days=5)
                self.rows.append(made.postpartum_row(woman.resident, delivered, discharged, visit, today))

    def mental(self, patients: list[_Member]) -> None:
        rng, today = self.rng, self.today
        for number, patient in enumerate(patients):
            r = patient.resident
            on = max(r.filed_on, today - timedelta(days=rng.randrange(400, 1400)))
            unsettled = number == 0  # the last visit found the patient 基本稳定: due again within 2 weeks (overdue)
            ago = (350, 260, 170, 20 if unsettled else 80)
            visits = [today - timedelta(days=d + rng.randrange(-8, 8)) for d in ago]
            self.enrol(patient, Programme.MENTAL, on)
            self.rows += made.mental_rows(rng, r, on, [v for v in visits if v >= on], today, unsettled=unsettled)
            self.yearly(patient, elderly=False, selfcare=None)

    def tuberculosis(self, patients: list[_Member]) -> None:
        today = self.today
        for patient, days in zip(patients, (2, 45), strict=False):
            notified = today - timedelta(days=days)
            self.enrol(patient, Programme.TUBERCULOSIS, notified, notified_on=notified, patient_type="1")
            if days > 3:  # the one notified two days ago has not been visited yet
                first = notified + timedelta(days=1)
                self.rows += made.tb_rows(patient.resident, first, [first + timedelta(days=30)], today)

    def write(self, session: Session) -> DemoProgrammes:
        now = utcnow()
        for start in range(0, len(self.rows), CHUNK):
            session.execute(insert(ServiceRecord), self.rows[start : start + CHUNK])
        episodes = [e | {"created_at": now, "updated_at": now} for e in self.episodes]
        for start in range(0, len(episodes), CHUNK):
            session.execute(insert(Episode), episodes[start : start + CHUNK])
        actor = system_actor()
        history = [
            {
                "id": new_id(),
                "at": now,
                "person_id": e["person_id"],
                "household_id": None,
                "entity": "programme_episode",
                "entity_id": str(e["id"]),
                "action": "programme.enrol",
                "login": actor.login,
                "changes": {"programme": [None, e["programme"]], "enrolled_on": [None, e["enrolled_on"].isoformat()]},
            }
            for e in self.episodes
        ]
        for start in range(0, len(history), CHUNK):
            session.execute(insert(ResidentChange), history[start : start + CHUNK])
        counts: dict[str, int] = defaultdict(int)
        for e in self.episodes:
            counts[e["programme"]] += 1
        record_event(session, actor, "programme.demo_enrol", subject_type="programmes", details=dict(counts))
        session.flush()
        tasks = refresh_people(session, [e["person_id"] for e in self.episodes], today=self.today, actor=actor)
        return DemoProgrammes(dict(counts), len(self.rows), tasks)


def village_doctors(session: Session) -> dict[str, tuple[uuid.UUID | None, str]]:
    """The (first) village doctor of each village office or community station of the county, by village code."""
    found: dict[str, tuple[uuid.UUID | None, str]] = {}
    for region, doctor_id, name in session.execute(
        select(Institution.region_code, Practitioner.id, Practitioner.name)
        .join(Membership, Membership.institution_id == Institution.id)
        .join(Practitioner, Practitioner.id == Membership.practitioner_id)
        .where(
            Institution.type.in_(("village_office", "community_station")),
            Membership.role == "village_doctor",
            Membership.valid_to.is_(None),
            Institution.region_code.startswith(COUNTY_CODE),
        )
        .order_by(Membership.created_at)
    ):
        found.setdefault(region, (doctor_id, name))
    return found


def _members(session: Session) -> list[_Member]:
    """The demo residents with their managing doctor: the record's responsible doctor, else the village's."""
    doctors = village_doctors(session)
    members = []
    for record_id, person_id, birth, sex, filed_on, institution, village, doctor_id, doctor_name in session.execute(
        select(
            HealthRecord.id,
            Person.id,
            Person.birth_date,
            Person.sex,
            HealthRecord.filed_on,
            HealthRecord.managing_institution_id,
            HealthRecord.village_code,
            Practitioner.id,
            Practitioner.name,
        )
        .join(Person, Person.id == HealthRecord.person_id)
        .outerjoin(Practitioner, Practitioner.id == HealthRecord.responsible_doctor_id)
        .where(HealthRecord.status == "active", HealthRecord.village_code.startswith(COUNTY_CODE))
        .order_by(HealthRecord.record_number)
    ):
        if doctor_id is None and village in doctors:
            doctor_id, doctor_name = doctors[village]
        doctor = doctor_name or "演示医生"
        resident = _Resident(record_id, person_id, birth, sex, filed_on, institution, doctor, village)
        members.append(_Member(resident, village, doctor_id))
    return members


def _chronic_followups(session: Session) -> dict[uuid.UUID, dict[str, tuple[date, date, dict[str, Any]]]]:
    """Per resident and follow-up form: the first visit's date and the last visit (date, answers); one query."""
    codes = ("hypertension_followup", "diabetes_followup")
    ranked = (
        select(
            ServiceRecord.person_id,
            ServiceRecord.form_code,
            ServiceRecord.service_date,
            ServiceRecord.answers,
            func.min(ServiceRecord.service_date)
            .over(partition_by=(ServiceRecord.person_id, ServiceRecord.form_code))
            .label("first"),
            func.row_number()
            .over(
                partition_by=(ServiceRecord.person_id, ServiceRecord.form_code),
                order_by=(ServiceRecord.service_date.desc(), ServiceRecord.id.desc()),
            )
            .label("newest"),
        )
        .where(ServiceRecord.form_code.in_(codes), ServiceRecord.status == "completed")
        .subquery()
    )
    found: dict[uuid.UUID, dict[str, tuple[date, date, dict[str, Any]]]] = defaultdict(dict)
    for person_id, code, day, answers, first in session.execute(
        select(ranked.c.person_id, ranked.c.form_code, ranked.c.service_date, ranked.c.answers, ranked.c.first).where(
            ranked.c.newest == 1
        )
    ):
        found[person_id][code] = (first, day, answers or {})
    return found
