"""Done-when (issue 6): on a small area worked out by hand every indicator equals the hand count, for both
usage-window settings; the drill-down lists add up to the figures; the township figure is the sum of its
villages."""

from __future__ import annotations

from typing import Any

import pytest

from kangdang.core.pagination import PageRequest
from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.drilldown import drill_down
from kangdang.indicators.parameters import set_parameter
from kangdang.indicators.read import child_units, figures
from kangdang.indicators.refresh import refresh_villages
from tests.indicators.fixture_village import (
    EXPECTED_CALENDAR,
    EXPECTED_ROLLING,
    TODAY,
    TOWNSHIP,
    VILLAGE,
    build_village,
)


@pytest.fixture
def village(db: Any, actor_of: Any, time_machine: Any) -> dict[str, Any]:
    people = build_village(db, actor_of, time_machine)
    refresh_villages(db, [VILLAGE], today=TODAY)
    return people


def counts(db: Any, actor: Any, unit: str, period: str = "2027Q1") -> dict[str, tuple[int, int | None]]:
    return {f.indicator: (f.numerator, f.denominator) for f in figures(db, actor, period=period, units=[unit])}


def test_every_indicator_equals_the_hand_count_in_a_rolling_window(db: Any, actor_of: Any, village: Any) -> None:
    assert counts(db, actor_of("xianju"), VILLAGE) == EXPECTED_ROLLING


def test_every_indicator_equals_the_hand_count_in_a_calendar_year_window(db: Any, actor_of: Any, village: Any) -> None:
    manager = actor_of("xianju")
    set_parameter(db, manager, county="330521", key="usage_window", value="calendar_year")
    refresh_villages(db, [VILLAGE], today=TODAY)
    assert counts(db, manager, VILLAGE) == EXPECTED_CALENDAR


def test_the_rate_is_numerator_over_denominator(db: Any, actor_of: Any, village: Any) -> None:
    (filing,) = figures(db, actor_of("xianju"), period="2027Q1", units=[VILLAGE], indicators=["filing_rate"])
    assert str(filing.rate) == "40.00"


@pytest.mark.parametrize("indicator", list(catalogue()))
def test_the_drill_down_lists_add_up_to_the_figure(db: Any, actor_of: Any, village: Any, indicator: str) -> None:
    manager = actor_of("xianju")
    (figure,) = figures(db, manager, period="2027Q1", units=[VILLAGE], indicators=[indicator])
    big = PageRequest(size=500)
    counted = drill_down(
        db, manager, indicator=indicator, period="2027Q1", village=VILLAGE, which="counted", page=big, today=TODAY
    )
    missed = drill_down(db, manager, indicator=indicator, period="2027Q1", village=VILLAGE, page=big, today=TODAY)
    assert counted.rows.total == figure.numerator
    assert all(row.reason for row in missed.rows.items)
    if catalogue()[indicator].from_population:
        assert counted.rows.total + missed.rows.total + (missed.unfiled or 0) == figure.denominator
    else:
        assert counted.rows.total + missed.rows.total == figure.denominator


def test_those_not_counted_carry_the_reason(db: Any, actor_of: Any, village: Any) -> None:
    manager = actor_of("xianju")

    def reasons(indicator: str) -> dict[str, str | None]:
        result = drill_down(db, manager, indicator=indicator, period="2027Q1", village=VILLAGE, today=TODAY)
        return {row.name: row.reason for row in result.rows.items}

    assert reasons("filing_rate") == {
        "乙测试": "个人基本信息表未填写，且无纸质档案",
        "戊测试": "新生儿家庭访视记录表未填写，且无纸质档案",
    }
    assert reasons("qualified_rate") == {
        "乙测试": "个人基本信息表未填写",
        "丙测试": "个人基本信息表缺3项：ABO血型、文化程度、职业",
    }
    assert reasons("usage_rate") == {
        "乙测试": "近12个月无服务记录",
        "丙测试": "近12个月无服务记录",
        "戊测试": "近12个月无服务记录",
    }
    assert reasons("hypertension_control_rate") == {"己测试": "最近一次随访（2027-02-10）血压未达标（152/94 mmHg）"}
    filing = drill_down(db, manager, indicator="filing_rate", period="2027Q1", village=VILLAGE, today=TODAY)
    assert filing.unfiled == 4  # 10 residents, 4 filed, 2 with a record not yet complete: 4 have no record


def test_the_township_figure_is_the_sum_of_its_villages(db: Any, actor_of: Any, village: Any) -> None:
    manager = actor_of("xianju")
    township = counts(db, manager, TOWNSHIP)
    villages = child_units(db, manager, TOWNSHIP)
    assert VILLAGE in villages
    for indicator in ("qualified_rate", "usage_rate", "hypertension_control_rate", "elderly_management_rate"):
        per_village = [counts(db, manager, code)[indicator] for code in villages]
        assert township[indicator] == (sum(n for n, _ in per_village), sum(d or 0 for _, d in per_village))


def test_urban_and_rural_figures_add_up_to_the_whole(db: Any, actor_of: Any, village: Any) -> None:
    manager = actor_of("xianju")
    whole = figures(db, manager, period="2027Q1", units=[TOWNSHIP], indicators=["usage_rate"])[0]
    urban = figures(db, manager, period="2027Q1", units=[TOWNSHIP], indicators=["usage_rate"], area_type="urban")[0]
    rural = figures(db, manager, period="2027Q1", units=[TOWNSHIP], indicators=["usage_rate"], area_type="rural")[0]
    assert urban.numerator + rural.numerator == whole.numerator
    assert (urban.denominator or 0) + (rural.denominator or 0) == whole.denominator
    assert urban.numerator >= 3  # the fixture village is urban


def test_a_village_doctor_cannot_drill_into_another_village(db: Any, actor_of: Any, village: Any) -> None:
    from kangdang.core.errors import NotFound, PermissionDenied

    with pytest.raises(NotFound):
        drill_down(db, actor_of("cunyi2"), indicator="filing_rate", period="2027Q1", village=VILLAGE, today=TODAY)
    with pytest.raises(PermissionDenied):
        drill_down(db, actor_of("tongji"), indicator="filing_rate", period="2027Q1", village=VILLAGE, today=TODAY)
