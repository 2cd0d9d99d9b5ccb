"""What the benchmark works on, drawn from the database in-process: residents of the demo township (their ID
numbers decrypted), the records with the most forms, hypertension patients, and new people not yet on file."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from kangdang.access.crypto import cipher_for
from kangdang.demo.county import TOWNSHIP_A
from kangdang.demo.people import make_person
from kangdang.programmes.codes import Programme
from kangdang.programmes.models import Episode
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.search import prefix

TOWNSHIP = TOWNSHIP_A  # 新市镇: the township of the bench's users (yisheng, dangan)
COUNTY = TOWNSHIP[:6]
USERS = ("yisheng", "dangan")  # 乡镇/社区医生 and 档案管理员 of 新市镇中心卫生院
PASSWORD = "Kangdang2026"  # noqa: S105 - the published demo password


class PickError(RuntimeError):
    pass


@dataclass(frozen=True)
class Resident:
    record_id: str
    record_number: str
    id_number: str
    document_index: str
    name: str
    name_pinyin: str  # the display reading, "wang jian guo"

    @property
    def full_pinyin(self) -> str:
        return self.name_pinyin.replace(" ", "")

    @property
    def initials(self) -> str:
        return "".join(syllable[0] for syllable in self.name_pinyin.split())


@dataclass(frozen=True)
class RecordRef:
    record_id: str
    record_number: str
    forms: int = 0


@dataclass(frozen=True)
class Picks:
    residents: list[Resident]  # random active residents of the township with an ID card
    busy_records: list[RecordRef]  # the township's records with the most forms, most first
    hypertension: list[RecordRef]  # records of active hypertension episodes in the township
    villages: list[str]  # the township's villages with records (where new residents are filed)


def _in_township() -> ColumnElement[bool]:
    return prefix(HealthRecord.village_code, TOWNSHIP)


def pick(session: Session, *, count: int, rng: random.Random, today: date, patients: int = 0) -> Picks:
    """``count`` residents and busy records; max(count, patients) hypertension patients (as many as there are)."""
    cipher = cipher_for(session)
    candidates = list(
        session.scalars(
            select(HealthRecord.id)
            .join(Person, Person.id == HealthRecord.person_id)
            .where(
                _in_township(),
                HealthRecord.status == "active",
                Person.status == "active",
                Person.document_type == "01",
                Person.document_cipher.is_not(None),
            )
            .order_by(HealthRecord.record_number)
        )
    )
    if not candidates:
        raise PickError(f"乡镇 {TOWNSHIP} 没有在档居民 (no active residents in the township)")
    chosen = rng.sample(candidates, min(count, len(candidates)))
    rows = session.execute(
        select(HealthRecord.id, HealthRecord.record_number, Person.document_cipher, Person.document_index)
        .add_columns(Person.name, Person.name_pinyin)
        .join(Person, Person.id == HealthRecord.person_id)
        .where(HealthRecord.id.in_(chosen))
    ).all()
    by_id = {
        row[0]: Resident(
            record_id=str(row[0]),
            record_number=row[1],
            id_number=cipher.decrypt(row[2]),
            document_index=row[3],
            name=row[4],
            name_pinyin=row[5],
        )
        for row in rows
    }
    residents = [by_id[record_id] for record_id in chosen]

    forms = func.count(ServiceRecord.id).label("forms")
    busy = session.execute(
        select(HealthRecord.id, HealthRecord.record_number, forms)
        .join(ServiceRecord, ServiceRecord.record_id == HealthRecord.id)
        .where(_in_township(), HealthRecord.status == "active")
        .group_by(HealthRecord.id, HealthRecord.record_number)
        .order_by(forms.desc(), HealthRecord.record_number)
        .limit(max(10, min(count, 100)))
    ).all()
    found = session.execute(
        select(HealthRecord.id, HealthRecord.record_number)
        .join(Episode, Episode.record_id == HealthRecord.id)
        .where(
            _in_township(),
            HealthRecord.status == "active",
            HealthRecord.filed_on <= today,
            Episode.programme == Programme.HYPERTENSION.value,
            Episode.status == "active",
        )
        .order_by(HealthRecord.record_number)
    ).all()
    if not found:
        raise PickError(f"乡镇 {TOWNSHIP} 没有在管高血压患者 (no hypertension patients in the township)")
    sampled = rng.sample(found, min(max(count, patients), len(found)))
    villages = sorted(session.scalars(select(HealthRecord.village_code).where(_in_township()).distinct()))
    return Picks(
        residents=residents,
        busy_records=[RecordRef(str(r[0]), r[1], int(r[2])) for r in busy],
        hypertension=[RecordRef(str(r[0]), r[1]) for r in sampled],
        villages=villages,
    )


@dataclass(frozen=True)
class NewPerson:
    name: str
    sex: str
    birth_date: date
    id_number: str
    phone: str


def fresh_people(session: Session, count: int, *, rng: random.Random, village_codes: Sequence[str]) -> list[NewPerson]:
    """``count`` people with valid ID numbers of the county that are not on file (nor repeated)."""
    cipher = cipher_for(session)
    found: dict[str, NewPerson] = {}
    while len(found) < count:
        batch = []
        for _ in range(min(5000, (count - len(found)) * 2)):
            person = make_person(rng, address_code=COUNTY, born_after=1940, born_before=2015)
            if person.id_number not in found:
                batch.append(person)
        indexes = {cipher.blind_index(p.id_number): p for p in batch}
        taken = set(session.scalars(select(Person.document_index).where(Person.document_index.in_(list(indexes)))))
        for index, person in indexes.items():
            if index not in taken and len(found) < count:
                born = date(int(person.id_number[6:10]), int(person.id_number[10:12]), int(person.id_number[12:14]))
                found[person.id_number] = NewPerson(person.name, person.sex, born, person.id_number, person.phone)
    if not village_codes:
        raise PickError("no village to file new residents in")
    return list(found.values())
