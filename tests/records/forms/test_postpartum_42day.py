"""产后42天健康检查记录表: 已恢复/未恢复, 处理 (结案 closes the episode, 转诊 needs details), dates."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.records.formkit import errors, fill

CODE = "postpartum_42day"
BIRTH = date(1995, 3, 8)

# Delivered 2026-10-08, discharged 2026-10-11, 42-day check on 2026-11-19.
EXAMPLE: dict[str, Any] = {
    "visit_date": "2026-11-19",
    "delivery_date": "2026-10-08",
    "discharge_date": "2026-10-11",
    "general_health": "良好",
    "mental_state": "良好",
    "sbp": 116,
    "dbp": 74,
    "breast": "1",
    "lochia": "1",
    "uterus": "1",
    "wound": "1",
    "classification": "1",
    "guidance": ["2", "3", "4"],
    "disposal": "1",
    "doctor_name": "林美华",
}


def woman(answers: dict[str, Any], **kwargs: Any) -> Any:
    kwargs.setdefault("birth", BIRTH)
    kwargs.setdefault("sex", "2")
    return fill(CODE, answers, **kwargs)


def test_complete_example_closes_the_case_on_day_42() -> None:
    outcome = woman(EXAMPLE)
    assert outcome.errors == []
    a = outcome.answers
    assert a["days_after_delivery"] == 42  # 2026-10-08 → 2026-11-19: 23 days left in October + 19
    assert a["days_after_discharge"] == 39  # 2026-10-11 → 2026-11-19: 20 + 19
    assert a["disposal"] == "1"
    assert "next_visit_date" not in a  # the 42-day form has no next visit


def test_referral_needs_reason_and_institution() -> None:
    answers = {**EXAMPLE, "classification": "2", "disposal": "2"}
    assert errors(woman(answers)) == {
        "classification_abnormal": "未恢复情况：此项为必填项",
        "referral_reason": "转诊原因：此项为必填项",
        "referral_institution": "机构及科室：此项为必填项",
    }
    answers |= {
        "classification_abnormal": "子宫复旧不良",
        "referral_reason": "子宫复旧不良，恶露未净",
        "referral_institution": "县妇幼保健院妇产科",
    }
    outcome = woman(answers)
    assert outcome.errors == []
    assert outcome.answers["referral_institution"] == "县妇幼保健院妇产科"


def test_referral_details_are_dropped_when_the_case_is_closed() -> None:
    outcome = woman({**EXAMPLE, "referral_reason": "误填"})
    assert outcome.errors == []
    assert "referral_reason" not in outcome.answers


def test_discharge_before_delivery_is_refused() -> None:
    outcome = woman({**EXAMPLE, "discharge_date": "2026-10-07"})
    assert errors(outcome) == {"discharge_date": "出院日期：不能早于分娩日期"}


def test_a_man_is_refused() -> None:
    assert errors(woman(EXAMPLE, sex="1")) == {"visit_date": "随访日期：这张表用于孕产妇，该居民性别不符合"}


def test_required_and_range_errors_name_the_field() -> None:
    answers = {**EXAMPLE, "disposal": None, "classification": "3", "dbp": 20}
    assert errors(woman(answers)) == {
        "disposal": "处理：此项为必填项",
        "classification": "分类：请从选项中选择",
        "dbp": "舒张压：应在 30～150mmHg 之间",
    }


def test_unknown_items_are_refused() -> None:
    assert errors(woman({**EXAMPLE, "temperature": "36.5"})) == {"temperature": "temperature：表单中没有这一项"}
