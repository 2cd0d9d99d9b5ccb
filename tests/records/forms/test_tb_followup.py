"""肺结核患者随访服务记录表: the definition through the engine, with the close-out block."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.records.formkit import errors, fill

CODE = "tb_followup"


def visit(**changes: Any) -> dict[str, Any]:
    """A realistic visit in the third month of family-supervised treatment."""
    answers: dict[str, Any] = {
        "visit_date": "2026-11-20",
        "treatment_month": 3,
        "supervisor": "2",
        "visit_mode": "2",
        "symptoms": ["6"],
        "smoking_per_day": 5,
        "smoking_per_day_target": 0,
        "drinking_per_day": 0,
        "drinking_per_day_target": 0,
        "regimen": "2HRZE/4HR",
        "usage": "1",
        "dosage_forms": ["3", "1"],
        "missed_doses": 2,
        "adverse_reaction": "2",
        "adverse_reaction_detail": "关节疼痛，尿酸升高",
        "complications": "1",
        "referral": "1",
        "handling_opinion": "继续治疗，多饮水，下次随访复查尿酸",
        "next_visit_date": "2026-12-20",
        "doctor_name": "孙明",
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def closing(**changes: Any) -> dict[str, Any]:
    """The last visit: the 6-month course completed (180 daily doses due, 176 taken)."""
    answers: dict[str, Any] = {
        "treatment_month": 6,
        "symptoms": ["0"],
        "missed_doses": 0,
        "adverse_reaction": "1",
        "adverse_reaction_detail": None,
        "next_visit_date": None,
        "stop_date": "2026-11-18",
        "stop_reason": "1",
        "visits_required": 9,
        "visits_actual": 9,
        "doses_required": 180,
        "doses_actual": 176,
        "evaluator_name": "孙明",
    }
    answers.update(changes)
    return visit(**answers)


def test_a_complete_follow_up_is_valid() -> None:
    outcome = fill(CODE, visit())
    assert errors(outcome) == {}
    answers = outcome.answers
    assert answers["dosage_forms"] == ["1", "3"]
    assert answers["missed_doses"] == 2
    assert answers["next_visit_date"] == date(2026, 12, 20)
    assert "adherence_rate" not in answers  # no close-out, no rate


def test_a_closing_visit_computes_the_rate_of_doses_taken() -> None:
    outcome = fill(CODE, closing())
    assert errors(outcome) == {}
    # 服药率 = 176 ÷ 180 × 100 = 97.777… → 97.8
    assert outcome.answers["adherence_rate"] == 97.8
    assert outcome.answers["stop_reason"] == "1"


def test_every_dose_taken_is_a_rate_of_100() -> None:
    outcome = fill(CODE, closing(doses_actual=180))
    assert errors(outcome) == {}
    assert outcome.answers["adherence_rate"] == 100.0


def test_more_doses_taken_than_due_is_refused() -> None:
    outcome = fill(CODE, closing(doses_actual=181, visits_actual=10))
    assert errors(outcome) == {
        "doses_actual": "实际服药次数：不能多于应服药次数",
        "visits_actual": "实际访视次数：不能多于应访视患者次数",
    }


def test_the_close_out_counts_are_required_once_treatment_stops() -> None:
    outcome = fill(CODE, closing(stop_reason=None, doses_required=None, doses_actual=None))
    assert errors(outcome) == {
        "stop_reason": "停止治疗原因：此项为必填项",
        "doses_required": "应服药次数：此项为必填项",
        "doses_actual": "实际服药次数：此项为必填项",
    }


def test_close_out_counts_without_a_stop_date_are_dropped() -> None:
    outcome = fill(CODE, visit(doses_required=180, doses_actual=176, stop_reason="1"))
    assert errors(outcome) == {}
    assert not {"doses_required", "doses_actual", "stop_reason", "adherence_rate"} & set(outcome.answers)


def test_treatment_cannot_stop_after_the_visit() -> None:
    assert errors(fill(CODE, closing(stop_date="2026-11-21"))) == {"stop_date": "停止治疗时间：不能晚于随访时间"}


def test_the_follow_up_list_has_joint_pain_as_6_and_other_as_11() -> None:
    outcome = fill(CODE, visit(symptoms=["11"]))
    assert errors(outcome) == {"symptoms_other": "其他症状及体征：此项为必填项"}
    outcome = fill(CODE, visit(symptoms=["11"], symptoms_other="食欲差"))
    assert errors(outcome) == {}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"treatment_month": 0}, "treatment_month", "治疗月序：应在 1～24月 之间"),
        ({"missed_doses": None}, "missed_doses", "漏服药次数：此项为必填项"),
        ({"missed_doses": 1.5}, "missed_doses", "漏服药次数：请输入整数"),
        ({"adverse_reaction_detail": None}, "adverse_reaction_detail", "不良反应表现：此项为必填项"),
        ({"complications": "2"}, "complications_detail", "并发症或合并症表现：此项为必填项"),
        ({"supervisor": "5"}, "supervisor", "督导人员：请从选项中选择"),
        ({"next_visit_date": "2026-11-01"}, "next_visit_date", "下次随访时间：不能早于随访时间"),
    ],
)
def test_invalid_answers_are_refused(changes: dict[str, Any], field: str, message: str) -> None:
    assert errors(fill(CODE, visit(**changes))) == {field: message}


def test_a_referral_needs_department_and_reason() -> None:
    assert errors(fill(CODE, visit(referral="2"))) == {
        "referral_department": "转诊科别：此项为必填项",
        "referral_reason": "转诊原因：此项为必填项",
    }
