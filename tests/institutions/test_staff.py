"""Staff use cases: registering practitioners, memberships and their history, accounts and passwords."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kangdang.access.auth import log_in
from kangdang.access.crypto import cipher_for
from kangdang.access.models import AuditEvent, User
from kangdang.access.roles import Role
from kangdang.core.clock import today_local, utcnow
from kangdang.core.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from kangdang.core.idnumber import check_character
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.institutions.schemas import AccountCreate, MembershipCreate, PractitionerCreate, PractitionerUpdate
from kangdang.institutions.staff import (
    account_of,
    add_membership,
    create_account,
    create_practitioner,
    end_membership,
    get_practitioner,
    reset_user_password,
    reveal_id_number,
    set_account_active,
    update_practitioner,
)
from kangdang.institutions.types import Qualification
from tests.conftest import DEMO_PASSWORD

XINSHI_CENTRE, MOGANSHAN_CENTRE = "330521102-01", "330521115-01"


def _id_number(birth: str = "19600101", sequence: str = "123") -> str:
    first17 = f"330521{birth}{sequence}"
    return first17 + check_character(first17)


def _inst(db, code: str) -> Institution:
    return db.scalar(select(Institution).where(Institution.code == code))


def _practitioner_of(db, login: str) -> uuid.UUID:
    return db.scalar(select(User.practitioner_id).where(User.login == login))


def _data(db, **changes) -> PractitionerCreate:
    values = {
        "name": "周建国",
        "id_number": _id_number(),
        "sex": "1",
        "phone": "13900000000",
        "qualification": Qualification.PHYSICIAN,
        "institution_id": _inst(db, XINSHI_CENTRE).id,
        "role": Role.TOWNSHIP_DOCTOR,
    }
    return PractitionerCreate(**(values | changes))


def _count(db) -> int:
    return db.scalar(select(func.count()).select_from(Practitioner))


# --- registering -----------------------------------------------------------------------------------


def test_wrong_check_digit_is_a_chinese_field_error_and_nothing_is_saved(db, actor_of):
    number = _id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    before = _count(db)
    with pytest.raises(InvalidInput) as caught:
        create_practitioner(db, actor_of("jigou"), _data(db, id_number=wrong))
    assert [(e.field, e.message) for e in caught.value.errors] == [("id_number", "身份证号校验位不正确，请核对")]
    assert _count(db) == before


def test_sex_must_match_the_id_number(db, actor_of):
    with pytest.raises(InvalidInput) as caught:
        create_practitioner(db, actor_of("jigou"), _data(db, sex="2"))
    assert [(e.field, e.message) for e in caught.value.errors] == [("sex", "性别与身份证号不一致")]


def test_role_must_fit_the_kind_of_institution(db, actor_of):
    office = db.scalar(
        select(Institution).where(Institution.region_code.startswith("330521102"), Institution.type == "village_office")
    )
    with pytest.raises(InvalidInput) as caught:
        create_practitioner(db, actor_of("jigou"), _data(db, institution_id=office.id, role=Role.RECORDS_MANAGER))
    assert [e.field for e in caught.value.errors] == ["role"]
    assert "不能设在村卫生室" in caught.value.errors[0].message


def test_legacy_15_digit_number_is_accepted_and_stored_as_18_digits(db, actor_of):
    legacy = "330521600101123"  # born 1960-01-01, male
    practitioner = create_practitioner(db, actor_of("jigou"), _data(db, id_number=legacy))
    full = _id_number("19600101", "123")
    assert practitioner.id_number_masked == "330521********" + full[-4:]
    assert len(practitioner.id_number_masked) == 18
    assert reveal_id_number(db, actor_of("jigou"), practitioner.id) == full
    with pytest.raises(InvalidInput) as again:
        create_practitioner(db, actor_of("jigou"), _data(db, id_number=full, name="另一人"))
    assert again.value.errors[0].field == "id_number" and "已登记（周建国）" in again.value.errors[0].message


def test_duplicate_id_number_of_someone_out_of_scope_is_refused_without_naming_them(db, actor_of):
    stranger = db.get(Practitioner, _practitioner_of(db, "cunyi2"))
    number = cipher_for(db).decrypt(stranger.id_number_cipher)
    with pytest.raises(InvalidInput) as caught:
        create_practitioner(db, actor_of("jigou"), _data(db, id_number=number, sex=stranger.sex))
    assert [(e.field, e.message) for e in caught.value.errors] == [("id_number", "该身份证号已登记")]


def test_id_number_is_encrypted_at_rest_and_revealed_only_to_managers_with_an_audit_event(db, actor_of):
    number = _id_number()
    practitioner = create_practitioner(db, actor_of("jigou"), _data(db))
    assert number.encode() not in practitioner.id_number_cipher
    assert number not in practitioner.id_number_index
    created = db.scalar(select(AuditEvent).where(AuditEvent.action == "practitioner.create"))
    assert number not in str(created.details)
    with pytest.raises(PermissionDenied):
        reveal_id_number(db, actor_of("yisheng"), practitioner.id)
    assert reveal_id_number(db, actor_of("jigou"), practitioner.id) == number
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "practitioner.reveal_id"))
    assert event.subject_id == str(practitioner.id) and event.login == "jigou"


def test_editing_keeps_required_fields_and_is_audited(db, actor_of):
    jigou = actor_of("jigou")
    practitioner = create_practitioner(db, jigou, _data(db))
    update_practitioner(db, jigou, practitioner.id, PractitionerUpdate(phone="0572-8000000", status="left"))
    assert (practitioner.phone, practitioner.status) == ("0572-8000000", "left")
    with pytest.raises(InvalidInput) as caught:
        update_practitioner(db, jigou, practitioner.id, PractitionerUpdate(name=None, qualification=None))
    assert {e.field for e in caught.value.errors} == {"name", "qualification"}
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "practitioner.update"))
    with pytest.raises(PermissionDenied):
        update_practitioner(db, actor_of("dangan"), practitioner.id, PractitionerUpdate(phone="13911112222"))


# --- memberships ---------------------------------------------------------------------------------


def test_ending_a_membership_removes_the_role_at_once_and_keeps_the_history(db, actor_of):
    cunyi_id = _practitioner_of(db, "cunyi")
    membership = db.scalar(select(Membership).where(Membership.practitioner_id == cunyi_id))
    assert actor_of("cunyi").roles == {Role.VILLAGE_DOCTOR}
    end_membership(db, actor_of("jigou"), membership.id, practitioner_id=cunyi_id)
    assert actor_of("cunyi").memberships == ()
    kept = db.scalars(select(Membership).where(Membership.practitioner_id == cunyi_id)).all()
    assert [(m.id, m.valid_to) for m in kept] == [(membership.id, today_local() - timedelta(days=1))]
    detail = get_practitioner(db, actor_of("jigou"), cunyi_id)
    assert [mv.is_current for mv in detail.memberships] == [False]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "membership.end"))
    with pytest.raises(InvalidInput):
        end_membership(db, actor_of("jigou"), membership.id)


def test_ending_checks_dates_scope_and_the_practitioner(db, actor_of):
    jigou = actor_of("jigou")
    cunyi_id = _practitioner_of(db, "cunyi")
    membership = db.scalar(select(Membership).where(Membership.practitioner_id == cunyi_id))
    with pytest.raises(InvalidInput) as early:
        end_membership(db, jigou, membership.id, valid_to=membership.valid_from - timedelta(days=1))
    assert early.value.errors[0].message == "结束日期不能早于开始日期"
    with pytest.raises(NotFound):
        end_membership(db, jigou, membership.id, practitioner_id=_practitioner_of(db, "dangan"))
    other = db.scalar(select(Membership.id).where(Membership.practitioner_id == _practitioner_of(db, "cunyi2")))
    with pytest.raises(NotFound):
        end_membership(db, jigou, other)
    with pytest.raises(PermissionDenied):
        end_membership(db, actor_of("dangan"), membership.id)


def test_a_second_membership_adds_a_role_and_a_duplicate_is_refused(db, actor_of):
    jigou = actor_of("jigou")
    dangan_id = _practitioner_of(db, "dangan")
    centre = _inst(db, XINSHI_CENTRE)
    add_membership(db, jigou, dangan_id, MembershipCreate(institution_id=centre.id, role=Role.TOWNSHIP_DOCTOR))
    assert actor_of("dangan").roles == {Role.RECORDS_MANAGER, Role.TOWNSHIP_DOCTOR}
    with pytest.raises(InvalidInput) as caught:
        add_membership(db, jigou, dangan_id, MembershipCreate(institution_id=centre.id, role=Role.RECORDS_MANAGER))
    assert caught.value.errors[0].message == "该人员在此机构已有此角色"


# --- accounts ------------------------------------------------------------------------------------


def test_new_account_can_log_in_and_takes_its_roles_from_memberships(db, actor_of):
    jigou = actor_of("jigou")
    practitioner = create_practitioner(db, jigou, _data(db))
    with pytest.raises(InvalidInput) as weak:
        create_account(db, jigou, practitioner.id, AccountCreate(login="zhoujg", password="short"))
    assert weak.value.errors[0].field == "password"
    create_account(db, jigou, practitioner.id, AccountCreate(login="zhoujg", password=DEMO_PASSWORD))
    outcome = log_in(db, login="zhoujg", password=DEMO_PASSWORD, kind="api")
    assert outcome.error is None
    assert actor_of("zhoujg").roles == {Role.TOWNSHIP_DOCTOR}
    with pytest.raises(InvalidInput) as twice:
        create_account(db, jigou, practitioner.id, AccountCreate(login="cunyi", password=DEMO_PASSWORD))
    assert {e.message for e in twice.value.errors} == {"登录名 cunyi 已被使用", "该人员已有账号"}
    with pytest.raises(PermissionDenied):
        create_account(db, actor_of("cunyi"), practitioner.id, AccountCreate(login="x-user", password=DEMO_PASSWORD))


def test_resetting_a_password_unlocks_the_account_and_is_audited(db, actor_of):
    cunyi_id = _practitioner_of(db, "cunyi")
    user = db.scalar(select(User).where(User.login == "cunyi"))
    user.locked_until, user.failed_logins = utcnow() + timedelta(minutes=15), 3
    db.flush()
    assert account_of(db, actor_of("jigou"), cunyi_id).locked
    assert log_in(db, login="cunyi", password=DEMO_PASSWORD, kind="api").error is not None
    with pytest.raises(InvalidInput) as weak:
        reset_user_password(db, actor_of("jigou"), cunyi_id, new_password="123")
    assert weak.value.errors[0].field == "password"
    reset_user_password(db, actor_of("jigou"), cunyi_id, new_password="Reset2026a")
    assert user.locked_until is None and user.failed_logins == 0
    assert log_in(db, login="cunyi", password="Reset2026a", kind="api").error is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "password.reset"))
    assert event.login == "jigou" and event.subject_id == str(user.id)
    with pytest.raises(PermissionDenied):
        reset_user_password(db, actor_of("dangan"), cunyi_id, new_password="Reset2026b")


def test_suspended_account_cannot_log_in_until_restored(db, actor_of):
    jigou = actor_of("jigou")
    cunyi_id = _practitioner_of(db, "cunyi")
    set_account_active(db, jigou, cunyi_id, active=False)
    assert isinstance(log_in(db, login="cunyi", password=DEMO_PASSWORD, kind="api").error, NotAuthenticated)
    set_account_active(db, jigou, cunyi_id, active=True)
    assert log_in(db, login="cunyi", password=DEMO_PASSWORD, kind="api").error is None
    with pytest.raises(InvalidInput):
        set_account_active(db, jigou, _practitioner_of(db, "jigou"), active=False)
    assert account_of(db, actor_of("cunyi"), cunyi_id).is_active is None  # state only for managers
