"""1～2岁儿童健康检查记录表: 12/18/24/30月龄 columns, 实足月龄 and the column check."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.records.formkit import errors, fill


def check(**changes: Any) -> dict[str, Any]:
    """An 18月龄 visit as a doctor fills it."""
    answers: dict[str, Any] = {
        "visit_age": "18",
        "visit_date": "2026-11-05",
        "weight": "10.9",
        "weight_level": "2",
        "length": "81.6",
        "length_level": "1",
        "complexion": "1",
        "skin": "1",
        "fontanelle": "1",
        "eyes": "1",
        "ears": "1",
        "teeth": "12",
        "caries": "0",
        "chest": "1",
        "abdomen": "1",
        "limbs": "1",
        "gait": "1",
        "rickets_signs": ["1"],
        "hemoglobin": "112",
        "outdoor_hours": "2",
        "vitamin_d": "400",
        "development_flags_18m": ["1"],
        "illness": ["2", "4"],
        "pneumonia_times": "1",
        "injury_times": "1",
        "referral": "2",
        "referral_reason": "18月龄不会有意识叫“爸爸”或“妈妈”，需发育评估",
        "referral_institution": "杭州市妇幼保健院儿童保健科",
        "guidance": ["1", "2", "6"],
        "guidance_other": "亲子阅读",
        "doctor_name": "周丽华",
    }
    answers.update(changes)
    return answers


def complete(answers: dict[str, Any], birth: date) -> Any:
    return fill("child_check_toddler", answers, birth=birth, sex="1", filed_on=birth)


def test_an_eighteen_month_check_has_no_errors_and_its_age_and_next_date() -> None:
    outcome = complete(check(), birth=date(2025, 5, 3))
    assert errors(outcome) == {}
    # 2025-05-03 → 2026-11-05: 12 + 6 = 18 months, 2026-11-03 reached → 实足月龄 18
    assert outcome.answers["age_months"] == 18
    # next column 24月龄: 2025-05-03 + 24 months = 2027-05-03
    assert outcome.answers["suggested_next_visit"] == date(2027, 5, 3)
    assert outcome.answers["next_visit_date"] == date(2027, 5, 3)
    assert outcome.answers["hemoglobin"] == 112
    assert outcome.answers["development_flags_18m"] == ["1"]
    assert "hearing" not in outcome.answers


def test_hearing_is_asked_at_twelve_months_and_haemoglobin_is_not() -> None:
    answers = check(visit_age="12", visit_date="2026-11-20", hearing="1", development_flags_12m=["3"])
    outcome = complete(answers, birth=date(2025, 11, 10))
    assert errors(outcome) == {}
    assert outcome.answers["age_months"] == 12  # 2025-11-10 + 12 months = 2026-11-10 ≤ 11-20
    assert outcome.answers["hearing"] == "1"
    assert outcome.answers["development_flags_12m"] == ["3"]
    assert "hemoglobin" not in outcome.answers
    assert "development_flags_18m" not in outcome.answers


def test_a_late_thirty_month_check_at_35_months_is_accepted() -> None:
    # 2023-12-20 → 2026-11-20: 3 × 12 − 1 = 35 months, 2026-11-20 reached; 30月龄 accepts 29–35
    outcome = complete(check(visit_age="30", visit_date="2026-11-20"), birth=date(2023, 12, 20))
    assert errors(outcome) == {}
    assert outcome.answers["age_months"] == 35
    # 3岁 check due 2023-12-20 + 36 months = 2026-12-20
    assert outcome.answers["suggested_next_visit"] == date(2026, 12, 20)


def test_one_day_short_of_35_months_counts_34() -> None:
    # 2023-12-21 → 2026-11-20: 35 calendar months but 2026-11-21 not reached → 34
    outcome = complete(check(visit_age="30", visit_date="2026-11-20"), birth=date(2023, 12, 21))
    assert outcome.answers["age_months"] == 34


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("12", "月龄：“12月龄”一栏适用于11～17 月龄，该儿童在随访日期为18 月龄"),
        ("24", "月龄：“24月龄”一栏适用于23～29 月龄，该儿童在随访日期为18 月龄"),
    ],
)
def test_a_column_that_does_not_fit_the_age_is_refused(column: str, message: str) -> None:
    # 2025-05-19 → 2026-11-20: 18 whole months (2026-11-19 reached); only 18月龄 (17–23) fits
    outcome = complete(check(visit_age=column, visit_date="2026-11-20"), birth=date(2025, 5, 19))
    assert errors(outcome) == {"visit_age": message}


def test_caries_cannot_exceed_erupted_teeth() -> None:
    outcome = complete(check(teeth="8", caries="10"), birth=date(2025, 5, 3))
    assert errors(outcome) == {"caries": "龋齿数：不能多于出牙数"}


def test_an_adult_is_refused() -> None:
    outcome = fill("child_check_toddler", check(), birth=date(1979, 7, 30))
    assert errors(outcome)["visit_date"] == "随访日期：这张表用于1～2岁儿童，该居民在服务日期不符合"


def test_an_infant_is_refused() -> None:
    # 2026-01-06 → 2026-11-05 is 303 days, under the 365 the form starts at
    outcome = complete(check(visit_age="12"), birth=date(2026, 1, 6))
    assert errors(outcome) == {
        "visit_date": "随访日期：这张表用于1～2岁儿童，该居民在服务日期不符合",
        "visit_age": "月龄：“12月龄”一栏适用于11～17 月龄，该儿童在随访日期为9 月龄",
    }


def test_out_of_range_weight_is_refused() -> None:
    outcome = complete(check(weight="2.5"), birth=date(2025, 5, 3))
    assert errors(outcome) == {"weight": "体重：应在 4～30kg 之间"}
