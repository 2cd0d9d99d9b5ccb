"""The quarterly progress report (季度工作进展) and the annual report (年度报告) a county bureau or a township centre
files upward: every indicator of the catalogue by group with its numerator, denominator, rate, target and whether
the target is met; the main rates of each unit one level down (a county's townships, a township's villages); and
the unit's figures split urban/rural. Read from the precomputed figures (``indicators.read``), never aggregated
live; the files are rendered by ``exchange.report_xlsx`` and ``exchange.report_pdf``.

Which figures a quarterly report shows. Bureaus file the progress from 1 January to the end of the quarter, but
the figures are precomputed per year, quarter and month only, and the year's figure describes the year up to its
end or to today — not up to the end of an earlier quarter. So a quarterly report shows the quarter's own figures
(for the record-based rates — filing, qualified, usage — these are already the state at the quarter's end), and
beside them the year-to-date rate (本年累计) whenever the stored year figure describes exactly the same span: for
the fourth quarter (the year to 31 December) and for the quarter still running (the year so far). For the first
quarter the quarter itself runs from 1 January, so its figures are the year to date; for an earlier second or
third quarter no year-to-date figure is stored and none is shown. An annual report shows the year's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import FieldError, InvalidInput, NotFound
from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.periods import Period, parse_period, stored_periods
from kangdang.indicators.read import (
    UNIT_NOT_FOUND,
    Figure,
    child_units,
    county_of,
    figures,
    region_visible,
    unit_kind_of,
)
from kangdang.regions.models import Region

# The indicators of the table by child unit (the columns of 分单位).
MAIN_INDICATORS = (
    "filing_rate",
    "e_filing_rate",
    "qualified_rate",
    "usage_rate",
    "elderly_management_rate",
    "hypertension_standard_rate",
    "diabetes_standard_rate",
)
MET, MISSED, NO_TARGET, NO_DATA = "达标", "未达标", "未设目标", "无数据"
SUBJECT = "城乡居民健康档案及重点人群健康管理工作"
CHILD_LABELS = {"county": "乡镇（街道）", "township": "村（居）委会"}
AREA_LABELS = {"urban": "城镇", "rural": "乡村"}
GROUP_NUMERALS = "一二三四五六七八九十"
RATE_NOTE = "率（%）= 分子 ÷ 分母 × 100，保留两位小数；目标为县卫生健康局设定的年度工作目标（城乡分设时按各自目标）。"


@dataclass(frozen=True)
class ReportLine:
    """One indicator of one unit and area type."""

    indicator: str
    name: str
    numerator_label: str
    numerator: int
    denominator_label: str
    denominator: int | None  # None: the population (常住人口) has not been entered
    rate: Decimal | None  # percent, two decimals
    target: Decimal | None
    status: str  # 达标 | 未达标 | 未设目标 | 无数据
    year_to_date: Decimal | None = None  # the rate from 1 January (quarterly reports, when stored)


@dataclass(frozen=True)
class ReportSection:
    number: str  # 一, 二, …
    group: str
    lines: list[ReportLine]


@dataclass(frozen=True)
class ChildLine:
    code: str
    name: str
    rates: dict[str, Decimal | None]  # by MAIN_INDICATORS


@dataclass(frozen=True)
class AreaLine:
    indicator: str
    name: str
    urban: ReportLine
    rural: ReportLine


@dataclass(frozen=True)
class Report:
    title: str
    kind: str  # quarter | year
    unit_code: str
    unit_kind: str  # county | township
    unit_name: str
    period: str
    period_label: str  # 2027年第1季度（2027年1月1日至3月31日）
    as_of: date  # the last day the figures describe (the period's end, or today while it runs)
    produced_on: date
    producer: str
    institution: str
    sections: list[ReportSection]
    child_label: str  # 乡镇（街道） or 村（居）委会
    children: list[ChildLine]
    areas: list[AreaLine]
    has_year_to_date: bool
    notes: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[ReportLine]:
        return [line for section in self.sections for line in section.lines]

    @property
    def main_columns(self) -> list[tuple[str, str]]:
        """(code, name) of the child table's columns."""
        return [(code, catalogue()[code].name) for code in MAIN_INDICATORS]

    @property
    def is_running(self) -> bool:
        return self.as_of < parse_period(self.period).end


def status_of(rate: Decimal | None, target: Decimal | None) -> str:
    if target is None:
        return NO_TARGET
    if rate is None:
        return NO_DATA
    return MET if rate >= target else MISSED


def _line(figure: Figure, year_to_date: Decimal | None = None) -> ReportLine:
    definition = catalogue()[figure.indicator]
    return ReportLine(
        indicator=figure.indicator,
        name=definition.name,
        numerator_label=definition.numerator,
        numerator=figure.numerator,
        denominator_label=definition.denominator,
        denominator=figure.denominator,
        rate=figure.rate,
        target=figure.target,
        status=status_of(figure.rate, figure.target),
        year_to_date=year_to_date,
    )


def _day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def period_label(period: Period) -> str:
    """The period with its days, e.g. 2027年第1季度（2027年1月1日至3月31日）."""
    return f"{period.label}（{_day(period.start)}至{period.end.month}月{period.end.day}日）"


def report_title(unit_name: str, period: Period) -> str:
    if period.kind == "quarter":
        return f"{unit_name}{period.label}{SUBJECT}进展"
    return f"{unit_name}{period.year}年度{SUBJECT}报告"


def _report_period(key: str, today: date) -> Period:
    period = parse_period(key)
    if period.kind == "month":
        raise InvalidInput(errors=[FieldError("period", "统计期：报表按季度（如2027Q1）或年度（如2027）编制")])
    if not period.has_started(today):
        raise InvalidInput(errors=[FieldError("period", f"统计期：{period.label}尚未开始")])
    return period


def _report_unit(session: Session, actor: Actor, unit: str) -> Region:
    kind = unit_kind_of(unit)
    if kind not in CHILD_LABELS:
        raise InvalidInput(errors=[FieldError("unit", "填报单位：请选择县（6位代码）或乡镇、街道（9位代码）")])
    region = session.get(Region, unit)
    if region is None or not region_visible(actor, unit):
        raise NotFound(UNIT_NOT_FOUND)
    return region


def _year_to_date_applies(period: Period, today: date) -> bool:
    """Whether the stored year figure describes the year up to this quarter's end (or to today while it runs)."""
    if period.kind != "quarter" or period.start.month == 1:
        return False
    return parse_period(str(period.year)).as_of(today) == period.as_of(today)


def build_report(session: Session, actor: Actor, *, unit: str, period: str, today: date) -> Report:
    """The report of a county or township for a quarter or a year, as of ``today``; audited."""
    actor.require(Action.INDICATOR_VIEW)
    when = _report_period(period, today)
    region = _report_unit(session, actor, unit)
    kind = unit_kind_of(unit)

    own = figures(session, actor, period=when.key, units=[unit])
    year_to_date: dict[str, Decimal | None] = {}
    with_year = _year_to_date_applies(when, today)
    if with_year:
        year_to_date = {f.indicator: f.rate for f in figures(session, actor, period=str(when.year), units=[unit])}
    sections: list[ReportSection] = []
    by_group: dict[str, list[ReportLine]] = {}
    for figure in own:
        by_group.setdefault(catalogue()[figure.indicator].group, []).append(
            _line(figure, year_to_date.get(figure.indicator))
        )
    for index, (group, lines) in enumerate(by_group.items()):
        number = GROUP_NUMERALS[index] if index < len(GROUP_NUMERALS) else str(index + 1)
        sections.append(ReportSection(number=number, group=group, lines=lines))

    children = _children(session, actor, unit, when)
    areas = _areas(session, actor, unit, when)
    as_of = when.as_of(today)
    notes = [RATE_NOTE]
    if as_of < when.end:
        notes.append(f"统计期尚未结束，数据截至{_day(as_of)}。")
    if with_year:
        notes.append(f"本年累计：{when.year}年1月1日至{_day(as_of)}的数据。")
    if any(line.denominator is None for section in sections for line in section.lines):
        notes.append("分母为“未录入”的指标：尚未录入该年度的常住人口数，无法计算率。")

    record_event(
        session,
        actor,
        "indicator.report",
        subject_type="region",
        subject_id=unit,
        details={"period": when.key, "as_of": as_of.isoformat()},
    )
    return Report(
        title=report_title(region.name, when),
        kind=when.kind,
        unit_code=unit,
        unit_kind=kind,
        unit_name=region.name,
        period=when.key,
        period_label=period_label(when),
        as_of=as_of,
        produced_on=today,
        producer=actor.name,
        institution=actor.memberships[0].institution_name if actor.memberships else "",
        sections=sections,
        child_label=CHILD_LABELS[kind],
        children=children,
        areas=areas,
        has_year_to_date=with_year,
        notes=notes,
    )


def _children(session: Session, actor: Actor, unit: str, when: Period) -> list[ChildLine]:
    codes = child_units(session, actor, unit)
    rates: dict[str, dict[str, Decimal | None]] = {}
    names: dict[str, str] = {}
    for figure in figures(session, actor, period=when.key, units=codes, indicators=MAIN_INDICATORS):
        rates.setdefault(figure.unit_code, {})[figure.indicator] = figure.rate
        names[figure.unit_code] = figure.unit_name
    return [ChildLine(code=code, name=names[code], rates=rates[code]) for code in codes if code in rates]


def _areas(session: Session, actor: Actor, unit: str, when: Period) -> list[AreaLine]:
    urban = figures(session, actor, period=when.key, units=[unit], area_type="urban")
    rural = {f.indicator: f for f in figures(session, actor, period=when.key, units=[unit], area_type="rural")}
    return [
        AreaLine(
            indicator=figure.indicator,
            name=catalogue()[figure.indicator].name,
            urban=_line(figure),
            rural=_line(rural[figure.indicator]),
        )
        for figure in urban
    ]


def report_units(session: Session, actor: Actor, county: str | None = None) -> list[tuple[str, str]]:
    """The units the actor may produce a report for: their county and the townships of it they may see, as
    (code, name) in code order."""
    actor.require(Action.INDICATOR_VIEW)
    county = county or county_of(actor)
    if county is None or not region_visible(actor, county):
        return []
    codes = [county, *child_units(session, actor, county)]
    names = {
        code: name for code, name in session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))
    }
    return [(code, names[code]) for code in codes if code in names]


def report_periods(today: date) -> list[Period]:
    """The quarters and years that have begun (of the years whose figures are kept), newest first."""
    chosen = [p for p in stored_periods(today) if p.kind in ("quarter", "year")]
    return sorted(chosen, key=lambda p: (p.year, p.kind == "quarter", p.start), reverse=True)
