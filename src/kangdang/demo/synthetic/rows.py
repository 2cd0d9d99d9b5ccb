"""Everything one synthetic resident adds after filing, as rows ready for a bulk insert (pure, so worker
processes make them): the history's forms, the programme episodes (管理周期) with their enrolment in the residents'
history, and each episode's care tasks (随访任务) planned exactly as ``programmes.sync`` plans them — the same
facts, the same schedule, the same task rows, the closings the forms bring — so a later re-plan changes nothing
(``tests/demo/test_synthetic_county.py``) — and the flaws of ``defects.spoil`` in its forms. For PostgreSQL the
rows come back as COPY blocks (``db.copy_text``), so that the writing process only streams them.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table

from kangdang.core.clock import utcnow
from kangdang.core.ids import new_id
from kangdang.db.bulk import table_of
from kangdang.db.copy_text import CopyBlock, encode_rows
from kangdang.demo.forms import _Resident
from kangdang.demo.synthetic import defects
from kangdang.demo.synthetic.history import Episode, history
from kangdang.demo.synthetic.population import Conditions
from kangdang.programmes.codes import ALL_PROGRAMME_FORMS
from kangdang.programmes.enrolment import check_details
from kangdang.programmes.models import CareTask
from kangdang.programmes.models import Episode as EpisodeModel
from kangdang.programmes.schedule import EpisodeFacts, FormFact, plan
from kangdang.programmes.sync import TaskOwner, close_changes, closed_columns, closes_by, diff_tasks
from kangdang.records.models import ServiceRecord
from kangdang.residents.history import json_safe
from kangdang.residents.models import ResidentChange

Row = dict[str, Any]


@dataclass(frozen=True)
class Job:
    """One resident to make: as filed (``recorded_sex`` is the sex on file, which a legacy entry may have
    wrong), with the village doctor who manages its episodes."""

    resident: _Resident
    recorded_sex: str
    doctor_id: uuid.UUID | None
    conditions: Conditions
    seed: int
    id_number: str
    today: date
    login: str
    encode: bool  # hand the rows back as COPY blocks (PostgreSQL), not as rows


TABLES: tuple[Table, ...] = tuple(
    table_of(model) for model in (ServiceRecord, EpisodeModel, ResidentChange, CareTask)
)  # in the order they are written


@dataclass
class ResidentRows:
    record_id: uuid.UUID
    forms: list[Row] = field(default_factory=list)
    episodes: list[Row] = field(default_factory=list)
    changes: list[Row] = field(default_factory=list)  # 居民档案变更记录: enrolments and closings
    tasks: list[Row] = field(default_factory=list)
    filing_complete_on: date | None = None
    blocks: list[CopyBlock] = field(default_factory=list)  # the rows above, encoded (then the lists are empty)
    counts: tuple[int, int, int] = (0, 0, 0)  # forms, episodes, tasks

    def by_table(self) -> list[list[Row]]:
        return [self.forms, self.episodes, self.changes, self.tasks]


def resident_rows(job: Job) -> ResidentRows:
    """The resident's history with its episodes and care tasks."""
    resident, today = job.resident, job.today
    made = history(resident, job.conditions, seed=job.seed, id_number=job.id_number, today=today)
    rows = ResidentRows(resident.record_id, forms=made.forms, filing_complete_on=made.filing_complete_on)
    signed = sorted(
        (
            FormFact(form["id"], form["form_code"], form["service_date"], form["answers"] or {})
            for form in made.forms
            if form["form_code"] in ALL_PROGRAMME_FORMS and form["status"] == "completed"
        ),
        key=lambda fact: (fact.service_date, fact.id),
    )
    programmes = frozenset(episode.programme.value for episode in made.episodes)
    for episode in made.episodes:
        row = _episode_row(job, episode)
        facts = EpisodeFacts(
            programme=row["programme"],
            enrolled_on=episode.enrolled_on,
            birth_date=resident.birth,
            sex=job.recorded_sex,
            details=dict(row["details"]),
            other_programmes=programmes - {row["programme"]},
            as_of=today,
        )
        result = plan(facts, signed)
        closing = closes_by(result, today)
        owner = TaskOwner(
            row["id"],
            resident.person_id,
            resident.record_id,
            row["programme"],
            resident.village_code,
            resident.institution_id,
        )
        diff_tasks(owner, result, {}, rows.tasks, [], today=today, cancel_open=closing)
        rows.episodes.append(row)
        rows.changes.append(_change(row, "programme.enrol", _enrolment(row)))
        if closing:
            assert result.closing is not None
            row.update(closed_columns(result.closing, job.login))
            rows.changes.append(_change(row, "programme.close", close_changes(result.closing)))
    defects.spoil(random.Random(f"{job.seed}:{job.id_number}:defects"), rows.forms)
    rows.counts = (len(rows.forms), len(rows.episodes), len(rows.tasks))
    if job.encode:
        rows.blocks = [encode_rows(table, found) for table, found in zip(TABLES, rows.by_table(), strict=True)]
        rows.forms, rows.episodes, rows.changes, rows.tasks = [], [], [], []
    return rows


def _episode_row(job: Job, episode: Episode) -> Row:
    resident = job.resident
    now = utcnow()
    details = check_details(
        episode.programme, episode.details, birth_date=resident.birth, enrolled_on=episode.enrolled_on, today=job.today
    )
    return {
        "id": new_id(),
        "person_id": resident.person_id,
        "record_id": resident.record_id,
        "programme": episode.programme.value,
        "status": "active",
        "enrolled_on": episode.enrolled_on,
        "enrolled_by": job.login,
        "managing_institution_id": resident.institution_id,
        "managing_doctor_id": job.doctor_id,
        "details": details,
        "closed_on": None,
        "outcome": None,
        "outcome_note": None,
        "closed_by": None,
        "refreshed_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _enrolment(episode: Row) -> dict[str, Any]:
    return {"programme": [None, episode["programme"]], "enrolled_on": [None, episode["enrolled_on"]]}


def _change(episode: Row, action: str, changes: dict[str, Any]) -> Row:
    return {
        "id": new_id(),
        "at": episode["created_at"],
        "person_id": episode["person_id"],
        "household_id": None,
        "entity": "programme_episode",
        "entity_id": str(episode["id"]),
        "action": action,
        "login": episode["enrolled_by"],  # the same system account closes what it enrolled
        "changes": json_safe(changes),
    }
