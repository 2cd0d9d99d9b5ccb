"""The bundles carry, of each form's answers, only the items the rules read (``bundle.answer_keys``), picked out by
the database: the rules must read no other (else they would silently see None), and what the database picks
must be exactly the stored value (a number keeps its written form, true stays true) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from sqlalchemy import select, update

from kangdang.core.clock import LOCAL_ZONE
from kangdang.indicators.bundle import ANSWER_FORMS, Bundle, FormFact, answer_keys, load_bundles
from kangdang.indicators.evaluate import RULES, evaluate
from kangdang.indicators.parameters import Parameters
from kangdang.indicators.periods import stored_periods
from kangdang.indicators.quality_rules import Issue, record_issues
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import HealthRecord
from tests.indicators.test_tally import scenarios, tallied

READ: dict[str, set[str]] = defaultdict(set)


class Watched(dict[str, Any]):
    """Answers that note every item read."""

    def __init__(self, code: str, answers: dict[str, Any]) -> None:
        super().__init__(answers)
        self.code = code

    def get(self, key: str, default: Any = None) -> Any:
        READ[self.code].add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        READ[self.code].add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        READ[self.code].add(str(key))
        return super().__contains__(key)


def watched(bundle: Bundle) -> Bundle:
    forms = tuple(FormFact(f.code, f.day, f.signed_on, Watched(f.code, f.answers)) for f in bundle.forms)
    return Bundle(**{**{k: getattr(bundle, k) for k in Bundle.__dataclass_fields__ if k != "by_code"}, "forms": forms})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_rules_read_no_answer_the_bundle_leaves_out(
    scenario: tuple[date, Parameters, list[tuple[Bundle, list[Issue]]]],
) -> None:
    today, params, records = scenario
    for bundle, _issues in records:
        seen = watched(bundle)
        issues = record_issues(seen, params)
        for period in stored_periods(today):
            evaluate(seen, period, today, params, issues, list(RULES))
        tallied([(seen, issues)], today, params)
    for code in ANSWER_FORMS:
        assert READ[code] <= set(answer_keys()[code]), code


def test_the_bundles_carry_the_stored_answers_read_and_the_local_signing_day(db: Any) -> None:
    form = db.scalar(
        select(ServiceRecord)
        .where(ServiceRecord.form_code == "diabetes_followup", ServiceRecord.status == "completed")
        .order_by(ServiceRecord.service_date)
        .limit(1)
    )
    village = db.scalar(select(HealthRecord.village_code).where(HealthRecord.id == form.record_id))
    odd = {"sbp": 140.0, "dbp": "90", "fasting_glucose": True}  # a float, a text and a flag, kept as they are
    db.execute(update(ServiceRecord).where(ServiceRecord.id == form.id).values(answers=form.answers | odd))
    late = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 1 March in UTC, 2 March in China
    db.execute(update(ServiceRecord).where(ServiceRecord.id == form.id).values(signed_at=late))
    db.expire_all()
    stored: dict[Any, list[ServiceRecord]] = defaultdict(list)
    for row in db.scalars(
        select(ServiceRecord)
        .join(HealthRecord, HealthRecord.id == ServiceRecord.record_id)
        .where(HealthRecord.village_code == village, ServiceRecord.status == "completed")
        .order_by(ServiceRecord.service_date, ServiceRecord.created_at)
    ):
        stored[row.record_id].append(row)
    bundles = load_bundles(db, [village], since=date(2000, 1, 1))
    assert bundles and sum(len(b.forms) for b in bundles) == sum(len(rows) for rows in stored.values())
    for bundle in bundles:
        rows = stored[bundle.record_id]
        assert [(f.code, f.day) for f in bundle.forms] == [(r.form_code, r.service_date) for r in rows]
        for fact, row in zip(bundle.forms, rows, strict=True):
            local = row.signed_at.astimezone(LOCAL_ZONE).date() if row.signed_at else None
            assert fact.signed_on == local
            wanted = (
                {k: row.answers.get(k) for k in answer_keys()[row.form_code]} if row.form_code in ANSWER_FORMS else {}
            )
            assert json.dumps(fact.answers, sort_keys=True) == json.dumps(wanted, sort_keys=True)
    (changed,) = [f for b in bundles if b.record_id == form.record_id for f in b.forms if f.answers == odd]
    assert changed.signed_on == date(2026, 3, 2)
    assert isinstance(changed.answers["sbp"], float) and changed.answers["fasting_glucose"] is True
