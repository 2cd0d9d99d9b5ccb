"""The indicator refresher: every few seconds it takes the villages marked by changes and recomputes their figures
in transactions of its own (``indicators.refresh.refresh_dirty``), so a signed form shows in the dashboards
within seconds without any page aggregating live.

The server runs it in a process of its own at a lower CPU priority (``RefresherProcess``): recounting a village
takes up to a second of CPU after every signed form, and as a thread of the server it took the interpreter from
the requests — under a stream of form saves it held more than half of the server's CPU samples, and a save
waited 120–230 ms instead of tens. As a niced process it uses what the requests leave, and on a multi-core
machine a core of its own.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from multiprocessing.synchronize import Event

from sqlalchemy.orm import Session, sessionmaker

from kangdang.core.clock import today_local
from kangdang.db.uow import transaction
from kangdang.settings import Settings

log = logging.getLogger(__name__)

MARKS_PER_TURN = 20  # village marks taken per transaction: one batch of records to count, a short write
MAX_TURNS = 50  # turns per tick, after which the next tick goes on
NICENESS = 10  # the refresher process's CPU priority below the server's (a tenth of its share when both want it)
STOP_SECONDS = 30


class IndicatorRefresher:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory

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

    def tick(self) -> None:
        try:
            self.run_once()
        except Exception:  # a failed round is retried on the next tick; the marks stay
            log.exception("indicator refresh failed")


class RefresherProcess:
    """The refresher in a child process (spawned: the server's threads are not copied), niced, for as long as
    the server runs; it also ends by itself when the server is gone."""

    def __init__(self, settings: Settings, every_seconds: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self.process = context.Process(
            target=_refresh_until_stopped,
            args=(settings, every_seconds, self._stop, os.getpid()),
            name="kangdang-indicator-refresher",
            daemon=True,
        )

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self._stop.set()
        self.process.join(timeout=STOP_SECONDS)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=STOP_SECONDS)


def _refresh_until_stopped(settings: Settings, every_seconds: float, stop: Event, server_pid: int) -> None:
    import kangdang.db.models  # noqa: F401 - every table known to the session
    from kangdang.db.engine import build_engine, build_sessionmaker

    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    engine = build_engine(settings.database_url)
    refresher = IndicatorRefresher(build_sessionmaker(engine, settings))
    try:
        while not stop.wait(every_seconds) and os.getppid() == server_pid:
            refresher.tick()
    finally:
        engine.dispose()
