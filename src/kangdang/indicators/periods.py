"""Reporting periods (统计期): a year (``2027``), a quarter (``2027Q1``) or a month (``2027M01``), each a
closed range of days. A period still running is evaluated as of today (``as_of``): a figure for the current year
is the year so far."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from kangdang.core.errors import FieldError, InvalidInput

PERIOD_PATTERN = re.compile(r"^(\d{4})(?:Q([1-4])|M(0[1-9]|1[0-2]))?$")
KIND_LABELS = {"year": "年度", "quarter": "季度", "month": "月度"}


@dataclass(frozen=True, order=True)
class Period:
    key: str
    start: date
    end: date

    @property
    def kind(self) -> str:
        return "quarter" if "Q" in self.key else "month" if "M" in self.key else "year"

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.year}年第{self.key[-1]}季度"
        if self.kind == "month":
            return f"{self.year}年{int(self.key[-2:])}月"
        return f"{self.year}年"

    def as_of(self, today: date) -> date:
        """The day the period's figures describe: its last day, or today while it runs."""
        return min(self.end, today)

    def has_started(self, today: date) -> bool:
        return self.start <= today


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def parse_period(key: str) -> Period:
    """A period from its key; a clear field error for anything else."""
    match = PERIOD_PATTERN.match(key or "")
    if match is None or not 2000 <= int(match.group(1)) <= 2100:
        raise InvalidInput(
            errors=[FieldError("period", "统计期：请填写年度（如2027）、季度（2027Q1）或月份（2027M01）")]
        )
    year = int(match.group(1))
    if match.group(2):
        quarter = int(match.group(2))
        return Period(key, date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter))
    if match.group(3):
        month = int(match.group(3))
        return Period(key, date(year, month, 1), _month_end(year, month))
    return Period(key, date(year, 1, 1), date(year, 12, 31))


def periods_of_year(year: int) -> list[Period]:
    """The year, its four quarters and its twelve months."""
    keys = [str(year)] + [f"{year}Q{q}" for q in range(1, 5)] + [f"{year}M{m:02d}" for m in range(1, 13)]
    return [parse_period(key) for key in keys]


def stored_periods(today: date, years: int = 2) -> list[Period]:
    """The periods whose figures are kept precomputed: this year's and the previous years', those begun."""
    return [
        p for y in range(today.year - years + 1, today.year + 1) for p in periods_of_year(y) if p.has_started(today)
    ]


def months_of(period: Period, today: date) -> list[Period]:
    """The months of a period that have begun (the trend by month of a year or quarter)."""
    return [
        p
        for p in periods_of_year(period.year)
        if p.kind == "month" and period.start <= p.start <= period.end and p.has_started(today)
    ]
