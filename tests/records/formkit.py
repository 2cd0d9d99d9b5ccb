"""Filling a form definition through the engine in tests (no database)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kangdang.records.catalogue import catalogue
from kangdang.records.context import FormContext
from kangdang.records.engine import Outcome, evaluate

TODAY = date(2026, 11, 22)


def fill(
    code: str,
    answers: Mapping[str, Any],
    *,
    birth: date | None = date(1960, 3, 15),
    sex: str | None = "1",
    filed_on: date | None = date(2018, 1, 10),
    today: date = TODAY,
    previous: Mapping[str, Any] | None = None,
    complete: bool = True,
) -> Outcome:
    context = FormContext(today=today, birth_date=birth, sex=sex, filed_on=filed_on, previous=previous)
    return evaluate(catalogue().form(code), answers, context, complete=complete)


def errors(outcome: Outcome) -> dict[str, str]:
    return {e.field: e.message for e in outcome.errors}
