"""Shared fixtures: every test runs against SQLite and against a real PostgreSQL server.

* ``database`` is parametrised over both backends; PostgreSQL gets a fresh database for the run, created
  on the server named by KANGDANG_TEST_POSTGRES_ADMIN_URL and dropped at the end. Without a reachable
  server the PostgreSQL half is skipped — except under CI=true, where that is a failure.
* ``engine`` is migrated to head with Alembic (so migrations are exercised by every run) and the demo
  county is loaded once; ``db`` gives each test a session inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from kangdang.db.engine import build_engine, build_sessionmaker
from kangdang.db.migrate import upgrade
from kangdang.settings import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get(
    "KANGDANG_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [p.strip() for p in os.environ.get("KANGDANG_TEST_BACKENDS", "sqlite,postgresql").split(",")]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} — required under CI=true", pytrace=False)
    pytest.skip(reason)


def _create_pg_database() -> tuple[str, Engine]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"kangdang_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        admin.dispose()
        _unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    return url, admin


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty database of one backend, for the whole run."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "kangdang.sqlite3"
        yield f"sqlite:///{path}"
        return
    url, admin = _create_pg_database()
    yield url
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def settings(database: str) -> Settings:
    return Settings(environment="test", database_url=database, login_max_failures=5, login_lockout_minutes=15)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = build_engine(settings.database_url)
    upgrade(engine)
    from kangdang.demo.county import load_demo_county

    factory = build_sessionmaker(engine, settings)
    with factory() as session:
        load_demo_county(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine, settings: Settings) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits inside become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    factory = build_sessionmaker(connection, settings, join_transaction_mode="create_savepoint")  # type: ignore[arg-type]
    session = factory()
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def backend(database: str) -> str:
    return "sqlite" if database.startswith("sqlite") else "postgresql"
