"""Filled forms (服务记录): one row per version; completed versions are immutable, corrected by amendment."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kangdang.db.base import Base, IdMixin, TimestampMixin

JSONType = JSON().with_variant(JSONB(), "postgresql")

# draft → completed (signed) → amended (superseded by a newer version) | entered_in_error
STATUSES = ("draft", "completed", "amended", "entered_in_error")
LIVE_STATUSES = ("draft", "completed")


class ServiceRecord(IdMixin, TimestampMixin, Base):
    """One version of a filled form. Versions of the same form share ``lineage_id``; only the newest lives."""

    __tablename__ = "service_record"

    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("health_record.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    form_code: Mapped[str] = mapped_column(String(40))
    form_version: Mapped[str] = mapped_column(String(12))
    service_date: Mapped[date]
    institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institution.id"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    author_name: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    lineage_id: Mapped[uuid.UUID] = mapped_column(index=True)
    version_no: Mapped[int] = mapped_column(default=1)
    amends_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_record.id"))
    amendment_reason: Mapped[str | None] = mapped_column(String(200))
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    signed_by_name: Mapped[str | None] = mapped_column(String(50))
    superseded_at: Mapped[datetime | None]
    error_reason: Mapped[str | None] = mapped_column(Text)
    error_at: Mapped[datetime | None]
    error_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'completed', 'amended', 'entered_in_error')", name="status_values"),
        Index("ix_service_record_record_date", "record_id", "service_date"),
        Index("ix_service_record_person_form_date", "person_id", "form_code", "service_date"),
        Index("ix_service_record_form_status_date", "form_code", "status", "service_date"),
        Index(
            "uq_service_record_live_lineage",
            "lineage_id",
            unique=True,
            sqlite_where=text("status IN ('draft', 'completed')"),
            postgresql_where=text("status IN ('draft', 'completed')"),
        ),
    )
