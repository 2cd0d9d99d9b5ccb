"""Every form of the catalogue can be filled, signed, viewed and printed (through the service and pages).

Answers are made up from the definition itself — the required items, each repaired until the engine
accepts the form — so a new definition is covered the day it lands. The realistic examples with
hand-checked derived values are in tests/records/forms/.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest

from kangdang.core.clock import today_local
from kangdang.records.catalogue import catalogue
from kangdang.records.context import FormContext
from kangdang.records.definition import FormDefinition, Item
from kangdang.records.engine import evaluate
from kangdang.records.service import save_form
from tests.residents.factories import file_resident

CODES = sorted(catalogue().forms)


def resident_for(form: FormDefinition) -> tuple[date, str]:
    fits = form.applies_to
    low = fits.min_age_days if fits and fits.min_age_days is not None else 30 * 365
    days = (low + fits.max_age_days) // 2 if fits and fits.max_age_days is not None else low + 400
    return today_local() - timedelta(days=days), (fits.sex if fits and fits.sex else "1")


def value_for(item: Item, rng: random.Random, today: date, born: date) -> Any:
    if item.type == "text":
        return "演示"
    if item.type in ("integer", "decimal"):
        low = item.min if item.min is not None else 0
        high = item.max if item.max is not None else low + 100
        value = rng.uniform(low, high) if item.type == "decimal" else rng.randint(int(low), int(high))
        return round(value, 1) if item.type == "decimal" else value
    if item.type == "date":
        if not item.not_future:
            return (today + timedelta(days=30)).isoformat()
        return max(born, today - timedelta(days=rng.randint(0, 10))).isoformat()
    if item.type == "month":
        return f"{today.year}-{today.month:02d}"
    if item.type == "boolean":
        return rng.choice([True, False])
    options = [o.code for o in catalogue().options(item)]
    return rng.choice(options) if item.type == "code" else [rng.choice(options)]


def answers_for(form: FormDefinition, born: date, sex: str, filed_on: date) -> dict[str, Any]:
    rng = random.Random(form.code)
    today = today_local()
    top = {item.key: item for _, item in form.top_items()}
    context = FormContext(today=today, birth_date=born, sex=sex, filed_on=filed_on)
    answers: dict[str, Any] = {form.date_item: today.isoformat()}

    def fill(item: Item) -> Any:
        if item.type == "repeat":
            return [{c.key: value_for(c, rng, today, born) for c in item.items if c.required}]
        return value_for(item, rng, today, born)

    for key, item in top.items():
        if item.required and not item.derived and key not in answers:
            answers[key] = fill(item)
    for _ in range(400):
        outcome = evaluate(form, answers, context, complete=True)
        if not outcome.errors:
            return answers
        for error in outcome.errors:
            key = error.field.split(".")[0]
            if key in top and key != form.date_item:
                answers[key] = fill(top[key])
    raise AssertionError(f"{form.code}: could not make a valid example: {outcome.errors}")


@pytest.mark.parametrize("code", CODES)
def test_every_form_can_be_filled_signed_viewed_and_printed(
    code: str, db: Any, actor_of: Any, backend: str, web_login: Any
) -> None:
    form = catalogue().form(code)
    born, sex = resident_for(form)
    filed_on = max(born, today_local() - timedelta(days=20))
    doctor = actor_of("cunyi")
    record = file_resident(db, doctor, name="全表测试", born=born, sex=sex, filed_on=filed_on)
    row = save_form(db, doctor, record.id, code, answers_for(form, born, sex, filed_on), sign=True)
    assert row.status == "completed" and row.signed_by_name == doctor.name
    if backend != "sqlite":
        return  # the pages and PDFs do not depend on the database
    client = web_login("cunyi")
    page = client.get(f"/forms/{row.id}")
    assert page.status_code == 200 and form.title in page.text and "已签名" in page.text
    assert client.get(f"/residents/{record.id}/forms/new?form={code}").status_code == 200
    pdf = client.get(f"/forms/{row.id}/print.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
