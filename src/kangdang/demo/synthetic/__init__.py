"""A synthetic county on the real 德清县 (330521) division codes, at any size (``kangdang demo generate``): the
demo's institutions, staff and accounts, then N residents in households with five years of services.

The residents go in through the bulk import (the same path as an Excel/CSV import), in batches of households.
Each filed resident's forms, episodes, history rows and care tasks (planned as ``programmes.sync`` plans them)
are made by ``rows.resident_rows`` — in worker processes for a large county, which make one batch while this
process writes the previous one — and written with ``db.bulk.insert_rows`` (COPY on PostgreSQL). The loaded
tables' foreign keys, and the secondary indexes of those the generation does not read, are added back once at
the end (``db.bulk_load``). One transaction: the caller commits. The same seed (and day) gives the same county.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from kangdang.access.actor import system_actor
from kangdang.access.audit import record_event
from kangdang.access.crypto import cipher_for
from kangdang.core.clock import today_local, utcnow
from kangdang.core.errors import Conflict, FieldError, InvalidInput
from kangdang.db.bulk import insert_rows, table_of
from kangdang.db.bulk_load import upkeep_deferred
from kangdang.db.copy_text import copy_blocks
from kangdang.demo.county import COUNTY_CODE, _demo_population, load_demo_structure
from kangdang.demo.forms import _Resident
from kangdang.demo.programmes import village_doctors
from kangdang.demo.synthetic import defects
from kangdang.demo.synthetic.population import SynthPerson, people
from kangdang.demo.synthetic.rows import TABLES, Job, ResidentRows, resident_rows
from kangdang.records.catalogue import catalogue
from kangdang.regions.codes import Level
from kangdang.regions.models import Region
from kangdang.residents.bulk import import_residents
from kangdang.residents.bulk_write import chunked
from kangdang.residents.duplicates import detect_duplicates
from kangdang.residents.models import HealthRecord, Household, HouseholdMember, Person, PersonSearchKey

BATCH = 20_000  # residents per import batch
MAX_RESIDENTS = 2_000_000
RECORD_TABLE = table_of(HealthRecord)
PERSON_TABLE = table_of(Person)
IMPORTED = tuple(table_of(model) for model in (Person, PersonSearchKey, HealthRecord, Household, HouseholdMember))

Progress = Callable[[str, int, int], None]  # stage, done, total


@dataclass
class GeneratedCounty:
    residents: int = 0
    households: int = 0
    duplicates: int = 0
    forms: int = 0
    episodes: int = 0
    tasks: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage


def generate_county(
    session: Session, *, residents: int, seed: int, today: date | None = None, progress: Progress | None = None
) -> GeneratedCounty:
    """Build the synthetic county in an empty database (refused when 德清县 has residents already)."""
    if not 1 <= residents <= MAX_RESIDENTS:
        raise InvalidInput(errors=[FieldError("residents", f"居民人数：请填写 1 至 {MAX_RESIDENTS:,} 之间的整数")])
    today = today or today_local()
    note = progress or (lambda _stage, _done, _total: None)
    summary = GeneratedCounty()
    clock = _Clock(summary)
    load_demo_structure(session)
    if session.scalar(select(HealthRecord.id).where(HealthRecord.village_code.startswith(COUNTY_CODE)).limit(1)):
        raise Conflict("德清县已有居民档案：合成县只能生成在空数据库中（新建数据库后先运行 kangdang db upgrade）")
    clock.lap("structure")
    villages = [
        (code, name, area)
        for code, name, area in session.execute(
            select(Region.code, Region.name, Region.area_type)
            .where(Region.code.startswith(COUNTY_CODE), Region.level == Level.VILLAGE)
            .order_by(Region.code)
        )
    ]
    duplicates = residents // 251  # one person in about 250 is filed twice
    loaded = upkeep_deferred(session, indexes_of=TABLES, foreign_keys_of=(*TABLES, *IMPORTED))
    with loaded, _history_pool(residents) as pool:
        writer = _Writer(session, seed, today, village_doctors(session), pool)
        waiting: _Started | None = None
        for number, batch in enumerate(_batches(villages, residents - duplicates, duplicates, seed, today), start=1):
            started = writer.start(number, batch, summary)  # the workers make this batch …
            if waiting is not None:
                writer.finish(waiting, summary)  # … while this process writes the one before
                note("居民、服务记录与随访任务", summary.residents, residents)
            waiting = started
        if waiting is not None:
            writer.finish(waiting, summary)
            note("居民、服务记录与随访任务", summary.residents, residents)
        clock.lap("residents, forms and tasks")
    clock.lap("indexes and foreign keys")  # built and validated once, at the end (``db.bulk_load``)
    detect_duplicates(session, system_actor(), region_prefix=COUNTY_CODE)
    clock.lap("duplicate search")
    _demo_population(
        session, system_actor(), list(session.scalars(select(Region).where(Region.code.in_([v[0] for v in villages]))))
    )
    record_event(
        session,
        system_actor(),
        "demo.generate",
        subject_type="region",
        subject_id=COUNTY_CODE,
        details={"residents": summary.residents, "seed": seed, "forms": summary.forms, "episodes": summary.episodes},
    )
    session.flush()
    clock.lap("population")
    if session.get_bind().dialect.name == "postgresql":
        # statistics for every table filled, as after any bulk load: the planner must not take a county for the
        # empty database it was (autovacuum would get there later, and not at all where it is turned off)
        session.execute(text("ANALYZE"))
        clock.lap("statistics")
    return summary


PARALLEL_FROM = 20_000  # residents from which their rows are made by worker processes


@contextmanager
def _history_pool(residents: int) -> Iterator[multiprocessing.pool.Pool | None]:
    """Worker processes (one per core, forked) that make the residents' rows — the form engine and the care
    plans are most of the work — while this process files the next batch and writes the last one; none for a
    small county or where fork is unavailable."""
    cores = os.cpu_count() or 1
    if residents < PARALLEL_FROM or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    catalogue()  # loaded once, before the fork, and shared
    with multiprocessing.get_context("fork").Pool(processes=min(cores, 4)) as pool:
        yield pool


class _Clock:
    def __init__(self, summary: GeneratedCounty) -> None:
        self.summary, self.last = summary, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.summary.seconds[stage] = round(now - self.last, 2)
        self.last = now


def _batches(
    villages: list[tuple[str, str, str | None]], count: int, duplicates: int, seed: int, today: date
) -> Iterator[list[SynthPerson]]:
    """Households in batches of about ``BATCH`` residents; every 250th person is also filed a second time
    (until ``duplicates`` are made), in a village drawn from the seed."""
    rng = random.Random(f"{seed}:duplicates")
    used: set[str] = set()
    batch: list[SynthPerson] = []
    index = made = 0
    for household in people(villages, count, seed=seed, today=today):
        for person in household:
            batch.append(person)
            index += 1
            if index % 250 == 0 and made < duplicates:
                village = rng.choice(villages)[0]
                batch.append(defects.duplicate_of(rng, person, village, used, today))
                made += 1
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class _Started:
    """A batch filed, whose rows the workers are making."""

    number: int
    rows: Any  # the pool's AsyncResult of list[ResidentRows], or the list itself
    wrong_sex: list[dict[str, Any]]


class _Writer:
    """Files each batch through the import, has each resident's rows made (by the workers), then writes them."""

    def __init__(
        self,
        session: Session,
        seed: int,
        today: date,
        doctors: dict[str, tuple[uuid.UUID | None, str]],
        pool: multiprocessing.pool.Pool | None,
    ) -> None:
        self.session, self.seed, self.today, self.doctors, self.pool = session, seed, today, doctors, pool
        self.cipher = cipher_for(session)
        self.actor = system_actor()
        self.analysed_at = 0  # residents when the tables were last analysed
        self.encode = session.get_bind().dialect.name == "postgresql"  # rows come back as COPY blocks

    def start(self, number: int, batch: list[SynthPerson], summary: GeneratedCounty) -> _Started:
        rows = [replace(p.row, row=index + 2) for index, p in enumerate(batch)]
        result = import_residents(self.session, self.actor, rows, filename=f"合成县（种子 {self.seed}）第 {number} 批")
        summary.residents += result.created
        summary.households += result.households_created
        summary.duplicates += sum(1 for p in batch if p.row.household is None)
        self._keep_statistics(summary.residents)
        records = self._records(batch)
        rng = random.Random(f"{self.seed}:wrong-sex:{number}")
        jobs, wrong_sex = [], []
        for person in batch:
            found = records.get(self.cipher.blind_index(person.id_number))
            if found is None:
                continue
            resident, doctor_id = found
            sex = resident.sex
            if rng.random() < defects.WRONG_SEX_SHARE:
                sex = "2" if resident.sex == "1" else "1"
                wrong_sex.append({"pid": resident.person_id, "sex": sex})
            seed, login = self.seed, self.actor.login
            jobs.append(
                Job(resident, sex, doctor_id, person.conditions, seed, person.id_number, self.today, login, self.encode)
            )
        made = self.pool.map_async(resident_rows, jobs, chunksize=200) if self.pool else list(map(resident_rows, jobs))
        return _Started(number, made, wrong_sex)

    def finish(self, started: _Started, summary: GeneratedCounty) -> None:
        made: list[ResidentRows] = started.rows if isinstance(started.rows, list) else started.rows.get()
        for index, table in enumerate(TABLES):
            if self.encode:
                copy_blocks(self.session, table, [rows.blocks[index] for rows in made])
            else:
                insert_rows(self.session, table, [row for rows in made for row in rows.by_table()[index]])
        self._filed([(rows.record_id, rows.filing_complete_on) for rows in made if rows.filing_complete_on])
        connection = self.session.connection()
        if started.wrong_sex:
            connection.execute(
                update(PERSON_TABLE).where(PERSON_TABLE.c.id == bindparam("pid")).values(sex=bindparam("sex")),
                started.wrong_sex,
            )
        summary.forms += sum(rows.counts[0] for rows in made)
        summary.episodes += sum(rows.counts[1] for rows in made)
        summary.tasks += sum(rows.counts[2] for rows in made)

    def _filed(self, filings: list[tuple[uuid.UUID, date]]) -> None:
        """The day each record's filing became complete (from its forms): on PostgreSQL one statement joining
        the pairs as arrays (twice as fast as 20,000 single updates), elsewhere the driver's executemany."""
        if not filings:
            return
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "UPDATE health_record AS h SET filing_complete_on = v.day, updated_at = :now"
                    " FROM unnest(CAST(:ids AS uuid[]), CAST(:days AS date[])) AS v(rid, day) WHERE h.id = v.rid"
                ),
                {"now": utcnow(), "ids": [rid for rid, _day in filings], "days": [day for _rid, day in filings]},
            )
            return
        connection.execute(
            update(RECORD_TABLE)
            .where(RECORD_TABLE.c.id == bindparam("rid"))
            .values(filing_complete_on=bindparam("day")),
            [{"rid": rid, "day": day} for rid, day in filings],
        )

    def _keep_statistics(self, residents: int) -> None:
        """PostgreSQL plans the next batch's lookups by the tables' statistics, which a transaction that has
        filed thousands of residents into empty tables would leave at "empty" (one row: scan it). ANALYZE sees
        this transaction's rows; run whenever the residents have doubled since the last time."""
        if self.session.get_bind().dialect.name != "postgresql" or residents < 2 * max(self.analysed_at, 5000):
            return
        self.session.execute(text("ANALYZE person, health_record, household, household_member"))
        self.analysed_at = residents

    def _records(self, batch: list[SynthPerson]) -> dict[str, tuple[_Resident, uuid.UUID | None]]:
        """The batch's residents as filed, with their village doctor, by the blind index of their number."""
        indexes = [self.cipher.blind_index(p.id_number) for p in batch]
        found: dict[str, tuple[_Resident, uuid.UUID | None]] = {}
        for part in chunked(indexes):
            for index, record_id, person_id, birth, sex, filed_on, institution, village in self.session.execute(
                select(
                    Person.document_index,
                    HealthRecord.id,
                    Person.id,
                    Person.birth_date,
                    Person.sex,
                    HealthRecord.filed_on,
                    HealthRecord.managing_institution_id,
                    HealthRecord.village_code,
                )
                .join(HealthRecord, HealthRecord.person_id == Person.id)
                .where(Person.document_index.in_(part))
            ):
                doctor_id, doctor = self.doctors.get(village, (None, "公卫医生"))
                found[index or ""] = (
                    _Resident(record_id, person_id, birth, sex, filed_on, institution, doctor, village),
                    doctor_id,
                )
        return found


__all__ = ["GeneratedCounty", "generate_county"]
