"""Appraisal (绩效考核) and subsidies (补助): a county's scoring scheme (weights per item; a new version is a new
row) and the score sheets computed from it, kept for life because subsidies were paid on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kangdang.core.clock import utcnow
from kangdang.db.base import Base, IdMixin

JSONType = JSON().with_variant(JSONB(), "postgresql")


class AppraisalScheme(IdMixin, Base):
    """The weights a county gives each appraisal item for a year ({"filing_rate": 20, …}); newest wins."""

    __tablename__ = "appraisal_scheme"

    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    year: Mapped[int] = mapped_column(SmallInteger)
    weights: Mapped[dict[str, Any]] = mapped_column(JSONType)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_appraisal_scheme_lookup", "region_code", "year", "set_at"),)


class AppraisalSheet(IdMixin, Base):
    """One computed score sheet: the institutions of one kind ranked, and a budget split by score."""

    __tablename__ = "appraisal_sheet"

    scheme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appraisal_scheme.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    period: Mapped[str] = mapped_column(String(8))
    institution_kind: Mapped[str] = mapped_column(String(8))  # township | village
    budget: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    computed_by: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("institution_kind IN ('township', 'village')", name="institution_kind_values"),
        CheckConstraint("budget >= 0", name="budget_non_negative"),
    )


class AppraisalLine(IdMixin, Base):
    """One institution's line on a sheet: its item scores, total, rank and subsidy."""

    __tablename__ = "appraisal_line"

    sheet_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appraisal_sheet.id"), index=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    items: Mapped[dict[str, Any]] = mapped_column(JSONType)  # {"filing_rate": {"rate": 72.5, "score": 14.5}, …}
    score: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    rank: Mapped[int]
    subsidy: Mapped[Decimal] = mapped_column(Numeric(14, 2))
