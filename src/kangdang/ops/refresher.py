"""The app's indicator refresher: a daemon thread that, every few seconds, takes the villages marked by changes
and recomputes their figures in a transaction of its own (``indicators.refresh.refresh_dirty``), so a signed form
shows in the dashboards within seconds without any page aggregating live."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from kangdang.core.clock import today_local
from kangdang.db.uow import transaction

log = logging.getLogger(__name__)

MARKS_PER_TURN = 20  # village marks taken per transaction: one batch of records to count, a short write
MAX_TURNS = 50  # turns per tick, after which the next tick goes on


class IndicatorRefresher:
    def __init__(self, factory: sessionmaker[Session], every_seconds: float) -> None:
        self._factory = factory
        self._every = every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kangdang-indicator-refresher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def run_once(self) -> int:
        """Refresh the marked villages a few at a time, each turn in a transaction of its own that reads first
        (``db.engine.read_first``): on SQLite the villages are counted without the database's one write lock,
        which is taken only to store their figures, so the requests that queue for it wait for a short write
        instead of a recount. Returns the villages refreshed (bounded per call: marks keep coming under load)."""
        from kangdang.indicators.refresh import refresh_dirty

        done = 0
        for _turn in range(MAX_TURNS):
            with transaction(self._factory, reads_first=True) as session:
                villages = refresh_dirty(session, today=today_local(), limit=MARKS_PER_TURN)
            done += villages
            if villages == 0:
                break
        return done

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.run_once()
            except Exception:  # a failed round is retried on the next tick; the marks stay
                log.exception("indicator refresh failed")
