"""Supervision (督导检查): inspection plans, the reproducible record sample, each sampled record's checklist
(append-only: the newest check of a sample is the current one, the older ones its history), and findings with
their rectification (整改)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kangdang.core.clock import utcnow
from kangdang.db.base import Base, IdMixin, TimestampMixin

INSPECTION_STATUSES = ("planned", "sampled", "closed")
PHONE_RESULTS = ("confirmed", "not_confirmed", "not_reached")


class Inspection(IdMixin, TimestampMixin, Base):
    """One inspection of a unit: the county checks a township (at least twice a year), the city a county."""

    __tablename__ = "inspection"

    level: Mapped[str] = mapped_column(String(6))  # county | city: who inspects
    inspector_region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))  # the bureau's region
    target_region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)  # township or county
    year: Mapped[int] = mapped_column(SmallInteger)
    round: Mapped[int] = mapped_column(SmallInteger)  # 1, 2 … within the year
    planned_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(100))
    sample_size: Mapped[int]
    seed: Mapped[int]
    status: Mapped[str] = mapped_column(String(8), default="planned")
    created_by: Mapped[str] = mapped_column(String(64))
    sampled_at: Mapped[datetime | None]
    closed_on: Mapped[date | None]

    __table_args__ = (
        CheckConstraint("level IN ('county', 'city')", name="level_values"),
        CheckConstraint("status IN ('planned', 'sampled', 'closed')", name="status_values"),
        CheckConstraint("sample_size > 0", name="sample_size_positive"),
        Index("ix_inspection_year", "inspector_region_code", "year"),
    )


class InspectionSample(IdMixin, Base):
    """A health record drawn into an inspection's sample, in draw order within its village stratum."""

    __tablename__ = "inspection_sample"

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspection.id"))
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("health_record.id"), index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    position: Mapped[int]

    __table_args__ = (UniqueConstraint("inspection_id", "record_id"),)


class InspectionCheck(IdMixin, Base):
    """An inspector's checklist for a sampled record; a correction adds a newer row."""

    __tablename__ = "inspection_check"

    sample_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspection_sample.id"), index=True)
    filled_to_standard: Mapped[bool]  # 填写规范
    dynamic: Mapped[bool]  # 有动态记录 (used)
    phone_result: Mapped[str | None] = mapped_column(String(14))  # 电话核实: confirmed | not_confirmed | not_reached
    note: Mapped[str | None] = mapped_column(String(500))
    checked_by: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "phone_result IS NULL OR phone_result IN ('confirmed', 'not_confirmed', 'not_reached')",
            name="phone_result_values",
        ),
    )


class InspectionFinding(IdMixin, TimestampMixin, Base):
    """A problem found by an inspection, with the deadline for its rectification (整改) and how it was fixed."""

    __tablename__ = "inspection_finding"

    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspection.id"), index=True)
    institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institution.id"))
    description: Mapped[str] = mapped_column(String(500))
    deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(9), default="open")  # open | rectified
    rectified_on: Mapped[date | None]
    rectification: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[str] = mapped_column(String(64))
    rectified_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("status IN ('open', 'rectified')", name="status_values"),)
