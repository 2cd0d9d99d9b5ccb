"""1岁以内儿童健康检查记录表: one column per form, 实足月龄, age-specific rows and the column check."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kangdang.records.derivations.child import completed_months
from tests.records.formkit import errors, fill


def check(**changes: Any) -> dict[str, Any]:
    """A 6月龄 visit as a doctor fills it."""
    answers: dict[str, Any] = {
        "visit_age": "6",
        "visit_date": "2026-11-12",
        "weight": "7.85",
        "weight_level": "2",
        "length": "67.5",
        "length_level": "2",
        "head_circumference": "43.2",
        "complexion": "1",
        "skin": "1",
        "fontanelle": "2",
        "fontanelle_length": "1.2",
        "fontanelle_width": "1.0",
        "neck_mass": "2",
        "eyes": "1",
        "ears": "1",
        "hearing": "1",
        "teeth": "2",
        "chest": "1",
        "abdomen": "1",
        "limbs": "1",
        "rickets_symptoms": ["3"],
        "rickets_signs": ["1"],
        "anus_genitals": "1",
        "hemoglobin": "118",
        "outdoor_hours": "1.5",
        "vitamin_d": "400",
        "development_flags_6m": [],
        "illness": ["3"],
        "diarrhoea_times": "1",
        "referral": "1",
        "guidance": ["1", "2", "4"],
        "doctor_name": "周丽华",
    }
    answers.update(changes)
    return answers


def complete(answers: dict[str, Any], birth: date) -> Any:
    return fill("child_check_infant", answers, birth=birth, sex="2", filed_on=birth)


def test_a_six_month_check_has_no_errors_and_its_age_and_next_date() -> None:
    outcome = complete(check(), birth=date(2026, 5, 10))
    assert errors(outcome) == {}
    # 2026-05-10 → 2026-11-12: 6 whole months (11-10 reached, 12-10 not) → 实足月龄 6
    assert outcome.answers["age_months"] == 6
    # next column 8月龄: 2026-05-10 + 8 months = 2027-01-10, also the default 下次随访日期
    assert outcome.answers["suggested_next_visit"] == date(2027, 1, 10)
    assert outcome.answers["next_visit_date"] == date(2027, 1, 10)
    assert outcome.answers["hemoglobin"] == 118
    assert outcome.answers["diarrhoea_times"] == 1
    assert outcome.answers["fontanelle_length"] == 1.2


def test_a_month_check_at_30_days_keeps_the_month_rows_only() -> None:
    answers = check(
        visit_age="1",
        visit_date="2026-11-19",
        weight="4.35",
        length="54.0",
        head_circumference="37.0",
        complexion="2",
        mouth="1",
        umbilicus_1m="2",
        illness=["1"],
        diarrhoea_times="",
        next_visit_date="2027-01-22",
    )
    outcome = complete(answers, birth=date(2026, 10, 20))
    assert errors(outcome) == {}
    # 2026-10-20 → 2026-11-19 is 30 days; 11-20 not yet reached → 0 whole months
    assert outcome.answers["age_months"] == 0
    # 3月龄 comes at 2026-10-20 + 3 months = 2027-01-20; the doctor's own date wins
    assert outcome.answers["suggested_next_visit"] == date(2027, 1, 20)
    assert outcome.answers["next_visit_date"] == date(2027, 1, 22)
    assert outcome.answers["umbilicus_1m"] == "2"
    for row in ("hearing", "teeth", "hemoglobin", "rickets_symptoms", "rickets_signs", "development_flags_6m"):
        assert row not in outcome.answers, row


def test_three_month_rows_follow_the_three_month_column() -> None:
    answers = check(
        visit_age="3",
        visit_date="2026-11-20",
        umbilicus_3m="1",
        rickets_signs_3m="1",
        development_flags_3m=["4"],
        mouth="1",
    )
    outcome = complete(answers, birth=date(2026, 8, 18))
    assert errors(outcome) == {}
    assert outcome.answers["age_months"] == 3  # 08-18 + 3 months = 11-18 ≤ 11-20
    assert outcome.answers["development_flags_3m"] == ["4"]
    assert outcome.answers["rickets_signs_3m"] == "1"
    assert "rickets_signs" not in outcome.answers  # the 6/8月龄 list
    assert "hearing" not in outcome.answers  # 听力 only at 6月龄
    assert "hemoglobin" not in outcome.answers


def test_six_month_column_for_a_two_month_old_is_refused() -> None:
    # 2026-09-15 → 2026-11-20: 11-15 reached → 2 whole months; 6月龄 accepts 5–7
    outcome = complete(check(visit_date="2026-11-20"), birth=date(2026, 9, 15))
    assert errors(outcome) == {"visit_age": "月龄：“6月龄”一栏适用于5～7 月龄，该儿童在随访日期为2 月龄"}


def test_month_column_needs_28_days() -> None:
    answers = check(visit_age="1", visit_date="2026-11-20", next_visit_date="2027-01-20")
    too_early = complete(answers, birth=date(2026, 10, 24))  # 27 days
    assert errors(too_early) == {"visit_age": "月龄：“满月”一栏适用于出生 28 天～2 月龄，该儿童在随访日期为出生 27 天"}
    assert errors(complete(answers, birth=date(2026, 10, 23))) == {}  # 28 days


@pytest.mark.parametrize(
    ("birth", "ok"),
    [
        (date(2026, 9, 21), False),  # 1 month 30 days on 2026-11-20 → 1 whole month
        (date(2026, 9, 20), True),  # exactly 2 months
        (date(2026, 5, 21), True),  # 5 months 30 days → 5
        (date(2026, 5, 20), False),  # exactly 6 months: the 6月龄 column is due
    ],
)
def test_three_month_column_accepts_two_to_five_whole_months(birth: date, ok: bool) -> None:
    outcome = complete(check(visit_age="3", visit_date="2026-11-20", next_visit_date="2027-06-01"), birth=birth)
    assert ("visit_age" not in errors(outcome)) is ok


@pytest.mark.parametrize(
    ("birth", "on", "months"),
    [
        (date(2026, 1, 31), date(2026, 2, 27), 0),
        (date(2026, 1, 31), date(2026, 2, 28), 1),  # month-end clamped: 31 Jan + 1 month = 28 Feb
        (date(2026, 3, 31), date(2026, 4, 30), 1),
        (date(2024, 2, 29), date(2025, 2, 28), 12),
        (date(2025, 11, 22), date(2026, 11, 21), 11),
        (date(2025, 11, 22), date(2026, 11, 22), 12),
        (date(2026, 11, 22), date(2026, 11, 21), None),  # before birth
    ],
)
def test_completed_months(birth: date, on: date, months: int | None) -> None:
    assert completed_months(birth, on) == months


def test_an_adult_is_refused() -> None:
    outcome = fill("child_check_infant", check(), birth=date(1985, 3, 2))
    found = errors(outcome)
    assert found["visit_date"] == "随访日期：这张表用于1岁以内儿童，该居民在服务日期不符合"
    assert found["visit_age"] == "月龄：“6月龄”一栏适用于5～7 月龄，该儿童在随访日期为500 月龄"


def test_a_one_year_old_is_refused() -> None:
    # 2025-11-11 → 2026-11-12 is 366 days: the 1～2岁 form applies
    outcome = complete(check(visit_age="8"), birth=date(2025, 11, 11))
    assert errors(outcome)["visit_date"] == "随访日期：这张表用于1岁以内儿童，该居民在服务日期不符合"


def test_out_of_range_weight_is_refused() -> None:
    outcome = complete(check(weight="25"), birth=date(2026, 5, 10))
    assert errors(outcome) == {"weight": "体重：应在 1～20kg 之间"}


def test_column_date_and_measures_are_required() -> None:
    outcome = complete(check(visit_age="", weight="", length=""), birth=date(2026, 5, 10))
    assert errors(outcome) == {
        "visit_age": "月龄：此项为必填项",
        "weight": "体重：此项为必填项",
        "length": "身长：此项为必填项",
    }


def test_illness_counts_are_required_and_none_is_exclusive() -> None:
    birth = date(2026, 5, 10)
    assert errors(complete(check(illness=["2"], diarrhoea_times=""), birth)) == {
        "pneumonia_times": "肺炎次数：此项为必填项"
    }
    assert errors(complete(check(illness=["1", "3"]), birth)) == {
        "illness": "两次随访间患病情况：选了“无”就不能再选其他项"
    }
