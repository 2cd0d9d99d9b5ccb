"""The bulk paths, run in-process on the same database with sessions from ``build_sessionmaker``: the residents
import through the Excel/CSV path (the functions ``kangdang import residents`` uses), the full indicator
recompute, the incremental refresh after one signed form, and the quality check of all records."""

from __future__ import annotations

import csv
import io
import random
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import kangdang.db.models  # noqa: F401 - every domain's tables (the import path and the indicators need them)
from kangdang.access.actor import system_actor
from kangdang.access.models import User
from kangdang.bench.figures import Figure
from kangdang.bench.http_ops import followup_answers
from kangdang.bench.picks import COUNTY, NewPerson, Picks, fresh_people
from kangdang.db.uow import transaction
from kangdang.exchange.resident_table import COLUMNS, read_resident_table
from kangdang.institutions.actors import load_actor
from kangdang.records.service import save_form
from kangdang.residents.bulk import import_residents
from kangdang.residents.models import HealthRecord
from kangdang.residents.search import prefix

IMPORT_SHARE = 0.05  # the import file holds 5 % of the county's size …
IMPORT_MIN_ROWS = 200  # … and at least this many rows
WORKERS = 2  # recompute and quality check count in this many processes (PostgreSQL; SQLite uses this one)


def import_rows(size: int) -> int:
    return max(IMPORT_MIN_ROWS, round(size * IMPORT_SHARE))


def resident_csv(people: Sequence[NewPerson], villages: Sequence[str], *, rng: random.Random) -> bytes:
    """A residents table (居民批量建档表) as CSV: the template's headers, households of 1–4 people in one
    village each (a head, a spouse, children), UTF-8 with a BOM as Excel saves it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.title for column in COLUMNS])
    index, household = 0, 0
    while index < len(people):
        household += 1
        village = rng.choice(villages)
        members = people[index : index + rng.choice((1, 2, 3, 3, 4))]
        index += len(members)
        for position, person in enumerate(members):
            child = "子" if person.sex == "1" else "女"
            relationship = "户主" if position == 0 else "配偶" if position == 1 else child
            cells = {
                "document_number": person.id_number,
                "name": person.name,
                "sex": "男" if person.sex == "1" else "女",
                "birth_date": person.birth_date.isoformat(),
                "phone": person.phone,
                "current_region_code": village,
                "current_address": f"{household % 20 + 1} 组 {household % 150 + 1} 号",
                "household": f"B{household}",
                "relationship": relationship,
            }
            writer.writerow([cells.get(column.key, "") for column in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def _failed(key: str, error: BaseException) -> Figure:
    return Figure(key, error=f"{error.__class__.__name__}: {error}"[:500])


def bulk_import(factory: sessionmaker[Session], *, size: int, rng: random.Random, workdir: Path) -> Figure:
    """Residents per second through the CSV import: reading the file, checking every row, writing, commit."""
    try:
        with factory() as session:
            villages = sorted(
                session.scalars(
                    select(HealthRecord.village_code).where(prefix(HealthRecord.village_code, COUNTY)).distinct()
                )
            )
            people = fresh_people(session, import_rows(size), rng=rng, village_codes=villages)
        path = workdir / f"import-{size}.csv"
        path.write_bytes(resident_csv(people, villages, rng=rng))
        started = time.perf_counter()
        with transaction(factory) as session:
            rows = read_resident_table(path.name, path.read_bytes())
            result = import_residents(session, system_actor(), rows, filename=path.name)
        seconds = time.perf_counter() - started
    except Exception as exc:
        return _failed("bulk_import", exc)
    figure = Figure(
        "bulk_import",
        value=result.created / seconds,
        samples=len(rows),
        note=f"{len(rows):,} rows, {result.households_created:,} households in {seconds:.2f} s "
        "(read, check, write, commit)",
        detail={"rows": len(rows), "created": result.created, "seconds": round(seconds, 3)},
    )
    if result.created != len(people):
        figure.error = f"导入 {result.created} 人，应为 {len(people)} 人 (created {result.created} of {len(people)})"
    return figure


def _timed(work: Callable[[Session], int], factory: sessionmaker[Session]) -> tuple[int, float]:
    started = time.perf_counter()
    with transaction(factory) as session:
        done = work(session)
    return done, time.perf_counter() - started


def recompute(factory: sessionmaker[Session], *, today: date) -> Figure:
    from kangdang.indicators.refresh import recompute_all

    try:
        villages, seconds = _timed(lambda s: recompute_all(s, county=COUNTY, today=today, workers=WORKERS), factory)
    except Exception as exc:
        return _failed("recompute_all", exc)
    return Figure(
        "recompute_all",
        value=seconds,
        note=f"{villages} villages (commit included)",
        detail={"villages": villages, "seconds": round(seconds, 3)},
    )


def incremental_refresh(factory: sessionmaker[Session], picks: Picks, *, today: date, rng: random.Random) -> Figure:
    """Sign one follow-up form through the service (as yisheng), then time the refresh of what it marked."""
    from kangdang.indicators.refresh import refresh_dirty

    try:
        with transaction(factory) as session:
            user = session.scalar(select(User).where(User.login == "yisheng"))
            if user is None:
                raise LookupError("no account yisheng")
            record_id = uuid.UUID(rng.choice(picks.hypertension).record_id)
            save_form(session, load_actor(session, user), record_id, "hypertension_followup",
                      followup_answers(today, rng), sign=True)  # fmt: skip
        villages, seconds = _timed(lambda s: refresh_dirty(s, today=today), factory)
    except Exception as exc:
        return _failed("refresh_incremental", exc)
    figure = Figure("refresh_incremental", value=seconds, note=f"{villages} village(s) refreshed (commit included)")
    if villages < 1:
        figure.error = "表单签名后没有村被标记 no village was marked by the signed form"
    return figure


def quality_check(factory: sessionmaker[Session], *, today: date) -> Figure:
    try:
        from kangdang.indicators.refresh import recheck_quality

        records, seconds = _timed(lambda s: recheck_quality(s, county=COUNTY, today=today, workers=WORKERS), factory)
    except Exception as exc:
        return _failed("quality_check", exc)
    figure = Figure(
        "quality_check",
        value=records / seconds if seconds > 0 else None,
        samples=records,
        note=f"{records:,} records in {seconds:.2f} s (commit included)",
    )
    if records < 1:
        figure.error = "没有检查任何档案 no record checked"
    return figure
