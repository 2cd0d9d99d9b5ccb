"""Generic derived values an item can name in its ``formula`` (BMI, age, gestational weeks, sums)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from kangdang.records.context import Answers, FormContext, age_in_years

Formula = Callable[[Answers, FormContext, tuple[str, ...]], Any]


def bmi(answers: Answers, context: FormContext, args: tuple[str, ...]) -> float | None:
    """体质指数 = weight (kg) ÷ height (m)², one decimal; args: weight item, height item (cm)."""
    weight, height = answers.get(args[0]), answers.get(args[1])
    if not weight or not height:
        return None
    return round(weight / (height / 100) ** 2, 1)


def age_at(answers: Answers, context: FormContext, args: tuple[str, ...]) -> int | None:
    """Age in whole years on the date item ``args[0]``."""
    day = answers.get(args[0])
    if context.birth_date is None or not isinstance(day, date):
        return None
    return age_in_years(context.birth_date, day)


def gestational_weeks(answers: Answers, context: FormContext, args: tuple[str, ...]) -> int | None:
    """Completed weeks of pregnancy on ``args[1]`` counted from the last menstrual period ``args[0]``."""
    lmp, day = answers.get(args[0]), answers.get(args[1])
    if not isinstance(lmp, date) or not isinstance(day, date) or day < lmp:
        return None
    return (day - lmp).days // 7


def due_date(answers: Answers, context: FormContext, args: tuple[str, ...]) -> date | None:
    """预产期: last menstrual period + 280 days (Naegele's rule)."""
    lmp = answers.get(args[0])
    return date.fromordinal(lmp.toordinal() + 280) if isinstance(lmp, date) else None


def total(answers: Answers, context: FormContext, args: tuple[str, ...]) -> int | float | None:
    """Sum of the numeric items named; None when none of them is answered."""
    values = [answers[a] for a in args if isinstance(answers.get(a), int | float)]
    return sum(values) if values else None


def rate_percent(answers: Answers, context: FormContext, args: tuple[str, ...]) -> float | None:
    """``args[0]`` ÷ ``args[1]`` × 100, one decimal (e.g. 服药率 = 实际服药次数 ÷ 应服药次数)."""
    part, whole = answers.get(args[0]), answers.get(args[1])
    if not isinstance(part, int | float) or not whole:
        return None
    return round(part * 100 / whole, 1)


FORMULAS: dict[str, Formula] = {
    "bmi": bmi,
    "age_at": age_at,
    "gestational_weeks": gestational_weeks,
    "due_date": due_date,
    "total": total,
    "rate_percent": rate_percent,
}
