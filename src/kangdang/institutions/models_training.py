"""Training records kept with a practitioner (培训记录), and an institution's responsible records managers
(档案管理责任人, seed 003 §.(1)), who may be named only with a passed training.

Neither is ever deleted: a wrong training entry is withdrawn with a reason, a designation ends with a reason.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from kangdang.core.clock import utcnow
from kangdang.db.base import Base, IdMixin


class TrainingRecord(IdMixin, Base):
    """One course a practitioner attended: when, for how long, the score and whether they passed."""

    __tablename__ = "practitioner_training"

    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioner.id"), index=True)
    course: Mapped[str] = mapped_column(String(100))
    held_on: Mapped[date]
    hours: Mapped[float | None] = mapped_column(Numeric(5, 1, asdecimal=False))
    score: Mapped[float | None] = mapped_column(Numeric(4, 1, asdecimal=False))  # None: pass/fail only
    passed: Mapped[bool]
    organiser: Mapped[str] = mapped_column(String(100))
    certificate_no: Mapped[str | None] = mapped_column(String(50))
    recorded_by: Mapped[str] = mapped_column(String(64))  # login of who entered it
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="valid")  # valid | withdrawn
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("status IN ('valid', 'withdrawn')", name="status_values"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        CheckConstraint("hours IS NULL OR hours > 0", name="hours_positive"),
        CheckConstraint("status = 'valid' OR withdrawal_reason IS NOT NULL", name="withdrawn_has_reason"),
    )


class RecordsKeeper(IdMixin, Base):
    """A practitioner named responsible records manager of an institution, from a date until a date."""

    __tablename__ = "records_keeper"

    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioner.id"), index=True)
    training_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("practitioner_training.id"))  # the basis
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]  # last day (inclusive); None: current
    designated_by: Mapped[str] = mapped_column(String(64))
    designated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None]
    reason_ended: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR reason_ended IS NOT NULL", name="ended_has_reason"),
        Index("ix_records_keeper_institution_current", "institution_id", "valid_to"),
        # One open designation per person and institution.
        Index(
            "uq_records_keeper_open",
            "institution_id",
            "practitioner_id",
            unique=True,
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
    )
