"""健康体检表 (REFERENCE.md §2.3): a complete examination, BMI, ranges, blood pressure and enable-when rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kangdang.records.catalogue import catalogue
from tests.records.formkit import errors, fill

CODE = "health_examination"
BIRTH_68 = date(1958, 5, 20)  # 68 years old on the examination date 2026-11-10


def complete_exam() -> dict[str, Any]:
    """王建国, a 68-year-old retired miner with hypertension, at his yearly elderly health check."""
    return {
        "visit_date": "2026-11-10",
        "doctor_name": "李红梅",
        "symptoms": ["3", "13"],  # 头晕, 乏力
        "temperature": "36.6",
        "pulse": "76",
        "respiration": "18",
        "bp_left_sbp": "148",
        "bp_left_dbp": "86",
        "bp_right_sbp": "144",
        "bp_right_dbp": "84",
        "height": "168.0",
        "weight": "70.0",
        "waist": "92.5",
        "elderly_health_self_assessment": "2",
        "elderly_self_care": "1",
        "elderly_cognition": "1",
        "elderly_emotion": "1",
        "exercise_frequency": "1",
        "exercise_minutes": "40",
        "exercise_years": "8",
        "exercise_type": "散步、太极拳",
        "diet": ["1", "4"],
        "smoking_status": "2",
        "smoking_per_day": "20",
        "start_smoking_age": "20",
        "quit_smoking_age": "60",
        "drinking_frequency": "2",
        "drinking_per_day": "1.5",
        "quit_drinking": "1",
        "start_drinking_age": "25",
        "drunk_last_year": "2",
        "drink_types": ["1", "2"],
        "occupational_exposure": "2",
        "occupation_type": "井下采煤工",
        "occupation_years": "25",
        "dust": "煤尘",
        "dust_protection": "2",
        "dust_protection_detail": "防尘口罩",
        "physical_factors": "噪声",
        "physical_protection": "1",
        "lips": "1",
        "dentition": ["2", "4"],
        "missing_teeth": "右下6、左下7",
        "denture_teeth": "上颌局部义齿",
        "pharynx": "1",
        "vision_left": "0.6",
        "vision_right": "0.8",
        "corrected_vision_left": "1.0",
        "corrected_vision_right": "1.0",
        "hearing": "1",
        "motor_function": "1",
        "fundus": "1",
        "skin": "1",
        "sclera": "1",
        "lymph_nodes": "1",
        "barrel_chest": "1",
        "breath_sounds": "1",
        "rales": "1",
        "heart_rate": "76",
        "heart_rhythm": "1",
        "heart_murmur": "1",
        "abdominal_tenderness": "1",
        "abdominal_mass": "1",
        "hepatomegaly": "1",
        "splenomegaly": "1",
        "shifting_dullness": "1",
        "leg_oedema": "1",
        "dorsalis_pedis": "2",
        "digital_rectal": "4",
        "haemoglobin": "142",
        "white_cells": "6.2",
        "platelets": "215",
        "urine_protein": "-",
        "urine_glucose": "-",
        "urine_ketones": "-",
        "urine_blood": "-",
        "fasting_glucose": "6.4",
        "ecg": "2",
        "ecg_abnormal": "窦性心律，左心室高电压",
        "hbsag": "1",
        "alt": "28",
        "ast": "24",
        "albumin": "42.5",
        "total_bilirubin": "13.2",
        "direct_bilirubin": "4.1",
        "creatinine": "88",
        "urea": "5.6",
        "total_cholesterol": "5.82",
        "triglycerides": "1.96",
        "ldl_cholesterol": "3.71",
        "hdl_cholesterol": "1.12",
        "ultrasound_abdomen": "2",
        "ultrasound_abdomen_abnormal": "脂肪肝（轻度）",
        "cerebrovascular": ["1"],
        "kidney_disease": ["1"],
        "heart_disease": ["1"],
        "vascular_disease": ["1"],
        "eye_disease": ["4"],
        "nervous_disease": "1",
        "other_system_disease": "1",
        "hospitalisations": [
            {
                "admitted_on": "2026-03-02",
                "discharged_on": "2026-03-12",
                "reason": "社区获得性肺炎",
                "institution": "县人民医院呼吸内科",
                "case_number": "2026003154",
            }
        ],
        "medicines": [
            {"name": "苯磺酸氨氯地平片", "usage": "口服 每日1次", "dose": "5mg", "duration": "3年", "adherence": "1"},
            {"name": "阿托伐他汀钙片", "usage": "口服 每晚1次", "dose": "20mg", "duration": "半年", "adherence": "2"},
        ],
        "vaccinations": [
            {"name": "23价肺炎球菌多糖疫苗", "vaccinated_on": "2025-10-18", "institution": "城关镇卫生院"},
        ],
        "evaluation": "2",
        "abnormality_1": "血压偏高",
        "abnormality_2": "空腹血糖受损",
        "abnormality_3": "血脂异常",
        "abnormality_4": "轻度脂肪肝",
        "guidance": ["1", "2"],
        "risk_control": ["2", "3", "4", "5", "6"],
        "weight_target": "65.0",
        "vaccines_advised": "流感疫苗",
    }


def exam(**changes: Any) -> dict[str, Any]:
    answers = complete_exam()
    for key, value in changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


def test_complete_examination_of_a_68_year_old_is_accepted_with_bmi_worked_out() -> None:
    outcome = fill(CODE, complete_exam(), birth=BIRTH_68)
    assert errors(outcome) == {}
    # 体质指数 = 70.0 kg ÷ (1.68 m)² = 70.0 ÷ 2.8224 = 24.80… → 24.8
    assert outcome.answers["bmi"] == 24.8
    assert outcome.answers["visit_date"] == date(2026, 11, 10)
    assert outcome.answers["symptoms"] == ["3", "13"]
    assert outcome.answers["medicines"][1] == {
        "name": "阿托伐他汀钙片",
        "usage": "口服 每晚1次",
        "dose": "20mg",
        "duration": "半年",
        "adherence": "2",
    }
    assert outcome.answers["hospitalisations"][0]["discharged_on"] == date(2026, 3, 12)
    assert outcome.answers["temperature"] == 36.6
    assert outcome.answers["total_cholesterol"] == 5.82


def test_bmi_is_rounded_to_one_decimal() -> None:
    # 50.0 ÷ 1.60² = 50.0 ÷ 2.56 = 19.53125 → 19.5
    outcome = fill(CODE, exam(weight="50.0", height="160.0"), birth=BIRTH_68)
    assert outcome.answers["bmi"] == 19.5


def test_bmi_is_not_derived_without_height() -> None:
    outcome = fill(CODE, exam(height=None), birth=BIRTH_68, complete=False)
    assert "bmi" not in outcome.answers
    assert errors(outcome) == {}


def test_temperature_above_43_is_rejected_naming_the_field() -> None:
    outcome = fill(CODE, exam(temperature="43.5"), birth=BIRTH_68)
    assert errors(outcome) == {"temperature": "体温：应在 34～43℃ 之间"}


@pytest.mark.parametrize("value", ["34.0", "43.0"])
def test_temperature_range_bounds_are_inclusive(value: str) -> None:
    outcome = fill(CODE, exam(temperature=value), birth=BIRTH_68)
    assert errors(outcome) == {}


def test_left_diastolic_above_systolic_is_rejected() -> None:
    outcome = fill(CODE, exam(bp_left_sbp="90", bp_left_dbp="95"), birth=BIRTH_68)
    assert errors(outcome) == {"bp_left_dbp": "左侧舒张压：应低于左侧收缩压"}


def test_right_diastolic_equal_to_systolic_is_rejected() -> None:
    outcome = fill(CODE, exam(bp_right_sbp="120", bp_right_dbp="120"), birth=BIRTH_68)
    assert errors(outcome) == {"bp_right_dbp": "右侧舒张压：应低于右侧收缩压"}


def test_right_arm_blood_pressure_may_be_left_blank() -> None:
    outcome = fill(CODE, exam(bp_right_sbp=None, bp_right_dbp=None), birth=BIRTH_68)
    assert errors(outcome) == {}


def test_missing_examination_date_is_required_to_complete() -> None:
    outcome = fill(CODE, exam(visit_date=None), birth=BIRTH_68)
    assert errors(outcome) == {"visit_date": "体检日期：此项为必填项"}


def test_missing_examination_date_is_allowed_in_a_draft() -> None:
    outcome = fill(CODE, exam(visit_date=None), birth=BIRTH_68, complete=False)
    assert errors(outcome) == {}


def test_core_general_measures_are_required() -> None:
    outcome = fill(CODE, exam(pulse=None, waist=None, bp_left_sbp=None), birth=BIRTH_68)
    assert errors(outcome) == {
        "pulse": "脉率：此项为必填项",
        "waist": "腰围：此项为必填项",
        "bp_left_sbp": "左侧收缩压：此项为必填项",
    }


def test_no_symptoms_cannot_be_ticked_with_headache() -> None:
    outcome = fill(CODE, exam(symptoms=["1", "2"]), birth=BIRTH_68)
    assert errors(outcome) == {"symptoms": "症状：选了“无症状”就不能再选其他项"}


def test_other_symptom_text_is_kept_only_when_other_is_ticked() -> None:
    kept = fill(CODE, exam(symptoms=["2", "25"], symptoms_other="夜间盗汗"), birth=BIRTH_68)
    dropped = fill(CODE, exam(symptoms=["2"], symptoms_other="夜间盗汗"), birth=BIRTH_68)
    assert kept.answers["symptoms_other"] == "夜间盗汗"
    assert "symptoms_other" not in dropped.answers


def test_not_found_cannot_be_ticked_with_a_cerebrovascular_disease() -> None:
    outcome = fill(CODE, exam(cerebrovascular=["1", "2"]), birth=BIRTH_68)
    assert errors(outcome) == {"cerebrovascular": "脑血管疾病：选了“未发现”就不能再选其他项"}


def test_mmse_score_is_kept_only_after_a_positive_screen() -> None:
    positive = fill(CODE, exam(elderly_cognition="2", mmse_score="22"), birth=BIRTH_68)
    negative = fill(CODE, exam(elderly_cognition="1", mmse_score="22"), birth=BIRTH_68)
    assert positive.answers["mmse_score"] == 22
    assert "mmse_score" not in negative.answers


def test_mmse_score_above_30_is_rejected() -> None:
    outcome = fill(CODE, exam(elderly_cognition="2", mmse_score="31"), birth=BIRTH_68)
    assert errors(outcome) == {"mmse_score": "简易智力状态检查总分：应在 0～30分 之间"}


def test_never_drinker_has_no_drinking_details_or_quitting_age() -> None:
    answers = exam(drinking_frequency="1", quit_drinking="2", quit_drinking_age="60")
    outcome = fill(CODE, answers, birth=BIRTH_68)
    assert errors(outcome) == {}
    for key in ("drinking_per_day", "quit_drinking", "quit_drinking_age", "start_drinking_age", "drink_types"):
        assert key not in outcome.answers


def test_quitting_age_is_kept_when_the_drinker_has_quit() -> None:
    outcome = fill(CODE, exam(quit_drinking="2", quit_drinking_age="62"), birth=BIRTH_68)
    assert outcome.answers["quit_drinking_age"] == 62


def test_quitting_smoking_before_starting_is_rejected() -> None:
    outcome = fill(CODE, exam(start_smoking_age="30", quit_smoking_age="25"), birth=BIRTH_68)
    assert errors(outcome) == {"quit_smoking_age": "戒烟年龄：不能小于开始吸烟年龄"}


def test_current_smoker_has_no_quitting_age() -> None:
    outcome = fill(CODE, exam(smoking_status="3", quit_smoking_age="60"), birth=BIRTH_68)
    assert "quit_smoking_age" not in outcome.answers
    assert outcome.answers["smoking_per_day"] == 20


def test_protection_details_are_dropped_without_occupational_exposure() -> None:
    outcome = fill(CODE, exam(occupational_exposure="1"), birth=BIRTH_68)
    assert errors(outcome) == {}
    for key in ("occupation_type", "occupation_years", "dust", "dust_protection", "dust_protection_detail"):
        assert key not in outcome.answers


def test_abnormal_evaluation_needs_the_first_abnormality() -> None:
    outcome = fill(CODE, exam(abnormality_1=None), birth=BIRTH_68)
    assert errors(outcome) == {"abnormality_1": "异常1：此项为必填项"}


def test_normal_evaluation_drops_the_abnormality_texts() -> None:
    outcome = fill(CODE, exam(evaluation="1"), birth=BIRTH_68)
    assert errors(outcome) == {}
    assert "abnormality_1" not in outcome.answers


def test_weight_target_is_kept_only_with_weight_loss_advice() -> None:
    outcome = fill(CODE, exam(risk_control=["1"], weight_target="65.0"), birth=BIRTH_68)
    assert "weight_target" not in outcome.answers


def test_medicine_row_without_a_name_is_rejected() -> None:
    outcome = fill(CODE, exam(medicines=[{"usage": "口服 每日1次", "dose": "5mg"}]), birth=BIRTH_68)
    assert errors(outcome) == {"medicines.0.name": "主要用药情况第 1 行的药物名称：此项为必填项"}


def test_hospital_admission_date_in_the_future_is_rejected() -> None:
    rows = [{"admitted_on": "2027-01-05", "reason": "肺炎"}]
    outcome = fill(CODE, exam(hospitalisations=rows), birth=BIRTH_68)
    assert errors(outcome) == {"hospitalisations.0.admitted_on": "住院史第 1 行的入院日期：不能晚于今天"}


def test_examination_before_the_record_was_filed_is_rejected() -> None:
    outcome = fill(CODE, exam(visit_date="2017-12-30"), birth=BIRTH_68)
    assert errors(outcome) == {"visit_date": "体检日期：不能早于建档日期（2018-01-10）"}


def test_form_has_no_age_or_sex_limit_a_woman_of_30_with_gynaecology() -> None:
    answers = exam(
        elderly_health_self_assessment=None,
        elderly_self_care=None,
        elderly_cognition=None,
        elderly_emotion=None,
        vulva="1",
        vagina="1",
        cervix="2",
        cervix_abnormal="宫颈糜烂样改变",
        uterus="1",
        adnexa="1",
        cervical_smear="1",
        breast=["1"],
    )
    outcome = fill(CODE, answers, birth=date(1996, 4, 2), sex="2")
    assert errors(outcome) == {}
    assert outcome.answers["cervix_abnormal"] == "宫颈糜烂样改变"


def test_starred_items_are_marked_and_core_items_are_not() -> None:
    form = catalogue().form(CODE)
    starred = {item.key for item in form.items() if item.starred}
    assert {"fundus", "dorsalis_pedis", "digital_rectal", "breast", "vulva", "adnexa", "physical_other"} <= starred
    assert {"elderly_health_self_assessment", "elderly_self_care", "elderly_cognition", "elderly_emotion"} <= starred
    assert {"haemoglobin", "fasting_glucose", "ecg", "hba1c", "creatinine", "cervical_smear"} <= starred
    assert "auxiliary_other" in starred
    assert not {"temperature", "bp_left_sbp", "skin", "leg_oedema", "symptoms"} & starred


def test_ws363_identifiers_of_the_general_measures() -> None:
    form = catalogue().form(CODE)
    ids = {item.key: item.ws363 for item in form.items() if item.ws363}
    assert ids["temperature"] == "DE04.10.186.00"
    assert ids["pulse"] == "DE04.10.118.00"
    assert ids["respiration"] == "DE04.10.081.00"
    assert ids["bp_left_sbp"] == ids["bp_right_sbp"] == "DE04.10.174.00"
    assert ids["bp_left_dbp"] == ids["bp_right_dbp"] == "DE04.10.176.00"
    assert ids["height"] == "DE04.10.167.00"
    assert ids["weight"] == "DE04.10.188.00"
    assert ids["fasting_glucose"] == "DE04.50.102.00"


def test_medication_and_vaccination_rows_printed_as_on_paper() -> None:
    form = catalogue().form(CODE)
    rows = {item.key: item.print_rows for item in form.items() if item.type == "repeat"}
    assert rows == {"hospitalisations": 2, "home_beds": 2, "medicines": 6, "vaccinations": 3}
