"""The quarterly and annual reports (季度工作进展, 年度报告): every indicator by group with numerator, denominator,
rate, target and attainment, worked out by hand from figures put in place by the test; the table by township or
village; urban and rural; the year-to-date rate only when the stored year figure covers the same span; a village
doctor sees only their own township and village in it; a hospital doctor is refused; every report is audited."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select

from kangdang.access.models import AuditEvent
from kangdang.core.clock import utcnow
from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.indicators.models import IndicatorTarget, IndicatorValue
from kangdang.indicators.reports import MAIN_INDICATORS, build_report, report_periods, report_units

COUNTY, XINSHI, MOGANSHAN = "330521", "330521102", "330521115"
JUCHENG, MEILIN = "330521102200", "330521102201"  # 句城 (cunyi's village), 梅林 — both of 新市镇
D = Decimal
PERIODS = ("2027", "2027Q1", "2027Q2")

# (period, unit kind, unit, area type, indicator) → (numerator, denominator)
FIGURES: dict[tuple[str, str, str, str, str], tuple[int, int | None]] = {
    ("2027Q1", "county", COUNTY, "all", "filing_rate"): (600, 1000),
    ("2027Q1", "county", COUNTY, "all", "e_filing_rate"): (550, 1000),
    ("2027Q1", "county", COUNTY, "all", "qualified_rate"): (450, 600),
    ("2027Q1", "county", COUNTY, "all", "usage_rate"): (300, 600),
    ("2027Q1", "county", COUNTY, "all", "hypertension_standard_rate"): (2, 3),
    ("2027Q1", "county", COUNTY, "urban", "filing_rate"): (200, 250),
    ("2027Q1", "county", COUNTY, "rural", "filing_rate"): (400, 750),
    ("2027Q1", "township", XINSHI, "all", "filing_rate"): (150, 200),
    ("2027Q1", "township", XINSHI, "all", "usage_rate"): (40, 150),
    ("2027Q1", "township", MOGANSHAN, "all", "filing_rate"): (90, 180),
    ("2027Q1", "village", JUCHENG, "all", "filing_rate"): (40, 50),
    ("2027Q1", "village", MEILIN, "all", "filing_rate"): (30, 60),
    ("2027Q2", "county", COUNTY, "all", "filing_rate"): (650, 1000),
    ("2027", "county", COUNTY, "all", "filing_rate"): (700, 1000),
    ("2027", "county", COUNTY, "all", "usage_rate"): (1, 3),
}
# (indicator, area type) → target; None clears (未设目标)
TARGETS: dict[tuple[str, str], Decimal | None] = {
    ("filing_rate", "all"): D("55"),
    ("filing_rate", "urban"): D("70"),
    ("e_filing_rate", "all"): D("55"),
    ("usage_rate", "all"): D("60"),
    ("hypertension_standard_rate", "all"): D("60"),
    ("qualified_rate", "all"): None,
}


def seed_figures(db: Any) -> None:
    """Exactly the figures above for the county in 2027 (any computed ones removed, inside the test's transaction),
    and the county's 2027 targets set after any others."""
    db.execute(delete(IndicatorValue).where(IndicatorValue.period.in_(PERIODS)))
    for (period, kind, unit, area, indicator), (numerator, denominator) in FIGURES.items():
        db.add(
            IndicatorValue(
                indicator=indicator,
                period=period,
                unit_kind=kind,
                unit_code=unit,
                area_type=area,
                numerator=numerator,
                denominator=denominator,
            )
        )
    later = utcnow() + timedelta(days=3650)
    for (indicator, area), target in TARGETS.items():
        db.add(
            IndicatorTarget(
                region_code=COUNTY,
                indicator=indicator,
                year=2027,
                area_type=area,
                target=target,
                set_by="test",
                set_at=later,
            )
        )
    db.flush()


@pytest.fixture
def seeded(db: Any) -> None:
    seed_figures(db)


def test_the_county_quarterly_report_by_hand(db: Any, actor_of: Any, seeded: None) -> None:
    report = build_report(db, actor_of("xianju"), unit=COUNTY, period="2027Q1", today=date(2027, 4, 10))
    assert report.title == "德清县2027年第1季度城乡居民健康档案及重点人群健康管理工作进展"
    assert report.unit_name == "德清县" and report.kind == "quarter"
    assert report.period_label == "2027年第1季度（2027年1月1日至3月31日）"
    assert report.as_of == date(2027, 3, 31) and not report.is_running
    assert report.produced_on == date(2027, 4, 10) and report.institution == "德清县卫生健康局"
    assert [s.group for s in report.sections] == [
        "健康档案",
        "0～6岁儿童",
        "孕产妇",
        "老年人",
        "高血压",
        "2型糖尿病",
        "严重精神障碍",
        "肺结核",
    ]
    assert [s.number for s in report.sections][:3] == ["一", "二", "三"]
    assert len(report.lines) == 17
    lines = {line.indicator: line for line in report.lines}
    filing = lines["filing_rate"]
    assert (filing.name, filing.numerator_label, filing.denominator_label) == (
        "健康档案建档率",
        "建档人数（封面和个人基本信息表已完成）",
        "辖区内常住居民数",
    )
    assert (filing.numerator, filing.denominator, filing.rate, filing.target, filing.status) == (
        600,
        1000,
        D("60.00"),
        D("55"),
        "达标",
    )
    assert (lines["e_filing_rate"].rate, lines["e_filing_rate"].status) == (D("55.00"), "达标")  # equal is met
    assert (lines["qualified_rate"].rate, lines["qualified_rate"].target, lines["qualified_rate"].status) == (
        D("75.00"),
        None,
        "未设目标",
    )
    assert (lines["usage_rate"].rate, lines["usage_rate"].status) == (D("50.00"), "未达标")
    assert (lines["hypertension_standard_rate"].rate, lines["hypertension_standard_rate"].status) == (
        D("66.67"),
        "达标",
    )
    # no figure stored: nothing counted; a counted denominator of 0 has no rate
    newborn = lines["newborn_visit_rate"]
    assert (newborn.numerator, newborn.denominator, newborn.rate, newborn.status) == (0, 0, None, "未设目标")
    assert not report.has_year_to_date and all(line.year_to_date is None for line in report.lines)

    assert report.child_label == "乡镇（街道）"
    # every township with figures, in code order; those with none for the quarter show no rates
    children = {c.code: c for c in report.children}
    assert [c.code for c in report.children] == sorted(children) and {XINSHI, MOGANSHAN} <= set(children)
    assert (children[XINSHI].name, children[MOGANSHAN].name) == ("新市镇", "莫干山镇")
    assert all(set(c.rates.values()) == {None} for code, c in children.items() if code not in (XINSHI, MOGANSHAN))
    xinshi = children[XINSHI]
    assert list(xinshi.rates) == list(MAIN_INDICATORS)
    assert (xinshi.rates["filing_rate"], xinshi.rates["usage_rate"], xinshi.rates["qualified_rate"]) == (
        D("75.00"),
        D("26.67"),
        None,
    )
    assert children[MOGANSHAN].rates["filing_rate"] == D("50.00")

    areas = {line.indicator: line for line in report.areas}
    assert len(areas) == 17
    urban, rural = areas["filing_rate"].urban, areas["filing_rate"].rural
    assert (urban.numerator, urban.denominator, urban.rate, urban.target, urban.status) == (
        200,
        250,
        D("80.00"),
        D("70"),
        "达标",
    )
    # no rural target: the county-wide one applies
    assert (rural.numerator, rural.denominator, rural.rate, rural.target, rural.status) == (
        400,
        750,
        D("53.33"),
        D("55"),
        "未达标",
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "indicator.report").order_by(AuditEvent.id.desc()))
    assert event.subject_id == COUNTY and event.details["period"] == "2027Q1"


def test_a_township_report_lists_its_villages(db: Any, actor_of: Any, seeded: None) -> None:
    report = build_report(db, actor_of("dangan"), unit=XINSHI, period="2027Q1", today=date(2027, 4, 10))
    assert report.title == "新市镇2027年第1季度城乡居民健康档案及重点人群健康管理工作进展"
    assert report.child_label == "村（居）委会"
    villages = {c.code: c.rates["filing_rate"] for c in report.children}
    assert (villages[JUCHENG], villages[MEILIN]) == (D("80.00"), D("50.00"))
    assert all(code.startswith(XINSHI) and len(code) == 12 for code in villages)
    assert report.institution == "新市镇中心卫生院"
    filing = next(line for line in report.lines if line.indicator == "filing_rate")
    assert (filing.numerator, filing.denominator, filing.rate, filing.status) == (150, 200, D("75.00"), "达标")


def test_the_annual_report_and_the_year_to_date_rate(db: Any, actor_of: Any, seeded: None) -> None:
    xianju = actor_of("xianju")
    annual = build_report(db, xianju, unit=COUNTY, period="2027", today=date(2028, 1, 15))
    assert annual.title == "德清县2027年度城乡居民健康档案及重点人群健康管理工作报告"
    assert annual.period_label == "2027年（2027年1月1日至12月31日）" and annual.kind == "year"
    filing = next(line for line in annual.lines if line.indicator == "filing_rate")
    assert (filing.numerator, filing.rate) == (700, D("70.00"))
    assert not annual.has_year_to_date

    # the second quarter while it runs: the year so far covers the same days, so it is shown beside it
    running = build_report(db, xianju, unit=COUNTY, period="2027Q2", today=date(2027, 5, 10))
    assert running.has_year_to_date and running.is_running and running.as_of == date(2027, 5, 10)
    lines = {line.indicator: line for line in running.lines}
    assert (lines["filing_rate"].rate, lines["filing_rate"].year_to_date) == (D("65.00"), D("70.00"))
    assert lines["usage_rate"].year_to_date == D("33.33")
    assert any("数据截至2027年5月10日" in note for note in running.notes)
    # once the quarter has ended the stored year figure runs past it: no year-to-date rate
    later = build_report(db, xianju, unit=COUNTY, period="2027Q2", today=date(2027, 8, 1))
    assert not later.has_year_to_date and all(line.year_to_date is None for line in later.lines)
    # the first quarter runs from 1 January: it is the year to date itself
    assert not build_report(db, xianju, unit=COUNTY, period="2027Q1", today=date(2027, 3, 1)).has_year_to_date


def test_a_village_doctor_sees_only_their_own_township_and_village(db: Any, actor_of: Any, seeded: None) -> None:
    cunyi = actor_of("cunyi")
    county = build_report(db, cunyi, unit=COUNTY, period="2027Q1", today=date(2027, 4, 10))
    assert [c.code for c in county.children] == [XINSHI]
    township = build_report(db, cunyi, unit=XINSHI, period="2027Q1", today=date(2027, 4, 10))
    assert [c.code for c in township.children] == [JUCHENG]
    with pytest.raises(NotFound):
        build_report(db, cunyi, unit=MOGANSHAN, period="2027Q1", today=date(2027, 4, 10))
    assert report_units(db, cunyi) == [(COUNTY, "德清县"), (XINSHI, "新市镇")]
    units = report_units(db, actor_of("xianju"))
    assert units[0] == (COUNTY, "德清县") and {(XINSHI, "新市镇"), (MOGANSHAN, "莫干山镇")} <= set(units[1:])


def test_a_hospital_doctor_is_refused(db: Any, actor_of: Any, seeded: None) -> None:
    with pytest.raises(PermissionDenied):
        build_report(db, actor_of("yiyuan"), unit=COUNTY, period="2027Q1", today=date(2027, 4, 10))


@pytest.mark.parametrize(
    ("unit", "period", "field", "message"),
    [
        (COUNTY, "2027M01", "period", "报表按季度"),
        (COUNTY, "2027Q3", "period", "尚未开始"),
        (COUNTY, "27Q1", "period", "统计期"),
        (JUCHENG, "2027Q1", "unit", "填报单位"),
        ("", "2027Q1", "unit", "统计单位"),
    ],
)
def test_bad_choices_are_answered_in_chinese(
    db: Any, actor_of: Any, seeded: None, unit: str, period: str, field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        build_report(db, actor_of("xianju"), unit=unit, period=period, today=date(2027, 4, 10))
    assert caught.value.errors[0].field == field and message in caught.value.errors[0].message


def test_the_periods_offered_are_the_quarters_and_years_begun() -> None:
    keys = [p.key for p in report_periods(date(2027, 4, 10))]
    assert keys[:3] == ["2027Q2", "2027Q1", "2027"]
    assert "2027Q3" not in keys and "2027M04" not in keys
    assert keys[3:] == ["2026Q4", "2026Q3", "2026Q2", "2026Q1", "2026"]
