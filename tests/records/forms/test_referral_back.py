"""双向转诊单（回转单）: the hospital's diagnosis and advice when the patient is sent back."""

from __future__ import annotations

from datetime import date

from tests.records.formkit import errors, fill

COMPLETE = {
    "case_number": "ZY2026110345",
    "to_institution": "柯桥区平水镇卫生院",
    "receiving_doctor": "王建国",
    "diagnosis": "高血压3级（很高危）；冠状动脉粥样硬化性心脏病（I25.1）",
    "main_results": "冠脉CTA：前降支中段狭窄约50%；心电图：窦性心律，ST-T改变；糖化血红蛋白 7.4%。",
    "treatment_plan": (
        "住院期间予降压、抗血小板、调脂治疗，血压降至 138/84 mmHg。出院带药：氨氯地平 5 mg qd，"
        "缬沙坦 160 mg qd，阿司匹林 100 mg qd，阿托伐他汀 20 mg qn。每两周随访血压，3个月后心内科门诊复查；"
        "低盐低脂饮食，适量步行。"
    ),
    "doctor_name": "陈志明",
    "doctor_phone": "0575-85228888",
    "from_institution": "绍兴市人民医院",
    "visit_date": "2026-11-21",
}


def test_complete_referral_back_derives_the_age() -> None:
    outcome = fill("referral_back", COMPLETE, birth=date(1960, 3, 15))
    assert errors(outcome) == {}
    # born 1960-03-15, sent back 2026-11-21: 2026 − 1960 = 66, birthday passed → 66 岁
    assert outcome.answers["age"] == 66
    assert outcome.answers["case_number"] == "ZY2026110345"
    assert outcome.answers["visit_date"] == date(2026, 11, 21)


def test_age_before_the_birthday_in_the_year() -> None:
    # 1985-12-01 born, sent back 2026-11-21: 2026 − 1985 = 41, birthday (12-01) not reached → 40
    outcome = fill("referral_back", COMPLETE, birth=date(1985, 12, 1))
    assert outcome.answers["age"] == 40


def test_referral_back_without_diagnosis_or_advice_cannot_be_completed() -> None:
    answers = {k: v for k, v in COMPLETE.items() if k not in ("diagnosis", "treatment_plan")}
    assert errors(fill("referral_back", answers)) == {
        "diagnosis": "诊断结果：此项为必填项",
        "treatment_plan": "治疗经过、下一步治疗方案及康复建议：此项为必填项",
    }


def test_referral_back_without_destination_cannot_be_completed() -> None:
    answers = {k: v for k, v in COMPLETE.items() if k != "to_institution"}
    assert errors(fill("referral_back", answers)) == {"to_institution": "转回单位：此项为必填项"}


def test_case_number_longer_than_18_characters_is_refused() -> None:
    outcome = fill("referral_back", {**COMPLETE, "case_number": "ZY" + "1" * 17})
    assert errors(outcome) == {"case_number": "住院病案号：最多 18 个字"}


def test_case_number_is_optional() -> None:
    answers = {k: v for k, v in COMPLETE.items() if k != "case_number"}
    assert errors(fill("referral_back", answers)) == {}


def test_referral_back_before_filing_date_is_refused() -> None:
    outcome = fill("referral_back", {**COMPLETE, "visit_date": "2017-06-30"}, filed_on=date(2018, 1, 10))
    assert errors(outcome) == {"visit_date": "日期：不能早于建档日期（2018-01-10）"}
