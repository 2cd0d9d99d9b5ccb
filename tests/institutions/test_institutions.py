"""Institutions: creation, catchment history, and closing or merging into a successor."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kangdang.access.models import AuditEvent
from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.institutions.models import Catchment, Institution, Membership
from kangdang.institutions.schemas import InstitutionClosure, InstitutionCreate, InstitutionUpdate
from kangdang.institutions.service import (
    close_institution,
    create_institution,
    get_institution,
    list_institutions,
    update_institution,
)
from kangdang.institutions.types import InstitutionType

XINSHI = "330521102"


def _inst(db, code: str) -> Institution:
    return db.scalar(select(Institution).where(Institution.code == code))


def test_county_manager_creates_an_institution_with_a_catchment_and_it_is_audited(db, actor_of):
    manager = actor_of("xianju")
    centre = _inst(db, f"{XINSHI}-01")
    created = create_institution(
        db,
        manager,
        InstitutionCreate(
            code="330521102200-02",
            name="句城村第二卫生室",
            type=InstitutionType.VILLAGE_OFFICE,
            region_code="330521102200",
            supervisor_id=centre.id,
            catchment=["330521102200"],
        ),
    )
    detail = get_institution(db, manager, created.id)
    assert [r.code for r in detail.catchment] == ["330521102200"]
    assert detail.supervisor is not None and detail.supervisor.id == centre.id
    assert db.scalar(
        select(AuditEvent).where(AuditEvent.action == "institution.create", AuditEvent.subject_id == str(created.id))
    )


def test_creation_reports_every_problem_and_saves_nothing(db, actor_of):
    manager = actor_of("xianju")
    before = db.scalar(select(Institution.id).order_by(Institution.id.desc()))
    with pytest.raises(InvalidInput) as caught:
        create_institution(
            db,
            manager,
            InstitutionCreate(
                code=f"{XINSHI}-01",
                name="重复",
                type=InstitutionType.VILLAGE_OFFICE,
                region_code="999999",
                catchment=["330521102", "330102001001"],
            ),
        )
    fields = {e.field for e in caught.value.errors}
    assert {"code", "region_code", "catchment"} <= fields
    messages = " ".join(e.message for e in caught.value.errors)
    assert "已被使用" in messages and "不是村级区划" in messages
    assert db.scalar(select(Institution.id).order_by(Institution.id.desc())) == before


def test_village_doctor_cannot_create_institutions(db, actor_of):
    with pytest.raises(PermissionDenied):
        create_institution(
            db,
            actor_of("cunyi"),
            InstitutionCreate(
                code="X-1",
                name="x",
                type=InstitutionType.OTHER,
                region_code="330521",
            ),
        )


def test_changing_a_catchment_keeps_its_history(db, actor_of):
    manager = actor_of("xianju")
    office = _inst(db, "330521102200-01")
    update_institution(db, manager, office.id, InstitutionUpdate(catchment=["330521102201"]))
    rows = db.scalars(
        select(Catchment).where(Catchment.institution_id == office.id).order_by(Catchment.valid_from)
    ).all()
    assert {(r.region_code, r.valid_to is None) for r in rows} == {("330521102200", False), ("330521102201", True)}


def test_institution_admin_may_rename_own_centre_but_not_move_its_catchment(db, actor_of):
    admin = actor_of("jigou")
    centre = _inst(db, f"{XINSHI}-01")
    update_institution(db, admin, centre.id, InstitutionUpdate(name="新市镇中心卫生院（新院区）"))
    assert centre.name.endswith("（新院区）")
    with pytest.raises(InvalidInput):
        update_institution(db, admin, centre.id, InstitutionUpdate(catchment=[]))


def test_merging_moves_catchment_and_supervised_offices_and_ends_memberships(db, actor_of):
    manager = actor_of("xianju")
    closing = _inst(db, "330521103-01")  # 洛舍镇卫生院
    successor = _inst(db, f"{XINSHI}-01")
    villages = set(db.scalars(select(Catchment.region_code).where(Catchment.institution_id == closing.id)))
    on = date(2026, 12, 1)
    close_institution(
        db,
        manager,
        closing.id,
        InstitutionClosure(status="merged", closed_on=on, successor_id=successor.id, reason="乡镇卫生院整合"),
    )
    assert closing.status == "merged" and closing.successor_id == successor.id
    moved = set(
        db.scalars(
            select(Catchment.region_code).where(Catchment.institution_id == successor.id, Catchment.valid_to.is_(None))
        )
    )
    assert villages <= moved
    assert not db.scalars(
        select(Catchment).where(Catchment.institution_id == closing.id, Catchment.valid_to.is_(None))
    ).all()
    supervised = db.scalars(
        select(Institution.supervisor_id).where(
            Institution.region_code.startswith("330521103"), Institution.type == "village_office"
        )
    ).all()
    assert set(supervised) == {successor.id}
    ends = set(db.scalars(select(Membership.valid_to).where(Membership.institution_id == closing.id)))
    assert ends == {on - timedelta(days=1)}
    with pytest.raises(InvalidInput):
        update_institution(db, manager, closing.id, InstitutionUpdate(name="x"))


def test_closing_needs_an_active_successor_other_than_itself(db, actor_of):
    manager = actor_of("xianju")
    closing = _inst(db, "330521103-01")
    with pytest.raises(InvalidInput) as caught:
        close_institution(
            db,
            manager,
            closing.id,
            InstitutionClosure(status="closed", closed_on=date(2026, 12, 1), successor_id=closing.id, reason="x"),
        )
    assert any(e.field == "successor_id" for e in caught.value.errors)


def test_out_of_scope_institution_answers_like_a_missing_one(db, actor_of):
    other = _inst(db, "330521115-01")  # 莫干山镇中心卫生院
    with pytest.raises(NotFound) as out_of_scope:
        get_institution(db, actor_of("cunyi"), other.id)
    import uuid

    with pytest.raises(NotFound) as missing:
        get_institution(db, actor_of("cunyi"), uuid.uuid4())
    assert out_of_scope.value.message == missing.value.message


def test_county_manager_lists_every_institution_of_the_county(db, actor_of):
    page = list_institutions(db, actor_of("xianju"), page=PageRequest(size=200))
    assert page.total == db.query(Institution).filter(Institution.region_code.startswith("330521")).count()
