"""What a form is filled against: the resident, the record and the day (pure data, no database)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

Answers = dict[str, Any]


@dataclass(frozen=True)
class FormContext:
    today: date
    birth_date: date | None = None
    sex: str | None = None
    filed_on: date | None = None  # the record's filing date (建档日期)
    # the same form's latest completed answers before this one (follow-up rules need the last visit)
    previous: Mapping[str, Any] | None = None


def age_in_days(birth: date, on: date) -> int:
    return (on - birth).days


def age_in_years(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
