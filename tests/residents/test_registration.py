"""Filing residents: the person index, the record, households, duplicates, scope and history."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kangdang.access.models import AuditEvent
from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.residents.duplicates import LikelyDuplicates
from kangdang.residents.models import HealthRecord, Person, ResidentChange
from kangdang.residents.schemas import PersonUpdate, ResidentRegistration
from kangdang.residents.search import search_residents
from kangdang.residents.service import get_record_view, register_resident, reveal_document_number, update_person
from tests.residents.factories import MOGANSHAN_VILLAGE, XINSHI_VILLAGE, file_resident, id_number


def test_filing_creates_person_record_and_household_with_a_20_digit_number(db, actor_of):
    record = file_resident(db, actor_of("cunyi"), name="张三丰", new_household=True)
    assert record.record_number.startswith(XINSHI_VILLAGE) and len(record.record_number) == 20
    assert record.short_number == record.record_number[-8:]
    view = get_record_view(db, actor_of("cunyi"), record.id)
    assert view.household is not None and view.relationship == "02"
    assert view.person.name_pinyin == "zhang san feng"
    assert [m.person.name for m in view.members] == ["张三丰"]


def test_the_document_is_stored_encrypted_and_shown_masked(db, actor_of):
    record = file_resident(db, actor_of("cunyi"), name="李四")
    person = db.get(Person, record.person_id)
    number = reveal_document_number(db, actor_of("cunyi"), person.id)
    assert number is not None and number.encode() not in (person.document_cipher or b"")
    assert person.document_masked == number[:6] + "********" + number[-4:]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "person.reveal_document"))


def test_the_same_document_cannot_be_filed_twice_and_the_message_points_to_the_record(db, actor_of):
    doctor = actor_of("cunyi")
    first = file_resident(db, doctor, name="赵六")
    document = reveal_document_number(db, doctor, first.person_id)
    with pytest.raises(InvalidInput) as caught:
        register_resident(
            db, doctor, ResidentRegistration(document_number=document, name="赵六", current_region_code=XINSHI_VILLAGE)
        )
    assert first.record_number in caught.value.errors[0].message


def test_a_document_filed_elsewhere_is_refused_without_revealing_who(db, actor_of):
    other = file_resident(db, actor_of("cunyi2"), name="钱七", village=MOGANSHAN_VILLAGE)
    document = reveal_document_number(db, actor_of("cunyi2"), other.person_id)
    with pytest.raises(InvalidInput) as caught:
        register_resident(
            db,
            actor_of("cunyi"),
            ResidentRegistration(document_number=document, name="钱七", current_region_code=XINSHI_VILLAGE),
        )
    message = caught.value.errors[0].message
    assert "其他机构" in message and other.record_number not in message and "钱七" not in message


def test_likely_duplicates_must_be_confirmed(db, actor_of):
    doctor = actor_of("cunyi")
    file_resident(db, doctor, name="孙八", born=date(1950, 5, 5))
    with pytest.raises(LikelyDuplicates) as caught:
        register_resident(
            db,
            doctor,
            ResidentRegistration(
                document_number=id_number(date(1950, 5, 5)), name="孙八", current_region_code=XINSHI_VILLAGE
            ),
        )
    assert "孙八" in caught.value.errors[0].message
    record = register_resident(
        db,
        doctor,
        ResidentRegistration(
            document_number=id_number(date(1950, 5, 5)),
            name="孙八",
            current_region_code=XINSHI_VILLAGE,
            confirm_duplicates=True,
        ),
    )
    assert record.id is not None


def test_a_newborn_without_documents_is_filed_with_the_mother(db, actor_of):
    doctor = actor_of("cunyi")
    mother = file_resident(db, doctor, name="周芳", born=date(1995, 2, 2), sex="2")
    baby = register_resident(
        db,
        doctor,
        ResidentRegistration(
            document_number=None,
            name="周小宝",
            sex="1",
            birth_date=date(2026, 10, 1),
            mother_id=mother.person_id,
            current_region_code=XINSHI_VILLAGE,
        ),
    )
    view = get_record_view(db, doctor, baby.id)
    assert view.mother is not None and view.mother.name == "周芳" and view.person.document_type is None


def test_a_village_doctor_files_only_in_their_own_catchment(db, actor_of):
    with pytest.raises(InvalidInput) as caught:
        file_resident(db, actor_of("cunyi"), village=MOGANSHAN_VILLAGE)
    assert caught.value.errors[0].field == "current_region_code"


def test_roles_without_care_duties_cannot_file(db, actor_of):
    for login in ("jigou", "xianju"):
        with pytest.raises(PermissionDenied):
            file_resident(db, actor_of(login))


def test_records_are_invisible_outside_the_jurisdiction(db, actor_of):
    record = file_resident(db, actor_of("cunyi"), name="吴九")
    with pytest.raises(NotFound):
        get_record_view(db, actor_of("cunyi2"), record.id)
    assert search_residents(db, actor_of("cunyi2"), query="吴九", page=PageRequest()).total == 0
    assert search_residents(db, actor_of("dangan"), query="吴九", page=PageRequest()).total == 1
    assert search_residents(db, actor_of("xianju"), query="吴九", page=PageRequest()).total == 1


def test_every_read_of_a_record_is_audited(db, actor_of):
    record = file_resident(db, actor_of("cunyi"), name="郑十")
    get_record_view(db, actor_of("xianju"), record.id)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "record.read", AuditEvent.login == "xianju"))
    assert event is not None and event.subject_id == str(record.person_id)


def test_corrections_keep_old_and_new_values_and_a_new_name_is_searchable(db, actor_of):
    doctor = actor_of("cunyi")
    record = file_resident(db, doctor, name="单雄信", phone="13900000001")
    update_person(db, doctor, record.person_id, PersonUpdate(name="单雄心", phone="13900000002"))
    change = db.scalar(
        select(ResidentChange).where(ResidentChange.person_id == record.person_id, ResidentChange.action == "update")
    )
    assert change.changes["phone"] == ["139****0001", "139****0002"]  # phone numbers stay masked in history
    assert change.changes["name"] == ["单雄信", "单雄心"]
    assert search_residents(db, doctor, query="shanxiongxin", page=PageRequest()).total == 1
    assert search_residents(db, doctor, query="sxx", page=PageRequest()).total == 1


def test_a_correction_that_breaks_the_id_rules_is_refused(db, actor_of):
    doctor = actor_of("cunyi")
    record = file_resident(db, doctor, name="冯十一", born=date(1961, 6, 6))
    with pytest.raises(InvalidInput) as caught:
        update_person(db, doctor, record.person_id, PersonUpdate(birth_date=date(1961, 6, 7)))
    assert caught.value.errors[0].field == "birth_date"


def test_the_record_number_never_changes_when_the_address_changes(db, actor_of):
    doctor = actor_of("dangan")
    record = file_resident(db, doctor, name="陈十二")
    number = record.record_number
    update_person(db, doctor, record.person_id, PersonUpdate(current_region_code="330521102201"))
    db.expire_all()
    assert db.get(HealthRecord, record.id).record_number == number
