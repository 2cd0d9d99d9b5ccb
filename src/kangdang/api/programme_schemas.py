"""Request and response shapes of the programme and worklist routes (管理项目, 随访任务清单)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kangdang.programmes.codes import OUTCOME_LABELS, STATE_LABELS, URGENCY_LABELS, Programme
from kangdang.programmes.models import CareTask
from kangdang.programmes.service import EpisodeView
from kangdang.programmes.worklist import STATES, SummaryRow, WorkItem, task_state
from kangdang.records.context import age_in_years
from kangdang.residents.codes import SEXES

StateFilter = Literal["overdue", "due", "upcoming"]


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme: Programme = Field(
        description="child | maternal | elderly | hypertension | diabetes | mental | tuberculosis"
    )
    enrolled_on: date | None = Field(default=None, description="Default: today; not in the future")
    managing_doctor_id: uuid.UUID | None = Field(
        default=None, description="Default: the record's responsible doctor, else the caller"
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Programme facts — maternal: lmp or gestational_weeks (+ gestational_days), delivery_date, "
        "discharge_date; tuberculosis: notified_on, treatment_start, patient_type (1 初治, 2 复治); "
        "child: discharge_date. Dates as YYYY-MM-DD.",
    )


class EpisodeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    details: dict[str, Any] | None = Field(
        default=None, description="Facts to change (merged into the current ones), e.g. the delivery_date"
    )
    managing_doctor_id: uuid.UUID | None = Field(default=None, description="Hand the episode to another doctor")


class EpisodeClosure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(
        max_length=20, description="Outcome (转归) code: " + ", ".join(f"{k} {v}" for k, v in OUTCOME_LABELS.items())
    )
    note: str | None = Field(default=None, max_length=200, description="Required when the outcome is other")
    closed_on: date | None = Field(default=None, description="Default: today; between enrolment and today")


def _task_state(task: CareTask, today: date) -> str:
    if task.status != "open":
        return task.status
    return task_state(task.opens_on, task.due_on, task.expires_on, today)


class TaskOut(BaseModel):
    id: uuid.UUID
    key: str
    title: str
    form_code: str
    preset: dict[str, Any]
    opens_on: date
    due_on: date
    expires_on: date | None
    urgency: str
    urgency_label: str
    note: str | None
    status: str = Field(
        description="open | done | expired (its window closed without the visit); cancelled tasks are not listed"
    )
    state: str = Field(description="overdue | due | upcoming | later | expired for an open task; else done")
    state_label: str
    done_on: date | None
    done_form_id: uuid.UUID | None

    @classmethod
    def of(cls, task: CareTask, today: date) -> TaskOut:
        state = _task_state(task, today)
        return cls(
            id=task.id,
            key=task.key,
            title=task.title,
            form_code=task.form_code,
            preset=dict(task.preset or {}),
            opens_on=task.opens_on,
            due_on=task.due_on,
            expires_on=task.expires_on,
            urgency=task.urgency,
            urgency_label=URGENCY_LABELS.get(task.urgency, task.urgency),
            note=task.note,
            status=task.status,
            state=state,
            state_label=STATE_LABELS.get(state, state),
            done_on=task.done_on,
            done_form_id=task.done_form_id,
        )


class EpisodeOut(BaseModel):
    id: uuid.UUID
    record_id: uuid.UUID
    person_id: uuid.UUID
    programme: str
    programme_label: str
    status: str = Field(description="active | closed")
    enrolled_on: date
    enrolled_by: str
    managing_institution_id: uuid.UUID
    managing_institution_name: str
    managing_doctor_id: uuid.UUID | None
    managing_doctor_name: str | None
    details: dict[str, Any]
    closed_on: date | None
    outcome: str | None
    outcome_label: str | None
    outcome_note: str | None
    closed_by: str | None
    tasks: list[TaskOut] = Field(description="Open and done tasks, by the day their window opens")

    @classmethod
    def of(cls, view: EpisodeView, today: date) -> EpisodeOut:
        episode = view.episode
        return cls(
            id=episode.id,
            record_id=episode.record_id,
            person_id=episode.person_id,
            programme=episode.programme,
            programme_label=view.programme.label,
            status=episode.status,
            enrolled_on=episode.enrolled_on,
            enrolled_by=episode.enrolled_by,
            managing_institution_id=episode.managing_institution_id,
            managing_institution_name=view.institution_name,
            managing_doctor_id=episode.managing_doctor_id,
            managing_doctor_name=view.doctor_name,
            details=dict(episode.details or {}),
            closed_on=episode.closed_on,
            outcome=episode.outcome,
            outcome_label=OUTCOME_LABELS.get(episode.outcome) if episode.outcome else None,
            outcome_note=episode.outcome_note,
            closed_by=episode.closed_by,
            tasks=[TaskOut.of(task, today) for task in view.tasks],
        )


class SuggestionOut(BaseModel):
    programme: str
    programme_label: str
    reason: str = Field(description="Why, in Chinese (e.g. 年满65岁)")


class WorkItemOut(BaseModel):
    task_id: uuid.UUID
    episode_id: uuid.UUID
    record_id: uuid.UUID
    person_id: uuid.UUID
    short_number: str = Field(description="The last 8 digits of the record number")
    name: str
    sex: str
    sex_label: str | None
    birth_date: date
    age: int
    village_code: str
    village_name: str
    programme: str
    programme_label: str
    title: str
    note: str | None
    urgency: str
    urgency_label: str
    form_code: str = Field(description="The form that does the task (POST /residents/{record_id}/forms)")
    preset: dict[str, Any] = Field(description="Answers the form opens with")
    opens_on: date
    due_on: date
    expires_on: date | None
    state: str = Field(description="overdue | due | upcoming")
    state_label: str
    days_overdue: int
    doctor_id: uuid.UUID | None
    doctor_name: str | None

    @classmethod
    def of(cls, item: WorkItem, today: date) -> WorkItemOut:
        return cls(
            task_id=item.task_id,
            episode_id=item.episode_id,
            record_id=item.record_id,
            person_id=item.person_id,
            short_number=item.short_number,
            name=item.name,
            sex=item.sex,
            sex_label=SEXES.get(item.sex),
            birth_date=item.birth_date,
            age=age_in_years(item.birth_date, today),
            village_code=item.village_code,
            village_name=item.village_name,
            programme=item.programme,
            programme_label=Programme(item.programme).label,
            title=item.title,
            note=item.note,
            urgency=item.urgency,
            urgency_label=URGENCY_LABELS.get(item.urgency, item.urgency),
            form_code=item.form_code,
            preset=item.preset,
            opens_on=item.opens_on,
            due_on=item.due_on,
            expires_on=item.expires_on,
            state=item.state,
            state_label=STATE_LABELS.get(item.state, item.state),
            days_overdue=item.days_overdue,
            doctor_id=item.doctor_id,
            doctor_name=item.doctor_name,
        )


class ProgrammeCountsOut(BaseModel):
    programme: str
    programme_label: str
    overdue: int
    due: int
    upcoming: int
    total: int


class WorklistCountsOut(BaseModel):
    on: date = Field(description="The day the states are computed for (today)")
    by_programme: dict[str, dict[str, int]] = Field(description="{programme: {overdue, due, upcoming: tasks}}")
    programmes: list[ProgrammeCountsOut] = Field(description="The same, as rows in programme order, with labels")
    totals: dict[str, int] = Field(description="{overdue, due, upcoming, total: tasks} over every programme")

    @classmethod
    def of(cls, counts: dict[str, dict[str, int]], on: date) -> WorklistCountsOut:
        by_programme = {
            p.value: {state: counts[p.value].get(state, 0) for state in STATES} for p in Programme if p.value in counts
        }
        rows = [
            ProgrammeCountsOut(programme=code, programme_label=Programme(code).label, total=sum(n.values()), **n)
            for code, n in by_programme.items()
        ]
        totals = {state: sum(n[state] for n in by_programme.values()) for state in STATES}
        return cls(on=on, by_programme=by_programme, programmes=rows, totals=totals | {"total": sum(totals.values())})


class SummaryRowOut(BaseModel):
    village_code: str
    village_name: str
    doctor_id: uuid.UUID | None
    doctor_name: str | None
    overdue: int
    due: int
    upcoming: int
    total: int

    @classmethod
    def of(cls, row: SummaryRow) -> SummaryRowOut:
        counts = {state: row.count(state) for state in STATES}
        return cls(
            village_code=row.village_code,
            village_name=row.village_name,
            doctor_id=row.doctor_id,
            doctor_name=row.doctor_name,
            total=sum(counts.values()),
            **counts,
        )


class WorklistSummaryOut(BaseModel):
    on: date
    rows: list[SummaryRowOut] = Field(description="One row per village and managing doctor, villages in code order")
    totals: dict[str, int] = Field(description="{overdue, due, upcoming, total: tasks} over every row")

    @classmethod
    def of(cls, rows: list[SummaryRow], on: date) -> WorklistSummaryOut:
        out = [SummaryRowOut.of(row) for row in rows]
        totals = {state: sum(getattr(r, state) for r in out) for state in (*STATES, "total")}
        return cls(on=on, rows=out, totals=totals)
