"""A full recompute (and the quality check) counted by worker processes gives the very figures and quality rows
counted in this process; the workers are used only on PostgreSQL and only while the transaction has written
nothing (they cannot see what it has not committed)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from kangdang.db.engine import build_sessionmaker
from kangdang.indicators import recount
from kangdang.indicators.models import IndicatorCell, IndicatorDirty, IndicatorValue, RecordQuality
from kangdang.indicators.recount import may_share
from kangdang.indicators.refresh import recheck_quality, recompute_all
from kangdang.settings import Settings

TODAY = date(2026, 11, 22)


def snapshot(session: Any) -> tuple[dict[Any, Any], ...]:
    return (
        {
            (r.indicator, r.period, r.village_code, r.institution_id): (r.numerator, r.denominator)
            for r in session.scalars(select(IndicatorCell))
        },
        {
            (r.indicator, r.period, r.unit_kind, r.unit_code, r.area_type): (r.numerator, r.denominator)
            for r in session.scalars(select(IndicatorValue))
        },
        {
            r.record_id: (r.village_code, r.status, r.reasons, r.checked_on)
            for r in session.scalars(select(RecordQuality))
        },
    )


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Small batches (so there are many), and a note of each time the workers are used."""
    monkeypatch.setattr(recount, "BATCH_RECORDS", 300)
    used: list[int] = []
    original = recount._by_workers

    def by_workers(*args: Any, **kwargs: Any) -> Any:
        used.append(kwargs["workers"])
        return original(*args, **kwargs)

    monkeypatch.setattr(recount, "_by_workers", by_workers)
    return used


def test_worker_processes_count_what_this_process_counts(
    engine: Engine, settings: Settings, backend: str, spied: list[int]
) -> None:
    factory = build_sessionmaker(engine, settings)
    found = {}
    for workers in (1, 2):
        with factory() as session:
            assert may_share(session) is (backend == "postgresql")
            recompute_all(session, county="330521", today=TODAY, workers=workers)
            recomputed = snapshot(session)
            session.rollback()
        with factory() as session:
            checked = recheck_quality(session, county="330521", today=TODAY, workers=workers)
            found[workers] = (*recomputed, snapshot(session)[2], checked)
            session.rollback()
    assert found[1] == found[2] and found[1][0] and found[1][2] == found[1][3]
    assert spied == ([2, 2] if backend == "postgresql" else [])


def test_no_workers_once_the_transaction_has_written(engine: Engine, settings: Settings, spied: list[int]) -> None:
    with build_sessionmaker(engine, settings)() as session:
        session.add(IndicatorDirty(village_code="330521102990"))
        assert not may_share(session)
        session.flush()
        assert not may_share(session)
        recompute_all(session, county="330521", today=TODAY, workers=2)
        session.rollback()
    assert spied == []
