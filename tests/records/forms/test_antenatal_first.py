"""第1次产前检查服务记录表: age, due date, BMI, 早孕建册, 孕周 against the LMP (REFERENCE.md §2.4.3, §8)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kangdang.records.context import FormContext
from kangdang.records.derivations.maternal import derive_first, validate_first
from tests.records.formkit import errors, fill

CODE = "antenatal_first"
BIRTH = date(1998, 5, 20)  # 陈晓燕, 28 on the day of the first check

# Second pregnancy, one earlier vaginal delivery; first check on 2026-11-02 at 11 weeks.
EXAMPLE: dict[str, Any] = {
    "visit_date": "2026-11-02",
    "gestational_weeks": 11,
    "gestational_days": 0,
    "husband_name": "刘建华",
    "husband_age": 31,
    "husband_phone": "13905917788",
    "gravidity": 2,
    "parity_vaginal": 1,
    "parity_caesarean": 0,
    "lmp": "2026-08-17",
    "past_history": ["1"],
    "family_history": ["1"],
    "personal_history": ["1"],
    "gyn_surgery": "1",
    "spontaneous_abortions": 0,
    "induced_abortions": 0,
    "stillbirths_antepartum": 0,
    "stillbirths_intrapartum": 0,
    "neonatal_deaths": 0,
    "birth_defects": 0,
    "height": "160.0",
    "weight": "55.0",
    "sbp": 108,
    "dbp": 68,
    "heart": "1",
    "lung": "1",
    "vulva": "1",
    "vagina": "1",
    "cervix": "1",
    "uterus": "1",
    "adnexa": "1",
    "hemoglobin": 122,
    "wbc": "7.2",
    "platelets": 215,
    "urine_protein": "-",
    "urine_glucose": "-",
    "urine_ketones": "-",
    "urine_blood": "-",
    "blood_abo": "3",
    "blood_rh": "2",
    "blood_glucose": "4.65",
    "alt": "18",
    "ast": "21",
    "albumin": "42.5",
    "total_bilirubin": "9.8",
    "conjugated_bilirubin": "3.1",
    "creatinine": "52",
    "urea": "3.4",
    "vaginal_discharge": ["1"],
    "vaginal_cleanliness": "2",
    "hbsag": "阴性",
    "anti_hbs": "阳性",
    "hbeag": "阴性",
    "anti_hbe": "阴性",
    "anti_hbc": "阴性",
    "syphilis": "1",
    "hiv": "1",
    "ultrasound": "宫内单活胎，头臀长4.2cm",
    "overall_assessment": "1",
    "guidance": ["1", "3", "4", "5"],
    "referral": "1",
    "next_visit_date": "2026-12-14",
    "doctor_name": "林美华",
}


def woman(answers: dict[str, Any], **kwargs: Any) -> Any:
    kwargs.setdefault("birth", BIRTH)
    kwargs.setdefault("sex", "2")
    return fill(CODE, answers, **kwargs)


def test_complete_example_derives_age_due_date_bmi_parity_and_early_registration() -> None:
    outcome = woman(EXAMPLE)
    assert outcome.errors == []
    a = outcome.answers
    assert a["maternal_age"] == 28  # 1998-05-20 → 2026-11-02: birthday passed, 2026 − 1998 = 28
    assert a["lmp_weeks"] == 11  # 2026-08-17 → 2026-11-02 = 14 + 30 + 31 + 2 = 77 days = 11 weeks + 0
    assert a["due_date"] == date(2027, 5, 24)  # LMP + 280 days: 14+30+31+30+31+31+28+31+30 = 256 to 04-30, +24
    assert a["bmi"] == 21.5  # 55.0 ÷ 1.60² = 55 ÷ 2.56 = 21.48 → 21.5
    assert a["parity"] == 1  # 阴道分娩 1 + 剖宫产 0
    assert a["early_registration"] is True  # 11 < 13


@pytest.mark.parametrize(
    ("weeks", "days", "early"),
    [(12, 6, True), (13, 0, False), (8, 0, True), (20, 0, False)],  # 孕13周之前 = up to 12+6
)
def test_early_registration_is_below_13_weeks(weeks: int, days: int, early: bool) -> None:
    answers = {**EXAMPLE, "gestational_weeks": weeks, "gestational_days": days, "lmp": None, "lmp_unknown": True}
    outcome = woman(answers)
    assert outcome.errors == []
    assert outcome.answers["early_registration"] is early
    assert "due_date" not in outcome.answers  # no LMP, no 预产期


def test_early_registration_falls_back_to_the_lmp_weeks_when_no_weeks_written() -> None:
    context = FormContext(today=date(2026, 11, 22), birth_date=BIRTH, sex="2")
    # 2026-08-10 → 2026-11-02 = 84 days = 12 weeks → early; 2026-08-03 → 91 days = 13 weeks → not early
    assert derive_first({"visit_date": date(2026, 11, 2), "lmp": date(2026, 8, 10)}, context) == {
        "early_registration": True
    }
    assert derive_first({"visit_date": date(2026, 11, 2), "lmp": date(2026, 8, 3)}, context) == {
        "early_registration": False
    }
    assert derive_first({"visit_date": date(2026, 11, 2)}, context) == {}


def test_weeks_within_two_weeks_of_the_lmp_are_accepted() -> None:
    # LMP gives 11+0 (77 days); 13+0 is 91 days, exactly 14 days more
    outcome = woman({**EXAMPLE, "gestational_weeks": 13, "gestational_days": 0})
    assert outcome.errors == []
    outcome = woman({**EXAMPLE, "gestational_weeks": 9, "gestational_days": 0})  # 63 days, 14 fewer
    assert outcome.errors == []


def test_weeks_more_than_two_weeks_from_the_lmp_are_refused() -> None:
    outcome = woman({**EXAMPLE, "gestational_weeks": 13, "gestational_days": 1})  # 92 − 77 = 15 days
    assert errors(outcome) == {"gestational_weeks": "孕周：与末次月经推算的孕11+0周相差超过2周，请核对孕周或末次月经"}
    outcome = woman({**EXAMPLE, "gestational_weeks": 20})
    assert set(errors(outcome)) == {"gestational_weeks"}


def test_lmp_must_be_given_or_marked_unknown() -> None:
    outcome = woman({**EXAMPLE, "lmp": None})
    assert errors(outcome) == {"lmp": "末次月经：请填写末次月经日期，或勾选“末次月经不详”"}
    outcome = woman({**EXAMPLE, "lmp": None, "lmp_unknown": False})
    assert set(errors(outcome)) == {"lmp"}


def test_lmp_unknown_is_dropped_when_a_date_is_given() -> None:
    outcome = woman({**EXAMPLE, "lmp_unknown": True})
    assert outcome.errors == []
    assert "lmp_unknown" not in outcome.answers
    assert outcome.answers["lmp"] == date(2026, 8, 17)


def test_lmp_after_the_visit_is_refused() -> None:
    context = FormContext(today=date(2026, 11, 22), birth_date=BIRTH, sex="2")
    problems = validate_first(
        {"visit_date": date(2026, 11, 2), "lmp": date(2026, 11, 5), "gestational_weeks": 8, "gravidity": 1}, context
    )
    assert problems == [("lmp", "不能晚于填表日期")]


def test_gravidity_must_cover_earlier_deliveries_and_abortions() -> None:
    outcome = woman({**EXAMPLE, "gravidity": 1})  # one earlier delivery + this pregnancy needs 孕次 ≥ 2
    assert errors(outcome) == {"gravidity": "孕次：以往分娩与流产共1次，加上本次妊娠，孕次至少应为2"}
    outcome = woman({**EXAMPLE, "gravidity": 3, "induced_abortions": 1})  # 1 + 1 + 1 (this) = 3: fine
    assert outcome.errors == []
    outcome = woman({**EXAMPLE, "gravidity": 3, "induced_abortions": 1, "spontaneous_abortions": 1})
    assert errors(outcome) == {"gravidity": "孕次：以往分娩与流产共3次，加上本次妊娠，孕次至少应为4"}


def test_a_man_is_refused() -> None:
    outcome = woman(EXAMPLE, sex="1")
    assert errors(outcome) == {"visit_date": "填表日期：这张表用于孕产妇，该居民性别不符合"}


@pytest.mark.parametrize(
    ("birth", "fits"),
    [
        (date(2013, 11, 2), True),  # 13th birthday on the visit: 13 × 365 + 3 leap days = 4748 days
        (date(2013, 11, 3), False),  # 4747 days
        (date(1966, 11, 3), True),  # day before the 60th birthday: 21914 days
        (date(1966, 11, 2), False),  # 60th birthday: 60 × 365 + 15 leap days = 21915 days
    ],
)
def test_age_window_is_13_to_below_60(birth: date, fits: bool) -> None:
    outcome = woman(EXAMPLE, birth=birth)
    if fits:
        assert outcome.errors == []
    else:
        assert errors(outcome) == {"visit_date": "填表日期：这张表用于孕产妇，该居民在服务日期不符合"}


def test_out_of_range_required_and_cross_field_errors_name_the_field() -> None:
    answers = {**EXAMPLE, "height": "300", "sbp": 70, "dbp": 80, "overall_assessment": None}
    assert errors(woman(answers)) == {
        "height": "身高：应在 120～200cm 之间",
        "dbp": "舒张压：应低于收缩压",
        "overall_assessment": "总体评估：此项为必填项",
    }


def test_exclusive_none_and_companion_texts() -> None:
    outcome = woman({**EXAMPLE, "past_history": ["1", "5"]})
    assert errors(outcome) == {"past_history": "既往史：选了“无”就不能再选其他项"}
    outcome = woman({**EXAMPLE, "overall_assessment": "2", "referral": "2"})
    assert errors(outcome) == {
        "overall_abnormal": "总体评估异常：此项为必填项",
        "referral_reason": "转诊原因：此项为必填项",
        "referral_institution": "机构及科室：此项为必填项",
    }
    outcome = woman({**EXAMPLE, "past_history": ["5", "8"], "past_history_other": "甲状腺功能减退"})
    assert outcome.errors == []
    assert outcome.answers["past_history_other"] == "甲状腺功能减退"
    outcome = woman({**EXAMPLE, "past_history_other": "甲状腺功能减退"})  # 其他 not ticked: dropped
    assert "past_history_other" not in outcome.answers


def test_due_date_may_be_in_the_future_but_next_visit_must_be_a_date() -> None:
    outcome = woman({**EXAMPLE, "next_visit_date": "2026-12-40"})
    assert errors(outcome) == {"next_visit_date": "下次随访日期：日期格式应为 年-月-日，例如 2026-05-01"}
