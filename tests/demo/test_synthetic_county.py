"""The synthetic county (``kangdang demo generate``), generated small on both databases: the same seed gives the
same county, the people and their services look like a county's, and the flaws put in on purpose are found by
quality control and the duplicate search."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kangdang.access.crypto import cipher_for
from kangdang.core.clock import today_local
from kangdang.core.errors import Conflict, InvalidInput
from kangdang.core.idnumber import parse_id_number
from kangdang.db.engine import build_engine, build_sessionmaker, vacuum_after_bulk_load
from kangdang.db.migrate import upgrade
from kangdang.demo import synthetic
from kangdang.demo.synthetic import GeneratedCounty, generate_county
from kangdang.indicators.bundle import load_bundles
from kangdang.indicators.parameters import current_parameters
from kangdang.indicators.quality_rules import record_issues
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.sync import refresh_people
from kangdang.records.catalogue import catalogue
from kangdang.records.context import FormContext
from kangdang.records.engine import evaluate
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import (
    DuplicateCandidate,
    HealthRecord,
    Household,
    HouseholdMember,
    Person,
    ResidentChange,
)
from kangdang.settings import Settings
from tests.conftest import throwaway_database

SIZE = 600
SEED = 11


@dataclass
class County:
    factory: sessionmaker[Session]
    summary: GeneratedCounty


def _generate(url: str, *, seed: int, today: date) -> County:
    settings = Settings(environment="test", database_url=url)
    engine = build_engine(url)
    upgrade(engine)
    factory = build_sessionmaker(engine, settings)
    with factory() as session:
        summary = generate_county(session, residents=SIZE, seed=seed, today=today)
        session.commit()
    return County(factory, summary)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def twins(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[County, County]]:
    """The county generated twice with the same seed, in two empty databases of one backend."""
    today = today_local()
    folder = tmp_path_factory.mktemp("synthetic")
    with throwaway_database(request.param, folder) as first, throwaway_database(request.param, folder) as second:
        yield _generate(first, seed=SEED, today=today), _generate(second, seed=SEED, today=today)


@pytest.fixture(scope="module")
def backend_of_twins(twins: tuple[County, County]) -> str:
    return twins[0].factory.kw["bind"].dialect.name


def fingerprint(session: Session) -> str:
    """Everything a user sees of the county, without the ids and clock times that differ between runs (a form of
    today is signed now: only the day of signing counts)."""
    cipher = cipher_for(session)
    numbers = {
        pid: cipher.decrypt(blob)
        for pid, blob in session.execute(select(Person.id, Person.document_cipher)).all()
        if blob is not None
    }
    people = sorted(
        (numbers.get(pid), name, sex, str(birth), village, number, str(filed), str(complete))
        for pid, name, sex, birth, village, number, filed, complete in session.execute(
            select(
                Person.id,
                Person.name,
                Person.sex,
                Person.birth_date,
                HealthRecord.village_code,
                HealthRecord.record_number,
                HealthRecord.filed_on,
                HealthRecord.filing_complete_on,
            ).join(HealthRecord, HealthRecord.person_id == Person.id)
        )
    )
    forms = sorted(
        (number, code, str(day), json.dumps(answers, sort_keys=True, ensure_ascii=False), str(signed)[:10])
        for number, code, day, answers, signed in session.execute(
            select(
                HealthRecord.record_number,
                ServiceRecord.form_code,
                ServiceRecord.service_date,
                ServiceRecord.answers,
                ServiceRecord.signed_at,
            ).join(HealthRecord, HealthRecord.id == ServiceRecord.record_id)
        )
    )
    episodes = sorted(
        (number, programme, str(enrolled), status, json.dumps(details, sort_keys=True))
        for number, programme, enrolled, status, details in session.execute(
            select(
                HealthRecord.record_number, Episode.programme, Episode.enrolled_on, Episode.status, Episode.details
            ).join(HealthRecord, HealthRecord.id == Episode.record_id)
        )
    )
    tasks = sorted(
        (number, programme, key, status, str(due), str(done))
        for number, programme, key, status, due, done in session.execute(
            select(
                HealthRecord.record_number,
                CareTask.programme,
                CareTask.key,
                CareTask.status,
                CareTask.due_on,
                CareTask.done_on,
            ).join(HealthRecord, HealthRecord.id == CareTask.record_id)
        )
    )
    households = sorted(session.scalars(select(Household.household_number)))
    text = json.dumps([people, forms, episodes, tasks, households], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_same_seed_gives_the_same_county(twins: tuple[County, County]) -> None:
    first, second = twins
    assert first.summary.residents == second.summary.residents == SIZE
    assert first.summary.forms == second.summary.forms > SIZE * 4
    with first.factory() as a, second.factory() as b:
        assert fingerprint(a) == fingerprint(b)


def test_worker_processes_make_the_same_county(
    twins: tuple[County, County], backend_of_twins: str, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A large county's histories are made by worker processes: the county is the same as made in one."""
    monkeypatch.setattr(synthetic, "PARALLEL_FROM", 0)
    with throwaway_database(backend_of_twins, tmp_path) as url:
        parallel = _generate(url, seed=SEED, today=today_local())
        with parallel.factory() as a, twins[0].factory() as b:
            assert fingerprint(a) == fingerprint(b)
        parallel.factory.kw["bind"].dispose()


def test_another_seed_gives_another_county(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    other = _generate(url, seed=SEED + 1, today=today_local())
    with other.factory() as session:
        names = set(session.scalars(select(Person.name)))
    url_same = f"sqlite:///{tmp_path / 'same.sqlite3'}"
    same = _generate(url_same, seed=SEED, today=today_local())
    with same.factory() as session:
        assert len(names & set(session.scalars(select(Person.name)))) < len(names) / 2


def test_people_look_like_a_county(twins: tuple[County, County]) -> None:
    county, _ = twins
    today = today_local()
    with county.factory() as session:
        cipher = cipher_for(session)
        rows = session.execute(
            select(Person.document_cipher, Person.sex, Person.birth_date, Person.residence_type, Person.phone)
        ).all()
        assert len(rows) == SIZE
        consistent = 0
        for blob, sex, birth, residence, _phone in rows:
            parsed = parse_id_number(cipher.decrypt(blob), today=today)
            assert parsed.birth_date == birth
            consistent += parsed.sex == sex
            if residence == "1":
                assert cipher.decrypt(blob).startswith("330521")
        assert consistent >= SIZE - 5  # a legacy entry or two contradicts its number on purpose
        ages = [(today - birth).days // 365 for _blob, _sex, birth, _r, _p in rows]
        assert 0.12 <= sum(a >= 65 for a in ages) / SIZE <= 0.30  # an ageing county
        assert 0.02 <= sum(a < 7 for a in ages) / SIZE <= 0.12
        assert 0.03 <= sum(r == "2" for *_x, r, _p in rows) / SIZE <= 0.2  # migrants (非户籍)
        assert sum(p is not None for *_x, p in rows) / SIZE > 0.5
        sizes = Counter(session.scalars(select(HouseholdMember.household_id)))
        assert 2.0 <= sum(sizes.values()) / len(sizes) <= 3.8  # members per household
        episodes = Counter(session.scalars(select(Episode.programme)))
        adults = sum(a >= 35 for a in ages)
        assert 0.15 <= episodes["hypertension"] / adults <= 0.35
        assert 0.04 <= episodes["diabetes"] / adults <= 0.16
        assert episodes["elderly"] > 0 and episodes["child"] > 0 and episodes["maternal"] > 0


def test_services_span_five_years_follow_the_forms_and_plan_tasks(twins: tuple[County, County]) -> None:
    county, _ = twins
    today = today_local()
    with county.factory() as session:
        days = session.execute(select(func.min(ServiceRecord.service_date), func.max(ServiceRecord.service_date))).one()
        assert days[1] <= today and (today - days[0]).days > 4 * 365
        codes = Counter(session.scalars(select(ServiceRecord.form_code)))
        for code in ("cover", "personal_basic_info", "hypertension_followup", "health_examination"):
            assert codes[code] > 0, code
        # every stored form is what the form engine makes of it (a sample, re-evaluated)
        sample = session.execute(
            select(ServiceRecord, Person.birth_date, Person.sex, HealthRecord.filed_on)
            .join(Person, Person.id == ServiceRecord.person_id)
            .join(HealthRecord, HealthRecord.id == ServiceRecord.record_id)
            .where(ServiceRecord.form_code.in_(("hypertension_followup", "health_examination", "newborn_visit")))
            .limit(40)
        ).all()
        assert sample
        for form, birth, sex, filed in sample:
            definition = catalogue().form(form.form_code)
            context = FormContext(today=today, birth_date=birth, sex=sex, filed_on=filed, previous=None)
            outcome = evaluate(definition, form.answers, context, complete=True)
            assert not outcome.errors, (form.form_code, outcome.errors)
        assert county.summary.tasks == session.scalar(select(func.count()).select_from(CareTask)) > 0
        overdue = session.scalar(
            select(func.count()).select_from(CareTask).where(CareTask.status == "open", CareTask.due_on < today)
        )
        assert overdue  # realistic gaps leave some follow-ups overdue


def test_care_tasks_and_closings_are_what_the_planner_makes(twins: tuple[County, County]) -> None:
    """The tasks were planned in the generator's worker code; re-planning every enrolled resident through
    ``programmes.sync`` (what the app does after each form) finds nothing to add, change or close."""
    county, _ = twins
    with county.factory() as session:
        enrolled = list(session.scalars(select(Episode.person_id).distinct()))
        closed = session.scalar(select(func.count()).select_from(Episode).where(Episode.status == "closed"))
        closings = session.scalar(
            select(func.count()).select_from(ResidentChange).where(ResidentChange.action == "programme.close")
        )
        assert closed == closings > 0
        tasks = session.scalar(select(func.count()).select_from(CareTask))
        assert refresh_people(session, enrolled, today=today_local()) == 0
        assert session.scalar(select(func.count()).select_from(CareTask)) == tasks
        assert session.scalar(select(func.count()).select_from(Episode).where(Episode.status == "closed")) == closed
        session.rollback()


def test_flaws_on_purpose_are_found(twins: tuple[County, County]) -> None:
    county, _ = twins
    with county.factory() as session:
        assert county.summary.duplicates == SIZE // 251
        assert session.scalar(select(func.count()).select_from(DuplicateCandidate)) >= county.summary.duplicates
        villages = sorted(set(session.scalars(select(HealthRecord.village_code))))
        params = current_parameters(session, "330521")
        rules = Counter(
            issue.rule
            for bundle in load_bundles(session, villages, since=date(2000, 1, 1))
            for issue in record_issues(bundle, params)
        )
        assert rules["basic_info_missing"] > 0
        assert rules["basic_info_empty"] > 0
        assert any("late" in rule for rule in rules), rules


def test_generating_again_or_out_of_range_is_refused(twins: tuple[County, County]) -> None:
    county, _ = twins
    with county.factory() as session:
        with pytest.raises(Conflict, match="空数据库"):
            generate_county(session, residents=10, seed=1)
        session.rollback()
        with pytest.raises(InvalidInput) as refused:
            generate_county(session, residents=0, seed=1)
        assert refused.value.errors[0].field == "residents"


def test_a_generated_county_on_postgresql_is_vacuumed_for_index_only_scans(twins: tuple[County, County]) -> None:
    """After a bulk load the visibility map is empty (where autovacuum is off it stays so): every index-only count
    would read the table. ``vacuum_after_bulk_load`` (run by ``kangdang demo generate``) fills it."""
    engine = twins[0].factory.kw["bind"]
    if engine.dialect.name != "postgresql":
        vacuum_after_bulk_load(engine)  # nothing to do on SQLite, and no error
        return
    vacuum_after_bulk_load(engine)
    with engine.connect() as connection:
        visible = connection.exec_driver_sql(
            "SELECT relallvisible, relpages FROM pg_class WHERE relname = 'care_task'"
        ).one()
    assert visible[1] > 0 and visible[0] > 0
