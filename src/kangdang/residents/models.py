"""The person index (EMPI), health records, households, transfers, duplicates and their history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from kangdang.core.clock import utcnow
from kangdang.db.base import Base, IdMixin, TimestampMixin
from kangdang.db.types import EncryptedText, bytewise_text
from kangdang.residents.phones import phone_index

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Person(IdMixin, TimestampMixin, Base):
    """One person, identified by one identity document (type + number). Merged persons stay as pointers."""

    __tablename__ = "person"

    document_type: Mapped[str | None] = mapped_column(String(2))  # residents.codes.DOCUMENT_TYPES
    document_index: Mapped[str | None] = mapped_column(String(64))  # HMAC blind index of the number
    document_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)  # AES-GCM
    document_masked: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(bytewise_text(50), index=True)
    name_pinyin: Mapped[str] = mapped_column(String(200))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date]
    ethnicity: Mapped[str] = mapped_column(String(2), default="01")
    phone: Mapped[str | None] = mapped_column(EncryptedText)  # AES-GCM at rest; found through phone_index
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)  # HMAC blind index of the number
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(EncryptedText)
    residence_type: Mapped[str] = mapped_column(String(1), default="1")
    registered_region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    registered_address: Mapped[str | None] = mapped_column(String(200))
    current_region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    current_address: Mapped[str | None] = mapped_column(String(200))
    work_unit: Mapped[str | None] = mapped_column(String(100))
    mother_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    status: Mapped[str] = mapped_column(String(8), default="active")  # active | merged
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))

    __table_args__ = (
        UniqueConstraint("document_type", "document_index"),
        # a search by number knows the number, not its document type: the blind index on its own
        Index("ix_person_document_index", "document_index"),
        Index("ix_person_birth_sex", "birth_date", "sex"),
        CheckConstraint("status IN ('active', 'merged')", name="status_values"),
    )


class PersonSearchKey(Base):
    """A pinyin key (full or initials) under which a person is found; prefix searches use the index."""

    __tablename__ = "person_search_key"

    key: Mapped[str] = mapped_column(bytewise_text(64), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), primary_key=True, index=True)


class HealthRecord(IdMixin, TimestampMixin, Base):
    """A resident's health record (健康档案): one open record per person; numbers never change."""

    __tablename__ = "health_record"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    record_number: Mapped[str] = mapped_column(bytewise_text(20), unique=True)
    short_number: Mapped[str] = mapped_column(String(8), index=True)  # last 8 digits, as printed on forms
    numbering_unit: Mapped[str] = mapped_column(String(12))
    serial: Mapped[int]
    # the village responsible now
    village_code: Mapped[str] = mapped_column(bytewise_text(12), ForeignKey("region.code"))
    managing_institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    filing_institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    responsible_doctor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("practitioner.id"))
    filed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    filed_by_name: Mapped[str | None] = mapped_column(String(50))
    filed_on: Mapped[date]
    paper_location: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(8), default="active")  # active | closed
    closed_on: Mapped[date | None]
    closure_reason: Mapped[str | None] = mapped_column(String(1))
    closure_note: Mapped[str | None] = mapped_column(String(200))
    # the day the cover and 个人基本信息表 (for children 0–6: the newborn visit form) were both completed
    filing_complete_on: Mapped[date | None]

    __table_args__ = (
        CheckConstraint("status IN ('active', 'closed')", name="status_values"),
        Index(
            "uq_health_record_open_person",
            "person_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_health_record_village_status", "village_code", "status"),
        Index("ix_health_record_managing_status", "managing_institution_id", "status"),
    )


class NumberCounter(Base):
    """The next serial of a numbering unit (a village for records, 'H' + village for households)."""

    __tablename__ = "number_counter"

    unit: Mapped[str] = mapped_column(String(24), primary_key=True)
    next_serial: Mapped[int] = mapped_column(Integer)


class Household(IdMixin, TimestampMixin, Base):
    """A family record (家庭档案). A household without members stays on file."""

    __tablename__ = "household"

    household_number: Mapped[str] = mapped_column(String(17), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    head_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    kitchen_ventilation: Mapped[str | None] = mapped_column(String(1))
    fuel_type: Mapped[str | None] = mapped_column(String(1))
    water_source: Mapped[str | None] = mapped_column(String(1))
    toilet_type: Mapped[str | None] = mapped_column(String(1))
    livestock_pen: Mapped[str | None] = mapped_column(String(1))
    economic_status: Mapped[str | None] = mapped_column(String(1))
    main_problems: Mapped[str | None] = mapped_column(String(500))


class HouseholdMember(IdMixin, Base):
    __tablename__ = "household_member"

    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    relationship: Mapped[str] = mapped_column(String(2))  # GB/T 4761, to the head
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_household_member_household_current", "household_id", "valid_to"),
        Index("ix_household_member_person_current", "person_id", "valid_to"),
    )


class RecordTransfer(IdMixin, Base):
    """Moving a record to another institution: 待确认 → 已确认 or 已退回 (or withdrawn by the sender)."""

    __tablename__ = "record_transfer"

    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("health_record.id"), index=True)
    from_institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"))
    to_institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"), index=True)
    from_village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    to_village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'returned', 'cancelled')", name="status_values"),
        Index("ix_record_transfer_status", "status", "to_institution_id"),
    )


class ResidentChange(IdMixin, Base):
    """History of every change to a person, record, household or membership: who, when, old and new."""

    __tablename__ = "resident_change"

    at: Mapped[datetime] = mapped_column(default=utcnow)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"), index=True)
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("household.id"), index=True)
    # person | record | household | member | transfer | merge | programme_episode
    entity: Mapped[str] = mapped_column(String(24))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    login: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class DuplicateCandidate(IdMixin, Base):
    """A pair of persons that look like one: worked by records managers (open / not a duplicate / merged)."""

    __tablename__ = "duplicate_candidate"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    other_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    reason: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="open")
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("person_id", "other_person_id"),
        CheckConstraint("status IN ('open', 'not_duplicate', 'merged')", name="status_values"),
        Index("ix_duplicate_candidate_status", "status"),
    )


class PersonMerge(IdMixin, Base):
    """One merge of a duplicate into a survivor, with what moved, so that it can be undone."""

    __tablename__ = "person_merge"

    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    merged_by: Mapped[str] = mapped_column(String(64))
    moved: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _keep_phone_index(mapper: Mapper[Person], connection: Connection, person: Person) -> None:
    """Every ORM write of a person keeps the blind index in step with the (encrypted) number."""
    person.phone_index = phone_index(connection.dialect.kangdang_cipher, person.phone)  # type: ignore[attr-defined]
