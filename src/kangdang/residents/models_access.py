"""Access to a record from outside its jurisdiction: consent-gated applications (grants) and break-the-glass.

An application (查阅申请) goes pending → approved (awaiting the resident's consent) → active (a grant until
``expires_at``) → revoked (by the managing institution) or withdrawn (consent withdrawn by the resident's
side); or pending → rejected. A grant past ``expires_at`` is expired and opens nothing (checked in SQL).
An emergency access (紧急查阅) opens a record for a few hours on a stated reason and alerts the managing
institution until one of its staff acknowledges it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kangdang.core.clock import utcnow
from kangdang.db.base import Base, IdMixin, TimestampMixin
from kangdang.residents.models import JSONType

REQUEST_STATUSES = ("pending", "approved", "active", "revoked", "withdrawn", "rejected")


class AccessRequest(IdMixin, TimestampMixin, Base):
    """An application by a user of another institution to read one resident's record, and the grant it becomes."""

    __tablename__ = "access_request"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("health_record.id"))
    managing_institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    requester_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    requester_login: Mapped[str] = mapped_column(String(64))
    requester_name: Mapped[str] = mapped_column(String(50))
    requester_institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institution.id"))
    purpose: Mapped[str] = mapped_column(String(200))
    parts: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # "profile", "forms"
    duration_days: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    expires_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    consent_by_name: Mapped[str | None] = mapped_column(String(50))
    consent_relationship: Mapped[str | None] = mapped_column(String(50))  # 本人, or 监护人（关系）
    consent_method: Mapped[str | None] = mapped_column(String(10))  # signature | scan
    consent_evidence: Mapped[bytes | None] = mapped_column(LargeBinary)
    consent_evidence_type: Mapped[str | None] = mapped_column(String(40))
    consent_at: Mapped[datetime | None]
    consent_recorded_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(String(200))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))
    withdraw_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'active', 'revoked', 'withdrawn', 'rejected')", name="status_values"
        ),
        CheckConstraint("duration_days BETWEEN 1 AND 90", name="duration_range"),
        CheckConstraint("consent_method IS NULL OR consent_method IN ('signature', 'scan')", name="consent_methods"),
        Index("ix_access_request_requester_status", "requester_user_id", "status"),
        Index("ix_access_request_managing_status", "managing_institution_id", "status"),
        Index("ix_access_request_person_id", "person_id"),
    )


class EmergencyAccess(IdMixin, Base):
    """Break-the-glass (紧急查阅): a user opened a record outside their jurisdiction, for a while, with a reason."""

    __tablename__ = "emergency_access"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("health_record.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"))
    login: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(50))
    actor_institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institution.id"))
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    managing_institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_emergency_access_user_expires", "user_id", "expires_at"),
        Index("ix_emergency_access_managing_ack", "managing_institution_id", "acknowledged_at"),
    )
