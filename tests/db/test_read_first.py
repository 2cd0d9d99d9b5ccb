"""SQLite's one write lock: read requests (GET) read without it and wait their turn for it only to write, and a
request that could not get its turn in time is told so (503, nothing saved) instead of failing with a 500."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from kangdang.access.actor import system_actor
from kangdang.access.audit import record_event
from kangdang.access.chain import verify_chain
from kangdang.access.models import AuditEvent
from kangdang.app import create_app
from kangdang.db.bulk import insert_rows, table_of
from kangdang.db.engine import build_engine, build_sessionmaker
from kangdang.db.migrate import upgrade
from kangdang.db.uow import transaction
from kangdang.indicators.models import IndicatorDirty
from kangdang.settings import Settings
from tests.conftest import throwaway_database

SHORT_BUSY_TIMEOUT_MS = 200


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Path, Engine, sessionmaker[Session], Settings]]:
    with throwaway_database("sqlite", tmp_path) as url:
        settings = Settings(environment="test", database_url=url)
        engine = build_engine(url)
        upgrade(engine)
        # a blocked test fails in a fifth of a second instead of the deployment's ten
        event.listen(engine, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA busy_timeout={SHORT_BUSY_TIMEOUT_MS}"))
        engine.dispose()
        yield Path(url.split("///", 1)[1]), engine, build_sessionmaker(engine, settings), settings
        engine.dispose()


def _lock_is_free(path: Path) -> bool:
    """Whether another connection can take the write lock at once."""
    with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as other:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            return False
        other.execute("ROLLBACK")
        return True


def _events(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_a_read_first_transaction_reads_without_the_write_lock(sqlite_file) -> None:  # type: ignore[no-untyped-def]
    path, _engine, factory, _settings = sqlite_file
    with transaction(factory, reads_first=True) as reader:
        reader.scalar(select(func.count()).select_from(AuditEvent))
        assert _lock_is_free(path)
        record_event(reader, system_actor(), "test.read")
        reader.flush()
        assert not _lock_is_free(path)  # its write holds the lock until it commits
    assert _lock_is_free(path)
    assert _events(factory) == 1


def test_a_bulk_insert_in_a_read_first_transaction_takes_the_write_lock(sqlite_file) -> None:  # type: ignore[no-untyped-def]
    """``db.bulk`` writes with the driver's own statements, which no ORM event sees: it takes the lock itself
    (else a reader whose snapshot is older than another writer's commit fails at once, "database is locked")."""
    path, _engine, factory, _settings = sqlite_file
    with transaction(factory, reads_first=True) as reader:
        reader.scalar(select(func.count()).select_from(IndicatorDirty))
        with transaction(factory) as writer:
            writer.execute(insert(IndicatorDirty), [{"village_code": "330521100200"}])
        assert _lock_is_free(path)
        insert_rows(reader, table_of(IndicatorDirty), [{"village_code": "330521100201"}])
        assert not _lock_is_free(path)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(IndicatorDirty)) == 2


def test_an_ordinary_transaction_holds_the_write_lock_from_its_start(sqlite_file) -> None:  # type: ignore[no-untyped-def]
    path, _engine, factory, _settings = sqlite_file
    with transaction(factory) as session:
        session.scalar(select(func.count()).select_from(AuditEvent))
        assert not _lock_is_free(path)


def test_a_reader_writes_after_another_writer_committed_since_it_read(sqlite_file) -> None:  # type: ignore[no-untyped-def]
    """SQLite refuses to turn a read snapshot older than the last commit into a write ("database is locked"):
    the reader lets its snapshot go and takes the lock instead, and both audit events land on the chain."""
    _path, _engine, factory, _settings = sqlite_file
    with transaction(factory, reads_first=True) as reader:
        assert reader.scalar(select(func.count()).select_from(AuditEvent)) == 0
        with transaction(factory) as writer:
            record_event(writer, system_actor(), "test.other")
        record_event(reader, system_actor(), "test.read")
    assert _events(factory) == 2
    with factory() as session:
        assert verify_chain(session).intact


def test_a_request_that_cannot_get_the_lock_in_time_is_told_to_retry(sqlite_file) -> None:  # type: ignore[no-untyped-def]
    path, _engine, factory, settings = sqlite_file
    app = create_app(settings, session_factory=factory)
    with (
        TestClient(app, raise_server_exceptions=False) as client,
        closing(sqlite3.connect(path, isolation_level=None)) as holder,
    ):
        holder.execute("BEGIN IMMEDIATE")  # another process writing for longer than the busy timeout
        api = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong-password"})
        client.cookies.set("kd_csrf", "t0ken")
        page = client.post("/login", data={"username": "nobody", "password": "x", "csrf_token": "t0ken"})
        holder.execute("ROLLBACK")
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "2"
    assert api.json()["error"]["code"] == "busy"
    assert api.json()["error"]["message"] == "系统繁忙，请稍后重试"
    assert page.status_code == 503
    assert "系统繁忙，请稍后重试" in page.text
    assert page.headers["Retry-After"] == "2"
