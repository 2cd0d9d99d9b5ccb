"""SQLite writers of one process take turns on an in-process lock: the next writer starts the moment the holder
commits or rolls back, a failed start gives the turn back, and a writer that waits too long is told so."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from kangdang.access.actor import system_actor
from kangdang.access.audit import record_event
from kangdang.access.models import AuditEvent
from kangdang.db.engine import is_busy
from kangdang.db.sqlite_queue import QueuedConnection
from kangdang.db.uow import transaction
from tests.db.test_read_first import sqlite_file  # noqa: F401 - a fixture


def _count(factory) -> int:  # type: ignore[no-untyped-def]
    with factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_the_servers_sqlite_connections_queue(sqlite_file) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _path, engine, _factory, _settings = sqlite_file
    with engine.connect() as connection:
        assert isinstance(connection.connection.dbapi_connection, QueuedConnection)


def test_a_waiting_writer_starts_when_the_holder_commits(sqlite_file) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _path, engine, factory, _settings = sqlite_file
    # room to wait: the holder keeps its turn for a tenth of a second, longer than the fixture's busy timeout
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=5000"))
    engine.dispose()
    started, finished = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second_writer() -> None:
        started.set()
        try:
            with transaction(factory) as session:
                record_event(session, system_actor(), "test.second")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finished.set()

    with transaction(factory) as first:
        record_event(first, system_actor(), "test.first")
        first.flush()
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert started.wait(5)
        assert not finished.wait(0.1)  # it waits for its turn while the first one holds it
    thread.join(5)
    assert finished.is_set() and errors == []
    assert _count(factory) == 2


def test_rollback_and_a_failed_start_give_the_turn_back(sqlite_file) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    path, _engine, factory, _settings = sqlite_file
    with pytest.raises(RuntimeError), transaction(factory) as session:
        record_event(session, system_actor(), "test.undone")
        raise RuntimeError("rolled back")
    with closing(sqlite3.connect(path, isolation_level=None)) as other_process:
        other_process.execute("BEGIN IMMEDIATE")  # SQLite's lock taken outside this process: the start fails
        with pytest.raises(OperationalError) as failed, transaction(factory) as session:
            record_event(session, system_actor(), "test.refused")
        assert is_busy(failed.value)
        other_process.execute("ROLLBACK")
    with transaction(factory) as session:  # the turn is free again: no wait, no error
        record_event(session, system_actor(), "test.after")
    assert _count(factory) == 1


def test_a_writer_that_waits_past_the_busy_timeout_is_told_the_database_is_busy(sqlite_file) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _path, _engine, factory, _settings = sqlite_file
    outcome: list[BaseException | None] = []

    def late_writer() -> None:
        try:
            with transaction(factory) as session:
                record_event(session, system_actor(), "test.late")
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with transaction(factory) as holder:
        record_event(holder, system_actor(), "test.holder")
        holder.flush()
        thread = threading.Thread(target=late_writer)
        thread.start()
        thread.join(5)  # the fixture's busy timeout is a fifth of a second
    assert len(outcome) == 1 and outcome[0] is not None and is_busy(outcome[0])
    assert _count(factory) == 1
