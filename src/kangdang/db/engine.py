"""Engine and session factory. Nothing connects at import time: callers build these from Settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kangdang.db.sqlite_queue import QueuedConnection
from kangdang.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_FIRST = "kangdang_read_first"  # session.info and connection option: the transaction reads before it writes
WRITING = "kangdang_writing"  # session.info: a read-first transaction has taken the write lock


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver opens no transactions itself: ``_sqlite_begin`` does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """A transaction takes SQLite's one write lock when it starts (waiting up to the busy timeout), unless it was
    opened to read first (``read_first``). SQLite refuses at once, without waiting, to turn a transaction that has
    read into one that writes while another writer holds the lock, so a transaction that may write must either
    hold the lock from the start or give up its snapshot before its first write (``take_write_lock``)."""
    if connection.get_execution_options().get(READ_FIRST):
        connection.exec_driver_sql("BEGIN DEFERRED")
    else:
        _begin_immediate(connection)


def _begin_immediate(connection: Any) -> None:
    """BEGIN IMMEDIATE, after this process's earlier writers (``db.sqlite_queue``) when the connection queues."""
    raw = connection.connection.dbapi_connection
    queued = isinstance(raw, QueuedConnection)
    if queued:
        raw.wait_turn()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if queued:
            raw.give_up_turn()
        raise


def build_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        db_file = url.split("///", 1)[1] if "///" in url else ""
        if db_file and db_file != ":memory:":
            Path(db_file).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "factory": QueuedConnection})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # JIT off: PostgreSQL compiles any statement its planner costs high — a township's worklist count, a search
    # over a county — spending 100+ ms of compiling on a query that runs in less; an interactive system's queries
    # are short, and the indicators count in Python
    return create_engine(
        url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"options": "-c jit=off"}
    )


def vacuum_after_bulk_load(engine: Engine) -> None:
    """PostgreSQL: ``VACUUM (ANALYZE)`` the database after a bulk load (a generated county), outside any
    transaction. It sets the visibility map, without which an index-only scan (a worklist's counts) still reads
    every row from the table, and refreshes the statistics. Autovacuum does this some time after a load where it
    runs, and never where it is turned off. Nothing on SQLite."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE)")


def build_sessionmaker(engine: Engine, settings: Settings, **kwargs: Any) -> sessionmaker[Session]:
    """Sessions carry the settings in ``session.info`` so services can reach them without globals, and chain
    their audit events into the tamper-evident log just before they commit."""
    from kangdang.access.chain import chain_pending, forget_pending
    from kangdang.access.crypto import IdentityCipher

    # EncryptedText columns (phone numbers) find the deployment's cipher on the dialect
    engine.dialect.kangdang_cipher = IdentityCipher(settings.secret_key)  # type: ignore[attr-defined]
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True, info={"settings": settings}, **kwargs)
    event.listen(factory, "before_commit", chain_pending)
    event.listen(factory, "after_rollback", forget_pending)
    event.listen(factory, "before_flush", lambda session, *_: take_write_lock(session))
    event.listen(factory, "do_orm_execute", _before_orm_write)
    event.listen(factory, "after_commit", _forget_read_first)
    event.listen(factory, "after_rollback", _forget_read_first)
    return factory


def read_first(session: Session) -> None:
    """Open ``session``'s transaction to read first: a page or API read (GET), which writes at most its audit
    rows and a session touch, near its end.

    On SQLite the transaction begins DEFERRED, so such requests read side by side under WAL instead of queueing
    behind one another and behind every save for the write lock. Just before its first write it gives up its
    read snapshot and waits its turn for the write lock (``take_write_lock``); what it writes (who read what)
    does not depend on that snapshot. Requests that change data (POST) keep one snapshot and take the lock at
    their start. On PostgreSQL nothing changes: rows lock as they are written.
    """
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return  # PostgreSQL; or a session joined to a caller's connection (tests), whose transaction is not its own
    session.info[READ_FIRST] = True
    session.connection(execution_options={READ_FIRST: True})


def take_write_lock(session: Session) -> None:
    """Before a transaction that reads first writes (see ``read_first``): give up its snapshot and take the write
    lock. The ORM's flushes and statements do this themselves; writers that go around them (``db.bulk``) call it."""
    if not session.info.get(READ_FIRST) or session.info.get(WRITING):
        return
    session.info[WRITING] = True
    connection = session.connection()
    connection.exec_driver_sql("COMMIT")  # only reads so far: nothing is lost, the snapshot is let go
    _begin_immediate(connection)  # waits its turn, up to the busy timeout, as every writer does


def _before_orm_write(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        take_write_lock(state.session)


def _forget_read_first(session: Session, *_args: Any) -> None:
    """The session's next transaction, if any, is an ordinary one (the write lock from its start on SQLite)."""
    session.info.pop(READ_FIRST, None)
    session.info.pop(WRITING, None)


def settings_of(session: Session) -> Settings:
    settings = session.info.get("settings")
    if settings is None:
        raise RuntimeError("session was not made by build_sessionmaker(); it carries no settings")
    return settings


BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # PostgreSQL: serialization failure, deadlock, lock wait
BUSY_SQLITE_MESSAGES = ("database is locked", "database table is locked", "database is busy")


def is_busy(exc: BaseException) -> bool:
    """The database gave up waiting for a lock (SQLite's busy timeout, a PostgreSQL deadlock): the request can
    be tried again as it was, nothing of it was saved."""
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    return isinstance(orig, sqlite3.OperationalError) and str(orig).startswith(BUSY_SQLITE_MESSAGES)
