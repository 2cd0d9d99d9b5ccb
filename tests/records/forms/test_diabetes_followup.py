"""2型糖尿病患者随访服务记录表: the definition through the engine, with the classification rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.records.formkit import errors, fill

CODE = "diabetes_followup"


def visit(**changes: Any) -> dict[str, Any]:
    """A realistic complete follow-up of a 66-year-old on metformin and insulin."""
    answers: dict[str, Any] = {
        "visit_date": "2026-11-20",
        "visit_mode": "1",
        "symptoms": ["2", "4"],
        "symptoms_other": "夜间口干",
        "emergency_signs": False,
        "sbp": 132,
        "dbp": 84,
        "weight": 72.5,
        "weight_target": 68,
        "height": 168,
        "bmi_target": 24,
        "heart_rate": 78,
        "dorsal_pulse": "2",
        "dorsal_pulse_side": "2",
        "signs_other": "双足皮肤干燥",
        "smoking_per_day": 5,
        "smoking_per_day_target": 0,
        "drinking_per_day": 1.0,
        "drinking_per_day_target": 0,
        "exercise_times_per_week": 3,
        "exercise_minutes": 30,
        "exercise_times_target": 5,
        "exercise_minutes_target": 30,
        "staple_food": 300,
        "staple_food_target": 250,
        "psychological_adjustment": "1",
        "compliance": "2",
        "fasting_glucose": 6.8,
        "hba1c": 6.9,
        "hba1c_date": "2026-11-10",
        "other_tests": "尿微量白蛋白 25 mg/L",
        "medication_adherence": "1",
        "adverse_reaction": "1",
        "hypoglycaemia": "1",
        "complication_new_or_worse": False,
        "medicines": [{"name": "二甲双胍片", "times_per_day": 3, "dose": 500}],
        "insulin_type": "甘精胰岛素",
        "insulin_usage": "每晚睡前皮下注射 12 单位",
        "referral": "1",
        "doctor_name": "王建国",
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def test_a_complete_follow_up_is_valid_and_its_derived_values_are_right() -> None:
    outcome = fill(CODE, visit())
    assert errors(outcome) == {}
    answers = outcome.answers
    # BMI = 72.5 ÷ 1.68² = 72.5 ÷ 2.8224 = 25.687… → 25.7
    assert answers["bmi"] == 25.7
    # FBG 6.8 < 7.0, no adverse reaction, no complication: 控制满意, routine, 2026-11-20 + 3 months
    assert answers["classification"] == "1"
    assert answers["management_action"] == "1"
    assert answers["suggested_next_visit"] == date(2027, 2, 20)
    assert answers["next_visit_date"] == date(2027, 2, 20)
    assert answers["dorsal_pulse_side"] == "2"
    assert answers["medicines"] == [{"name": "二甲双胍片", "times_per_day": 3, "dose": 500.0}]


def test_glucose_just_below_seven_is_satisfactory_with_a_visit_in_three_months() -> None:
    answers = fill(CODE, visit(fasting_glucose=6.9)).answers
    assert (answers["classification"], answers["management_action"]) == ("1", "1")
    assert answers["suggested_next_visit"] == date(2027, 2, 20)


def test_glucose_of_seven_the_first_time_is_unsatisfactory_with_a_visit_in_two_weeks() -> None:
    answers = fill(CODE, visit(fasting_glucose=7.0)).answers
    assert (answers["classification"], answers["management_action"]) == ("2", "2")
    assert answers["suggested_next_visit"] == date(2026, 12, 4)  # 2026-11-20 + 14 days
    assert answers["next_visit_date"] == date(2026, 12, 4)


def test_two_unsatisfactory_visits_in_a_row_lead_to_referral() -> None:
    answers = fill(CODE, visit(fasting_glucose=7.0), previous={"classification": "2"}).answers
    assert (answers["classification"], answers["management_action"]) == ("2", "3")
    assert answers["suggested_next_visit"] == date(2026, 12, 4)


def test_a_satisfactory_previous_visit_does_not_count_towards_two_in_a_row() -> None:
    answers = fill(CODE, visit(fasting_glucose=8.2), previous={"classification": "1"}).answers
    assert answers["management_action"] == "2"


@pytest.mark.parametrize(
    ("fbg", "action"),
    [(16.7, "4"), (16.6, "2"), (3.9, "4"), (4.0, "1")],
)
def test_glucose_danger_thresholds(fbg: float, action: str) -> None:
    answers = fill(CODE, visit(fasting_glucose=fbg)).answers
    assert answers["management_action"] == action


def test_glucose_of_16_7_is_an_emergency_referral_within_two_weeks() -> None:
    answers = fill(CODE, visit(fasting_glucose=16.7)).answers
    assert (answers["classification"], answers["management_action"]) == ("2", "4")
    assert answers["suggested_next_visit"] == date(2026, 12, 4)


@pytest.mark.parametrize(
    ("changes", "action"),
    [
        ({"heart_rate": 101}, "4"),
        ({"heart_rate": 100}, "1"),
        ({"sbp": 180}, "4"),
        ({"dbp": 110, "sbp": 170}, "4"),
        ({"sbp": 179, "dbp": 109}, "1"),
        ({"emergency_signs": True}, "4"),
    ],
)
def test_other_danger_signs_make_an_emergency_referral(changes: dict[str, Any], action: str) -> None:
    assert fill(CODE, visit(**changes)).answers["management_action"] == action


def test_an_adverse_reaction_is_classified_as_such_with_a_recheck_in_two_weeks() -> None:
    outcome = fill(CODE, visit(adverse_reaction="2", adverse_reaction_detail="胃肠道不适"))
    assert errors(outcome) == {}
    answers = outcome.answers
    assert (answers["classification"], answers["management_action"]) == ("3", "2")
    assert answers["suggested_next_visit"] == date(2026, 12, 4)


def test_a_new_complication_is_referred() -> None:
    answers = fill(CODE, visit(complication_new_or_worse=True)).answers
    assert (answers["classification"], answers["management_action"]) == ("4", "3")


def test_fasting_glucose_is_required() -> None:
    outcome = fill(CODE, visit(fasting_glucose=None))
    assert errors(outcome) == {"fasting_glucose": "空腹血糖值：此项为必填项"}
    assert "classification" not in outcome.answers


def test_fasting_glucose_out_of_range_is_refused() -> None:
    outcome = fill(CODE, visit(fasting_glucose=35.1))
    assert errors(outcome) == {"fasting_glucose": "空腹血糖值：应在 1～35mmol/L 之间"}


def test_diastolic_must_be_below_systolic() -> None:
    assert errors(fill(CODE, visit(sbp=120, dbp=120))) == {"dbp": "舒张压：应低于收缩压"}


def test_a_weak_pulse_needs_its_side() -> None:
    outcome = fill(CODE, visit(dorsal_pulse_side=None))
    assert errors(outcome) == {"dorsal_pulse_side": "足背动脉搏动减弱或消失部位：此项为必填项"}


def test_the_side_is_dropped_when_the_pulse_is_normal() -> None:
    outcome = fill(CODE, visit(dorsal_pulse="1"))
    assert errors(outcome) == {}
    assert "dorsal_pulse_side" not in outcome.answers


def test_the_hba1c_test_cannot_be_after_the_visit() -> None:
    outcome = fill(CODE, visit(hba1c_date="2026-11-21"))
    assert errors(outcome) == {"hba1c_date": "检查日期：不能晚于随访日期"}


def test_no_symptoms_cannot_be_ticked_with_a_symptom() -> None:
    outcome = fill(CODE, visit(symptoms=["1", "3"]))
    assert errors(outcome) == {"symptoms": "症状：选了“无症状”就不能再选其他项"}


def test_the_form_is_for_adults() -> None:
    outcome = fill(CODE, visit(), birth=date(2010, 1, 1))
    assert errors(outcome) == {"visit_date": "随访日期：这张表用于成年2型糖尿病患者，该居民在服务日期不符合"}
