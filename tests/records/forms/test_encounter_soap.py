"""接诊记录表 (SOAP): subjective, objective, assessment and plan, signed and dated."""

from __future__ import annotations

from datetime import date

from kangdang.records.catalogue import catalogue
from tests.records.formkit import errors, fill

COMPLETE = {
    "subjective": "反复头晕3天，晨起明显，无恶心呕吐，无胸闷胸痛。既往高血压病史5年，规律服用氨氯地平。",
    "objective": "血压 168/96 mmHg，心率 78 次/分钟，律齐，双肺呼吸音清，双下肢无水肿。",
    "assessment": "原发性高血压（I10），血压控制不满意。",
    "plan": "氨氯地平加量至 10 mg 每日一次；低盐饮食；两周后复诊测血压。",
    "doctor_name": "王建国",
    "visit_date": "2026-11-20",
}


def test_complete_encounter_is_accepted_as_written() -> None:
    outcome = fill("encounter_soap", COMPLETE)
    assert errors(outcome) == {}
    assert outcome.answers == {**COMPLETE, "visit_date": date(2026, 11, 20)}


def test_encounter_header_is_bound_to_name_and_short_number() -> None:
    form = catalogue().form("encounter_soap")
    assert {i.key: i.bind for i in form.items() if i.bind} == {"name": "person.name", "number": "record.short_number"}
    assert form.doctor_item == "doctor_name"


def test_encounter_without_assessment_or_plan_cannot_be_completed() -> None:
    answers = {k: v for k, v in COMPLETE.items() if k not in ("assessment", "plan")}
    assert errors(fill("encounter_soap", answers)) == {
        "assessment": "评估：此项为必填项",
        "plan": "处置计划：此项为必填项",
    }


def test_objective_data_may_be_left_blank() -> None:
    answers = {**COMPLETE, "objective": "  "}
    outcome = fill("encounter_soap", answers)
    assert errors(outcome) == {}
    assert "objective" not in outcome.answers


def test_subjective_longer_than_2000_characters_is_refused() -> None:
    outcome = fill("encounter_soap", {**COMPLETE, "subjective": "头" * 2001})
    assert errors(outcome) == {"subjective": "就诊者的主观资料：最多 2000 个字"}


def test_encounter_before_filing_date_is_refused() -> None:
    outcome = fill("encounter_soap", {**COMPLETE, "visit_date": "2018-01-09"}, filed_on=date(2018, 1, 10))
    assert errors(outcome) == {"visit_date": "接诊日期：不能早于建档日期（2018-01-10）"}


def test_encounter_on_the_filing_date_is_accepted() -> None:
    outcome = fill("encounter_soap", {**COMPLETE, "visit_date": "2018-01-10"}, filed_on=date(2018, 1, 10))
    assert errors(outcome) == {}


def test_encounter_in_the_future_is_refused() -> None:
    outcome = fill("encounter_soap", {**COMPLETE, "visit_date": "2026-11-23"})
    assert errors(outcome) == {"visit_date": "接诊日期：不能晚于今天"}


def test_draft_encounter_needs_nothing() -> None:
    assert errors(fill("encounter_soap", {"subjective": "咳嗽2天"}, complete=False)) == {}
