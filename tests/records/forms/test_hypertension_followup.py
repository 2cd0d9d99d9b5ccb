"""高血压患者随访服务记录表: the classification at the target's boundaries (65+ target), the next step and date,
BMI, and what the form refuses."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.records.formkit import errors, fill

VISIT = "2026-11-20"
UNDER_65 = date(1970, 5, 6)  # 56 on the visit
OVER_65 = date(1960, 3, 15)  # 66 on the visit


def visit(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "visit_date": VISIT,
        "visit_mode": "1",
        "symptoms": ["1"],
        "sbp": "128",
        "dbp": "78",
        "weight": "70",
        "height": "170",
        "medication_adherence": "1",
        "adverse_reaction": "1",
        "medicines": [{"name": "苯磺酸氨氯地平片", "times_per_day": "1", "dose": "5"}],
    }
    answers.update(changes)
    return answers


@pytest.mark.parametrize(
    ("born", "sbp", "dbp", "classification"),
    [
        (UNDER_65, "139", "89", "1"),  # below 140/90: 控制满意
        (UNDER_65, "140", "89", "2"),  # 140 reaches the target: 控制不满意
        (UNDER_65, "139", "90", "2"),
        (OVER_65, "149", "89", "1"),  # 65 and over: below 150/90 is controlled
        (OVER_65, "150", "89", "2"),
        (OVER_65, "149", "90", "2"),  # the diastolic target stays 90
    ],
)
def test_classification_at_the_blood_pressure_targets(born: date, sbp: str, dbp: str, classification: str) -> None:
    outcome = fill("hypertension_followup", visit(sbp=sbp, dbp=dbp), birth=born)
    assert outcome.errors == []
    assert outcome.answers["classification"] == classification


def test_a_controlled_visit_is_followed_up_in_three_months_with_bmi_worked_out() -> None:
    outcome = fill("hypertension_followup", visit(sbp="139", dbp="89"), birth=UNDER_65)
    assert outcome.answers["management_action"] == "1"  # 常规随访
    assert outcome.answers["suggested_next_visit"] == date(2027, 2, 20)  # 2026-11-20 + 3 months
    assert outcome.answers["next_visit_date"] == date(2027, 2, 20)  # left blank: the suggestion
    assert outcome.answers["bmi"] == 24.2  # 70 / 1.70² = 24.22


def test_first_uncontrolled_visit_rechecks_in_two_weeks_and_the_second_refers() -> None:
    first = fill("hypertension_followup", visit(sbp="152", dbp="92"), birth=UNDER_65)
    assert first.answers["management_action"] == "2"  # 第1次控制不满意2周随访
    assert first.answers["suggested_next_visit"] == date(2026, 12, 4)  # + 14 days
    second = fill("hypertension_followup", visit(sbp="150", dbp="91"), birth=UNDER_65, previous={"classification": "2"})
    assert second.answers["management_action"] == "3"  # 两次控制不满意转诊随访


def test_adverse_reactions_complications_and_danger_levels() -> None:
    adverse = fill(
        "hypertension_followup", visit(adverse_reaction="2", adverse_reaction_detail="踝部水肿"), birth=UNDER_65
    )
    assert (adverse.answers["classification"], adverse.answers["management_action"]) == ("3", "2")
    complication = fill("hypertension_followup", visit(complication_new_or_worse="true"), birth=UNDER_65)
    assert (complication.answers["classification"], complication.answers["management_action"]) == ("4", "3")
    crisis = fill("hypertension_followup", visit(sbp="182", dbp="100"), birth=UNDER_65)
    assert crisis.answers["management_action"] == "4"  # ≥180 mmHg: 紧急转诊
    assert crisis.answers["suggested_next_visit"] == date(2026, 12, 4)


def test_invalid_follow_ups_name_every_field_in_chinese() -> None:
    outcome = fill(
        "hypertension_followup",
        visit(sbp="310", dbp="95", visit_date="2026-12-01", adverse_reaction="2", medication_adherence=""),
        birth=UNDER_65,
    )
    assert errors(outcome) == {
        "sbp": "收缩压：应在 50～300mmHg 之间",
        "visit_date": "随访日期：不能晚于今天",
        "adverse_reaction_detail": "不良反应表现：此项为必填项",
        "medication_adherence": "服药依从性：此项为必填项",
    }
    reversed_bp = fill("hypertension_followup", visit(sbp="120", dbp="130"), birth=UNDER_65)
    assert errors(reversed_bp) == {"dbp": "舒张压：应低于收缩压"}
    child = fill("hypertension_followup", visit(), birth=date(2015, 1, 1))
    assert errors(child) == {"visit_date": "随访日期：这张表用于成年高血压患者，该居民在服务日期不符合"}
