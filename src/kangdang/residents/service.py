"""Use cases for residents: filing a new record, correcting identity data, the record page, the record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.crypto import cipher_for, mask_identity
from kangdang.access.models import AuditEvent
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import ErrorCollector, FieldError, InvalidInput
from kangdang.core.pagination import Page, PageRequest, paginate
from kangdang.db.engine import settings_of
from kangdang.institutions.actors import current
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.institutions.service import institutions_serving
from kangdang.institutions.types import PRIMARY_CARE_TYPES
from kangdang.regions.codes import Level
from kangdang.regions.models import Region
from kangdang.residents.codes import HEAD
from kangdang.residents.duplicates import LikelyDuplicates, likely_duplicates, remember_pairs
from kangdang.residents.history import apply_changes, changes_of, diff, record_change
from kangdang.residents.identity import check_identity
from kangdang.residents.models import (
    HealthRecord,
    Household,
    HouseholdMember,
    Person,
    PersonSearchKey,
    RecordTransfer,
    ResidentChange,
)
from kangdang.residents.numbering import allocate_household_numbers, allocate_record_numbers
from kangdang.residents.pinyin import name_pinyin, search_keys
from kangdang.residents.schemas import PersonUpdate, RecordUpdate, ResidentRegistration
from kangdang.residents.scope import (
    JURISDICTION,
    NOT_FOUND,
    ReadBasis,
    get_visible_person,
    get_visible_record,
    read_record,
    visible_persons,
)

CENTRE_TYPES = ("township_central", "township_general", "community_centre")
PRIMARY_CARE_VALUES = frozenset(t.value for t in PRIMARY_CARE_TYPES)


# --- filing --------------------------------------------------------------------------------------------


def register_resident(session: Session, actor: Actor, data: ResidentRegistration) -> HealthRecord:
    """File a new resident: the person (EMPI), their health record with a new number, their household.

    Refused when the document is already on file; likely duplicates must be confirmed first.
    """
    actor.require(Action.RESIDENT_REGISTER)
    today = today_local()
    errors = ErrorCollector()
    identity = check_identity(
        data.document_type,
        data.document_number,
        data.birth_date,
        data.sex,
        today=today,
        has_mother=data.mother_id is not None,
    )
    errors.errors.extend(identity.errors)
    cipher = cipher_for(session)
    index = cipher.blind_index(identity.number) if identity.number else None
    if index is not None:
        _check_document_free(session, actor, identity.document_type, index, None, errors)
    village = _check_village(session, actor, data.current_region_code, "current_region_code", errors)
    if data.registered_region_code:
        _check_region_exists(session, data.registered_region_code, "registered_region_code", errors)
    if data.mother_id is not None:
        _check_mother(session, actor, data.mother_id, errors)
    household = _check_household_choice(session, actor, data, errors)
    managing = _managing_institution(session, actor, data.current_region_code, data.managing_institution_id, errors)
    if data.responsible_doctor_id is not None:
        _check_doctor(session, actor, data.responsible_doctor_id, errors)
    filed_on = data.filed_on or today
    if filed_on > today:
        errors.add("filed_on", "建档日期不能晚于今天")
    errors.raise_if_any("档案未保存")
    assert identity.birth_date is not None and identity.sex is not None and village is not None
    assert managing is not None

    candidates = likely_duplicates(
        session, actor, name=data.name, birth_date=identity.birth_date, sex=identity.sex, phone=data.phone
    )
    if candidates and not data.confirm_duplicates:
        raise LikelyDuplicates(candidates)

    person = Person(
        document_type=identity.document_type if identity.number else None,
        document_index=index,
        document_cipher=cipher.encrypt(identity.number) if identity.number else None,
        document_masked=mask_identity(identity.number) if identity.number else None,
        name=data.name,
        name_pinyin=name_pinyin(data.name),
        sex=identity.sex,
        birth_date=identity.birth_date,
        ethnicity=data.ethnicity,
        phone=data.phone,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        residence_type=data.residence_type,
        registered_region_code=data.registered_region_code,
        registered_address=data.registered_address,
        current_region_code=data.current_region_code,
        current_address=data.current_address,
        work_unit=data.work_unit,
        mother_id=data.mother_id,
    )
    session.add(person)
    session.flush()
    refresh_search_keys(session, [person])
    remember_pairs(session, person, candidates)
    pattern = settings_of(session).record_number_pattern
    number = allocate_record_numbers(session, pattern, {village.code: 1})[village.code][0]
    record = HealthRecord(
        person_id=person.id,
        record_number=number.value,
        short_number=number.short,
        numbering_unit=number.unit,
        serial=number.serial,
        village_code=village.code,
        managing_institution_id=managing.id,
        filing_institution_id=_filing_institution(actor, managing),
        responsible_doctor_id=data.responsible_doctor_id,
        filed_by_user_id=None if actor.is_system else actor.user_id,
        filed_by_name=actor.name,
        filed_on=filed_on,
        paper_location=data.paper_location,
    )
    session.add(record)
    session.flush()
    if data.new_household:
        household = create_household_for(session, actor, person, address=data.current_address)
    elif household is not None:
        add_to_household(session, actor, household, person, data.relationship or "97", on=filed_on)
    record_change(
        session,
        actor,
        entity="record",
        entity_id=record.id,
        action="file",
        person_id=person.id,
        changes={
            "record_number": [None, record.record_number],
            "name": [None, person.name],
            "document": [None, person.document_masked],
            "managing_institution": [None, managing.name],
            "confirmed_duplicates": data.confirm_duplicates,
        },
    )
    session.flush()
    return record


def refresh_search_keys(session: Session, persons: list[Person]) -> None:
    """(Re)write the pinyin keys of persons, in bulk."""
    ids = [p.id for p in persons]
    session.execute(delete(PersonSearchKey).where(PersonSearchKey.person_id.in_(ids)))
    rows = [{"key": key, "person_id": p.id} for p in persons for key in search_keys(p.name)]
    if rows:
        session.execute(insert(PersonSearchKey), rows)


def create_household_for(
    session: Session, actor: Actor, head: Person, *, region_code: str | None = None, **fields: Any
) -> Household:
    """A new household (家庭编号 allocated in its village) with ``head`` as 户主; they leave any other household.

    ``fields`` are the household's own data (address, phone, living environment …); the caller checks them.
    """
    village = region_code or head.current_region_code
    number = allocate_household_numbers(session, {village: 1})[village][0]
    fields.setdefault("phone", head.phone)
    household = Household(household_number=number, region_code=village, head_person_id=head.id, **fields)
    session.add(household)
    session.flush()
    record_change(
        session,
        actor,
        entity="household",
        entity_id=household.id,
        action="create",
        household_id=household.id,
        person_id=head.id,
        changes={"household_number": [None, number], "head": [None, head.name]},
    )
    add_to_household(session, actor, household, head, HEAD, on=today_local())
    household.head_person_id = head.id
    session.flush()
    return household


def add_to_household(
    session: Session, actor: Actor, household: Household, person: Person, relationship: str, *, on: date
) -> HouseholdMember:
    """Make the person a member; any current membership elsewhere ends the day before."""
    from kangdang.residents.households import end_current_membership

    end_current_membership(session, actor, person, on=on)
    member = HouseholdMember(household_id=household.id, person_id=person.id, relationship=relationship, valid_from=on)
    session.add(member)
    session.flush()
    record_change(
        session,
        actor,
        entity="member",
        entity_id=member.id,
        action="join",
        person_id=person.id,
        household_id=household.id,
        changes={"household": [None, household.household_number], "relationship": [None, relationship]},
    )
    return member


# --- corrections ---------------------------------------------------------------------------------------


def update_person(session: Session, actor: Actor, person_id: uuid.UUID, data: PersonUpdate) -> Person:
    """Correct identity or contact data; the old and new values go into the history."""
    actor.require(Action.RESIDENT_EDIT)
    person = get_visible_person(session, actor, person_id)
    if person.status != "active":
        raise InvalidInput("该人员已被合并，请修改合并后的档案")
    given = data.model_dump(exclude_unset=True)
    errors = ErrorCollector()
    cipher = cipher_for(session)
    current_number = cipher.decrypt(person.document_cipher) if person.document_cipher else None
    document_type = given.get("document_type", person.document_type) or "01"
    number = given.get("document_number", current_number)
    identity = check_identity(
        document_type,
        number,
        given.get("birth_date", person.birth_date),
        given.get("sex", person.sex),
        today=today_local(),
        has_mother=person.mother_id is not None,
    )
    errors.errors.extend(identity.errors)
    index = cipher.blind_index(identity.number) if identity.number else None
    if index is not None and index != person.document_index:
        _check_document_free(session, actor, identity.document_type, index, person.id, errors)
    if "current_region_code" in given:
        _check_village(session, actor, given["current_region_code"], "current_region_code", errors)
    if given.get("registered_region_code"):
        _check_region_exists(session, given["registered_region_code"], "registered_region_code", errors)
    errors.raise_if_any("修改未保存")
    values = {k: v for k, v in given.items() if k not in ("document_type", "document_number")}
    values["birth_date"], values["sex"] = identity.birth_date, identity.sex
    if "name" in values:
        values["name_pinyin"] = name_pinyin(values["name"])
    changes = diff(person, values)
    if identity.number != current_number or (identity.number and identity.document_type != person.document_type):
        changes["document"] = [person.document_masked, mask_identity(identity.number) if identity.number else None]
        person.document_type = identity.document_type if identity.number else None
        person.document_index = index
        person.document_cipher = cipher.encrypt(identity.number) if identity.number else None
        person.document_masked = mask_identity(identity.number) if identity.number else None
    for key, value in values.items():
        setattr(person, key, value)
    if "name" in changes:
        refresh_search_keys(session, [person])
    if changes:
        record_change(
            session, actor, entity="person", entity_id=person.id, action="update", person_id=person.id, changes=changes
        )
    session.flush()
    return person


def update_record(session: Session, actor: Actor, record_id: uuid.UUID, data: RecordUpdate) -> HealthRecord:
    actor.require(Action.RESIDENT_EDIT)
    record = get_visible_record(session, actor, record_id)
    given = data.model_dump(exclude_unset=True)
    errors = ErrorCollector()
    if given.get("responsible_doctor_id") is not None:
        _check_doctor(session, actor, given["responsible_doctor_id"], errors)
    errors.raise_if_any("修改未保存")
    apply_changes(session, actor, record, given, entity="record", person_id=record.person_id)
    session.flush()
    return record


def reveal_document_number(session: Session, actor: Actor, person_id: uuid.UUID) -> str | None:
    """The full document number, for staff who work on the record; the reading is audited."""
    actor.require(Action.RESIDENT_EDIT)
    person = get_visible_person(session, actor, person_id)
    record_event(session, actor, "person.reveal_document", subject_type="person", subject_id=person.id)
    return cipher_for(session).decrypt(person.document_cipher) if person.document_cipher else None


# --- the record page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberLine:
    member: HouseholdMember
    person: Person


@dataclass(frozen=True)
class RecordView:
    record: HealthRecord
    person: Person
    village: Region
    township: Region | None
    managing_institution: Institution
    filing_institution: Institution
    doctor: Practitioner | None
    mother: Person | None
    household: Household | None
    relationship: str | None
    members: list[MemberLine]
    transfers: list[RecordTransfer]
    history: list[ResidentChange]
    other_records: list[HealthRecord]  # earlier (closed) records of the same person
    basis: ReadBasis = JURISDICTION  # read through the actor's jurisdiction, a grant or break-the-glass

    @property
    def age(self) -> int:
        today = today_local()
        born = self.person.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def get_record_view(session: Session, actor: Actor, record_id: uuid.UUID) -> RecordView:
    """Everything the record page shows, in a handful of queries. The read is audited — with the grant or the
    emergency access it went through, when the record lies outside the actor's jurisdiction."""
    actor.require(Action.RESIDENT_VIEW)
    record, basis = read_record(session, actor, record_id, "profile")
    person = session.get_one(Person, record.person_id)
    village = session.get_one(Region, record.village_code)
    township = session.get(Region, village.parent_code) if village.parent_code else None
    institutions = {
        i.id: i
        for i in session.scalars(
            select(Institution).where(
                Institution.id.in_({record.managing_institution_id, record.filing_institution_id})
            )
        )
    }
    doctor = session.get(Practitioner, record.responsible_doctor_id) if record.responsible_doctor_id else None
    mother = session.get(Person, person.mother_id) if person.mother_id else None
    today = today_local()
    membership = session.scalar(
        select(HouseholdMember).where(
            HouseholdMember.person_id == person.id, current(HouseholdMember.valid_from, HouseholdMember.valid_to, today)
        )
    )
    household = session.get(Household, membership.household_id) if membership else None
    members: list[MemberLine] = []
    if household is not None:
        rows = session.execute(
            select(HouseholdMember, Person)
            .join(Person, Person.id == HouseholdMember.person_id)
            .where(
                HouseholdMember.household_id == household.id,
                current(HouseholdMember.valid_from, HouseholdMember.valid_to, today),
            )
            .order_by(HouseholdMember.relationship, Person.birth_date)
        )
        members = [MemberLine(m, p) for m, p in rows]
    transfers = list(
        session.scalars(
            select(RecordTransfer)
            .where(RecordTransfer.record_id == record.id)
            .order_by(RecordTransfer.requested_at.desc())
        )
    )
    others = list(
        session.scalars(
            select(HealthRecord)
            .where(HealthRecord.person_id == person.id, HealthRecord.id != record.id)
            .order_by(HealthRecord.filed_on.desc())
        )
    )
    record_event(
        session,
        actor,
        "record.read",
        subject_type="person",
        subject_id=person.id,
        details={"record_number": record.record_number, **basis.audit_details()},
    )
    return RecordView(
        record=record,
        person=person,
        village=village,
        township=township,
        managing_institution=institutions[record.managing_institution_id],
        filing_institution=institutions[record.filing_institution_id],
        doctor=doctor,
        mother=mother,
        household=household,
        relationship=membership.relationship if membership else None,
        members=members,
        transfers=transfers,
        history=changes_of(session, person_ids=[person.id], household_ids=[household.id] if household else []),
        other_records=others,
        basis=basis,
    )


def current_record_of(session: Session, actor: Actor, person_id: uuid.UUID) -> HealthRecord:
    """The person's open record (or their latest one), within scope."""
    get_visible_person(session, actor, person_id)
    record = session.scalar(
        select(HealthRecord)
        .where(HealthRecord.person_id == person_id)
        .order_by((HealthRecord.status == "active").desc(), HealthRecord.filed_on.desc())
    )
    if record is None:
        raise InvalidInput(NOT_FOUND)
    return record


# --- checks --------------------------------------------------------------------------------------------


def _check_document_free(
    session: Session,
    actor: Actor,
    document_type: str | None,
    index: str,
    self_id: uuid.UUID | None,
    errors: ErrorCollector,
) -> None:
    existing = session.scalar(
        select(Person).where(Person.document_type == document_type, Person.document_index == index)
    )
    if existing is None or existing.id == self_id:
        return
    visible = session.scalar(select(Person.id).where(Person.id == existing.id, visible_persons(actor)))
    if visible is None:
        errors.add("document_number", "该证件号码已在其他机构建档；如居民已迁入，请联系原机构办理档案迁移")
        return
    record = session.scalar(
        select(HealthRecord).where(HealthRecord.person_id == existing.id).order_by(HealthRecord.filed_on.desc())
    )
    number = record.record_number if record else "—"
    errors.errors.append(
        FieldError("document_number", f"该证件号码已建档：{existing.name}，档案编号 {number}", row=None)
    )


def _check_region_exists(session: Session, code: str, field: str, errors: ErrorCollector) -> None:
    region = session.get(Region, code)
    if region is None or region.level != Level.VILLAGE:
        errors.add(field, f"{code} 不是有效的村/居委会区划代码")


def _check_village(session: Session, actor: Actor, code: str, field: str, errors: ErrorCollector) -> Region | None:
    region = session.get(Region, code)
    if region is None or region.level != Level.VILLAGE:
        errors.add(field, f"{code} 不是有效的村/居委会区划代码")
        return None
    if not actor.scope.covers_region(code):
        errors.add(field, "该村/居委会不在您的管辖范围内，不能在此建档")
        return None
    return region


def _check_mother(session: Session, actor: Actor, mother_id: uuid.UUID, errors: ErrorCollector) -> None:
    mother = session.scalar(select(Person).where(Person.id == mother_id, visible_persons(actor)))
    if mother is None:
        errors.add("mother_id", "未找到母亲的档案")
    elif mother.sex != "2":
        errors.add("mother_id", "关联的母亲性别不是女")


def _check_household_choice(
    session: Session, actor: Actor, data: ResidentRegistration, errors: ErrorCollector
) -> Household | None:
    if data.household_id is None:
        if data.relationship and not data.new_household:
            errors.add("household_id", "填写了与户主关系，请选择家庭")
        return None
    if data.new_household:
        errors.add("household_id", "不能同时加入已有家庭和新建家庭")
        return None
    household = session.get(Household, data.household_id)
    if household is None or not actor.scope.covers_region(household.region_code):
        errors.add("household_id", "未找到该家庭，或不在您的管辖范围内")
        return None
    if not data.relationship:
        errors.add("relationship", "请选择与户主关系")
    elif data.relationship == HEAD:
        errors.add("relationship", "家庭已有户主；如要更换户主，请在家庭档案中操作")
    return household


def _managing_institution(
    session: Session, actor: Actor, village_code: str, wanted: uuid.UUID | None, errors: ErrorCollector
) -> Institution | None:
    """Who keeps the record: the chosen institution, else the actor's own one serving the village, else the
    township or community centre whose catchment holds the village."""
    candidates = institutions_serving(session, village_code, types=PRIMARY_CARE_VALUES)
    if wanted is not None:
        chosen = next((i for i in candidates if i.id == wanted), None)
        if chosen is None:
            errors.add("managing_institution_id", "管理机构的服务范围不包括该村/居委会")
        return chosen
    own = {m.institution_id for m in actor.memberships}
    for institution in candidates:
        if institution.id in own:
            return institution
    for institution in candidates:
        if institution.type in CENTRE_TYPES:
            return institution
    if candidates:
        return candidates[0]
    if not errors.errors:
        errors.add("current_region_code", "该村/居委会不在任何基层医疗卫生机构的服务范围内")
    return None


def _filing_institution(actor: Actor, managing: Institution) -> uuid.UUID:
    own = [
        m.institution_id
        for m in actor.memberships
        if m.role.value in ("village_doctor", "township_doctor", "records_manager")
    ]
    return own[0] if own else managing.id


def _check_doctor(session: Session, actor: Actor, practitioner_id: uuid.UUID, errors: ErrorCollector) -> None:
    from kangdang.institutions.service import visible_institutions

    today = today_local()
    found = session.scalar(
        select(Membership.id)
        .join(Institution, Institution.id == Membership.institution_id)
        .where(
            Membership.practitioner_id == practitioner_id,
            current(Membership.valid_from, Membership.valid_to, today),
            visible_institutions(actor),
        )
        .limit(1)
    )
    if found is None:
        errors.add("responsible_doctor_id", "责任医生不存在或不在您的管辖范围内")


# what shows in "who looked at this record" (form.* are the forms domain's reads and prints)
# access.break_glass: an emergency opening from outside the jurisdiction, with its reason
ACCESS_ACTIONS = (
    "record.read",
    "record.print_card",
    "person.reveal_document",
    "form.read",
    "form.print",
    "access.break_glass",
)


def record_access_log(session: Session, actor: Actor, record_id: uuid.UUID, *, page: PageRequest) -> Page[AuditEvent]:
    """Who looked at this resident's record (opened, printed, revealed the document), newest first — the list a
    resident may be shown."""
    actor.require(Action.RESIDENT_VIEW)
    record = get_visible_record(session, actor, record_id)
    stmt = (
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "person",
            AuditEvent.subject_id == str(record.person_id),
            AuditEvent.action.in_(ACCESS_ACTIONS),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    return paginate(session, stmt, page)
