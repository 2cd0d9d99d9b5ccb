"""Access for other institutions: apply → approve → consent → a read-only grant that ends by time, revocation or
withdrawal; nothing is disclosed before, and only the managing institution decides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from kangdang.access.models import AuditEvent
from kangdang.access.roles import Role
from kangdang.core.clock import today_local
from kangdang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.institutions.models import Institution
from kangdang.institutions.schemas import AccountCreate, PractitionerCreate
from kangdang.institutions.staff import create_account, create_practitioner
from kangdang.institutions.types import Qualification
from kangdang.records.service import get_form, list_forms, save_form
from kangdang.residents.grants import (
    NO_MATCH,
    AccessApplication,
    ConsentDetails,
    DecisionReason,
    apply_for_access,
    approve_request,
    consent_evidence,
    count_requests_to_decide,
    list_my_requests,
    list_requests_to_decide,
    record_consent,
    record_withdrawal,
    reject_request,
    revoke_grant,
)
from kangdang.residents.search import search_residents
from kangdang.residents.service import get_record_view, record_access_log
from tests.residents.factories import file_resident, id_number

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
NAME = "授权测试人"


@pytest.fixture
def resident(db, actor_of):
    """A resident of 句城村 (新市镇, managed by 新市镇中心卫生院), with a signed-off form on file."""
    number = id_number(date(1960, 7, 1))
    record = file_resident(
        db, actor_of("cunyi"), name=NAME, born=date(1960, 7, 1), document_number=number, filed_on=date(2020, 1, 1)
    )
    form = save_form(db, actor_of("cunyi"), record.id, "hypertension_followup", followup(), sign=True)
    return record, number, form


def followup() -> dict:
    return {
        "visit_date": (today_local() - timedelta(days=1)).isoformat(),
        "visit_mode": "1",
        "symptoms": ["1"],
        "sbp": "132",
        "dbp": "82",
        "weight": "65",
        "height": "168",
        "medication_adherence": "1",
        "adverse_reaction": "1",
    }


def _application(number: str, **changes) -> AccessApplication:
    data = {
        "document_number": number,
        "name": NAME,
        "purpose": "住院治疗需了解既往病史",
        "parts": ["profile", "forms"],
        "duration_days": 7,
        "basis": "患者入院，主治医生申请",
    } | changes
    return AccessApplication(**data)


def _consent(method: str = "signature") -> ConsentDetails:
    return ConsentDetails(consent_by_name=NAME, relationship="self", method=method)


def _grant(db, actor_of, number: str, login: str = "yiyuan", **changes):
    request = apply_for_access(db, actor_of(login), _application(number, **changes))
    approve_request(db, actor_of("dangan"), request.id)
    return record_consent(db, actor_of("dangan"), request.id, _consent(), PNG)


def _actions(db, person_id) -> list[tuple[str, dict]]:
    rows = db.scalars(
        select(AuditEvent).where(AuditEvent.subject_id == str(person_id)).order_by(AuditEvent.at, AuditEvent.id)
    )
    return [(e.action, e.details) for e in rows]


def test_the_whole_chain_gives_a_read_only_grant_that_is_audited_as_such(db, actor_of, resident):
    record, number, _form = resident
    yiyuan = actor_of("yiyuan")
    with pytest.raises(NotFound):
        get_record_view(db, yiyuan, record.id)

    request = apply_for_access(db, yiyuan, _application(number))
    assert request.status == "pending" and request.managing_institution_id == record.managing_institution_id
    mine = list_my_requests(db, yiyuan, page=PageRequest())
    assert [ln.status for ln in mine.items] == ["pending"] and mine.items[0].record_number is None
    assert count_requests_to_decide(db, actor_of("dangan")) >= 1
    approve_request(db, actor_of("dangan"), request.id)
    with pytest.raises(NotFound):  # approved but not consented: still nothing
        get_record_view(db, yiyuan, record.id)

    record_consent(db, actor_of("dangan"), request.id, _consent(), PNG)
    assert request.status == "active"
    assert request.expires_at is not None and request.expires_at - request.consent_at == timedelta(days=7)
    assert request.consent_relationship == "本人" and request.consent_evidence_type == "image/png"

    view = get_record_view(db, yiyuan, record.id)
    assert view.person.name == NAME and view.basis.via == "grant"
    read = [d for a, d in _actions(db, record.person_id) if a == "record.read"][-1]
    assert read["via"] == "grant" and read["request_id"] == str(request.id)
    assert [a for a, _ in _actions(db, record.person_id) if a.startswith("access.")] == [
        "access.apply",
        "access.approve",
        "access.consent",
    ]
    # the resident's access log (kept by the managing side) shows the read through the grant
    log = record_access_log(db, actor_of("dangan"), record.id, page=PageRequest())
    assert any(e.login == "yiyuan" and e.details.get("via") == "grant" for e in log.items)
    evidence, content_type = consent_evidence(db, actor_of("dangan"), request.id)
    assert evidence == PNG and content_type == "image/png"


def test_a_grant_works_until_it_expires(db, actor_of, resident, time_machine):
    record, number, form = resident
    time_machine.move_to(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), tick=False)
    grant = _grant(db, actor_of, number, duration_days=2)
    yiyuan = actor_of("yiyuan")
    time_machine.move_to(datetime(2026, 3, 2, 23, 0, tzinfo=UTC), tick=False)
    assert get_record_view(db, yiyuan, record.id).record.id == record.id
    assert get_form(db, yiyuan, form.id).id == form.id
    time_machine.move_to(datetime(2026, 3, 3, 2, 0, 1, tzinfo=UTC), tick=False)
    with pytest.raises(NotFound):
        get_record_view(db, yiyuan, record.id)
    with pytest.raises(NotFound):
        get_form(db, yiyuan, form.id)
    lines = list_requests_to_decide(db, actor_of("dangan"), status="expired", page=PageRequest())
    assert grant.id in {ln.request.id for ln in lines.items}
    assert {ln.status for ln in lines.items} == {"expired"}
    with pytest.raises(Conflict):  # an expired grant cannot be revoked any more: it is over
        revoke_grant(db, actor_of("dangan"), grant.id, DecisionReason(reason="到期"))


def test_revocation_ends_a_grant(db, actor_of, resident):
    record, number, _form = resident
    grant = _grant(db, actor_of, number)
    get_record_view(db, actor_of("yiyuan"), record.id)
    revoke_grant(db, actor_of("dangan"), grant.id, DecisionReason(reason="治疗已结束"))
    with pytest.raises(NotFound):
        get_record_view(db, actor_of("yiyuan"), record.id)
    assert ("access.revoke", {"request_id": str(grant.id), "requester": "yiyuan", "reason": "治疗已结束"}) in _actions(
        db, record.person_id
    )


def test_withdrawal_of_consent_ends_a_grant(db, actor_of, resident):
    record, number, form = resident
    grant = _grant(db, actor_of, number)
    assert get_form(db, actor_of("yiyuan"), form.id)
    record_withdrawal(db, actor_of("dangan"), grant.id, DecisionReason(reason="居民本人到卫生院撤回同意"))
    assert grant.status == "withdrawn" and grant.withdrawn_by == "dangan"
    with pytest.raises(NotFound):
        get_form(db, actor_of("yiyuan"), form.id)
    with pytest.raises(NotFound):
        get_record_view(db, actor_of("yiyuan"), record.id)


def test_a_grant_without_forms_opens_the_record_but_not_its_forms(db, actor_of, resident):
    record, number, form = resident
    _grant(db, actor_of, number, parts=["profile"])
    yiyuan = actor_of("yiyuan")
    view = get_record_view(db, yiyuan, record.id)
    assert not view.basis.covers("forms")
    with pytest.raises(NotFound):
        get_form(db, yiyuan, form.id)
    with pytest.raises(NotFound):
        list_forms(db, yiyuan, record.id)


def test_a_grant_gives_no_write_and_no_search_listing(db, actor_of, resident):
    record, number, _form = resident
    _grant(db, actor_of, number, login="cunyi2")  # a village doctor of another township may fill forms at home
    cunyi2 = actor_of("cunyi2")
    assert get_record_view(db, cunyi2, record.id).basis.via == "grant"
    assert list_forms(db, cunyi2, record.id)
    with pytest.raises(NotFound):
        save_form(db, cunyi2, record.id, "hypertension_followup", followup(), sign=False)
    with pytest.raises(NotFound):
        record_access_log(db, cunyi2, record.id, page=PageRequest())
    for query in (number, NAME, record.record_number):
        assert search_residents(db, cunyi2, query=query, page=PageRequest()).total == 0
    _grant(db, actor_of, number)
    with pytest.raises(PermissionDenied):  # a hospital doctor has no form permission at all
        save_form(db, actor_of("yiyuan"), record.id, "hypertension_followup", followup(), sign=False)


def test_an_unknown_number_and_a_wrong_name_answer_alike(db, actor_of, resident):
    _record, number, _form = resident
    yiyuan = actor_of("yiyuan")
    messages = []
    for application in (
        _application(id_number(date(1971, 1, 1))),  # a valid number nobody has
        _application(number, name="别人"),
        _application("330521abc"),
    ):
        with pytest.raises(InvalidInput) as error:
            apply_for_access(db, yiyuan, application)
        messages.append((error.value.message, [(e.field, e.message) for e in error.value.errors]))
    assert messages == [(NO_MATCH, [("document_number", NO_MATCH)])] * 3


def test_staff_whose_jurisdiction_covers_the_record_are_told_they_need_no_application(db, actor_of, resident):
    _record, number, _form = resident
    with pytest.raises(InvalidInput) as error:
        apply_for_access(db, actor_of("yisheng"), _application(number))
    assert "无需申请" in error.value.message


def test_deciders_of_another_institution_cannot_decide(db, actor_of, resident):
    _record, number, _form = resident
    request = apply_for_access(db, actor_of("yiyuan"), _application(number))
    other = moganshan_records_manager(db, actor_of)
    with pytest.raises(NotFound):
        approve_request(db, other, request.id)
    with pytest.raises(NotFound):
        reject_request(db, other, request.id, DecisionReason(reason="不是我们的"))
    assert list_requests_to_decide(db, other, status=None, page=PageRequest()).total == 0
    with pytest.raises(PermissionDenied):  # nor can a doctor of the managing institution
        approve_request(db, actor_of("yisheng"), request.id)
    reject_request(db, actor_of("jigou"), request.id, DecisionReason(reason="用途不明确"))
    assert request.status == "rejected" and request.decision_reason == "用途不明确"
    with pytest.raises(Conflict):
        record_consent(db, actor_of("dangan"), request.id, _consent(), PNG)


def test_consent_evidence_is_checked_by_its_bytes(db, actor_of, resident):
    _record, number, _form = resident
    request = apply_for_access(db, actor_of("yiyuan"), _application(number))
    dangan = actor_of("dangan")
    approve_request(db, dangan, request.id)
    for method, content, field in (
        ("signature", PDF, "signature"),  # a signature must be the canvas's PNG
        ("scan", b"GIF89a....", "evidence"),
        ("scan", b"", "evidence"),
        ("scan", b"%PDF-" + b"0" * (5 * 1024 * 1024), "evidence"),
    ):
        with pytest.raises(InvalidInput) as error:
            record_consent(db, dangan, request.id, _consent(method), content)
        assert [e.field for e in error.value.errors] == [field]
    guardian = ConsentDetails(
        consent_by_name="监护人甲", relationship="guardian", guardian_relationship="女儿", method="scan"
    )
    record_consent(db, dangan, request.id, guardian, PDF)
    assert request.consent_relationship == "监护人（女儿）" and request.consent_evidence_type == "application/pdf"


def test_a_second_open_application_for_the_same_record_is_refused(db, actor_of, resident):
    _record, number, _form = resident
    apply_for_access(db, actor_of("yiyuan"), _application(number))
    with pytest.raises(Conflict):
        apply_for_access(db, actor_of("yiyuan"), _application(number))


def moganshan_records_manager(db, actor_of):
    centre = db.scalar(select(Institution).where(Institution.code == "330521115-01"))
    practitioner = create_practitioner(
        db,
        actor_of("xianju"),
        PractitionerCreate(
            name="莫干山档案员",
            id_number=id_number(date(1985, 5, 5), "2"),
            sex="2",
            qualification=Qualification.PUBLIC_HEALTH,
            institution_id=centre.id,
            role=Role.RECORDS_MANAGER,
            valid_from=date(2020, 1, 1),
        ),
    )
    create_account(db, actor_of("xianju"), practitioner.id, AccountCreate(login="mgsgrant", password="Kangdang2026"))
    return actor_of("mgsgrant")
