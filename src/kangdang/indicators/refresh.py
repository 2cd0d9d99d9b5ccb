"""Keeping the figures current: a village's base cells and its records' quality are recomputed from its bundles
(``recompute_villages``), then the figures of the units it belongs to are summed again (``rollup``).

- Incremental: every change to a record, a form, an episode or a person marks its village (``listeners``); the
  app's refresher (and ``kangdang indicators refresh``) takes the marks and recomputes those villages only, so a
  signed form shows in the figures within seconds.
- Full: ``recompute_all`` recomputes every village of a county in batches, with progress in ``IndicatorRun``;
  run nightly (the current period is judged as of today) and after a parameter changes. Both paths run the same
  code on the same villages, so the incremental figures equal a full recount.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import utcnow
from kangdang.core.errors import Conflict, FieldError, InvalidInput, NotFound
from kangdang.indicators.bundle import load_bundles
from kangdang.indicators.evaluate import applicable, evaluate, reach_back
from kangdang.indicators.models import (
    CELL_TABLE,
    QUALITY_TABLE,
    IndicatorCell,
    IndicatorDirty,
    IndicatorRun,
    RecordQuality,
)
from kangdang.indicators.parameters import Parameters, current_parameters
from kangdang.indicators.periods import stored_periods
from kangdang.indicators.quality_rules import quality_on, record_issues
from kangdang.indicators.rollup import refresh_values
from kangdang.residents.models import HealthRecord

BATCH_VILLAGES = 20


def recompute_villages(session: Session, villages: Iterable[str], *, today: date) -> set[uuid.UUID]:
    """Replace the base cells and quality rows of these villages; returns the institutions their cells name
    (before and after), whose figures the caller sums again."""
    codes = sorted(set(villages))
    if not codes:
        return set()
    params_by_county: dict[str, Parameters] = {}
    periods = stored_periods(today)
    since = reach_back(periods)
    cells: dict[tuple[str, str, str, uuid.UUID], list[int]] = defaultdict(lambda: [0, 0])
    quality_rows = []
    for bundle in load_bundles(session, codes, since=since):
        county = bundle.village_code[:6]
        params = params_by_county.get(county) or params_by_county.setdefault(
            county, current_parameters(session, county)
        )
        issues = record_issues(bundle, params)
        if bundle.active_at(today):
            quality = quality_on(issues, today)
            quality_rows.append(
                {
                    "record_id": bundle.record_id,
                    "person_id": bundle.person_id,
                    "village_code": bundle.village_code,
                    "institution_id": bundle.institution_id,
                    "status": quality.status,
                    "reasons": [{"rule": i.rule, "text": i.text, "form": i.form} for i in quality.issues],
                    "checked_on": today,
                }
            )
        relevant = applicable(bundle, since, today, params)
        for period in periods:
            for indicator, outcome in evaluate(bundle, period, today, params, issues, relevant).items():
                cell = cells[(indicator, period.key, bundle.village_code, bundle.institution_id)]
                cell[0] += outcome.numerator
                cell[1] += outcome.denominator
    before = set(
        session.scalars(select(IndicatorCell.institution_id).where(IndicatorCell.village_code.in_(codes)).distinct())
    )
    session.execute(delete(IndicatorCell).where(IndicatorCell.village_code.in_(codes)))
    rows = [
        {"indicator": i, "period": p, "village_code": v, "institution_id": inst, "numerator": n, "denominator": d}
        for (i, p, v, inst), (n, d) in cells.items()
    ]
    for index in range(0, len(rows), 5000):
        session.connection().execute(insert(CELL_TABLE), rows[index : index + 5000])
    record_ids = [row["record_id"] for row in quality_rows]
    session.execute(delete(RecordQuality).where(RecordQuality.village_code.in_(codes)))
    for index in range(0, len(record_ids), 1000):
        session.execute(delete(RecordQuality).where(RecordQuality.record_id.in_(record_ids[index : index + 1000])))
    for index in range(0, len(quality_rows), 5000):
        session.connection().execute(insert(QUALITY_TABLE), quality_rows[index : index + 5000])
    return before | {key[3] for key in cells}


def recheck_quality(session: Session, *, county: str, today: date) -> int:
    """Run the quality rules over every record of the county and store each record's quality (质控), without
    the indicator cells; returns how many records were checked."""
    periods = stored_periods(today)
    since = reach_back(periods)
    params = current_parameters(session, county)
    villages = county_villages(session, county)
    checked = 0
    for index in range(0, len(villages), BATCH_VILLAGES):
        codes = villages[index : index + BATCH_VILLAGES]
        rows = []
        for bundle in load_bundles(session, codes, since=since):
            checked += 1
            if not bundle.active_at(today):
                continue
            quality = quality_on(record_issues(bundle, params), today)
            rows.append(
                {
                    "record_id": bundle.record_id,
                    "person_id": bundle.person_id,
                    "village_code": bundle.village_code,
                    "institution_id": bundle.institution_id,
                    "status": quality.status,
                    "reasons": [{"rule": i.rule, "text": i.text, "form": i.form} for i in quality.issues],
                    "checked_on": today,
                }
            )
        session.execute(delete(RecordQuality).where(RecordQuality.village_code.in_(codes)))
        record_ids = [row["record_id"] for row in rows]
        for start in range(0, len(record_ids), 1000):
            session.execute(delete(RecordQuality).where(RecordQuality.record_id.in_(record_ids[start : start + 1000])))
        for start in range(0, len(rows), 5000):
            session.connection().execute(insert(QUALITY_TABLE), rows[start : start + 5000])
    session.flush()
    return checked


def refresh_villages(session: Session, villages: Iterable[str], *, today: date) -> int:
    """Recompute these villages and the figures of every unit they touch; returns the figure rows written."""
    codes = {c for c in villages if c}
    if not codes:
        return 0
    institutions = recompute_villages(session, codes, today=today)
    written = refresh_values(session, villages=codes, institutions=institutions)
    session.flush()
    return written


def refresh_dirty(session: Session, *, today: date, limit: int = 200) -> int:
    """Take the villages marked since the last refresh and recompute them; returns how many villages.

    Deletes exactly the marks it read: a change committed meanwhile leaves a newer mark for the next round."""
    marks = session.execute(select(IndicatorDirty.id, IndicatorDirty.village_code).limit(limit)).all()
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
) -> int:
    """Recompute every village of the county from scratch (in batches; ``commit`` after each batch, when given,
    makes the progress visible); returns the number of villages."""
    villages = county_villages(session, county)
    stale = session.scalars(
        select(IndicatorCell.village_code).where(IndicatorCell.village_code.startswith(county)).distinct()
    )
    villages = sorted(set(villages) | set(stale))
    if run is not None:
        run.total_units, run.done_units = len(villages), 0
    marks = list(session.scalars(select(IndicatorDirty.id).where(IndicatorDirty.village_code.startswith(county))))
    institutions: set[uuid.UUID] = set()
    for index in range(0, len(villages), BATCH_VILLAGES):
        batch = villages[index : index + BATCH_VILLAGES]
        institutions |= recompute_villages(session, batch, today=today)
        if run is not None:
            run.done_units = index + len(batch)
        if commit is not None:
            commit()
    refresh_values(session, villages=set(villages), institutions=institutions)
    for index in range(0, len(marks), 500):
        session.execute(delete(IndicatorDirty).where(IndicatorDirty.id.in_(marks[index : index + 500])))
    if run is not None:
        run.status, run.finished_at = "done", utcnow()
    session.flush()
    return len(villages)


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
