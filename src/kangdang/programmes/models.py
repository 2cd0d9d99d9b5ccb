"""Programme episodes (管理周期) and their scheduled tasks (随访任务).

An episode runs from enrolment to its close (with an outcome); its tasks are the due windows the
national schedule gives it, recomputed from the episode and the resident's signed forms whenever either
changes (``programmes.sync``). Tasks are derived data: a task that a new plan no longer contains is
cancelled, never deleted, and a task done by a form keeps the form it was done by.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kangdang.db.base import Base, IdMixin, TimestampMixin
from kangdang.db.types import bytewise_text

JSONType = JSON().with_variant(JSONB(), "postgresql")

EPISODE_STATUSES = ("active", "closed")
TASK_STATUSES = ("open", "done", "expired", "cancelled")


class Episode(IdMixin, TimestampMixin, Base):
    """One resident's time in one programme: a pregnancy, a TB treatment course, a chronic condition."""

    __tablename__ = "programme_episode"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("health_record.id"), index=True)
    programme: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default="active")
    enrolled_on: Mapped[date]
    enrolled_by: Mapped[str] = mapped_column(String(64))
    managing_institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    managing_doctor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("practitioner.id"))
    # programme facts: maternal lmp / delivery_date / discharge_date; tuberculosis notified_on / patient_type /
    # treatment_start; child discharge_date (see programmes.schedule.types.EpisodeFacts)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    closed_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_note: Mapped[str | None] = mapped_column(String(200))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    refreshed_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("status IN ('active', 'closed')", name="status_values"),
        CheckConstraint("status = 'active' OR outcome IS NOT NULL", name="closed_has_outcome"),
        Index(
            "uq_programme_episode_active",
            "person_id",
            "programme",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_programme_episode_programme_status", "programme", "status", "enrolled_on"),
        Index("ix_programme_episode_doctor_status", "managing_doctor_id", "status"),
    )


OPEN_TASK_COUNTED = ("village_code", "opens_on", "expires_on", "due_on", "programme")


class CareTask(IdMixin, TimestampMixin, Base):
    """A due window of an episode: what to do (a form), from when, by when, and until when it still counts."""

    __tablename__ = "care_task"

    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programme_episode.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("health_record.id"))
    # the record's responsible village and keeper, copied when the task is planned and moved with the record
    # (programmes.hooks), so that a worklist scopes and counts its open tasks from this table alone
    village_code: Mapped[str] = mapped_column(bytewise_text(12))
    managing_institution_id: Mapped[uuid.UUID]
    programme: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(40))  # unique within the episode, e.g. "antenatal:2", "followup:5"
    title: Mapped[str] = mapped_column(String(60))
    form_code: Mapped[str] = mapped_column(String(40))
    preset: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # answers the form opens with
    opens_on: Mapped[date]
    due_on: Mapped[date]
    expires_on: Mapped[date | None]  # after this day the visit no longer counts (the next one is due)
    urgency: Mapped[str] = mapped_column(String(10), default="routine")
    note: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="open")
    done_on: Mapped[date | None]
    done_form_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_record.id"))

    __table_args__ = (
        CheckConstraint("status IN ('open', 'done', 'expired', 'cancelled')", name="status_values"),
        CheckConstraint("urgency IN ('routine', 'recheck', 'referral', 'emergency')", name="urgency_values"),
        CheckConstraint("opens_on <= due_on", name="window_order"),
        Index("uq_care_task_episode_key", "episode_id", "key", unique=True),
        Index("ix_care_task_record_status_due", "record_id", "status", "due_on"),
        Index("ix_care_task_status_due", "status", "due_on"),
        Index("ix_care_task_done_form", "done_form_id"),
        # open tasks only (a small part of the table), with every column a worklist count reads, so that each
        # part of a scope (its villages; what its institutions keep elsewhere) is counted from its index alone
        Index(
            "ix_care_task_open_village",
            *OPEN_TASK_COUNTED,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "ix_care_task_open_institution",
            "managing_institution_id",
            *OPEN_TASK_COUNTED,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
