"""Worklists (随访任务清单): the open tasks of the actor's residents that are overdue, due this week or coming
up, by programme; for a centre, counts by village and doctor. Scoped by jurisdiction like every list.

A task's state on a day (never stored, so lists are right on any day without a nightly job):
- overdue (已逾期): its last day has passed and it has not expired (the next visit's window is not open yet);
- due (本周应随访): its window opens within the next 7 days and its last day has not passed;
- upcoming (即将到期): its window opens within the next 30 days.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.pagination import Page, PageRequest
from kangdang.institutions.models import Practitioner
from kangdang.programmes.models import CareTask, Episode
from kangdang.regions.models import Region
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.scope import scope_parts, visible_by

WEEK_DAYS = 7
HORIZON_DAYS = 30
STATES = ("overdue", "due", "upcoming")


@dataclass(frozen=True)
class WorkFilter:
    programme: str | None = None
    village_code: str | None = None  # a village, or a township / county prefix
    doctor_id: uuid.UUID | None = None
    state: str | None = None  # one of STATES; None for all three


@dataclass(frozen=True)
class WorkItem:
    task_id: uuid.UUID
    episode_id: uuid.UUID
    record_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    sex: str
    birth_date: date
    short_number: str
    village_code: str
    village_name: str
    programme: str
    title: str
    note: str | None
    urgency: str
    form_code: str
    preset: dict[str, Any]
    opens_on: date
    due_on: date
    expires_on: date | None
    state: str
    days_overdue: int
    doctor_id: uuid.UUID | None
    doctor_name: str | None


@dataclass(frozen=True)
class SummaryRow:
    village_code: str
    village_name: str
    doctor_id: uuid.UUID | None
    doctor_name: str | None
    counts: dict[str, int] = field(default_factory=dict)  # state → tasks

    def count(self, state: str) -> int:
        return self.counts.get(state, 0)


def task_state(opens_on: date, due_on: date, expires_on: date | None, today: date) -> str:
    """What a task is on ``today`` (see the module docstring), including "later" and "expired"."""
    if expires_on is not None and expires_on <= today:
        return "expired"
    if due_on < today:
        return "overdue"
    if opens_on < today + timedelta(days=WEEK_DAYS):
        return "due"
    if opens_on <= today + timedelta(days=HORIZON_DAYS):
        return "upcoming"
    return "later"


def state_clauses(today: date) -> dict[str, ColumnElement[bool]]:
    week, horizon = today + timedelta(days=WEEK_DAYS), today + timedelta(days=HORIZON_DAYS)
    return {
        "overdue": CareTask.due_on < today,
        "due": and_(CareTask.due_on >= today, CareTask.opens_on < week),
        "upcoming": and_(CareTask.opens_on >= week, CareTask.opens_on <= horizon),
    }


def open_task_clauses(actor: Actor, today: date, filters: WorkFilter) -> list[ColumnElement[bool]]:
    """The live tasks the actor may see (``live_task_clauses`` within the actor's scope)."""
    return [*live_task_clauses(today, filters), _task_scope(actor)]


def live_task_clauses(today: date, filters: WorkFilter) -> list[ColumnElement[bool]]:
    """The live tasks matching ``filters``, in anyone's scope, on ``care_task``'s own columns (a doctor filter
    also needs the episode: see ``_tasks``). An open task always belongs to an active episode of an active
    record: closing either cancels its open tasks, and re-planning never opens one on a closed record
    (programmes.sync, hooks)."""
    clauses: list[ColumnElement[bool]] = [
        CareTask.status == "open",
        CareTask.opens_on <= today + timedelta(days=HORIZON_DAYS),
        or_(CareTask.expires_on.is_(None), CareTask.expires_on > today),
    ]
    if filters.programme:
        clauses.append(CareTask.programme == filters.programme)
    if filters.village_code:
        clauses.append(CareTask.village_code.startswith(filters.village_code))
    if filters.doctor_id:
        clauses.append(Episode.managing_doctor_id == filters.doctor_id)
    if filters.state in STATES:
        clauses.append(state_clauses(today)[filters.state])
    return clauses


def _task_scope(actor: Actor) -> ColumnElement[bool]:
    return visible_by(actor, CareTask.village_code, CareTask.managing_institution_id)


def _scope_parts(actor: Actor) -> list[ColumnElement[bool]]:
    """The actor's scope as disjoint parts: counts add up part by part, each read from one index only."""
    return scope_parts(actor, CareTask.village_code, CareTask.managing_institution_id)


def _tasks(stmt: Select[Any], filters: WorkFilter) -> Select[Any]:
    """``stmt`` over care_task, joined to the episode only when a doctor filter needs it."""
    stmt = stmt.select_from(CareTask)
    return stmt.join(Episode, Episode.id == CareTask.episode_id) if filters.doctor_id else stmt


def _state_case(today: date) -> Any:
    clauses = state_clauses(today)
    return case((clauses["overdue"], literal("overdue")), (clauses["due"], literal("due")), else_=literal("upcoming"))


def worklist(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    filters: WorkFilter | None = None,
    page: PageRequest | None = None,
    audit: bool = True,
) -> Page[WorkItem]:
    """The open tasks of the actor's residents: overdue first (longest overdue first), then by last day."""
    actor.require(Action.WORKLIST_VIEW)
    today = today or today_local()
    filters = filters or WorkFilter()
    page = page or PageRequest()
    live = live_task_clauses(today, filters)
    where = [*live, _task_scope(actor)]  # as open_task_clauses, with the live part kept for the counts
    stmt = (
        select(
            CareTask,
            Person.name,
            Person.sex,
            Person.birth_date,
            HealthRecord.short_number,
            CareTask.village_code,
            Episode.managing_doctor_id,
            Practitioner.name,
        )
        .join(Episode, Episode.id == CareTask.episode_id)
        .join(HealthRecord, HealthRecord.id == CareTask.record_id)
        .join(Person, Person.id == CareTask.person_id)
        .outerjoin(Practitioner, Practitioner.id == Episode.managing_doctor_id)
        .where(*where)
        # overdue first (longest overdue first), then by last day: due-date order is both, and the index's order
        .order_by(CareTask.due_on, CareTask.opens_on, Person.name, CareTask.id)
    )
    count = _tasks(select(func.count()), filters)
    total = sum(session.scalar(count.where(*live, part)) or 0 for part in _scope_parts(actor))
    items = []
    rows = session.execute(stmt.offset(page.offset).limit(page.size)).all()
    village_names = _village_names(session, {row.village_code for row in rows})  # the page's only, after the limit
    for task, name, sex, born, short, village, doctor_id, doctor_name in rows:
        state = task_state(task.opens_on, task.due_on, task.expires_on, today)
        items.append(
            WorkItem(
                task_id=task.id,
                episode_id=task.episode_id,
                record_id=task.record_id,
                person_id=task.person_id,
                name=name,
                sex=sex,
                birth_date=born,
                short_number=short,
                village_code=village,
                village_name=village_names.get(village, village),
                programme=task.programme,
                title=task.title,
                note=task.note,
                urgency=task.urgency,
                form_code=task.form_code,
                preset=dict(task.preset or {}),
                opens_on=task.opens_on,
                due_on=task.due_on,
                expires_on=task.expires_on,
                state=state,
                days_overdue=max(0, (today - task.due_on).days),
                doctor_id=doctor_id,
                doctor_name=doctor_name,
            )
        )
    if audit:
        record_event(
            session,
            actor,
            "worklist.view",
            subject_type="worklist",
            subject_id=None,
            details={"filters": filter_details(filters), "page": page.page, "total": total, "on": today.isoformat()},
        )
    return Page(items, total, page.page, page.size)


def _village_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())


def filter_details(filters: WorkFilter) -> dict[str, str]:
    values = {
        "programme": filters.programme,
        "village": filters.village_code,
        "state": filters.state,
        "doctor": str(filters.doctor_id) if filters.doctor_id else None,
    }
    return {k: v for k, v in values.items() if v}


def worklist_counts(
    session: Session, actor: Actor, *, today: date | None = None, filters: WorkFilter | None = None
) -> dict[str, dict[str, int]]:
    """{programme: {state: tasks}} for the actor's residents (the worklist's tabs)."""
    actor.require(Action.WORKLIST_VIEW)
    today = today or today_local()
    state = _state_case(today)
    filters = filters or WorkFilter()
    stmt = (
        _tasks(select(CareTask.programme, state, func.count()), filters)
        .where(*live_task_clauses(today, filters))
        .group_by(CareTask.programme, state)
    )
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for part in _scope_parts(actor):
        for programme, name, number in session.execute(stmt.where(part)):
            counts[programme][name] += number
    return {programme: dict(states) for programme, states in counts.items()}


def worklist_summary(
    session: Session, actor: Actor, *, today: date | None = None, filters: WorkFilter | None = None
) -> list[SummaryRow]:
    """Counts by village and managing doctor (a township or county view), villages in code order."""
    actor.require(Action.WORKLIST_VIEW)
    today = today or today_local()
    state = _state_case(today)
    stmt = (
        select(CareTask.village_code, Episode.managing_doctor_id, state, func.count())
        .join(Episode, Episode.id == CareTask.episode_id)
        .where(*open_task_clauses(actor, today, filters or WorkFilter()))
        .group_by(CareTask.village_code, Episode.managing_doctor_id, state)
    )
    grouped: dict[tuple[str, uuid.UUID | None], dict[str, int]] = defaultdict(dict)
    for village, doctor, name, number in session.execute(stmt):
        grouped[(village, doctor)][name] = number
    villages = _village_names(session, {v for v, _ in grouped})
    doctors = dict(
        session.execute(
            select(Practitioner.id, Practitioner.name).where(Practitioner.id.in_({d for _, d in grouped if d}))
        ).all()
    )
    rows = [
        SummaryRow(village, villages.get(village, village), doctor, doctors.get(doctor) if doctor else None, counts)
        for (village, doctor), counts in grouped.items()
    ]
    return sorted(rows, key=lambda r: (r.village_code, r.doctor_name or ""))
