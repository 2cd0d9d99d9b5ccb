"""Keeping the figures current: a village's base cells and its records' quality are recomputed from its bundles
(``recount``, with the rules of ``tally`` and ``quality_rules``) and stored (``recompute_villages``), then the
figures of the units it belongs to are summed again (``rollup``).

- Incremental: every change to a record, a form, an episode or a person marks its village (``listeners``); the
  app's refresher (and ``kangdang indicators refresh``) takes the marks and recomputes those villages only, so a
  signed form shows in the figures within seconds.
- Full: ``recompute_all`` recomputes every village of a county in batches, with progress in ``IndicatorRun``;
  run nightly (the current period is judged as of today) and after a parameter changes. Both paths run the same
  code on the same villages, so the incremental figures equal a full recount.
- Quality only: ``recheck_quality`` stores every record's quality status without the figures.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import String, Text, and_, cast, delete, func, or_, select, tuple_, type_coerce, update
from sqlalchemy.orm import Session, sessionmaker

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import utcnow
from kangdang.core.errors import Conflict, FieldError, InvalidInput, NotFound
from kangdang.db.bulk import insert_rows
from kangdang.indicators.models import (
    CELL_TABLE,
    QUALITY_TABLE,
    IndicatorCell,
    IndicatorDirty,
    IndicatorRun,
    RecordQuality,
)
from kangdang.indicators.recount import (
    QUALITY_COLUMNS,
    CellKey,
    VillageFigures,
    compute_villages,
    may_share,
    paused_gc,
    recounted,
    village_batches,
)
from kangdang.indicators.rollup import refresh_values
from kangdang.residents.models import HealthRecord


def _store_quality(session: Session, codes: list[str], rows: list[tuple[Any, ...]], *, today: date) -> None:
    """Make the quality rows of these villages' records those given (a record that moved leaves its old row
    behind, which goes too). Most rows stay as they were, so only the changed ones are deleted and inserted
    again, and the others get today's ``checked_on`` in one UPDATE (no index or foreign key to check)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    reasons = type_coerce(RecordQuality.reasons, String) if sqlite else cast(RecordQuality.reasons, Text)
    columns = [reasons if name == "reasons" else getattr(RecordQuality, name) for name in QUALITY_COLUMNS]
    checked = and_(
        HealthRecord.village_code.in_(codes),
        HealthRecord.filed_on <= today,
        or_(HealthRecord.closed_on.is_(None), HealthRecord.closed_on > today),
    )
    moved = select(*columns).join(HealthRecord, HealthRecord.id == RecordQuality.record_id)
    stored = {
        row[0]: (*row[:5], [] if row[5] == "[]" else json.loads(row[5]), row[6])  # most have no reasons
        for query in (
            select(*columns).where(RecordQuality.village_code.in_(codes)),
            moved.where(checked, RecordQuality.village_code.not_in(codes)),
        )
        for row in session.execute(query)
    }
    wanted = {row[0]: row for row in rows}
    fresh = [row for key, row in wanted.items() if key not in stored or stored[key][1:6] != row[1:6]]  # but the day
    stale = [key for key in stored if key not in wanted] + [row[0] for row in fresh if row[0] in stored]
    for index in range(0, len(stale), 1000):
        session.execute(delete(RecordQuality).where(RecordQuality.record_id.in_(stale[index : index + 1000])))
    insert_rows(session, QUALITY_TABLE, [dict(zip(QUALITY_COLUMNS, row, strict=True)) for row in fresh])
    session.execute(
        update(RecordQuality)
        .where(RecordQuality.village_code.in_(codes), RecordQuality.checked_on != today)
        .values(checked_on=today)
    )


def _store_cells(session: Session, codes: list[str], cells: dict[CellKey, list[int]]) -> set[uuid.UUID]:
    """Make the base cells of these villages those given; returns the institutions named before. Most cells keep
    their figures from one recompute to the next (past periods), so when few changed only those are rewritten."""
    key = tuple_(
        IndicatorCell.indicator, IndicatorCell.period, IndicatorCell.village_code, IndicatorCell.institution_id
    )
    rows = session.execute(
        select(
            IndicatorCell.indicator,
            IndicatorCell.period,
            IndicatorCell.village_code,
            IndicatorCell.institution_id,
            IndicatorCell.numerator,
            IndicatorCell.denominator,
        ).where(IndicatorCell.village_code.in_(codes))
    )
    stored: dict[CellKey, tuple[int, int]] = {(i, p, v, inst): (n, d) for i, p, v, inst, n, d in rows}
    changed = [cell for cell, figures in cells.items() if stored.get(cell) != tuple(figures)]
    stale = [cell for cell in stored if cell not in cells] + [cell for cell in changed if cell in stored]
    if len(stale) > len(stored) // 2:
        session.execute(delete(IndicatorCell).where(IndicatorCell.village_code.in_(codes)))
        changed = list(cells)
    else:
        for index in range(0, len(stale), 500):
            session.execute(delete(IndicatorCell).where(key.in_(stale[index : index + 500])))
    columns = ("indicator", "period", "village_code", "institution_id", "numerator", "denominator")
    insert_rows(session, CELL_TABLE, [dict(zip(columns, (*cell, *cells[cell]), strict=True)) for cell in changed])
    return {cell[3] for cell in stored}


def store_villages(session: Session, codes: list[str], figures: VillageFigures, *, today: date) -> set[uuid.UUID]:
    """Write what ``compute_villages`` found; returns the institutions the cells name (before and after)."""
    before = _store_cells(session, codes, figures.cells)
    _store_quality(session, codes, figures.quality, today=today)
    return before | {key[3] for key in figures.cells}


def recompute_villages(session: Session, villages: Iterable[str], *, today: date) -> set[uuid.UUID]:
    """Replace the base cells and quality rows of these villages; returns the institutions their cells name
    (before and after), whose figures the caller sums again."""
    codes = sorted(set(villages))
    if not codes:
        return set()
    with paused_gc():
        return store_villages(session, codes, compute_villages(session, codes, today=today), today=today)


def refresh_villages(session: Session, villages: Iterable[str], *, today: date) -> int:
    """Recompute these villages and the figures of every unit they touch; returns the figure rows written."""
    codes = {c for c in villages if c}
    if not codes:
        return 0
    institutions: set[uuid.UUID] = set()
    by_county: dict[str, list[str]] = {}
    for code in sorted(codes):
        by_county.setdefault(code[:6], []).append(code)
    for county, chosen in by_county.items():
        # batches of about BATCH_RECORDS records: memory stays bounded when a whole county is marked (after a
        # bulk import or a generated county, 500,000 residents' bundles at once took 4 GB)
        for batch in village_batches(session, county, chosen):
            institutions |= recompute_villages(session, batch, today=today)
    written = refresh_values(session, villages=codes, institutions=institutions)
    session.flush()
    return written


def refresh_dirty(session: Session, *, today: date, limit: int = 200) -> int:
    """Take up to ``limit`` of the villages marked since the last refresh, with all their marks, and recompute
    them; returns how many villages.

    Everything is read before anything is written (a transaction that reads first takes SQLite's write lock
    only to store). Deletes exactly the marks it read: a change committed meanwhile leaves a newer mark for the
    next round."""
    marked = (  # the longest waiting first
        select(IndicatorDirty.village_code)
        .group_by(IndicatorDirty.village_code)
        .order_by(func.min(IndicatorDirty.marked_at), IndicatorDirty.village_code)
        .limit(limit)
    )
    marks = session.execute(
        select(IndicatorDirty.id, IndicatorDirty.village_code).where(IndicatorDirty.village_code.in_(marked))
    ).all()
    if not marks:
        return 0
    villages = {code for _id, code in marks if len(code) == 12}
    refresh_villages(session, villages, today=today)
    ids = [mark_id for mark_id, _code in marks]
    for index in range(0, len(ids), 500):
        session.execute(delete(IndicatorDirty).where(IndicatorDirty.id.in_(ids[index : index + 500])))
    session.flush()
    return len(villages)


def county_villages(session: Session, county: str) -> list[str]:
    """The villages of the county that have (or had) health records."""
    return sorted(
        session.scalars(
            select(HealthRecord.village_code).where(HealthRecord.village_code.startswith(county)).distinct()
        )
    )


def recompute_all(
    session: Session,
    *,
    county: str,
    today: date,
    run: IndicatorRun | None = None,
    commit: Callable[[], None] | None = None,
    workers: int = 1,
) -> int:
    """Recompute every village of the county from scratch (in batches; ``commit`` after each batch, when given,
    makes the progress visible); returns the number of villages. ``workers`` > 1 counts the batches in that many
    processes (PostgreSQL, and only while this transaction has written nothing: else in this process)."""
    workers = workers if workers > 1 and may_share(session) else 1
    villages = county_villages(session, county)
    stale = session.scalars(
        select(IndicatorCell.village_code).where(IndicatorCell.village_code.startswith(county)).distinct()
    )
    villages = sorted(set(villages) | set(stale))
    if run is not None:
        run.total_units, run.done_units = len(villages), 0
    marks = list(session.scalars(select(IndicatorDirty.id).where(IndicatorDirty.village_code.startswith(county))))
    institutions: set[uuid.UUID] = set()
    for batch, figures in recounted(session, village_batches(session, county, villages), today=today, workers=workers):
        institutions |= store_villages(session, batch, figures, today=today)
        if run is not None:
            run.done_units += len(batch)
        if commit is not None:
            commit()
    refresh_values(session, villages=set(villages), institutions=institutions)
    for index in range(0, len(marks), 500):
        session.execute(delete(IndicatorDirty).where(IndicatorDirty.id.in_(marks[index : index + 500])))
    if run is not None:
        run.status, run.finished_at = "done", utcnow()
    session.flush()
    return len(villages)


def recheck_quality(session: Session, *, county: str, today: date, workers: int = 1) -> int:
    """Run the quality rules over every record of the county and store each open record's status and reasons
    (``RecordQuality``), as a full recompute does but without the figures; returns the records checked (those
    open today, whose status is stored). ``workers`` as for ``recompute_all``."""
    workers = workers if workers > 1 and may_share(session) else 1
    villages = set(county_villages(session, county)) | set(
        session.scalars(
            select(RecordQuality.village_code).where(RecordQuality.village_code.startswith(county)).distinct()
        )
    )
    checked = 0
    batches = village_batches(session, county, sorted(villages))
    for batch, figures in recounted(session, batches, today=today, cells=False, workers=workers):
        _store_quality(session, batch, figures.quality, today=today)
        checked += len(figures.quality)
    session.flush()
    return checked


def counties(session: Session) -> list[str]:
    """The counties that hold health records (what a nightly full recompute covers)."""
    return sorted({code[:6] for code in session.scalars(select(HealthRecord.village_code).distinct())})


def start_recompute(session: Session, actor: Actor, *, county: str) -> IndicatorRun:
    """Record a full recompute of the county's figures, to be run by ``run_recompute`` (in the background: the
    page shows its progress). Refused while another run of the county is under way."""
    actor.require(Action.INDICATOR_CONFIGURE)
    if not (county.isdigit() and len(county) == 6) or not (
        actor.scope.everything or any(county.startswith(p) for p in actor.scope.region_prefixes)
    ):
        raise InvalidInput(errors=[FieldError("county", "县（区）：不在您的管辖范围内")])
    running = session.scalar(
        select(IndicatorRun.id).where(IndicatorRun.region_code == county, IndicatorRun.status == "running")
    )
    if running is not None:
        raise Conflict("该县（区）的指标正在重新计算，请稍候")
    run = IndicatorRun(region_code=county, started_by=actor.login)
    session.add(run)
    session.flush()
    record_event(session, actor, "indicator.recompute", subject_type="region", subject_id=county)
    return run


def run_recompute(factory: sessionmaker[Session], run_id: uuid.UUID, *, today: date) -> None:
    """Carry out a recorded full recompute, committing after each batch of villages so its progress shows."""
    session = factory()
    try:
        run = session.get(IndicatorRun, run_id)
        if run is None or run.status != "running":
            return
        recompute_all(session, county=run.region_code, today=today, run=run, commit=session.commit)
        session.commit()
    except Exception as error:
        session.rollback()
        run = session.get(IndicatorRun, run_id)
        if run is not None:
            run.status, run.finished_at, run.error = "failed", utcnow(), str(error)[:500]
            session.commit()
        raise
    finally:
        session.close()


def get_run(session: Session, actor: Actor, run_id: uuid.UUID) -> IndicatorRun:
    actor.require(Action.INDICATOR_VIEW)
    run = session.get(IndicatorRun, run_id)
    if run is None or not (
        actor.scope.everything or any(run.region_code.startswith(p) for p in actor.scope.region_prefixes)
    ):
        raise NotFound("未找到该次计算")
    return run
