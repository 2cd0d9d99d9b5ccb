"""产后访视记录表: dates in order, days after discharge (产后访视率: within 28 days), validation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.records.formkit import errors, fill

CODE = "postpartum_visit"
BIRTH = date(1995, 3, 8)  # 黄丽萍, 31

# Delivered 2026-10-20, discharged 2026-10-23, home visit on 2026-10-29.
EXAMPLE: dict[str, Any] = {
    "visit_date": "2026-10-29",
    "delivery_date": "2026-10-20",
    "discharge_date": "2026-10-23",
    "temperature": "36.8",
    "general_health": "精神好，食欲正常",
    "mental_state": "情绪稳定",
    "sbp": 118,
    "dbp": 76,
    "breast": "1",
    "lochia": "1",
    "uterus": "1",
    "wound": "2",
    "wound_abnormal": "会阴侧切伤口轻度红肿",
    "classification": "2",
    "classification_abnormal": "会阴伤口轻度红肿",
    "guidance": ["1", "4", "5"],
    "referral": "1",
    "next_visit_date": "2026-12-01",
    "doctor_name": "林美华",
}


def woman(answers: dict[str, Any], **kwargs: Any) -> Any:
    kwargs.setdefault("birth", BIRTH)
    kwargs.setdefault("sex", "2")
    return fill(CODE, answers, **kwargs)


def test_complete_example_counts_days_after_discharge_and_delivery() -> None:
    outcome = woman(EXAMPLE)
    assert outcome.errors == []
    a = outcome.answers
    assert a["days_after_discharge"] == 6  # 2026-10-29 − 2026-10-23
    assert a["days_after_delivery"] == 9  # 2026-10-29 − 2026-10-20
    assert a["wound_abnormal"] == "会阴侧切伤口轻度红肿"


@pytest.mark.parametrize(
    ("discharge", "visit", "days"),
    [
        ("2026-10-23", "2026-10-23", 0),  # visited on the day of discharge
        ("2026-10-01", "2026-10-29", 28),  # 29 − 1 = 28 days: the last day counted by 产后访视率
        ("2026-10-01", "2026-10-30", 29),  # beyond the 28-day window of 产后访视率
    ],
)
def test_days_after_discharge_boundaries(discharge: str, visit: str, days: int) -> None:
    answers = {**EXAMPLE, "delivery_date": "2026-09-28", "discharge_date": discharge, "visit_date": visit}
    outcome = woman(answers)
    assert outcome.errors == []
    assert outcome.answers["days_after_discharge"] == days


def test_home_birth_without_discharge_has_only_days_after_delivery() -> None:
    answers = {**EXAMPLE, "discharge_date": None}
    outcome = woman(answers)
    assert outcome.errors == []
    assert "days_after_discharge" not in outcome.answers
    assert outcome.answers["days_after_delivery"] == 9


def test_discharge_before_delivery_is_refused() -> None:
    outcome = woman({**EXAMPLE, "discharge_date": "2026-10-18"})
    assert errors(outcome) == {"discharge_date": "出院日期：不能早于分娩日期"}


def test_visit_before_discharge_or_delivery_is_refused() -> None:
    outcome = woman({**EXAMPLE, "visit_date": "2026-10-22"})
    assert errors(outcome) == {"visit_date": "随访日期：不能早于出院日期"}
    outcome = woman({**EXAMPLE, "visit_date": "2026-10-19", "discharge_date": None})
    assert errors(outcome) == {"visit_date": "随访日期：不能早于分娩日期"}


def test_a_man_is_refused() -> None:
    assert errors(woman(EXAMPLE, sex="1")) == {"visit_date": "随访日期：这张表用于孕产妇，该居民性别不符合"}


def test_out_of_range_and_required_errors_name_the_field() -> None:
    answers = {**EXAMPLE, "temperature": "45", "sbp": None, "delivery_date": None, "classification_abnormal": ""}
    assert errors(woman(answers)) == {
        "temperature": "体温：应在 34～43℃ 之间",
        "sbp": "收缩压：此项为必填项",
        "delivery_date": "分娩日期：此项为必填项",
        "classification_abnormal": "分类异常：此项为必填项",
    }


def test_guidance_other_text_only_with_other_ticked() -> None:
    outcome = woman({**EXAMPLE, "guidance": ["6"], "guidance_other": "产后康复操"})
    assert outcome.errors == []
    assert outcome.answers["guidance_other"] == "产后康复操"
    outcome = woman({**EXAMPLE, "guidance_other": "产后康复操"})
    assert "guidance_other" not in outcome.answers
