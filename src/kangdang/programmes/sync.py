"""Keep each active episode's tasks equal to its plan: after enrolment, an edit, a form signed, amended or
withdrawn, and daily (``kangdang programmes refresh``) for the closings the calendar brings.

Works on many residents at once with a handful of queries (the demo and bulk imports use the same path):
episodes, persons and forms are read per chunk, new tasks inserted in bulk, changed ones updated in bulk.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor, system_actor
from kangdang.core.clock import today_local, utcnow
from kangdang.core.ids import new_id
from kangdang.db.bulk import insert_rows
from kangdang.programmes.codes import ALL_PROGRAMME_FORMS
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.schedule import EpisodeFacts, FormFact, Plan, plan
from kangdang.programmes.schedule.types import Closing, PlannedTask
from kangdang.records.models import ServiceRecord
from kangdang.residents.history import record_change
from kangdang.residents.models import HealthRecord, Person

CHUNK = 500
TASK_TABLE: Table = CareTask.__table__  # type: ignore[assignment]
TASK_FIELDS = (
    "title",
    "form_code",
    "preset",
    "opens_on",
    "due_on",
    "expires_on",
    "urgency",
    "note",
    "status",
    "done_on",
    "done_form_id",
)


class TaskOwner(NamedTuple):
    """The episode a task row belongs to (the columns a task copies from it and from its record)."""

    id: uuid.UUID
    person_id: uuid.UUID
    record_id: uuid.UUID
    programme: str
    village_code: str  # the record's responsible village
    managing_institution_id: uuid.UUID  # the record's keeper


def refresh_people(
    session: Session, person_ids: Iterable[uuid.UUID], *, today: date | None = None, actor: Actor | None = None
) -> int:
    """Re-plan the active episodes of these residents; returns how many tasks were added or changed."""
    ids = list(dict.fromkeys(person_ids))
    today = today or today_local()
    actor = actor or system_actor()
    changed = 0
    for start in range(0, len(ids), CHUNK):
        changed += _refresh_chunk(session, ids[start : start + CHUNK], today, actor)
    return changed


def refresh_all(session: Session, *, today: date | None = None) -> int:
    """Every resident with an active episode (the daily run): first the tasks whose window closed since the last
    run are expired in one statement, then every plan is compared with its tasks."""
    today = today or today_local()
    expired = expire_lapsed(session, today)
    ids = session.scalars(select(Episode.person_id).where(Episode.status == "active").distinct())
    return expired + refresh_people(session, list(ids), today=today)


def expire_lapsed(session: Session, today: date) -> int:
    """Open tasks whose window closed by ``today`` without their visit become "expired" (what re-planning would
    make of them, in one indexed statement). Until this runs, worklists leave them out by their dates."""
    result = session.execute(
        update(CareTask)
        .where(CareTask.status == "open", CareTask.expires_on <= today)
        .values(status="expired", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def episode_facts(episode: Episode, person: Person, others: Iterable[str], today: date | None = None) -> EpisodeFacts:
    return EpisodeFacts(
        programme=episode.programme,
        enrolled_on=episode.enrolled_on,
        birth_date=person.birth_date,
        sex=person.sex,
        details=dict(episode.details or {}),
        other_programmes=frozenset(others) - {episode.programme},
        as_of=today,
    )


def _refresh_chunk(session: Session, ids: Sequence[uuid.UUID], today: date, actor: Actor) -> int:
    # locked in id order (PostgreSQL): two transactions re-planning the same episode take turns instead of both
    # inserting its new tasks
    episodes = list(
        session.scalars(
            select(Episode)
            .where(Episode.person_id.in_(ids), Episode.status == "active")
            .order_by(Episode.id)
            .with_for_update()
        )
    )
    if not episodes:
        return 0
    persons = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_({e.person_id for e in episodes})))}
    records = {
        row.id: row
        for row in session.execute(
            select(
                HealthRecord.id, HealthRecord.village_code, HealthRecord.managing_institution_id, HealthRecord.status
            ).where(HealthRecord.id.in_({e.record_id for e in episodes}))
        )
    }
    forms: dict[uuid.UUID, list[FormFact]] = defaultdict(list)
    rows = session.execute(
        select(
            ServiceRecord.id,
            ServiceRecord.person_id,
            ServiceRecord.form_code,
            ServiceRecord.service_date,
            ServiceRecord.answers,
        )
        .where(
            ServiceRecord.person_id.in_(persons),
            ServiceRecord.form_code.in_(ALL_PROGRAMME_FORMS),
            ServiceRecord.status == "completed",
        )
        .order_by(ServiceRecord.service_date, ServiceRecord.id)
    )
    for form_id, person_id, code, day, answers in rows:
        forms[person_id].append(FormFact(form_id, code, day, answers or {}))
    existing: dict[uuid.UUID, dict[str, CareTask]] = defaultdict(dict)
    for task in session.scalars(select(CareTask).where(CareTask.episode_id.in_([e.id for e in episodes]))):
        existing[task.episode_id][task.key] = task
    active: dict[uuid.UUID, set[str]] = defaultdict(set)
    for episode in episodes:
        active[episode.person_id].add(episode.programme)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for episode in episodes:
        person = persons[episode.person_id]
        result = plan(episode_facts(episode, person, active[episode.person_id], today), forms[episode.person_id])
        closing = closes_by(result, today)
        record = records[episode.record_id]
        owner = TaskOwner(
            episode.id,
            episode.person_id,
            episode.record_id,
            episode.programme,
            record.village_code,
            record.managing_institution_id,
        )
        # a closed record has no open tasks, even while an episode on it is (wrongly) left active
        cancel_open = closing or record.status != "active"
        diff_tasks(owner, result, existing[episode.id], inserts, updates, today=today, cancel_open=cancel_open)
        if closing:
            _close(session, actor, episode, result)
        episode.refreshed_at = utcnow()
    session.flush()
    if inserts:
        # the table, not the ORM entity (the ORM splits rows by which keys are None): COPY on PostgreSQL
        insert_rows(session, TASK_TABLE, inserts)
    if updates:
        session.execute(update(CareTask), updates)
        for tasks in existing.values():
            for task in tasks.values():
                session.expire(task)
    return len(inserts) + len(updates)


def _values(task: PlannedTask, today: date) -> dict[str, Any]:
    return {
        "title": task.title,
        "form_code": task.form_code,
        "preset": dict(task.preset),
        "opens_on": task.opens_on,
        "due_on": task.due_on,
        "expires_on": task.expires_on,
        "urgency": task.urgency,
        "note": task.note,
        "status": task.status_on(today),
        "done_on": task.done_on,
        "done_form_id": task.done_form_id,
    }


def closes_by(result: Plan, today: date) -> bool:
    """Whether the plan closes the episode by ``today`` (its open tasks are then cancelled)."""
    return result.closing is not None and result.closing.on <= today


def diff_tasks(
    episode: TaskOwner,
    result: Plan,
    existing: dict[str, CareTask],
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    *,
    today: date,
    cancel_open: bool,
) -> None:
    """Rows to insert and to update so that the stored tasks equal the plan as of ``today`` (open ones cancelled
    on close, lapsed ones expired); with no ``existing`` tasks (a new episode), inserts only."""
    now = utcnow()
    planned_keys = set()
    for task in result.tasks:
        planned_keys.add(task.key)
        values = _values(task, today)
        if cancel_open and values["status"] == "open":
            values["status"] = "cancelled"
        row = existing.get(task.key)
        if row is None:
            inserts.append(
                {
                    "id": new_id(),
                    "episode_id": episode.id,
                    "person_id": episode.person_id,
                    "record_id": episode.record_id,
                    "village_code": episode.village_code,
                    "managing_institution_id": episode.managing_institution_id,
                    "programme": episode.programme,
                    "key": task.key,
                    "created_at": now,
                    "updated_at": now,
                    **values,
                }
            )
        elif any(getattr(row, name) != values[name] for name in TASK_FIELDS):
            updates.append({"id": row.id, "updated_at": now, **values})
    for key, row in existing.items():
        if key not in planned_keys and row.status != "cancelled":
            updates.append({"id": row.id, "updated_at": now, "status": "cancelled"})


def _close(session: Session, actor: Actor, episode: Episode, result: Plan) -> None:
    """A form (or the calendar) ended the episode: close it with the outcome (its open tasks are cancelled)."""
    closing = result.closing
    assert closing is not None
    for name, value in closed_columns(closing, actor.login).items():
        setattr(episode, name, value)
    record_change(
        session,
        actor,
        entity="programme_episode",
        entity_id=episode.id,
        action="programme.close",
        changes=close_changes(closing),
        person_id=episode.person_id,
    )


def closed_columns(closing: Closing, login: str) -> dict[str, Any]:
    """An episode's columns once the plan's closing ended it."""
    return {
        "status": "closed",
        "closed_on": closing.on,
        "outcome": closing.outcome,
        "outcome_note": closing.note,
        "closed_by": login,
    }


def close_changes(closing: Closing) -> dict[str, Any]:
    """What the residents' history keeps of a closing (``programme.close``)."""
    return {"status": ["active", "closed"], "outcome": [None, closing.outcome], "closed_on": [None, closing.on]}
