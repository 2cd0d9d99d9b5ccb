"""No identity number and no phone number is stored in clear: the SQLite file and the PostgreSQL tables are
scanned for every number the demo county (and a newborn visit form with the parents' phones) holds, and the
full ID number and the phone number still find the resident."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from kangdang.access.crypto import cipher_for
from kangdang.access.models import User
from kangdang.core.clock import today_local
from kangdang.core.pagination import PageRequest
from kangdang.db.engine import build_engine, build_sessionmaker
from kangdang.db.migrate import upgrade
from kangdang.demo.county import load_demo_county
from kangdang.institutions.actors import load_actor
from kangdang.institutions.models import Practitioner
from kangdang.records.service import save_form
from kangdang.residents.models import Household, Person
from kangdang.residents.schemas import PersonUpdate
from kangdang.residents.search import search_residents
from kangdang.residents.service import update_person
from kangdang.settings import Settings
from tests.conftest import throwaway_database
from tests.residents.factories import file_resident

DIGIT_RUNS = re.compile(rb"\+?\d[\d\-]{5,}[\dX]")
FATHER_PHONE, MOTHER_PHONE, NEW_PHONE = "13905721234", "0572-8051234", "13757201111"


@pytest.fixture(params=["sqlite", "postgresql"])
def filled(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    with throwaway_database(request.param, tmp_path) as url:
        settings = Settings(environment="test", database_url=url)
        engine = build_engine(url)
        upgrade(engine)
        factory = build_sessionmaker(engine, settings)
        with factory() as session:
            load_demo_county(session)
            doctor = load_actor(session, session.scalars(select(User).where(User.login == "cunyi")).one())
            baby = file_resident(session, doctor, name="新生儿", born=today_local() - timedelta(days=9), sex="2")
            answers = {
                "visit_date": today_local().isoformat(),
                "current_weight": "3.6",
                "father_phone": FATHER_PHONE,
                "mother_phone": MOTHER_PHONE,
            }
            save_form(session, doctor, baby.id, "newborn_visit", answers, sign=True)
            # a corrected phone number: the history and the audit trail keep it masked
            update_person(session, doctor, baby.person_id, PersonUpdate(phone=NEW_PHONE, contact_phone=FATHER_PHONE))
            session.commit()
        yield request.param, url, engine, factory
        engine.dispose()


def _secrets(factory: Any) -> set[str]:
    """Every ID number and phone number on file, decrypted through the application."""
    with factory() as session:
        cipher = cipher_for(session)
        numbers = {cipher.decrypt(c) for c in session.scalars(select(Person.document_cipher)) if c}
        numbers |= {cipher.decrypt(c) for c in session.scalars(select(Practitioner.id_number_cipher))}
        phones = set(session.scalars(select(Person.phone))) | set(session.scalars(select(Person.contact_phone)))
        phones |= set(session.scalars(select(Household.phone))) | set(session.scalars(select(Practitioner.phone)))
    phones = {p for p in phones if p} | {FATHER_PHONE, MOTHER_PHONE, NEW_PHONE}
    assert len(numbers) > 2000 and len(phones) > 1000
    return {n.encode() for n in numbers} | {p.encode() for p in phones} | {p.replace("-", "").encode() for p in phones}


def _raw_sqlite(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _raw_postgresql(engine: Any) -> bytes:
    chunks = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            chunks += [str(row[0]).encode() for row in conn.execute(text(f'SELECT t::text FROM "{table}" t'))]
    return b"\n".join(chunks)


def test_the_database_holds_no_plain_identity_or_phone_numbers(filled: Any) -> None:
    backend, url, engine, factory = filled
    secrets = _secrets(factory)
    raw = _raw_sqlite(url) if backend == "sqlite" else _raw_postgresql(engine)
    found = {m for m in DIGIT_RUNS.findall(raw) if m in secrets or m.replace(b"-", b"") in secrets}
    assert not found, f"{len(found)} clear numbers at rest, e.g. {sorted(found)[:3]}"


def test_search_by_full_id_number_and_by_phone_still_finds_the_resident(filled: Any) -> None:
    _backend, _url, _engine, factory = filled
    with factory() as session:
        actor = load_actor(session, session.scalars(select(User).where(User.login == "xianju")).one())
        person = session.scalars(select(Person).where(Person.phone.is_not(None)).limit(1)).one()
        number = cipher_for(session).decrypt(person.document_cipher)  # type: ignore[arg-type]
        by_id = search_residents(session, actor, query=number, page=PageRequest())
        assert [hit.person.id for hit in by_id.items] == [person.id]
        by_phone = search_residents(session, actor, query=person.phone, page=PageRequest())
        assert person.id in {hit.person.id for hit in by_phone.items}


def test_rotating_the_secret_key_keeps_every_number_readable_and_findable(filled: Any) -> None:
    from kangdang.ops.keys import rotate_secret_key
    from kangdang.records.models import ServiceRecord
    from kangdang.records.service import answers_of

    _backend, url, _engine, factory = filled
    with factory() as session:
        person = session.scalars(select(Person).where(Person.phone.is_not(None)).limit(1)).one()
        number = cipher_for(session).decrypt(person.document_cipher)  # type: ignore[arg-type]
        phone = person.phone
        old_key = factory.kw["info"]["settings"].secret_key
    new_key = "a-brand-new-secret-key-for-this-deployment-0123456789"
    with factory() as session:
        report = rotate_secret_key(session, old_key, new_key)
        session.commit()
    assert report.rows["person"] > 2000 and report.rows["service_record"] == 1
    rotated_settings = Settings(environment="test", database_url=url, secret_key=new_key)
    rotated = build_sessionmaker(build_engine(url), rotated_settings)
    with rotated() as session:
        actor = load_actor(session, session.scalars(select(User).where(User.login == "xianju")).one())
        assert [h.person.id for h in search_residents(session, actor, query=number, page=PageRequest()).items] == [
            person.id
        ]
        assert person.id in {
            h.person.id for h in search_residents(session, actor, query=phone, page=PageRequest()).items
        }
        form = session.scalars(select(ServiceRecord).where(ServiceRecord.form_code == "newborn_visit")).one()
        assert answers_of(session, form)["father_phone"] == FATHER_PHONE
