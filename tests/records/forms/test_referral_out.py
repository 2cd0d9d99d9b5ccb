"""双向转诊单（转出单）: counterfoil and slip; the patient's age is worked out on the referral date."""

from __future__ import annotations

from datetime import date

from kangdang.records.catalogue import catalogue
from tests.records.formkit import errors, fill

COMPLETE = {
    "to_institution": "绍兴市人民医院",
    "to_department": "心血管内科",
    "receiving_doctor": "陈志明",
    "impression": "高血压3级（很高危），不稳定型心绞痛待排",
    "present_illness": "规律服药下连续两次随访血压高于 180/110 mmHg，近一周活动后胸闷，休息后缓解，需明确诊断。",
    "past_history": "高血压病史 10 年；2型糖尿病 3 年；否认药物过敏。",
    "treatment": "氨氯地平 5 mg 每日一次、缬沙坦 80 mg 每日一次，血压仍控制不满意。",
    "doctor_name": "王建国",
    "doctor_phone": "0575-84123456",
    "from_institution": "柯桥区平水镇卫生院",
    "visit_date": "2026-11-20",
}


def test_complete_referral_out_derives_the_age() -> None:
    outcome = fill("referral_out", COMPLETE, birth=date(1960, 3, 15))
    assert errors(outcome) == {}
    # born 1960-03-15, referred 2026-11-20: 2026 − 1960 = 66, birthday already passed → 66 岁
    assert outcome.answers["age"] == 66
    assert outcome.answers["visit_date"] == date(2026, 11, 20)
    assert outcome.answers["to_institution"] == "绍兴市人民医院"


def test_age_the_day_before_the_birthday_is_one_year_less() -> None:
    # 2026-03-14: 2026 − 1960 = 66, birthday (03-15) not yet reached → 65
    outcome = fill("referral_out", {**COMPLETE, "visit_date": "2026-03-14"}, birth=date(1960, 3, 15))
    assert outcome.answers["age"] == 65


def test_age_on_the_birthday_counts_the_new_year() -> None:
    outcome = fill("referral_out", {**COMPLETE, "visit_date": "2026-03-15"}, birth=date(1960, 3, 15))
    assert outcome.answers["age"] == 66


def test_age_is_left_blank_without_a_birth_date() -> None:
    outcome = fill("referral_out", COMPLETE, birth=None)
    assert errors(outcome) == {}
    assert "age" not in outcome.answers


def test_age_typed_in_is_ignored() -> None:
    outcome = fill("referral_out", {**COMPLETE, "age": 30}, birth=date(1960, 3, 15))
    assert outcome.answers["age"] == 66


def test_patient_identity_comes_from_the_record() -> None:
    form = catalogue().form("referral_out")
    assert {i.key: i.bind for i in form.items() if i.bind} == {
        "patient_name": "person.name",
        "sex": "person.sex",
        "record_number": "record.number",
        "address": "person.current_address",
        "phone": "person.phone",
    }
    assert form.doctor_item == "doctor_name"


def test_referral_without_destination_impression_or_reason_cannot_be_completed() -> None:
    answers = {k: v for k, v in COMPLETE.items() if k not in ("to_institution", "impression", "present_illness")}
    assert errors(fill("referral_out", answers)) == {
        "to_institution": "转入单位：此项为必填项",
        "impression": "初步印象：此项为必填项",
        "present_illness": "主要现病史（转出原因）：此项为必填项",
    }


def test_referral_before_filing_date_is_refused() -> None:
    outcome = fill("referral_out", {**COMPLETE, "visit_date": "2018-01-09"}, filed_on=date(2018, 1, 10))
    assert errors(outcome) == {"visit_date": "日期：不能早于建档日期（2018-01-10）"}


def test_referral_in_the_future_is_refused() -> None:
    outcome = fill("referral_out", {**COMPLETE, "visit_date": "2026-12-01"})
    assert errors(outcome) == {"visit_date": "日期：不能晚于今天"}


def test_a_doctor_phone_with_words_in_it_is_refused() -> None:
    outcome = fill("referral_out", {**COMPLETE, "doctor_phone": "0575-84123456 转 12345678"})
    assert errors(outcome) == {"doctor_phone": "转诊医生联系电话：电话号码格式有误（只能包含数字、空格、+ 和 -）"}


def test_unknown_item_is_reported() -> None:
    outcome = fill("referral_out", {**COMPLETE, "urgency": "急"})
    assert errors(outcome) == {"urgency": "urgency：表单中没有这一项"}
