"""儿童健康检查记录表 (1岁以内, 1～2岁, 3～6岁): the child's age in months and the column chosen.

On paper each form has four columns — 满月, 3, 6, 8月龄; 12, 18, 24, 30月龄; 3, 4, 5, 6岁 — and one
filled form here is one column (one visit), chosen in the item ``visit_age``. Its option codes are the
column's scheduled age in months (满月 "1", 3月龄 "3", …, 3岁 "36", 6岁 "72"), so one rule serves the
three forms.

The schedule (国家基本公共卫生服务规范 第三版, REFERENCE.md §8): 满月 visit at 28–30 days, then
visits at 3, 6, 8, 12, 18, 24, 30 and 36 months, then once a year at 4, 5 and 6 years. The forms' own
filling notes give each column a one-month window ("3月龄：满3月至3月29天", "12月：满12月至12月29天",
"3岁：满3周岁至3周岁11个月29天").

Visits rarely fall inside those windows exactly, and every age must be recordable in some column (the
paper's "add a sheet for other ages" has no place here), so a column is accepted from **one month
before** its age (early booking) up to the month **before the next column's age** (a late visit
stays in its column until the next check is due). In completed months *m* on the visit date:

    满月 28 days … m ≤ 2   3月龄 2–5    6月龄 5–7    8月龄 7–11
    12月龄 11–17   18月龄 17–23   24月龄 23–29   30月龄 29–35
    3岁 35–47      4岁 47–59      5岁 59–71      6岁 71–83 (the 3～6岁 form ends at 7 years)

Adjacent columns overlap by one month; a clearly wrong column (6月龄 for a 2-month-old, 满月 for a
5-month-old) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kangdang.records.context import Answers, FormContext, add_months

MONTH_VISIT_MIN_DAYS = 28  # 满月：出生后28～30天 (filling notes of the 1岁以内 form)


@dataclass(frozen=True)
class Column:
    """One printed column: its label, the completed months it accepts, and the next column's month."""

    label: str
    first_month: int
    last_month: int
    next_month: int | None  # scheduled age (months) of the following visit; None after 6岁


COLUMNS: dict[str, Column] = {
    "1": Column("满月", 0, 2, 3),
    "3": Column("3月龄", 2, 5, 6),
    "6": Column("6月龄", 5, 7, 8),
    "8": Column("8月龄", 7, 11, 12),
    "12": Column("12月龄", 11, 17, 18),
    "18": Column("18月龄", 17, 23, 24),
    "24": Column("24月龄", 23, 29, 30),
    "30": Column("30月龄", 29, 35, 36),
    "36": Column("3岁", 35, 47, 48),
    "48": Column("4岁", 47, 59, 60),
    "60": Column("5岁", 59, 71, 72),
    "72": Column("6岁", 71, 83, None),
}


def completed_months(birth: date, on: date) -> int | None:
    """Whole months lived on ``on`` (月龄): 2026-01-31 → 2026-02-28 is 1 month (month-end clamped)."""
    if on < birth:
        return None
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if add_months(birth, months) > on:
        months -= 1
    return months


def _visit(answers: Answers, context: FormContext) -> tuple[date, date] | None:
    visit = answers.get("visit_date")
    if context.birth_date is None or not isinstance(visit, date) or visit < context.birth_date:
        return None
    return context.birth_date, visit


def derive(answers: Answers, context: FormContext) -> dict[str, Any]:
    """实足月龄 on the visit date, and 建议下次随访日期 = the day the next column's age is reached."""
    known = _visit(answers, context)
    if known is None:
        return {}
    birth, visit = known
    result: dict[str, Any] = {"age_months": completed_months(birth, visit)}
    column = COLUMNS.get(str(answers.get("visit_age")))
    if column and column.next_month is not None:
        suggested = add_months(birth, column.next_month)
        if suggested > visit:
            result["suggested_next_visit"] = suggested
    return result


def _window(column: Column) -> str:
    start = f"出生 {MONTH_VISIT_MIN_DAYS} 天" if column.first_month == 0 else f"{column.first_month}"
    return f"{start}～{column.last_month} 月龄"


def check_visit_age(answers: Answers, context: FormContext) -> list[tuple[str, str]]:
    """The chosen column must fit the child's age on the visit date (windows in the module docstring)."""
    column = COLUMNS.get(str(answers.get("visit_age")))
    known = _visit(answers, context)
    if column is None or known is None:
        return []
    birth, visit = known
    days = (visit - birth).days
    months = completed_months(birth, visit) or 0
    too_young = months < column.first_month or (column.first_month == 0 and days < MONTH_VISIT_MIN_DAYS)
    if not too_young and months <= column.last_month:
        return []
    age = f"出生 {days} 天" if months == 0 else f"{months} 月龄"
    return [("visit_age", f"“{column.label}”一栏适用于{_window(column)}，该儿童在随访日期为{age}")]


RULES = {"child_check": derive}
VALIDATIONS = {"child_visit_age": check_visit_age}
