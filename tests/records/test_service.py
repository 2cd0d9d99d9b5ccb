"""The life of a filled form through the service: draft, sign, immutability, amendment, error, filing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from kangdang.access.models import AuditEvent
from kangdang.core.clock import today_local
from kangdang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kangdang.records.models import ServiceRecord
from kangdang.records.service import (
    amend_form,
    form_versions,
    get_form,
    list_forms,
    mark_entered_in_error,
    save_form,
    sign_form,
)
from kangdang.residents.lifecycle import close_record
from kangdang.residents.schemas import RecordClosure
from tests.residents.factories import file_resident


def followup(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "visit_date": (today_local() - timedelta(days=1)).isoformat(),
        "visit_mode": "1",
        "symptoms": ["1"],
        "sbp": "152",
        "dbp": "88",
        "weight": "72.5",
        "height": "168",
        "medication_adherence": "1",
        "adverse_reaction": "1",
        "medicines": [{"name": "苯磺酸氨氯地平片", "times_per_day": "1", "dose": "5"}],
    }
    answers.update(changes)
    return answers


@pytest.fixture
def patient(db: Any, actor_of: Any) -> Any:
    return file_resident(db, actor_of("cunyi"), name="高血压", born=date(1970, 5, 6), filed_on=date(2020, 1, 1))


def count_forms(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(ServiceRecord)) or 0


def test_signing_stores_typed_answers_and_the_derived_classification(db: Any, actor_of: Any, patient: Any) -> None:
    doctor = actor_of("cunyi")
    row = save_form(db, doctor, patient.id, "hypertension_followup", followup(), sign=True)
    assert row.status == "completed"
    assert row.signed_by_name == doctor.name
    assert row.answers["sbp"] == 152
    assert row.answers["bmi"] == 25.7  # 72.5 / 1.68² = 25.69
    assert row.answers["classification"] == "2"  # 152 ≥ 140 at 56 years: not controlled
    assert row.answers["management_action"] == "2"  # first time → re-visit within 2 weeks
    visit = today_local() - timedelta(days=1)
    assert row.answers["next_visit_date"] == (visit + timedelta(days=14)).isoformat()
    assert row.answers["doctor_name"] == doctor.name
    assert row.service_date == visit


def test_two_uncontrolled_visits_in_a_row_lead_to_referral(db: Any, actor_of: Any, patient: Any) -> None:
    doctor = actor_of("cunyi")
    first = followup(visit_date=(today_local() - timedelta(days=20)).isoformat())
    save_form(db, doctor, patient.id, "hypertension_followup", first, sign=True)
    second = save_form(db, doctor, patient.id, "hypertension_followup", followup(), sign=True)
    assert second.answers["management_action"] == "3"


def test_an_invalid_submission_saves_nothing_and_reports_every_field(db: Any, actor_of: Any, patient: Any) -> None:
    before = count_forms(db)
    future = (today_local() + timedelta(days=3)).isoformat()
    with pytest.raises(InvalidInput) as caught:
        save_form(
            db,
            actor_of("cunyi"),
            patient.id,
            "hypertension_followup",
            followup(sbp="400", dbp="", visit_date=future, visit_mode=""),
            sign=True,
        )
    fields = {e.field: e.message for e in caught.value.errors}
    assert fields["sbp"] == "收缩压：应在 50～300mmHg 之间"
    assert fields["dbp"] == "舒张压：此项为必填项"
    assert fields["visit_date"] == "随访日期：不能晚于今天"
    assert fields["visit_mode"] == "随访方式：此项为必填项"
    assert count_forms(db) == before


def test_a_signed_form_cannot_be_changed_only_amended(db: Any, actor_of: Any, patient: Any) -> None:
    doctor = actor_of("cunyi")
    signed = save_form(db, doctor, patient.id, "hypertension_followup", followup(), sign=True)
    with pytest.raises(Conflict):
        save_form(db, doctor, patient.id, "hypertension_followup", followup(sbp="130"), sign=True, draft_id=signed.id)
    with pytest.raises(Conflict):
        sign_form(db, doctor, signed.id)
    with pytest.raises(InvalidInput):
        amend_form(db, doctor, signed.id, followup(sbp="130"), reason=" ")
    amended = amend_form(db, doctor, signed.id, followup(sbp="130", dbp="80"), reason="收缩压录入错误")
    db.refresh(signed)
    assert signed.status == "amended" and signed.answers["sbp"] == 152
    assert amended.status == "completed" and amended.answers["sbp"] == 130
    assert amended.answers["classification"] == "1"
    assert amended.amends_id == signed.id and amended.version_no == 2
    assert [v.version_no for v in form_versions(db, doctor, signed.id)] == [1, 2]
    assert [r.id for r in list_forms(db, doctor, patient.id)] == [amended.id]
    with pytest.raises(Conflict):
        amend_form(db, doctor, signed.id, followup(), reason="再改旧版本")


def test_a_draft_can_be_changed_then_signed(db: Any, actor_of: Any, patient: Any) -> None:
    doctor = actor_of("cunyi")
    draft = save_form(
        db, doctor, patient.id, "hypertension_followup", {"sbp": "150", "visit_date": "2025-01-02"}, sign=False
    )
    assert draft.status == "draft" and draft.signed_at is None
    with pytest.raises(InvalidInput):
        sign_form(db, doctor, draft.id)  # incomplete: required items missing
    save_form(db, doctor, patient.id, "hypertension_followup", followup(), sign=False, draft_id=draft.id)
    signed = sign_form(db, doctor, draft.id)
    assert signed.id == draft.id and signed.status == "completed"


def test_entered_in_error_keeps_the_form_marked(db: Any, actor_of: Any, patient: Any) -> None:
    row = save_form(db, actor_of("cunyi"), patient.id, "hypertension_followup", followup(), sign=True)
    with pytest.raises(PermissionDenied):
        mark_entered_in_error(db, actor_of("cunyi"), row.id, reason="录错居民")
    voided = mark_entered_in_error(db, actor_of("dangan"), row.id, reason="录错居民")
    assert voided.status == "entered_in_error" and voided.error_reason == "录错居民"
    assert db.get(ServiceRecord, row.id) is not None


def test_forms_are_scoped_like_records(db: Any, actor_of: Any, patient: Any) -> None:
    row = save_form(db, actor_of("cunyi"), patient.id, "hypertension_followup", followup(), sign=True)
    with pytest.raises(NotFound):
        get_form(db, actor_of("cunyi2"), row.id)
    with pytest.raises(NotFound):
        save_form(db, actor_of("cunyi2"), patient.id, "hypertension_followup", followup(), sign=True)
    assert get_form(db, actor_of("xianju"), row.id).id == row.id


def test_reading_a_form_is_audited_as_a_read_of_the_record(db: Any, actor_of: Any, patient: Any) -> None:
    row = save_form(db, actor_of("cunyi"), patient.id, "hypertension_followup", followup(), sign=True)
    get_form(db, actor_of("xianju"), row.id)
    events = db.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == str(patient.person_id), AuditEvent.login == "xianju")
    ).all()
    assert "form.read" in events


def test_a_child_form_for_an_adult_is_refused(db: Any, actor_of: Any, patient: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        save_form(
            db,
            actor_of("cunyi"),
            patient.id,
            "child_check_infant",
            {"visit_date": today_local().isoformat(), "visit_age": "3"},
            sign=True,
        )
    assert any("1岁以内儿童" in e.message for e in caught.value.errors)


def test_cover_and_basic_information_complete_the_filing(db: Any, actor_of: Any, patient: Any) -> None:
    doctor = actor_of("cunyi")
    assert patient.filing_complete_on is None
    cover = save_form(db, doctor, patient.id, "cover", {"visit_date": "2020-01-01"}, sign=True)
    assert patient.filing_complete_on is None
    with pytest.raises(Conflict):
        save_form(db, doctor, patient.id, "cover", {"visit_date": "2020-01-01"}, sign=True)
    basic = personal_basic_info()
    save_form(db, doctor, patient.id, "personal_basic_info", basic, sign=True)
    assert patient.filing_complete_on == today_local()
    mark_entered_in_error(db, actor_of("dangan"), cover.id, reason="重复")
    assert patient.filing_complete_on is None


def personal_basic_info() -> dict[str, Any]:
    return {
        "visit_date": today_local().isoformat(),
        "blood_abo": "1",
        "blood_rh": "2",
        "education": "7",
        "occupation": "4",
        "marital_status": "2",
        "payment_method": ["3"],
        "drug_allergy": ["2"],
        "exposure": ["1"],
        "past_diseases": [{"disease": "2", "diagnosed": "2019-06"}],
        "surgery": "1",
        "trauma": "1",
        "transfusion": "1",
        "family_father": ["2"],
        "family_mother": ["1"],
        "family_siblings": ["1"],
        "family_children": ["1"],
        "hereditary_disease": "1",
        "disability": ["1"],
        "kitchen_ventilation": "2",
        "fuel": "1",
        "water": "1",
        "toilet": "1",
        "livestock": "1",
    }


def test_a_closed_record_takes_no_new_forms(db: Any, actor_of: Any, patient: Any) -> None:
    close_record(
        db, actor_of("dangan"), patient.id, RecordClosure(reason="2", closed_on=today_local(), note="迁往杭州")
    )
    with pytest.raises(Conflict):
        save_form(db, actor_of("dangan"), patient.id, "hypertension_followup", followup(), sign=True)


def test_the_info_card_reads_blood_groups_conditions_and_allergies_from_the_basic_form(
    db: Any, actor_of: Any, patient: Any
) -> None:
    from kangdang.records.card_facts import card_facts

    assert card_facts(db, patient.person_id) is None
    answers = personal_basic_info() | {
        "past_diseases": [{"disease": "2", "diagnosed": "2019-06"}, {"disease": "6", "detail": "胃癌"}],
        "drug_allergy": ["2", "5"],
        "drug_allergy_other": "头孢类",
    }
    save_form(db, actor_of("cunyi"), patient.id, "personal_basic_info", answers, sign=True)
    facts = card_facts(db, patient.person_id)
    assert facts is not None
    assert (facts.abo, facts.rh) == ("A型", "Rh阳性")
    assert facts.chronic_conditions == ["高血压", "胃癌"]
    assert facts.allergies == ["青霉素", "头孢类"]
