"""SQLite writers of one process queue for the write lock in Python instead of polling SQLite for it.

SQLite has one write lock per database. A connection that finds it taken sleeps in SQLite's busy handler and
tries again after growing pauses (up to 100 ms), so under many concurrent saves the lock sits free while the
next writer sleeps: the server managed 3 requests per second under 50 users. Here each connection of the server
first takes a ``threading.Lock`` shared by every connection to the same file in this process, then ``BEGIN
IMMEDIATE`` (which then finds the lock free, unless another process holds it, when SQLite's busy handler still
waits); the lock passes to the next waiting writer the moment the holder commits or rolls back.

The wait is bounded by the connection's busy timeout; a writer that does not get its turn gets SQLite's own
"database is locked" error (a 503 for a request, see ``db.engine.is_busy``).
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from sqlalchemy.exc import OperationalError

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(database: str) -> threading.Lock:
    if database in ("", ":memory:"):
        return threading.Lock()  # a database of its own
    with _locks_guard:
        return _locks.setdefault(database, threading.Lock())


class QueuedConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its file's process-wide writer lock from ``wait_turn`` until its
    transaction ends (commit, rollback or close)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._writer_lock = _lock_for(str(database))
        self._holding = False

    def wait_turn(self) -> None:
        """Wait for this process's earlier writers (up to the busy timeout); the caller then begins IMMEDIATE,
        and calls ``give_up_turn`` if that fails."""
        timeout_ms = self.execute("PRAGMA busy_timeout").fetchone()[0]
        if not self._writer_lock.acquire(timeout=timeout_ms / 1000):
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        self._holding = True

    def give_up_turn(self) -> None:
        if self._holding:
            self._holding = False
            self._writer_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.give_up_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.give_up_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_up_turn()
