"""肺结核患者第一次入户随访记录表: the definition through the engine."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.records.formkit import errors, fill

CODE = "tb_first_visit"
EDUCATION = (
    "edu_record_card",
    "edu_method_storage",
    "edu_course",
    "edu_irregular_harm",
    "edu_adverse_handling",
    "edu_sputum_recheck",
    "edu_travel",
    "edu_habits",
    "edu_contacts",
)


def first_visit(**changes: Any) -> dict[str, Any]:
    """A realistic first home visit of a new smear-positive patient supervised by his wife."""
    answers: dict[str, Any] = {
        "visit_date": "2026-11-20",
        "visit_mode": "2",
        "patient_type": "1",
        "sputum": "1",
        "drug_resistance": "2",
        "symptoms": ["2", "1", "10"],
        "symptoms_other": "乏力",
        "regimen": "2HRZE/4HR",
        "usage": "1",
        "dosage_forms": ["1"],
        "supervisor": "2",
        "separate_room": "1",
        "ventilation": "2",
        "smoking_per_day": 20,
        "smoking_per_day_target": 0,
        "drinking_per_day": 2.0,
        "drinking_per_day_target": 0,
        "pickup_place": "县结核病防治所",
        "pickup_date": "2026-12-18",
        **{key: "1" for key in EDUCATION},
        "next_visit_date": "2026-11-30",
        "doctor_name": "孙明",
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def test_a_complete_first_visit_is_valid() -> None:
    outcome = fill(CODE, first_visit(edu_contacts="2"))
    assert errors(outcome) == {}
    answers = outcome.answers
    assert answers["symptoms"] == ["1", "2", "10"]
    assert answers["pickup_date"] == date(2026, 12, 18)  # a planned date may be in the future
    assert answers["next_visit_date"] == date(2026, 11, 30)
    assert answers["edu_contacts"] == "2"
    assert answers["drinking_per_day"] == 2.0


def test_no_symptoms_cannot_be_ticked_with_a_symptom() -> None:
    outcome = fill(CODE, first_visit(symptoms=["0", "1"], symptoms_other=None))
    assert errors(outcome) == {"symptoms": "症状及体征：选了“没有症状”就不能再选其他项"}


def test_the_first_visit_list_has_no_code_11() -> None:
    assert errors(fill(CODE, first_visit(symptoms=["11"]))) == {"symptoms": "症状及体征：请从选项中选择"}


def test_other_symptom_needs_its_description() -> None:
    assert errors(fill(CODE, first_visit(symptoms_other=None))) == {"symptoms_other": "其他症状及体征：此项为必填项"}


def test_telephone_is_not_a_first_visit_mode() -> None:
    assert errors(fill(CODE, first_visit(visit_mode="3"))) == {"visit_mode": "随访方式：请从选项中选择"}


def test_patient_type_and_supervisor_are_required() -> None:
    assert errors(fill(CODE, first_visit(patient_type=None, supervisor=None))) == {
        "patient_type": "患者类型：此项为必填项",
        "supervisor": "督导人员选择：此项为必填项",
    }


def test_implausible_smoking_is_refused() -> None:
    assert errors(fill(CODE, first_visit(smoking_per_day=101))) == {"smoking_per_day": "吸烟：应在 0～100支/天 之间"}


def test_the_next_visit_cannot_be_before_this_one() -> None:
    outcome = fill(CODE, first_visit(next_visit_date="2026-11-19"))
    assert errors(outcome) == {"next_visit_date": "下次随访时间：不能早于随访时间"}


def test_the_visit_cannot_be_in_the_future() -> None:
    outcome = fill(CODE, first_visit(visit_date="2026-11-23", next_visit_date="2026-12-03"))
    assert errors(outcome) == {"visit_date": "随访时间：不能晚于今天"}


def test_the_form_has_no_age_restriction() -> None:
    assert errors(fill(CODE, first_visit(), birth=date(2015, 6, 1))) == {}
