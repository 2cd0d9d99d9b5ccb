"""What the indicator and quality rules know of one health record: the person, the record, its signed forms
(service day, signing day and, for the few forms the rules read, those answers) and its programme episodes.

``load_bundles`` reads the records of some villages in a handful of queries (no per-person query); the rules in
``indicators.evaluate`` and ``indicators.quality_rules`` are pure functions of a bundle. A county holds millions
of forms, so the loading is lean: plain rows (no ORM objects), and of a form's answers only the items the rules
read (``answer_keys()``, picked out by the database).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from kangdang.access.crypto import cipher_for
from kangdang.core.clock import LOCAL_ZONE
from kangdang.programmes.models import Episode
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import HealthRecord, Person

# The forms whose answers the rules read (the others count by their code and dates only).
ANSWER_FORMS = (
    "personal_basic_info",
    "hypertension_followup",
    "diabetes_followup",
    "antenatal_first",
    "postpartum_visit",
    "postpartum_42day",
    "tb_followup",
)
BLOOD_PRESSURE = ("sbp", "dbp")  # the quality rules check them on every form read (收缩压 above 舒张压)
_COURSE_KEYS = {  # what programmes.facts_courses judges a pregnancy and a TB course by
    "antenatal_first": ("early_registration", "gestational_weeks", "delivery_date"),
    "postpartum_visit": ("delivery_date", "days_after_discharge", "discharge_date", "days_after_delivery"),
    "postpartum_42day": ("delivery_date", "days_after_discharge", "discharge_date", "days_after_delivery"),
    "tb_followup": ("stop_reason", "doses_required", "doses_actual"),
}


@cache
def answer_keys() -> dict[str, tuple[str, ...]]:
    """Per form of ``ANSWER_FORMS``, the answers the rules read (``tests/indicators/test_bundle_answers.py``
    checks that they read no other): a missing answer reads as None, as an absent one does."""
    from kangdang.indicators.quality_rules import basic_item_keys  # the quality rules read bundles

    keys = {
        "personal_basic_info": basic_item_keys(),
        "diabetes_followup": ("fasting_glucose",),
        **_COURSE_KEYS,
    }
    # never fewer than two: SQLite's json_extract gives a JSON array only for two paths or more
    return {code: tuple(dict.fromkeys((*keys.get(code, ()), *BLOOD_PRESSURE))) for code in ANSWER_FORMS}


class FormFact(NamedTuple):
    code: str
    day: date  # the service day
    signed_on: date | None
    answers: dict[str, Any]  # only for ANSWER_FORMS, and of those only ``answer_keys()``


@dataclass(frozen=True)
class EpisodeFact:
    programme: str
    enrolled_on: date
    closed_on: date | None
    outcome: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class Bundle:
    record_id: uuid.UUID
    person_id: uuid.UUID
    record_number: str
    name: str
    sex: str
    birth_date: date
    document_type: str | None
    document_number: str | None
    village_code: str
    institution_id: uuid.UUID
    filed_on: date
    closed_on: date | None
    filing_complete_on: date | None
    on_paper: bool
    forms: tuple[FormFact, ...] = ()  # oldest first
    episodes: tuple[EpisodeFact, ...] = ()
    by_code: dict[str, list[FormFact]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        by_code = self.by_code
        for form in self.forms:
            found = by_code.get(form.code)
            if found is None:
                by_code[form.code] = [form]
            else:
                found.append(form)

    def forms_of(self, codes: Iterable[str], start: date | None = None, end: date | None = None) -> list[FormFact]:
        """This record's signed forms of these codes (service day within start..end when given), oldest first."""
        found = [f for code in codes for f in self.by_code.get(code, ())]
        if start is not None:
            found = [f for f in found if f.day >= start]
        if end is not None:
            found = [f for f in found if f.day <= end]
        return sorted(found, key=lambda f: f.day) if len(found) > 1 else found

    def active_at(self, day: date) -> bool:
        return self.filed_on <= day and (self.closed_on is None or self.closed_on > day)

    def open_during(self, start: date, end: date) -> bool:
        return self.filed_on <= end and (self.closed_on is None or self.closed_on >= start)


def load_bundles(session: Session, village_codes: Iterable[str], *, since: date) -> list[Bundle]:
    """The bundles of the records of these villages that were open on or after ``since``, by record number."""
    codes = sorted(set(village_codes))
    if not codes:
        return []
    with _plain_plans(session):
        return _load(session, codes, since)


@contextmanager
def _plain_plans(session: Session) -> Iterator[None]:
    """On PostgreSQL, no JIT compilation for these few queries (it costs more than the queries themselves save);
    the setting is put back afterwards, inside the caller's transaction (a failed query aborts the transaction,
    which drops the setting anyway)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    before = connection.execute(text("SELECT current_setting('jit')")).scalar_one()
    connection.execute(text("SELECT set_config('jit', 'off', true)"))
    yield
    connection.execute(text("SELECT set_config('jit', :value, true)"), {"value": before})


def _load(session: Session, codes: list[str], since: date) -> list[Bundle]:
    rows = _Rows(session)
    records = rows.connection.execute(
        select(
            rows.key(HealthRecord.id),
            HealthRecord.id,
            HealthRecord.person_id,
            rows.key(HealthRecord.person_id),
            HealthRecord.record_number,
            HealthRecord.village_code,
            HealthRecord.managing_institution_id,
            HealthRecord.filed_on,
            HealthRecord.closed_on,
            HealthRecord.filing_complete_on,
            HealthRecord.paper_location,
            Person.name,
            Person.sex,
            Person.birth_date,
            Person.document_type,
            Person.document_cipher,
        )
        .join(Person, Person.id == HealthRecord.person_id)
        .where(
            HealthRecord.village_code.in_(codes),
            or_(HealthRecord.closed_on.is_(None), HealthRecord.closed_on >= since),
        )
        .order_by(HealthRecord.record_number)
    ).all()
    if not records:
        return []
    forms = rows.forms(codes, since)
    episodes = rows.episodes(codes)
    decrypt = cipher_for(session).decrypt
    return [
        Bundle(
            record_id=record_id,
            person_id=person_id,
            record_number=number,
            name=name,
            sex=sex,
            birth_date=birth_date,
            document_type=document_type,
            document_number=decrypt(cipher) if cipher else None,
            village_code=village_code,
            institution_id=institution_id,
            filed_on=filed_on,
            closed_on=closed_on,
            filing_complete_on=complete_on,
            on_paper=bool(paper),
            forms=tuple(forms.get(key, ())),
            episodes=tuple(episodes.get(person_key, ())),
        )
        for (
            key,
            record_id,
            person_id,
            person_key,
            number,
            village_code,
            institution_id,
            filed_on,
            closed_on,
            complete_on,
            paper,
            name,
            sex,
            birth_date,
            document_type,
            cipher,
        ) in records
    ]


class _Rows:
    """The queries of ``load_bundles``, each written for the database at hand: on PostgreSQL the driver gives
    dates and JSON, on SQLite the text is read here (cheaper than through the column types)."""

    def __init__(self, session: Session) -> None:
        self.connection = session.connection()
        self.sqlite = self.connection.dialect.name == "sqlite"
        self._days: dict[str, date] = {}
        self._signed: dict[str, date] = {}

    def key(self, column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
        """An id column that joins rows in Python, as text (no UUID object made per row)."""
        return type_coerce(column, String) if self.sqlite else cast(column, Text)

    def day(self, text: str) -> date:
        found = self._days.get(text)
        if found is None:
            found = self._days[text] = date.fromisoformat(text)
        return found

    def signed_day(self, text: str) -> date:
        """The local day of a UTC moment stored as text (SQLite); Asia/Shanghai keeps whole-minute offsets."""
        minute = text[:16]
        found = self._signed.get(minute)
        if found is None:
            moment = datetime.fromisoformat(minute).replace(tzinfo=UTC)
            found = self._signed[minute] = moment.astimezone(LOCAL_ZONE).date()
        return found

    def _answers(self) -> ColumnElement[Any]:
        """The answers the rules read, as the text of a JSON array in ``answer_keys()`` order (null for the other
        forms): numbers keep their written form, true and false stay such."""
        whens = []
        for code, keys in answer_keys().items():
            picked: ColumnElement[Any]
            if self.sqlite:  # with several paths, a JSON array
                picked = func.json_extract(ServiceRecord.answers, *[literal(f'$."{k}"') for k in keys])
            else:
                picked = cast(func.jsonb_build_array(*[ServiceRecord.answers.op("->")(literal(k)) for k in keys]), Text)
            whens.append((ServiceRecord.form_code == code, picked))
        return type_coerce(case(*whens, else_=None), String)

    def forms(self, codes: list[str], since: date) -> dict[Any, list[FormFact]]:
        """Signed forms of the villages' records: answers only for the forms the rules read. Of the forms older
        than ``since`` only those are read (the latest basic form, the course of a pregnancy)."""
        found: dict[Any, list[FormFact]] = defaultdict(list)
        in_villages = select(HealthRecord.id).where(HealthRecord.village_code.in_(codes))
        signed: ColumnElement[Any] = (
            type_coerce(ServiceRecord.signed_at, String)
            if self.sqlite
            else cast(func.timezone(LOCAL_ZONE.key, ServiceRecord.signed_at), Date)
        )
        service_day = type_coerce(ServiceRecord.service_date, String) if self.sqlite else ServiceRecord.service_date
        rows = self.connection.execute(
            select(self.key(ServiceRecord.record_id), ServiceRecord.form_code, service_day, signed, self._answers())
            .where(
                ServiceRecord.record_id.in_(in_villages),
                ServiceRecord.status == "completed",
                or_(ServiceRecord.form_code.in_(ANSWER_FORMS), ServiceRecord.service_date >= since),
            )
            .order_by(ServiceRecord.record_id, ServiceRecord.service_date, ServiceRecord.created_at)
        )
        keys, loads, sqlite = answer_keys(), json.loads, self.sqlite
        day, signed_day = self.day, self.signed_day
        current: list[FormFact] = []
        last = None
        for record, code, served, signed_on, values in rows.all():  # grouped by record
            if record != last:
                last, current = record, found[record]
            if sqlite:
                served = day(served)
                signed_on = signed_day(signed_on) if signed_on is not None else None
            answers = dict(zip(keys[code], loads(values), strict=True)) if values is not None else {}
            current.append(FormFact(code, served, signed_on, answers))
        return found

    def episodes(self, codes: list[str]) -> dict[Any, list[EpisodeFact]]:
        found: dict[Any, list[EpisodeFact]] = defaultdict(list)
        rows = self.connection.execute(
            select(
                self.key(Episode.person_id),
                Episode.programme,
                Episode.enrolled_on,
                Episode.closed_on,
                Episode.outcome,
                Episode.details,
            )
            .join(HealthRecord, and_(HealthRecord.person_id == Episode.person_id))
            .where(HealthRecord.village_code.in_(codes))
            .distinct()
            .order_by(Episode.enrolled_on)
        )
        for person, programme, enrolled_on, closed_on, outcome, details in rows:
            found[person].append(EpisodeFact(programme, enrolled_on, closed_on, outcome, details or {}))
        return found
