"""The home-visit list (入户随访清单) of a day: the actor's residents with a task overdue or due on that day,
one row per resident with everything due, how to reach them (address and the full phone number, which the
visit needs — so every print is audited with the residents' ids) and the last values the doctor wants in hand:
blood pressure and fasting glucose from the latest follow-ups, the weeks of pregnancy, a child's age in months.

Three queries whatever the length: the tasks with their residents, the latest follow-ups, the audit event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import InvalidInput
from kangdang.institutions.models import Practitioner
from kangdang.programmes.codes import Programme
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.schedule.types import parse_date
from kangdang.programmes.worklist import WorkFilter, filter_details, open_task_clauses, state_clauses, task_state
from kangdang.records.context import age_in_years
from kangdang.records.models import ServiceRecord
from kangdang.regions.models import Region
from kangdang.residents.models import HealthRecord, Person

MAX_TASKS = 1500  # a day's round; a longer list is narrowed by village or doctor before printing
BP_FORMS = ("hypertension_followup", "diabetes_followup")
GLUCOSE_FORM = "diabetes_followup"
PRINTED_STATES = ("overdue", "due")


@dataclass(frozen=True)
class DueTask:
    programme: str
    title: str
    note: str | None
    urgency: str
    state: str  # overdue | due
    opens_on: date
    due_on: date
    days_overdue: int


@dataclass(frozen=True)
class VisitRow:
    record_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    sex: str
    birth_date: date
    age: int
    short_number: str
    village_name: str
    address: str  # the current address, or the village's name when there is none
    phone: str | None
    contact: str | None  # 联系人 and their phone, when given
    doctor_name: str | None
    due: list[DueTask] = field(default_factory=list)
    bp: str | None = None  # "152/92" mmHg, from the latest hypertension or diabetes follow-up
    bp_on: date | None = None
    glucose: str | None = None  # fasting glucose (mmol/L) from the latest diabetes follow-up
    glucose_on: date | None = None
    gestation: str | None = None  # "孕12+3周" on the day, or "产后10天"
    age_months: int | None = None  # children in the child programme


def months_between(birth: date, day: date) -> int:
    """Whole months of age on ``day``."""
    return (day.year - birth.year) * 12 + day.month - birth.month - (day.day < birth.day)


def gestation_on(details: dict[str, Any], day: date) -> str | None:
    """Weeks+days of pregnancy on ``day`` from the LMP; after a recorded delivery, days since it."""
    delivered = parse_date(details.get("delivery_date"))
    if delivered is not None and delivered <= day:
        return f"产后{(day - delivered).days}天"
    lmp = parse_date(details.get("lmp"))
    if lmp is None or lmp > day:
        return None
    days = (day - lmp).days
    return f"孕{days // 7}+{days % 7}周"


def _number(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def home_visit_list(session: Session, actor: Actor, *, day: date, filters: WorkFilter) -> list[VisitRow]:
    """The residents to visit on ``day`` (overdue and due tasks; ``filters.state`` may keep one of the two),
    by village and name. Audited as ``worklist.print`` with the residents' ids (the phones print in full)."""
    actor.require(Action.WORKLIST_VIEW)
    states = [filters.state] if filters.state in PRINTED_STATES else list(PRINTED_STATES)
    where = open_task_clauses(actor, day, replace(filters, state=None))
    clauses = state_clauses(day)
    where.append(or_(*(clauses[s] for s in states)))
    stmt = (
        select(
            CareTask,
            Episode.details,
            Person,
            HealthRecord.short_number,
            Region.name,
            Practitioner.name,
        )
        .join(Episode, Episode.id == CareTask.episode_id)
        .join(HealthRecord, HealthRecord.id == CareTask.record_id)
        .join(Person, Person.id == CareTask.person_id)
        .join(Region, Region.code == CareTask.village_code)
        .outerjoin(Practitioner, Practitioner.id == Episode.managing_doctor_id)
        .where(*where)
        .order_by(CareTask.village_code, Person.name, Person.id, CareTask.due_on, CareTask.key)
        .limit(MAX_TASKS + 1)
    )
    found = session.execute(stmt).all()
    if len(found) > MAX_TASKS:
        raise InvalidInput(f"当天应随访的任务超过 {MAX_TASKS} 项，请先按村/居委会或责任医生筛选后再打印")
    rows: dict[uuid.UUID, VisitRow] = {}
    for task, details, person, short_number, village_name, doctor_name in found:
        row = rows.get(task.person_id)
        if row is None:
            row = rows[task.person_id] = VisitRow(
                record_id=task.record_id,
                person_id=person.id,
                name=person.name,
                sex=person.sex,
                birth_date=person.birth_date,
                age=age_in_years(person.birth_date, day),
                short_number=short_number,
                village_name=village_name,
                address=(person.current_address or "").strip() or village_name,
                phone=person.phone,
                contact=" ".join(v for v in (person.contact_name, person.contact_phone) if v) or None,
                doctor_name=doctor_name,
            )
        if task.programme == Programme.MATERNAL and row.gestation is None:
            row = rows[task.person_id] = replace(row, gestation=gestation_on(details or {}, day))
        if task.programme == Programme.CHILD:
            row = rows[task.person_id] = replace(row, age_months=months_between(person.birth_date, day))
        row.due.append(
            DueTask(
                programme=task.programme,
                title=task.title,
                note=task.note,
                urgency=task.urgency,
                state=task_state(task.opens_on, task.due_on, task.expires_on, day),
                opens_on=task.opens_on,
                due_on=task.due_on,
                days_overdue=max(0, (day - task.due_on).days),
            )
        )
    result = _with_last_values(session, list(rows.values()), day)
    record_event(
        session,
        actor,
        "worklist.print",
        subject_type="worklist",
        subject_id=None,
        details={
            "on": day.isoformat(),
            "filters": filter_details(filters),
            "person_ids": [str(row.person_id) for row in result],
        },
    )
    return result


def _with_last_values(session: Session, rows: list[VisitRow], day: date) -> list[VisitRow]:
    """Blood pressure and fasting glucose from each resident's latest signed follow-ups up to ``day``."""
    if not rows:
        return rows
    rank = (
        func.row_number()
        .over(
            partition_by=(ServiceRecord.person_id, ServiceRecord.form_code),
            order_by=(ServiceRecord.service_date.desc(), ServiceRecord.id.desc()),
        )
        .label("rank")
    )
    latest = (
        select(
            ServiceRecord.person_id, ServiceRecord.form_code, ServiceRecord.service_date, ServiceRecord.answers, rank
        )
        .where(
            ServiceRecord.person_id.in_([row.person_id for row in rows]),
            ServiceRecord.form_code.in_(BP_FORMS),
            ServiceRecord.status == "completed",
            ServiceRecord.service_date <= day,
        )
        .subquery()
    )
    bp: dict[uuid.UUID, tuple[date, str]] = {}
    glucose: dict[uuid.UUID, tuple[date, str]] = {}
    for person_id, form_code, service_date, answers, _rank in session.execute(select(latest).where(latest.c.rank == 1)):
        answers = answers or {}
        sbp, dbp = _number(answers.get("sbp")), _number(answers.get("dbp"))
        if sbp and dbp and (person_id not in bp or bp[person_id][0] < service_date):
            bp[person_id] = (service_date, f"{sbp}/{dbp}")
        value = _number(answers.get("fasting_glucose"))
        if form_code == GLUCOSE_FORM and value:
            glucose[person_id] = (service_date, value)
    result = []
    for row in rows:
        changes: dict[str, Any] = {}
        if row.person_id in bp:
            changes.update(bp_on=bp[row.person_id][0], bp=bp[row.person_id][1])
        if row.person_id in glucose:
            changes.update(glucose_on=glucose[row.person_id][0], glucose=glucose[row.person_id][1])
        result.append(replace(row, **changes) if changes else row)
    return result
