"""Indicator figures (指标) and their settings: county parameters and targets (versioned: the newest row wins and
the older ones are the history), the per-village base cells, the precomputed values every page reads, the
villages waiting for an incremental refresh, the runs of a full recompute, and each record's quality status.

Pages never aggregate live: ``IndicatorCell`` holds one village × managing institution × indicator × period,
recomputed when something in the village changes (``indicators.refresh``); ``IndicatorValue`` is the sum of
cells per village, township, county and institution, split by urban/rural (``area_type``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, SmallInteger, String, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kangdang.core.clock import utcnow
from kangdang.db.base import Base, IdMixin

JSONType = JSON().with_variant(JSONB(), "postgresql")

AREA_TYPES = ("all", "urban", "rural")
UNIT_KINDS = ("village", "township", "county", "institution")
QUALITY_STATUSES = ("ok", "defective", "invalid")


class IndicatorParameter(IdMixin, Base):
    """A county's setting of one indicator parameter (e.g. the usage-rate window); never updated in place."""

    __tablename__ = "indicator_parameter"

    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))  # the county
    key: Mapped[str] = mapped_column(String(40))
    value: Mapped[Any] = mapped_column(JSONType)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_indicator_parameter_lookup", "region_code", "key", "set_at"),)


class IndicatorTarget(IdMixin, Base):
    """A county's target for one indicator, year and area type (工作目标, e.g. urban 70%, rural 30%)."""

    __tablename__ = "indicator_target"

    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    indicator: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(SmallInteger)
    area_type: Mapped[str] = mapped_column(String(5))
    target: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent; None clears the target
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("area_type IN ('all', 'urban', 'rural')", name="area_type_values"),
        CheckConstraint("target IS NULL OR (target >= 0 AND target <= 100)", name="target_range"),
        Index("ix_indicator_target_lookup", "region_code", "year", "indicator", "set_at"),
    )


class IndicatorCell(Base):
    """The base grain: one village's residents under one managing institution, for one indicator and period."""

    __tablename__ = "indicator_cell"

    indicator: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # 2027, 2027Q1, 2027M01
    village_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    numerator: Mapped[int]
    denominator: Mapped[int]

    __table_args__ = (Index("ix_indicator_cell_village", "village_code"),)


class IndicatorValue(Base):
    """A precomputed figure of one unit (village, township, county or institution) for one period and area type.

    ``denominator`` is None when it comes from the population table (建档率) and no population was entered.
    """

    __tablename__ = "indicator_value"

    indicator: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    unit_kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(36), primary_key=True)  # region code or institution id
    area_type: Mapped[str] = mapped_column(String(5), primary_key=True)
    numerator: Mapped[int]
    denominator: Mapped[int | None]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_indicator_value_read", "unit_kind", "period", "indicator"),)


class IndicatorDirty(IdMixin, Base):
    """A village whose figures must be recomputed; marked in the transaction that changed it, taken by the
    refresher (which deletes exactly the marks it read, so a later mark is never lost)."""

    __tablename__ = "indicator_dirty"

    village_code: Mapped[str] = mapped_column(String(12))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndicatorRun(IdMixin, Base):
    """A full recompute, with its progress (villages done of total) for the page that started it."""

    __tablename__ = "indicator_run"

    region_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(8), default="running")  # running | done | failed
    total_units: Mapped[int] = mapped_column(default=0)
    done_units: Mapped[int] = mapped_column(default=0)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (CheckConstraint("status IN ('running', 'done', 'failed')", name="status_values"),)


class RecordQuality(Base):
    """The automatic quality check (质量控制) of one health record: its status and the reasons, in Chinese."""

    __tablename__ = "record_quality"

    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("health_record.id"), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    village_code: Mapped[str] = mapped_column(String(12))
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    status: Mapped[str] = mapped_column(String(9))
    # [{"rule": "basic_info_missing", "text": "个人基本信息表缺3项：…", "form": "personal_basic_info"}, …]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    checked_on: Mapped[date]

    __table_args__ = (
        CheckConstraint("status IN ('ok', 'defective', 'invalid')", name="status_values"),
        Index("ix_record_quality_village_status", "village_code", "status"),
    )


# The tables written in bulk (executemany through the connection, past the ORM).
CELL_TABLE: Table = IndicatorCell.__table__  # type: ignore[assignment]
VALUE_TABLE: Table = IndicatorValue.__table__  # type: ignore[assignment]
QUALITY_TABLE: Table = RecordQuality.__table__  # type: ignore[assignment]
