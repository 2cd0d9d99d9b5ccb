"""What the indicator and quality rules know of one health record: the person, the record, its signed forms
(service day, signing day and, for the few forms the rules read, the answers) and its programme episodes.

``load_bundles`` reads the records of some villages in a handful of queries (no per-person query); the rules in
``indicators.evaluate`` and ``indicators.quality_rules`` are pure functions of a bundle.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session

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


@dataclass(frozen=True)
class FormFact:
    code: str
    day: date  # the service day
    signed_on: date | None
    answers: dict[str, Any]  # only for ANSWER_FORMS


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
        for form in self.forms:
            self.by_code.setdefault(form.code, []).append(form)

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


def _local_day(moment: Any) -> date | None:
    return moment.astimezone(LOCAL_ZONE).date() if moment is not None else None


def load_bundles(session: Session, village_codes: Iterable[str], *, since: date) -> list[Bundle]:
    """The bundles of the records of these villages that were open on or after ``since``, by record number."""
    codes = sorted(set(village_codes))
    if not codes:
        return []
    records = session.execute(
        select(
            HealthRecord.id,
            HealthRecord.person_id,
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
    forms = _forms(session, codes, since)
    episodes = _episodes(session, codes)
    cipher = cipher_for(session)
    return [
        Bundle(
            record_id=r.id,
            person_id=r.person_id,
            record_number=r.record_number,
            name=r.name,
            sex=r.sex,
            birth_date=r.birth_date,
            document_type=r.document_type,
            document_number=cipher.decrypt(r.document_cipher) if r.document_cipher else None,
            village_code=r.village_code,
            institution_id=r.managing_institution_id,
            filed_on=r.filed_on,
            closed_on=r.closed_on,
            filing_complete_on=r.filing_complete_on,
            on_paper=bool(r.paper_location),
            forms=tuple(forms.get(r.id, ())),
            episodes=tuple(episodes.get(r.person_id, ())),
        )
        for r in records
    ]


def _forms(session: Session, codes: list[str], since: date) -> dict[uuid.UUID, list[FormFact]]:
    """Signed forms of the villages' records: answers only for the forms the rules read. Forms older than the
    first period count too (a newborn visit, the latest basic form), so all are read, without their answers."""
    found: dict[uuid.UUID, list[FormFact]] = defaultdict(list)
    in_villages = select(HealthRecord.id).where(HealthRecord.village_code.in_(codes))
    rows = session.execute(
        select(
            ServiceRecord.record_id,
            ServiceRecord.form_code,
            ServiceRecord.service_date,
            ServiceRecord.signed_at,
            case((ServiceRecord.form_code.in_(ANSWER_FORMS), ServiceRecord.answers), else_=None),
        )
        .where(
            ServiceRecord.record_id.in_(in_villages),
            ServiceRecord.status == "completed",
            or_(ServiceRecord.form_code.in_(ANSWER_FORMS), ServiceRecord.service_date >= since),
        )
        .order_by(ServiceRecord.service_date, ServiceRecord.created_at)
    )
    for record_id, code, day, signed_at, answers in rows:
        found[record_id].append(FormFact(code, day, _local_day(signed_at), answers or {}))
    return found


def _episodes(session: Session, codes: list[str]) -> dict[uuid.UUID, list[EpisodeFact]]:
    found: dict[uuid.UUID, list[EpisodeFact]] = defaultdict(list)
    rows = session.execute(
        select(
            Episode.person_id,
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
    for person_id, programme, enrolled_on, closed_on, outcome, details in rows:
        found[person_id].append(EpisodeFact(programme, enrolled_on, closed_on, outcome, details or {}))
    return found
