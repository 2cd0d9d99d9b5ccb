"""Output shapes of the residents domain (the JSON API answers with these).

A person's document number never leaves in full here: only its type and the masked form
(330521********123X). The one way to read the full number is ``reveal_document_number`` (audited).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from kangdang.residents.codes import (
    CLOSURE_REASONS,
    DOCUMENT_TYPES,
    DUPLICATE_STATUS,
    ECONOMIC_STATUS,
    ETHNICITIES,
    FUEL_TYPES,
    KITCHEN_VENTILATION,
    LIVESTOCK_PENS,
    RECORD_STATUS,
    RELATIONSHIPS,
    RESIDENCE_TYPES,
    SEXES,
    TOILET_TYPES,
    TRANSFER_STATUS,
    WATER_SOURCES,
)
from kangdang.residents.models import (
    DuplicateCandidate,
    HealthRecord,
    Household,
    HouseholdMember,
    Person,
    PersonMerge,
    RecordTransfer,
    ResidentChange,
)
from kangdang.residents.numbering import group_number

if TYPE_CHECKING:
    from kangdang.residents.households import HouseholdView
    from kangdang.residents.lifecycle import TransferLine
    from kangdang.residents.service import RecordView


def _label(table: dict[str, str], code: str | None) -> str | None:
    return table.get(code) if code else None


class PersonOut(BaseModel):
    id: uuid.UUID
    name: str
    name_pinyin: str
    sex: str
    sex_label: str | None
    birth_date: date
    ethnicity: str
    ethnicity_label: str | None
    document_type: str | None
    document_type_label: str | None
    document_masked: str | None
    phone: str | None
    contact_name: str | None
    contact_phone: str | None
    residence_type: str
    residence_type_label: str | None
    registered_region_code: str | None
    registered_address: str | None
    current_region_code: str
    current_address: str | None
    work_unit: str | None
    mother_id: uuid.UUID | None
    status: str
    merged_into_id: uuid.UUID | None

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        return cls(
            id=person.id,
            name=person.name,
            name_pinyin=person.name_pinyin,
            sex=person.sex,
            sex_label=_label(SEXES, person.sex),
            birth_date=person.birth_date,
            ethnicity=person.ethnicity,
            ethnicity_label=_label(ETHNICITIES, person.ethnicity),
            document_type=person.document_type,
            document_type_label=_label(DOCUMENT_TYPES, person.document_type),
            document_masked=person.document_masked,
            phone=person.phone,
            contact_name=person.contact_name,
            contact_phone=person.contact_phone,
            residence_type=person.residence_type,
            residence_type_label=_label(RESIDENCE_TYPES, person.residence_type),
            registered_region_code=person.registered_region_code,
            registered_address=person.registered_address,
            current_region_code=person.current_region_code,
            current_address=person.current_address,
            work_unit=person.work_unit,
            mother_id=person.mother_id,
            status=person.status,
            merged_into_id=person.merged_into_id,
        )


class PersonBriefOut(BaseModel):
    id: uuid.UUID
    name: str
    sex: str
    birth_date: date
    document_masked: str | None
    phone: str | None
    status: str

    @classmethod
    def of(cls, person: Person) -> PersonBriefOut:
        return cls(
            id=person.id,
            name=person.name,
            sex=person.sex,
            birth_date=person.birth_date,
            document_masked=person.document_masked,
            phone=person.phone,
            status=person.status,
        )


class RecordOut(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    record_number: str
    record_number_grouped: str
    short_number: str
    status: str
    status_label: str | None
    closed_on: date | None
    closure_reason: str | None
    closure_reason_label: str | None
    closure_note: str | None
    village_code: str
    managing_institution_id: uuid.UUID
    filing_institution_id: uuid.UUID
    responsible_doctor_id: uuid.UUID | None
    filed_by_name: str | None
    filed_on: date
    paper_location: str | None

    @classmethod
    def of(cls, record: HealthRecord) -> RecordOut:
        return cls(
            id=record.id,
            person_id=record.person_id,
            record_number=record.record_number,
            record_number_grouped=group_number(record.record_number),
            short_number=record.short_number,
            status=record.status,
            status_label=_label(RECORD_STATUS, record.status),
            closed_on=record.closed_on,
            closure_reason=record.closure_reason,
            closure_reason_label=_label(CLOSURE_REASONS, record.closure_reason),
            closure_note=record.closure_note,
            village_code=record.village_code,
            managing_institution_id=record.managing_institution_id,
            filing_institution_id=record.filing_institution_id,
            responsible_doctor_id=record.responsible_doctor_id,
            filed_by_name=record.filed_by_name,
            filed_on=record.filed_on,
            paper_location=record.paper_location,
        )


class ResidentHitOut(BaseModel):
    """One search result: the person and their record."""

    person: PersonOut
    record: RecordOut


class HistoryOut(BaseModel):
    at: datetime
    login: str
    entity: str
    entity_id: str
    action: str
    changes: dict[str, Any]

    @classmethod
    def of(cls, change: ResidentChange) -> HistoryOut:
        return cls(
            at=change.at,
            login=change.login,
            entity=change.entity,
            entity_id=change.entity_id,
            action=change.action,
            changes=dict(change.changes or {}),
        )


class MemberOut(BaseModel):
    person_id: uuid.UUID
    name: str
    sex: str
    birth_date: date
    relationship: str
    relationship_label: str | None
    valid_from: date
    valid_to: date | None
    record_id: uuid.UUID | None = None
    record_number: str | None = None

    @classmethod
    def of(cls, member: HouseholdMember, person: Person, record: HealthRecord | None = None) -> MemberOut:
        return cls(
            person_id=person.id,
            name=person.name,
            sex=person.sex,
            birth_date=person.birth_date,
            relationship=member.relationship,
            relationship_label=_label(RELATIONSHIPS, member.relationship),
            valid_from=member.valid_from,
            valid_to=member.valid_to,
            record_id=record.id if record else None,
            record_number=record.record_number if record else None,
        )


class HouseholdSummaryOut(BaseModel):
    id: uuid.UUID
    household_number: str
    region_code: str
    address: str | None
    head_person_id: uuid.UUID | None

    @classmethod
    def of(cls, household: Household) -> HouseholdSummaryOut:
        return cls(
            id=household.id,
            household_number=household.household_number,
            region_code=household.region_code,
            address=household.address,
            head_person_id=household.head_person_id,
        )


class HouseholdOut(HouseholdSummaryOut):
    head_name: str | None
    member_count: int
    phone: str | None
    kitchen_ventilation: str | None
    kitchen_ventilation_label: str | None
    fuel_type: str | None
    fuel_type_label: str | None
    water_source: str | None
    water_source_label: str | None
    toilet_type: str | None
    toilet_type_label: str | None
    livestock_pen: str | None
    livestock_pen_label: str | None
    economic_status: str | None
    economic_status_label: str | None
    main_problems: str | None

    @classmethod
    def listed(cls, household: Household, head: Person | None, member_count: int) -> HouseholdOut:
        h = household
        return cls(
            **HouseholdSummaryOut.of(h).model_dump(),
            head_name=head.name if head else None,
            member_count=member_count,
            phone=h.phone,
            kitchen_ventilation=h.kitchen_ventilation,
            kitchen_ventilation_label=_label(KITCHEN_VENTILATION, h.kitchen_ventilation),
            fuel_type=h.fuel_type,
            fuel_type_label=_label(FUEL_TYPES, h.fuel_type),
            water_source=h.water_source,
            water_source_label=_label(WATER_SOURCES, h.water_source),
            toilet_type=h.toilet_type,
            toilet_type_label=_label(TOILET_TYPES, h.toilet_type),
            livestock_pen=h.livestock_pen,
            livestock_pen_label=_label(LIVESTOCK_PENS, h.livestock_pen),
            economic_status=h.economic_status,
            economic_status_label=_label(ECONOMIC_STATUS, h.economic_status),
            main_problems=h.main_problems,
        )


class HouseholdDetailOut(HouseholdOut):
    region_name: str
    members: list[MemberOut]
    former_members: list[MemberOut]
    history: list[HistoryOut]

    @classmethod
    def of_view(cls, view: HouseholdView) -> HouseholdDetailOut:
        base = HouseholdOut.listed(view.household, view.head, len(view.members))
        return cls(
            **base.model_dump(),
            region_name=view.region.name,
            members=[MemberOut.of(ln.member, ln.person, ln.record) for ln in view.members],
            former_members=[MemberOut.of(ln.member, ln.person, ln.record) for ln in view.former],
            history=[HistoryOut.of(c) for c in view.history],
        )


class TransferOut(BaseModel):
    id: uuid.UUID
    record_id: uuid.UUID
    status: str
    status_label: str | None
    from_institution_id: uuid.UUID
    to_institution_id: uuid.UUID
    from_village_code: str
    to_village_code: str
    reason: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    record_number: str | None = None
    person_name: str | None = None
    from_institution_name: str | None = None
    to_institution_name: str | None = None

    @classmethod
    def of(cls, transfer: RecordTransfer, **names: str | None) -> TransferOut:
        return cls(
            id=transfer.id,
            record_id=transfer.record_id,
            status=transfer.status,
            status_label=_label(TRANSFER_STATUS, transfer.status),
            from_institution_id=transfer.from_institution_id,
            to_institution_id=transfer.to_institution_id,
            from_village_code=transfer.from_village_code,
            to_village_code=transfer.to_village_code,
            reason=transfer.reason,
            requested_by=transfer.requested_by,
            requested_at=transfer.requested_at,
            decided_by=transfer.decided_by,
            decided_at=transfer.decided_at,
            decision_note=transfer.decision_note,
            **names,
        )

    @classmethod
    def of_line(cls, line: TransferLine) -> TransferOut:
        """With the record number, the person's name and the institutions' names."""
        return cls.of(
            line.transfer,
            record_number=line.record.record_number,
            person_name=line.person.name,
            from_institution_name=line.from_institution.name,
            to_institution_name=line.to_institution.name,
        )


class RecordDetailOut(BaseModel):
    """The record page: record, person, where they live, their household and the full history."""

    record: RecordOut
    person: PersonOut
    age: int
    village_name: str
    township_code: str | None
    township_name: str | None
    managing_institution_name: str
    filing_institution_name: str
    responsible_doctor_name: str | None
    mother: PersonBriefOut | None
    household: HouseholdSummaryOut | None
    relationship: str | None
    relationship_label: str | None
    members: list[MemberOut]
    transfers: list[TransferOut]
    history: list[HistoryOut]
    other_records: list[RecordOut]

    @classmethod
    def of_view(cls, view: RecordView) -> RecordDetailOut:
        return cls(
            record=RecordOut.of(view.record),
            person=PersonOut.of(view.person),
            age=view.age,
            village_name=view.village.name,
            township_code=view.township.code if view.township else None,
            township_name=view.township.name if view.township else None,
            managing_institution_name=view.managing_institution.name,
            filing_institution_name=view.filing_institution.name,
            responsible_doctor_name=view.doctor.name if view.doctor else None,
            mother=PersonBriefOut.of(view.mother) if view.mother else None,
            household=HouseholdSummaryOut.of(view.household) if view.household else None,
            relationship=view.relationship,
            relationship_label=_label(RELATIONSHIPS, view.relationship),
            members=[MemberOut.of(ln.member, ln.person) for ln in view.members],
            transfers=[TransferOut.of(t) for t in view.transfers],
            history=[HistoryOut.of(c) for c in view.history],
            other_records=[RecordOut.of(r) for r in view.other_records],
        )


class DocumentNumberOut(BaseModel):
    document_number: str | None


class DuplicateCandidateOut(BaseModel):
    id: uuid.UUID
    status: str
    status_label: str | None
    reason: str
    score: float
    detected_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    person: PersonBriefOut
    other: PersonBriefOut

    @classmethod
    def of(cls, candidate: DuplicateCandidate, person: Person, other: Person) -> DuplicateCandidateOut:
        return cls(
            id=candidate.id,
            status=candidate.status,
            status_label=_label(DUPLICATE_STATUS, candidate.status),
            reason=candidate.reason,
            score=candidate.score,
            detected_at=candidate.detected_at,
            decided_by=candidate.decided_by,
            decided_at=candidate.decided_at,
            person=PersonBriefOut.of(person),
            other=PersonBriefOut.of(other),
        )


class MergeOut(BaseModel):
    id: uuid.UUID
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    merged_at: datetime
    merged_by: str
    moved: dict[str, int]
    undone_at: datetime | None
    undone_by: str | None

    @classmethod
    def of(cls, merge: PersonMerge) -> MergeOut:
        return cls(
            id=merge.id,
            survivor_id=merge.survivor_id,
            merged_id=merge.merged_id,
            merged_at=merge.merged_at,
            merged_by=merge.merged_by,
            moved={key: len(value) for key, value in (merge.moved or {}).items()},
            undone_at=merge.undone_at,
            undone_by=merge.undone_by,
        )


class ScanOut(BaseModel):
    added: int
