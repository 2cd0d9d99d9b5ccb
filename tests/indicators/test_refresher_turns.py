"""The app's indicator refresher takes the marked villages a few at a time, each turn in a transaction of its
own that counts before it writes: on SQLite the counting runs without the database's one write lock, so the
requests queueing for it wait for a short store, not a recount (50 users saving forms saw 503 系统繁忙 while
a round held the lock)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, insert, select

import kangdang.indicators.refresh as refresh
from kangdang.core.clock import today_local
from kangdang.db.uow import transaction
from kangdang.indicators.models import IndicatorDirty
from kangdang.ops.refresher import MARKS_PER_TURN, IndicatorRefresher
from tests.db.test_read_first import _lock_is_free, sqlite_file  # noqa: F401 - a fixture

VILLAGES = [f"330521{100 + n // 10:03d}{200 + n % 10:03d}" for n in range(2 * MARKS_PER_TURN + 5)]


def _mark(factory: Any, codes: list[str]) -> None:
    with transaction(factory) as session:
        session.execute(insert(IndicatorDirty), [{"village_code": code} for code in codes])


def _marks(factory: Any) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(IndicatorDirty.village_code).order_by(IndicatorDirty.village_code)))


def test_the_refresher_counts_without_the_write_lock_in_turns(  # type: ignore[no-untyped-def]
    sqlite_file,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, _engine, factory, _settings = sqlite_file
    _mark(factory, VILLAGES + VILLAGES[:7])  # some villages marked twice (two changes)
    counted: list[tuple[list[str], bool]] = []
    batches = refresh.village_batches

    def watched(session: Any, county: str, villages: list[str]) -> Any:
        counted.append((list(villages), _lock_is_free(path)))
        return batches(session, county, villages)

    monkeypatch.setattr(refresh, "village_batches", watched)

    assert IndicatorRefresher(factory).run_once() == len(VILLAGES)

    assert _marks(factory) == []
    assert [len(villages) for villages, _free in counted] == [MARKS_PER_TURN, MARKS_PER_TURN, 5]
    assert sorted(code for villages, _free in counted for code in villages) == sorted(VILLAGES)
    assert all(free for _villages, free in counted), "the villages were counted while holding the write lock"


def test_refresh_dirty_takes_whole_villages_and_leaves_the_others(sqlite_file) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _path, _engine, factory, _settings = sqlite_file
    _mark(factory, [VILLAGES[0]])
    _mark(factory, [VILLAGES[1]])
    _mark(factory, [VILLAGES[0]])  # marked again by a later change
    with transaction(factory, reads_first=True) as session:
        assert refresh.refresh_dirty(session, today=today_local(), limit=1) == 1  # the longest waiting
    assert _marks(factory) == [VILLAGES[1]]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(IndicatorDirty)) == 1
