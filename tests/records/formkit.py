"""Filling a form definition through the engine in tests (no database).

``fill`` also runs the reference engine (tests/records/reference_engine.py) on the same input and fails
when the two differ, so every hand-written example in tests/records/forms/ checks the compiled engine
against the plain walk as well.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from types import ModuleType
from typing import Any

from kangdang.records import engine
from kangdang.records.catalogue import catalogue
from kangdang.records.context import FormContext
from kangdang.records.definition import FormDefinition
from kangdang.records.engine import Outcome, evaluate
from tests.records import reference_engine

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
    form = catalogue().form(code)
    assert_same_as_reference(form, answers, context, complete)
    return evaluate(form, answers, context, complete=complete)


def errors(outcome: Outcome) -> dict[str, str]:
    return {e.field: e.message for e in outcome.errors}


def outcome_of(
    module: ModuleType, form: FormDefinition, raw: Mapping[str, Any], context: FormContext, complete: bool
) -> Any:
    """What one engine module makes of the input, as text: answers (with types and order), errors, stored JSON."""
    outcome = module.evaluate(form, raw, context, complete=complete)
    stored = json.dumps(module.to_json(outcome.answers), ensure_ascii=False)
    return repr(list(outcome.answers.items())), [(e.field, e.message, e.row) for e in outcome.errors], stored


def _result(
    module: ModuleType, form: FormDefinition, raw: Mapping[str, Any], context: FormContext, complete: bool
) -> Any:
    try:
        return outcome_of(module, form, raw, context, complete)
    except Exception as exc:  # the engines must fail alike, too
        return ("raised", type(exc).__name__, str(exc))


def assert_same_as_reference(
    form: FormDefinition, raw: Mapping[str, Any], context: FormContext, complete: bool
) -> None:
    """The engine and the reference give the same answers, errors and stored JSON (or raise alike)."""
    kept = repr(raw)
    optimised = _result(engine, form, raw, context, complete)
    assert repr(raw) == kept, "the engine changed its input"
    reference = _result(reference_engine, form, raw, context, complete)
    assert optimised == reference, f"{form.code}: engine and reference differ on {raw!r} (complete={complete})"
