"""Recounting villages, read-only: their base cells (``indicators.tally``) and their records' quality rows, from
their bundles, batch by batch — in this process, or (a full recompute on PostgreSQL, when asked) in worker
processes while this one writes. ``indicators.refresh`` stores what is found.

Worker processes read what is committed, in their own connections; they are used only when the caller's
transaction has written nothing yet (so there is nothing of its own they could miss), and they give the very
figures this process would (``tests/indicators/test_recount_workers.py``).
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from kangdang.db.engine import build_engine, build_sessionmaker, settings_of
from kangdang.indicators.bundle import Bundle, load_bundles
from kangdang.indicators.evaluate import applicable, reach_back
from kangdang.indicators.parameters import current_parameters
from kangdang.indicators.periods import stored_periods
from kangdang.indicators.quality_rules import Issue, quality_on, record_issues
from kangdang.indicators.tally import CellKey, PeriodGrid, Tally
from kangdang.residents.models import HealthRecord
from kangdang.settings import Settings

BATCH_RECORDS = 10_000  # records per batch of a full recompute: bounded memory, and queries that use the indexes
QUALITY_COLUMNS = ("record_id", "person_id", "village_code", "institution_id", "status", "reasons", "checked_on")


@dataclass
class VillageFigures:
    """What a recount of some villages found, before it is written."""

    cells: dict[CellKey, list[int]] = field(default_factory=dict)
    quality: list[tuple[Any, ...]] = field(default_factory=list)  # rows of QUALITY_COLUMNS, open records only

    def packed(self) -> PackedFigures:
        """For the trip from a worker process: the ids as plain integers. Pickling a UUID goes through its
        ``__getstate__`` and an enum, 8 µs each (1.5 million per county recount); an int is copied."""
        cells = {
            (indicator, period, village, inst.int): n for (indicator, period, village, inst), n in self.cells.items()
        }
        return PackedFigures(cells, [(a.int, b.int, v, i.int, *rest) for a, b, v, i, *rest in self.quality])


@dataclass
class PackedFigures:
    """``VillageFigures`` with integers for ids, as a worker process sends them."""

    cells: dict[tuple[str, str, str, int], list[int]]
    quality: list[tuple[Any, ...]]

    def unpacked(self) -> VillageFigures:
        """The figures with their ids as UUIDs again (the few institutions made once each)."""
        institutions: dict[int, UUID] = {}

        def institution(number: int) -> UUID:
            found = institutions.get(number)
            if found is None:
                found = institutions[number] = UUID(int=number)
            return found

        cells = {(ind, period, village, institution(inst)): n for (ind, period, village, inst), n in self.cells.items()}
        quality = [(UUID(int=a), UUID(int=b), v, institution(i), *rest) for a, b, v, i, *rest in self.quality]
        return VillageFigures(cells, quality)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is built and written: its objects (bundles, forms, rows)
    all live until then, so collecting meanwhile finds nothing and costs half the time. Reference counting still
    frees everything; the collector resumes afterwards (if it ran before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def village_batches(session: Session, county: str, villages: list[str]) -> list[list[str]]:
    """The villages (in order) in batches of about ``BATCH_RECORDS`` records (a larger village alone)."""
    sizes = {
        code: count
        for code, count in session.execute(
            select(HealthRecord.village_code, func.count())
            .where(HealthRecord.village_code.startswith(county))
            .group_by(HealthRecord.village_code)
        )
    }
    batches: list[list[str]] = []
    size = 0
    for code in villages:
        if not batches or size + sizes.get(code, 0) > BATCH_RECORDS:
            batches.append([])
            size = 0
        batches[-1].append(code)
        size += sizes.get(code, 0)
    return batches


def _quality_row(bundle: Bundle, issues: list[Issue], today: date) -> tuple[Any, ...]:
    quality = quality_on(issues, today)
    reasons = [{"rule": i.rule, "text": i.text, "form": i.form} for i in quality.issues]
    return (
        bundle.record_id,
        bundle.person_id,
        bundle.village_code,
        bundle.institution_id,
        quality.status,
        reasons,
        today,
    )


def compute_villages(session: Session, codes: list[str], *, today: date, cells: bool = True) -> VillageFigures:
    """The base cells (unless ``cells`` is false) and the quality rows of these villages."""
    grids: dict[str, PeriodGrid] = {}
    periods = stored_periods(today)
    since = reach_back(periods)
    tally = Tally()
    found = VillageFigures()
    for bundle in load_bundles(session, codes, since=since):
        county = bundle.village_code[:6]
        grid = grids.get(county) or grids.setdefault(
            county, PeriodGrid(periods, today, current_parameters(session, county))
        )
        issues = record_issues(bundle, grid.params)
        if bundle.active_at(today):
            found.quality.append(_quality_row(bundle, issues, today))
        if cells:
            tally.add(bundle, grid, issues, applicable(bundle, since, today, grid.params))
    found.cells = tally.cells()
    return found


def recounted(
    session: Session, batches: list[list[str]], *, today: date, cells: bool = True, workers: int = 1
) -> Iterator[tuple[list[str], VillageFigures]]:
    """Each batch with what it holds, in order, the collector paused until the caller asks for the next one.
    With ``workers`` > 1 the batches are counted by that many worker processes: the caller makes sure first
    that they read what the session would (``may_share``)."""
    if workers > 1 and len(batches) > 1:
        yield from _by_workers(session, batches, today=today, cells=cells, workers=workers)
        return
    for batch in batches:
        with paused_gc():
            yield batch, compute_villages(session, batch, today=today, cells=cells)


def may_share(session: Session) -> bool:
    """Whether other connections would read what this session reads: PostgreSQL, and nothing written (or waiting
    to be written) in its transaction yet."""
    if session.get_bind().dialect.name != "postgresql" or session.new or session.dirty or session.deleted:
        return False
    return session.execute(text("SELECT pg_current_xact_id_if_assigned() IS NULL")).scalar_one() is True


def _by_workers(
    session: Session, batches: list[list[str]], *, today: date, cells: bool, workers: int
) -> Iterator[tuple[list[str], VillageFigures]]:
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")  # safe from any thread; the workers open their own connections
    with context.Pool(workers, initializer=_start_worker, initargs=(url, settings_of(session))) as pool:
        pending: deque[Any] = deque()
        queue = iter(batches)
        for batch in queue:  # keep each worker busy with one batch and one more waiting
            pending.append((batch, pool.apply_async(_count_batch, (batch, today, cells))))
            if len(pending) >= 2 * workers:
                break
        while pending:
            batch, result = pending.popleft()
            figures = result.get().unpacked()
            following = next(queue, None)
            if following is not None:
                pending.append((following, pool.apply_async(_count_batch, (following, today, cells))))
            with paused_gc():
                yield batch, figures


_worker_sessions: sessionmaker[Session] | None = None


def _start_worker(url: str, settings: Settings) -> None:
    global _worker_sessions
    _worker_sessions = build_sessionmaker(build_engine(url), settings)


def _count_batch(batch: list[str], today: date, cells: bool) -> PackedFigures:
    assert _worker_sessions is not None, "worker not started"
    with _worker_sessions() as session, paused_gc():
        return compute_villages(session, batch, today=today, cells=cells).packed()
