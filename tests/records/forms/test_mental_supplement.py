"""严重精神障碍患者个人信息补充表: the definition through the engine."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.records.formkit import errors, fill

CODE = "mental_supplement"


def supplement(**changes: Any) -> dict[str, Any]:
    """A realistic enrolment of a man with schizophrenia looked after by his sister."""
    answers: dict[str, Any] = {
        "guardian_name": "张秀兰",
        "guardian_relation": "姐姐",
        "guardian_address": "河北省保定市清苑区东闾乡南王庄村 12 号",
        "guardian_phone": "13803120456",
        "committee_contact": "刘志强",
        "committee_phone": "0312-8012345",
        "household_type": "2",
        "employment": "3",
        "consent": "1",
        "consent_signature": "张秀兰",
        "consent_signed_on": "2026-11-18",
        "onset_date": "2008-05-10",
        "past_symptoms": ["12", "1", "3"],
        "past_symptoms_other": "夜间吵闹",
        "past_locking": "3",
        "outpatient_treatment": "2",
        "first_antipsychotic_date": "2008-06-01",
        "admissions": 2,
        "diagnosis": "精神分裂症",
        "diagnosis_hospital": "保定市第六医院",
        "diagnosis_date": "2008-07-15",
        "last_treatment_effect": "2",
        "minor_trouble_times": 1,
        "self_harm_times": 0,
        "economic_status": "2",
        "specialist_opinion": "维持利培酮治疗，每月门诊复查",
        "visit_date": "2026-11-20",
        "doctor_name": "赵丽",
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def test_a_complete_supplement_is_valid() -> None:
    outcome = fill(CODE, supplement())
    assert errors(outcome) == {}
    answers = outcome.answers
    assert answers["past_symptoms"] == ["1", "3", "12"]  # in the printed order
    assert answers["onset_date"] == date(2008, 5, 10)
    assert answers["admissions"] == 2
    assert answers["minor_trouble_times"] == 1
    assert answers["consent"] == "1"


def test_ticking_no_dangerous_behaviour_drops_the_counts() -> None:
    outcome = fill(CODE, supplement(no_dangerous_behaviour=True))
    assert errors(outcome) == {}
    assert "minor_trouble_times" not in outcome.answers
    assert "self_harm_times" not in outcome.answers
    assert outcome.answers["no_dangerous_behaviour"] is True


def test_counts_are_kept_when_no_dangerous_behaviour_is_answered_no() -> None:
    outcome = fill(CODE, supplement(no_dangerous_behaviour=False, suicide_attempt_times=1))
    assert outcome.answers["suicide_attempt_times"] == 1
    assert outcome.answers["minor_trouble_times"] == 1


def test_consent_and_diagnosis_are_required() -> None:
    outcome = fill(CODE, supplement(consent=None, diagnosis=None))
    assert errors(outcome) == {"consent": "知情同意：此项为必填项", "diagnosis": "诊断：此项为必填项"}
    assert "consent_signature" not in outcome.answers


def test_refusing_consent_is_recorded_with_the_signature() -> None:
    outcome = fill(CODE, supplement(consent="0"))
    assert errors(outcome) == {}
    assert (outcome.answers["consent"], outcome.answers["consent_signature"]) == ("0", "张秀兰")


def test_other_past_symptom_needs_its_description() -> None:
    outcome = fill(CODE, supplement(past_symptoms_other=None))
    assert errors(outcome) == {"past_symptoms_other": "其他既往主要症状：此项为必填项"}


def test_treatment_and_diagnosis_cannot_precede_onset() -> None:
    outcome = fill(CODE, supplement(first_antipsychotic_date="2008-05-01", diagnosis_date="2007-12-31"))
    assert errors(outcome) == {
        "first_antipsychotic_date": "首次抗精神病药治疗时间：不能早于初次发病时间",
        "diagnosis_date": "确诊日期：不能早于初次发病时间",
    }


def test_consent_cannot_be_signed_after_the_form_is_filled() -> None:
    outcome = fill(CODE, supplement(consent_signed_on="2026-11-21"))
    assert errors(outcome) == {"consent_signed_on": "签字时间：不能晚于填表日期"}


def test_negative_counts_and_unknown_codes_are_refused() -> None:
    outcome = fill(CODE, supplement(self_harm_times=-1, employment="10"))
    assert errors(outcome) == {
        "self_harm_times": "自伤：应在 0～999次 之间",
        "employment": "就业情况：请从选项中选择",
    }


def test_onset_cannot_be_before_birth() -> None:
    outcome = fill(CODE, supplement(onset_date="1959-12-31"))
    assert errors(outcome) == {"onset_date": "初次发病时间：不能早于出生日期（1960-03-15）"}


def test_the_form_has_no_age_restriction() -> None:
    outcome = fill(
        CODE,
        supplement(onset_date="2024-05-10", first_antipsychotic_date="2024-06-01", diagnosis_date="2024-07-15"),
        birth=date(2012, 4, 1),
    )
    assert errors(outcome) == {}


def test_the_form_cannot_be_dated_before_the_record_was_filed() -> None:
    outcome = fill(CODE, supplement(visit_date="2017-12-31", consent_signed_on="2017-12-30"))
    assert errors(outcome) == {"visit_date": "填表日期：不能早于建档日期（2018-01-10）"}
