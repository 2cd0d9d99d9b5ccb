"""Who sees and manages which staff and institutions: the jurisdiction rules of the staff slice.

Personas: cunyi (village doctor, 新市镇), cunyi2 (village doctor, 莫干山镇), dangan (records manager of 新市镇
中心卫生院), jigou (institution admin there), xianju (county manager), admin (system administrator).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kangdang.access.actor import system_actor
from kangdang.access.models import User
from kangdang.access.roles import Role
from kangdang.core.clock import today_local
from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.core.idnumber import check_character
from kangdang.core.pagination import PageRequest
from kangdang.institutions.actors import load_actor
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.institutions.schemas import AccountCreate, MembershipCreate, PractitionerCreate
from kangdang.institutions.service import get_institution, list_institutions, visible_institutions
from kangdang.institutions.staff import (
    add_membership,
    create_account,
    create_practitioner,
    end_membership,
    get_practitioner,
    list_practitioners,
    manageable_institutions,
    memberships_of,
    reset_user_password,
    role_choices,
)
from kangdang.institutions.types import Qualification
from tests.conftest import DEMO_PASSWORD

XINSHI, MOGANSHAN = "330521102", "330521115"
ALL = PageRequest(size=200)


def _id_number(birth: str = "19600101", sequence: str = "123") -> str:
    first17 = f"330521{birth}{sequence}"
    return first17 + check_character(first17)


def _inst(db, code: str) -> Institution:
    return db.scalar(select(Institution).where(Institution.code == code))


def _offices(db, township: str) -> list[Institution]:
    return list(
        db.scalars(
            select(Institution)
            .where(Institution.region_code.startswith(township), Institution.type == "village_office")
            .order_by(Institution.code)
        )
    )


def _practitioner_of(db, login: str) -> uuid.UUID:
    return db.scalar(select(User.practitioner_id).where(User.login == login))


def _staff_of(db, township: str) -> set[uuid.UUID]:
    """Practitioners with a membership in an institution located in ``township``."""
    return set(
        db.scalars(
            select(Membership.practitioner_id)
            .join(Institution, Institution.id == Membership.institution_id)
            .where(Institution.region_code.startswith(township))
        )
    )


def _all_listed(db, actor) -> set[uuid.UUID]:
    page = list_practitioners(db, actor, page=ALL)
    assert page.total <= ALL.size
    return {p.id for p in page.items}


def _new_staff(db, institution: Institution, *, role: Role = Role.VILLAGE_DOCTOR, since: date = date(2024, 1, 1)):
    return create_practitioner(
        db,
        system_actor(),
        PractitionerCreate(
            name="测试人员",
            id_number=_id_number(),
            sex="1",
            qualification=Qualification.RURAL_DOCTOR,
            institution_id=institution.id,
            role=role,
            valid_from=since,
        ),
    )


# --- a village doctor of 新市镇 sees nothing of 莫干山镇 ------------------------------------------------


def test_village_doctor_lists_neither_staff_nor_institutions_of_another_township(db, actor_of):
    cunyi = actor_of("cunyi")
    listed = _all_listed(db, cunyi)
    assert listed and _practitioner_of(db, "cunyi") in listed
    assert not listed & (_staff_of(db, MOGANSHAN) - _staff_of(db, XINSHI))
    assert _practitioner_of(db, "cunyi2") not in listed
    institutions = list_institutions(db, cunyi, page=ALL).items
    assert institutions and not [i for i in institutions if i.region_code.startswith(MOGANSHAN)]
    shown = memberships_of(db, cunyi, list(listed))
    assert not [mv for views in shown.values() for mv in views if mv.institution.region_code.startswith(MOGANSHAN)]


def test_village_doctor_gets_not_found_for_another_townships_staff_and_institution(db, actor_of):
    cunyi = actor_of("cunyi")
    with pytest.raises(NotFound) as hidden:
        get_practitioner(db, cunyi, _practitioner_of(db, "cunyi2"))
    with pytest.raises(NotFound) as missing:
        get_practitioner(db, cunyi, uuid.uuid4())
    assert hidden.value.message == missing.value.message
    with pytest.raises(NotFound) as hidden_institution:
        get_institution(db, cunyi, _inst(db, f"{MOGANSHAN}-01").id)
    with pytest.raises(NotFound) as missing_institution:
        get_institution(db, cunyi, uuid.uuid4())
    assert hidden_institution.value.message == missing_institution.value.message


def test_village_doctor_pages_and_api_answer_404_as_for_a_missing_id(db, web_login, api_as):
    hidden_staff = _practitioner_of(db, "cunyi2")
    hidden_institution = _inst(db, f"{MOGANSHAN}-01").id
    own_staff = _practitioner_of(db, "cunyi")
    headers = api_as("cunyi")
    client = web_login("cunyi")
    assert client.get(f"/staff/{own_staff}").status_code == 200
    for url in (f"/staff/{hidden_staff}", f"/institutions/{hidden_institution}"):
        hidden, missing = client.get(url), client.get(url.rsplit("/", 1)[0] + f"/{uuid.uuid4()}")
        assert hidden.status_code == missing.status_code == 404
    for url in (f"/api/v1/practitioners/{hidden_staff}", f"/api/v1/institutions/{hidden_institution}"):
        hidden, missing = (
            client.get(url, headers=headers),
            client.get(url.rsplit("/", 1)[0] + f"/{uuid.uuid4()}", headers=headers),
        )
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
    listed = client.get("/api/v1/practitioners", params={"size": 200}, headers=headers).json()
    assert str(hidden_staff) not in {item["id"] for item in listed["items"]}
    staff_page = client.get("/staff")
    assert "莫干山" not in staff_page.text


# --- the county and the township --------------------------------------------------------------------


def test_county_manager_sees_every_institution_and_practitioner_of_the_county(db, actor_of):
    xianju = actor_of("xianju")
    in_county = db.scalar(select(func.count()).where(Institution.region_code.startswith("330521")))
    assert list_institutions(db, xianju, page=ALL).total == in_county
    everyone = db.scalar(select(func.count()).select_from(Practitioner))
    assert list_practitioners(db, xianju, page=ALL).total == everyone


def test_records_manager_sees_own_townships_village_offices_and_their_staff_only(db, actor_of):
    dangan = actor_of("dangan")
    institutions = {i.id for i in list_institutions(db, dangan, page=ALL).items}
    assert {o.id for o in _offices(db, XINSHI)} <= institutions
    assert not institutions & {o.id for o in _offices(db, MOGANSHAN)}
    listed = _all_listed(db, dangan)
    office_staff = set(
        db.scalars(
            select(Membership.practitioner_id).where(
                Membership.institution_id.in_([o.id for o in _offices(db, XINSHI)])
            )
        )
    )
    assert office_staff and office_staff <= listed
    assert not listed & (_staff_of(db, MOGANSHAN) - _staff_of(db, XINSHI))


# --- managing staff --------------------------------------------------------------------------------


def test_institution_admin_adds_staff_to_own_townships_office_only_and_grants_no_county_role(db, actor_of):
    jigou = actor_of("jigou")
    own_office, other_office = _offices(db, XINSHI)[1], _offices(db, MOGANSHAN)[0]
    choices = {i.id for i in manageable_institutions(db, jigou)}
    assert own_office.id in choices and other_office.id not in choices
    assert Role.COUNTY_MANAGER not in role_choices(jigou) and Role.SYSTEM_ADMIN not in role_choices(jigou)

    def register(institution: Institution, role: Role):
        data = PractitionerCreate(
            name="新村医",
            id_number=_id_number(),
            sex="1",
            qualification=Qualification.RURAL_DOCTOR,
            institution_id=institution.id,
            role=role,
        )
        return create_practitioner(db, jigou, data)

    with pytest.raises(InvalidInput) as elsewhere:
        register(other_office, Role.VILLAGE_DOCTOR)
    assert {e.field for e in elsewhere.value.errors} == {"institution_id"}
    centre = _inst(db, f"{XINSHI}-01")
    for role in (Role.COUNTY_MANAGER, Role.SYSTEM_ADMIN):
        with pytest.raises(InvalidInput) as too_high:
            register(centre, role)
        assert any(e.field == "role" and "您不能授予" in e.message for e in too_high.value.errors)
    created = register(own_office, Role.VILLAGE_DOCTOR)
    assert get_practitioner(db, jigou, created.id).can_manage
    with pytest.raises(InvalidInput):
        add_membership(
            db, jigou, created.id, MembershipCreate(institution_id=other_office.id, role=Role.VILLAGE_DOCTOR)
        )


def test_user_without_a_current_membership_sees_nothing(db, actor_of):
    centre = _inst(db, f"{XINSHI}-01")
    person = _new_staff(db, centre, role=Role.RECORDS_MANAGER)
    create_account(db, system_actor(), person.id, AccountCreate(login="former.staff", password=DEMO_PASSWORD))
    membership = db.scalar(select(Membership).where(Membership.practitioner_id == person.id))
    end_membership(db, system_actor(), membership.id, valid_to=today_local() - timedelta(days=1))
    former = load_actor(db, db.scalar(select(User).where(User.login == "former.staff")))
    assert former.memberships == () and former.scope.is_empty
    assert db.scalars(select(Institution.id).where(visible_institutions(former))).all() == []
    with pytest.raises(PermissionDenied):
        list_practitioners(db, former, page=ALL)
    with pytest.raises(PermissionDenied):
        list_institutions(db, former, page=ALL)
    with pytest.raises(PermissionDenied):
        get_practitioner(db, former, person.id)


def test_former_colleague_now_elsewhere_stays_visible_as_history_but_cannot_be_managed(db, actor_of):
    """An admin of the old township must not reset the password of someone now working in another township."""
    centre, other_office = _inst(db, f"{XINSHI}-01"), _offices(db, MOGANSHAN)[0]
    person = _new_staff(db, centre, role=Role.TOWNSHIP_DOCTOR)
    create_account(db, system_actor(), person.id, AccountCreate(login="moved.doctor", password=DEMO_PASSWORD))
    old = db.scalar(select(Membership).where(Membership.practitioner_id == person.id))
    end_membership(db, system_actor(), old.id, valid_to=today_local() - timedelta(days=1))
    add_membership(
        db, system_actor(), person.id, MembershipCreate(institution_id=other_office.id, role=Role.VILLAGE_DOCTOR)
    )

    jigou = actor_of("jigou")
    detail = get_practitioner(db, jigou, person.id)
    assert not detail.can_manage
    assert [mv.institution.id for mv in detail.memberships] == [centre.id]
    with pytest.raises(PermissionDenied):
        reset_user_password(db, jigou, person.id, new_password="Takeover2026")
    new_membership = db.scalar(
        select(Membership.id).where(Membership.practitioner_id == person.id, Membership.valid_to.is_(None))
    )
    with pytest.raises(NotFound):
        end_membership(db, jigou, new_membership)
    filtered = list_practitioners(db, actor_of("cunyi"), page=ALL, institution_id=other_office.id)
    assert filtered.total == 0
    # The admin of the new township may.
    reset_user_password(db, actor_of("xianju"), person.id, new_password="Welcome2026")


def test_county_manager_cannot_take_over_a_system_administrators_account(db, actor_of):
    xianju = actor_of("xianju")
    with pytest.raises(PermissionDenied):
        reset_user_password(db, xianju, _practitioner_of(db, "admin"), new_password="Takeover2026")
    assert not get_practitioner(db, xianju, _practitioner_of(db, "admin")).can_manage
    reset_user_password(db, xianju, _practitioner_of(db, "cunyi2"), new_password="Welcome2026")
    reset_user_password(db, actor_of("admin"), _practitioner_of(db, "xianju"), new_password="Welcome2026")
