"""3～6岁儿童健康检查记录表: 3/4/5/6岁 columns, 实足月龄 and the column check."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.records.formkit import errors, fill


def check(**changes: Any) -> dict[str, Any]:
    """A 4岁 visit as a doctor fills it."""
    answers: dict[str, Any] = {
        "visit_age": "48",
        "visit_date": "2026-11-20",
        "weight": "16.4",
        "weight_level": "2",
        "height": "104.5",
        "height_level": "2",
        "weight_for_height": "2",
        "growth_evaluation": "1",
        "vision_left": "4.9",
        "vision_right": "5.0",
        "teeth": "20",
        "caries": "2",
        "chest": "1",
        "abdomen": "1",
        "hemoglobin": "121",
        "development_flags_4y": [],
        "illness": ["1"],
        "referral": "1",
        "guidance": ["1", "5"],
        "doctor_name": "吴建平",
    }
    answers.update(changes)
    return answers


def complete(answers: dict[str, Any], birth: date) -> Any:
    return fill("child_check_preschool", answers, birth=birth, sex="2", filed_on=birth)


def test_a_four_year_check_has_no_errors_and_its_age_and_next_date() -> None:
    outcome = complete(check(), birth=date(2022, 8, 15))
    assert errors(outcome) == {}
    # 2022-08-15 → 2026-11-20: 4 × 12 + 3 = 51 months, 2026-11-15 reached → 实足月龄 51
    assert outcome.answers["age_months"] == 51
    # 5岁 check: 2022-08-15 + 60 months = 2027-08-15
    assert outcome.answers["suggested_next_visit"] == date(2027, 8, 15)
    assert outcome.answers["vision_left"] == 4.9
    assert outcome.answers["hemoglobin"] == 121
    assert "hearing" not in outcome.answers  # 听力 only at 3岁


def test_the_three_year_check_has_hearing_and_no_haemoglobin() -> None:
    answers = check(
        visit_age="36",
        hearing="2",
        development_flags_3y=["3"],
        referral="2",
        referral_reason="听力筛查未通过",
        referral_institution="区人民医院耳鼻喉科",
    )
    outcome = complete(answers, birth=date(2023, 10, 2))
    assert errors(outcome) == {}
    assert outcome.answers["age_months"] == 37  # 2023-10-02 + 37 months = 2026-11-02 ≤ 11-20
    assert outcome.answers["hearing"] == "2"
    assert outcome.answers["development_flags_3y"] == ["3"]
    assert "hemoglobin" not in outcome.answers


def test_the_six_year_check_has_no_suggested_next_visit() -> None:
    # 2020-09-30 → 2026-11-20: 6 × 12 + 1 = 73 months (2026-10-30 reached); 6岁 accepts 71–83
    outcome = complete(check(visit_age="72", development_flags_6y=["3"]), birth=date(2020, 9, 30))
    assert errors(outcome) == {}
    assert outcome.answers["age_months"] == 73
    assert "suggested_next_visit" not in outcome.answers
    assert "next_visit_date" not in outcome.answers


def test_the_three_year_column_for_a_five_year_old_is_refused() -> None:
    # 2021-06-01 → 2026-11-20: 5 × 12 + 5 = 65 months; 3岁 accepts 35–47
    outcome = complete(check(visit_age="36"), birth=date(2021, 6, 1))
    assert errors(outcome) == {"visit_age": "年龄：“3岁”一栏适用于35～47 月龄，该儿童在随访日期为65 月龄"}


def test_an_adult_is_refused() -> None:
    outcome = fill("child_check_preschool", check(), birth=date(1990, 1, 1))
    assert errors(outcome)["visit_date"] == "随访日期：这张表用于3～6岁儿童，该居民在服务日期不符合"


def test_a_seven_year_old_is_refused() -> None:
    # 2019-11-20 → 2026-11-20 is 7 × 365 + 2 leap days (2020, 2024) = 2557 days: the form ends below 2557
    outcome = complete(check(visit_age="72"), birth=date(2019, 11, 20))
    assert errors(outcome) == {
        "visit_date": "随访日期：这张表用于3～6岁儿童，该居民在服务日期不符合",
        "visit_age": "年龄：“6岁”一栏适用于71～83 月龄，该儿童在随访日期为84 月龄",
    }


def test_out_of_range_weight_and_height_are_refused() -> None:
    outcome = complete(check(weight="95", height="210"), birth=date(2022, 8, 15))
    assert errors(outcome) == {
        "weight": "体重：应在 7～60kg 之间",
        "height": "身高：应在 75～150cm 之间",
    }


def test_caries_cannot_exceed_teeth() -> None:
    outcome = complete(check(teeth="18", caries="20"), birth=date(2022, 8, 15))
    assert errors(outcome) == {"caries": "龋齿数：不能多于牙数"}
