"""Engine and session factory. Nothing connects at import time: callers build these from Settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from kangdang.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver opens no transactions itself: ``_sqlite_begin`` does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Every transaction takes SQLite's one write lock when it starts (waiting up to the busy timeout): nearly
    every request writes (at least its audit row), and a transaction that read first and then wanted to write
    while another one wrote would fail at once with "database is locked" instead of waiting its turn."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def build_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        db_file = url.split("///", 1)[1] if "///" in url else ""
        if db_file and db_file != ":memory:":
            Path(db_file).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


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
    return factory


def settings_of(session: Session) -> Settings:
    settings = session.info.get("settings")
    if settings is None:
        raise RuntimeError("session was not made by build_sessionmaker(); it carries no settings")
    return settings
