"""Institutions (医疗卫生机构), their catchment villages, practitioners and memberships."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kangdang.core.clock import utcnow
from kangdang.db.base import Base, IdMixin, TimestampMixin
from kangdang.db.types import EncryptedText


class Institution(IdMixin, TimestampMixin, Base):
    __tablename__ = "institution"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(32))  # institutions.types.InstitutionType
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institution.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | merged | closed
    closed_on: Mapped[date | None]
    successor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institution.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))

    supervisor: Mapped[Institution | None] = relationship(
        remote_side="Institution.id", foreign_keys=[supervisor_id], lazy="raise"
    )
    successor: Mapped[Institution | None] = relationship(
        remote_side="Institution.id", foreign_keys=[successor_id], lazy="raise"
    )

    __table_args__ = (
        CheckConstraint("status IN ('active', 'merged', 'closed')", name="status_values"),
        CheckConstraint("status = 'active' OR closed_on IS NOT NULL", name="closed_has_date"),
        Index("ix_institution_type_status", "type", "status"),
    )


class Catchment(IdMixin, Base):
    """A village-level unit whose residents an institution serves (服务范围), with its validity."""

    __tablename__ = "catchment"

    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]  # None: current
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_catchment_institution_current", "institution_id", "valid_to"),)


class Practitioner(IdMixin, TimestampMixin, Base):
    """A member of staff (医务人员/管理人员). The ID number is encrypted, with a blind index for lookup."""

    __tablename__ = "practitioner"

    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(1))  # GB/T 2261.1: 1 男, 2 女, 0 未知, 9 未说明
    id_number_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(EncryptedText)  # AES-GCM at rest
    qualification: Mapped[str] = mapped_column(String(32))  # institutions.types.Qualification
    licence_no: Mapped[str | None] = mapped_column(String(64))
    practice_scope: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | left

    memberships: Mapped[list[Membership]] = relationship(back_populates="practitioner", lazy="raise")

    __table_args__ = (CheckConstraint("status IN ('active', 'left')", name="status_values"),)


class Membership(IdMixin, Base):
    """A practitioner works in an institution in a role (access.roles.Role) from a date, until a date."""

    __tablename__ = "membership"

    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioner.id"), index=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    practitioner: Mapped[Practitioner] = relationship(back_populates="memberships", lazy="raise")
    institution: Mapped[Institution] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("practitioner_id", "institution_id", "role", "valid_from"),)
