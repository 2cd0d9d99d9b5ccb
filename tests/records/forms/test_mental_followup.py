"""严重精神障碍患者随访服务记录表: the definition through the engine, with the classification rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.records.formkit import errors, fill

CODE = "mental_followup"
IN_TWO_WEEKS = date(2026, 12, 4)  # 2026-11-20 + 14 days
IN_THREE_MONTHS = date(2027, 2, 20)  # 2026-11-20 + 3 months

CLINICAL = ("danger_level", "insight", "self_care", "no_dangerous_behaviour", "medicines", "rehabilitation")


def visit(**changes: Any) -> dict[str, Any]:
    """A realistic home visit of a stable patient on risperidone."""
    answers: dict[str, Any] = {
        "visit_date": "2026-11-20",
        "visit_mode": "2",
        "danger_level": "0",
        "insight": "1",
        "sleep": "1",
        "diet": "2",
        "self_care": "1",
        "housework": "2",
        "work": "2",
        "learning": "2",
        "social_contact": "2",
        "no_dangerous_behaviour": True,
        "locking": "1",
        "hospitalisation": "0",
        "lab_tests": "2",
        "lab_tests_detail": "血常规、肝功能未见异常",
        "medication_adherence": "1",
        "adverse_reaction": "1",
        "somatic_illness_serious": False,
        "treatment_effect": "2",
        "referral": False,
        "medicines": [{"name": "利培酮片", "period": "1", "times": 2, "dose": 2}],
        "medication_guidance": [{"name": "利培酮片", "period": "1", "times": 2, "dose": 2}],
        "rehabilitation": ["4", "1"],
        "doctor_name": "赵丽",
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def test_a_complete_stable_visit_is_valid_with_the_next_visit_in_three_months() -> None:
    outcome = fill(CODE, visit())
    assert errors(outcome) == {}
    answers = outcome.answers
    # danger 0, no symptom, full insight, no social function 较差, no severity flag: 稳定 → +3 months
    assert answers["classification"] == "3"
    assert answers["suggested_next_visit"] == IN_THREE_MONTHS
    assert answers["next_visit_date"] == IN_THREE_MONTHS
    assert answers["rehabilitation"] == ["1", "4"]
    assert answers["medicines"] == [{"name": "利培酮片", "period": "1", "times": 2, "dose": 2.0}]


@pytest.mark.parametrize(
    ("changes", "category"),
    [
        ({"danger_level": "1"}, "2"),
        ({"danger_level": "2"}, "2"),
        ({"danger_level": "3"}, "1"),
        ({"danger_level": "5"}, "1"),
        ({"insight": "2"}, "2"),
        ({"insight": "3"}, "1"),
        ({"current_symptoms": ["1"]}, "2"),
        ({"learning": "3"}, "2"),
        ({"work": "9"}, "3"),
        ({"sleep": "3"}, "3"),
        ({"adverse_reaction": "2", "adverse_reaction_detail": "静坐不能"}, "3"),
        ({"adverse_reaction": "2", "adverse_reaction_detail": "粒细胞缺乏", "adverse_reaction_severe": True}, "1"),
        ({"somatic_illness_serious": True}, "1"),
        ({"danger_level": "2", "insight": "3"}, "1"),
    ],
)
def test_classification_rules(changes: dict[str, Any], category: str) -> None:
    outcome = fill(CODE, visit(**changes))
    assert errors(outcome) == {}
    assert outcome.answers["classification"] == category


@pytest.mark.parametrize("category_changes", [{"danger_level": "3"}, {"danger_level": "1"}])
def test_unstable_and_basically_stable_patients_are_seen_again_in_two_weeks(category_changes: dict[str, Any]) -> None:
    answers = fill(CODE, visit(**category_changes)).answers
    assert answers["suggested_next_visit"] == IN_TWO_WEEKS
    assert answers["next_visit_date"] == IN_TWO_WEEKS


def test_the_doctor_may_choose_another_next_visit_date() -> None:
    answers = fill(CODE, visit(danger_level="1", next_visit_date="2026-12-20")).answers
    assert answers["suggested_next_visit"] == IN_TWO_WEEKS
    assert answers["next_visit_date"] == date(2026, 12, 20)


def test_a_severity_flag_is_ignored_without_an_adverse_reaction() -> None:
    outcome = fill(CODE, visit(adverse_reaction_severe=True))
    assert "adverse_reaction_severe" not in outcome.answers
    assert outcome.answers["classification"] == "3"


def test_danger_behaviour_counts_are_recorded_when_present() -> None:
    outcome = fill(CODE, visit(no_dangerous_behaviour=None, minor_trouble_times=2, danger_level="1"))
    assert errors(outcome) == {}
    assert outcome.answers["minor_trouble_times"] == 2
    assert outcome.answers["classification"] == "2"


def test_a_patient_lost_to_follow_up_needs_no_assessment() -> None:
    raw = {"visit_date": "2026-11-20", "visit_mode": "3", "lost_reason": "1", "insight": "1"}
    outcome = fill(CODE, raw)
    assert errors(outcome) == {}
    assert outcome.answers == {"visit_date": date(2026, 11, 20), "visit_mode": "3", "lost_reason": "1"}


def test_a_death_is_recorded_with_its_cause_and_drops_the_assessment() -> None:
    raw = visit(death_date="2026-11-10", death_cause="1", death_somatic_disease="3")
    outcome = fill(CODE, raw)
    assert errors(outcome) == {}
    assert outcome.answers["death_somatic_disease"] == "3"
    assert not set(CLINICAL) & set(outcome.answers)
    assert "classification" not in outcome.answers


def test_a_death_needs_its_cause_and_the_somatic_disease() -> None:
    assert errors(fill(CODE, {"visit_date": "2026-11-20", "visit_mode": "3", "death_date": "2026-11-10"})) == {
        "death_cause": "死亡原因：此项为必填项"
    }
    raw = {"visit_date": "2026-11-20", "visit_mode": "3", "death_date": "2026-11-10", "death_cause": "1"}
    assert errors(fill(CODE, raw)) == {"death_somatic_disease": "躯体疾病种类：此项为必填项"}


def test_death_cannot_be_after_the_visit() -> None:
    raw = {"visit_date": "2026-11-20", "visit_mode": "2", "death_date": "2026-11-21", "death_cause": "2"}
    assert errors(fill(CODE, raw)) == {"death_date": "死亡日期：不能晚于随访日期"}


def test_danger_level_insight_and_social_function_are_required() -> None:
    outcome = fill(CODE, visit(danger_level=None, insight=None, work=None))
    assert errors(outcome) == {
        "danger_level": "危险性评估：此项为必填项",
        "insight": "自知力：此项为必填项",
        "work": "生产劳动及工作：此项为必填项",
    }
    assert "classification" not in outcome.answers


def test_a_danger_level_above_five_is_refused() -> None:
    assert errors(fill(CODE, visit(danger_level="6"))) == {"danger_level": "危险性评估：请从选项中选择"}


def test_a_past_admission_needs_a_discharge_date_not_after_the_visit() -> None:
    assert errors(fill(CODE, visit(hospitalisation="2"))) == {"last_discharge_date": "末次出院时间：此项为必填项"}
    outcome = fill(CODE, visit(hospitalisation="2", last_discharge_date="2026-11-21"))
    assert errors(outcome) == {"last_discharge_date": "末次出院时间：不能晚于随访日期"}


def test_a_referral_needs_its_reason_and_destination() -> None:
    assert errors(fill(CODE, visit(referral=True))) == {
        "referral_reason": "转诊原因：此项为必填项",
        "referral_institution": "转诊至机构及科室：此项为必填项",
    }


def test_a_medicine_row_needs_its_usage() -> None:
    outcome = fill(CODE, visit(medicines=[{"name": "帕利哌酮棕榈酸酯注射液", "times": 1, "dose": 150}]))
    assert errors(outcome) == {"medicines.0.period": "用药情况第 1 行的用法：此项为必填项"}


def test_the_next_visit_cannot_be_before_this_one() -> None:
    outcome = fill(CODE, visit(next_visit_date="2026-11-19"))
    assert errors(outcome) == {"next_visit_date": "下次随访日期：不能早于随访日期"}


def test_the_form_has_no_age_restriction() -> None:
    assert errors(fill(CODE, visit(), birth=date(2012, 4, 1))) == {}
