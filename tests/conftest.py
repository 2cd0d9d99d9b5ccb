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
from contextlib import contextmanager
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
    except Exception as exc:
        admin.dispose()
        _unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    return url, admin


@contextmanager
def throwaway_database(backend: str, folder: Path) -> Iterator[str]:
    """An empty database of its own, for tests whose writes must really commit (threads, tampering,
    migrations); dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'throwaway-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    url, admin = _create_pg_database()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


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


# --- personas, app and clients -------------------------------------------------------------------------

DEMO_PASSWORD = "Kangdang2026"


@pytest.fixture
def actor_of(db: Session):  # type: ignore[no-untyped-def]
    """Load a demo persona as an Actor: actor_of("cunyi"), actor_of("xianju"), …"""
    from kangdang.access.models import User
    from kangdang.institutions.actors import load_actor

    def load(login: str):  # type: ignore[no-untyped-def]
        from sqlalchemy import select

        user = db.scalar(select(User).where(User.login == login))
        assert user is not None, f"no demo user {login}"
        return load_actor(db, user)

    return load


@pytest.fixture
def app(db: Session, settings: Settings):  # type: ignore[no-untyped-def]
    """The real app, whose request sessions join the test's transaction (each commit is a savepoint)."""
    from kangdang.app import create_app

    factory = build_sessionmaker(db.connection(), settings, join_transaction_mode="create_savepoint")  # type: ignore[arg-type]
    return create_app(settings, session_factory=factory)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver", raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def web_login(client):  # type: ignore[no-untyped-def]
    """Sign the test client in through the login form: web_login("cunyi")."""
    from tests.helpers import login_through_form

    def sign_in(login: str, password: str = DEMO_PASSWORD):  # type: ignore[no-untyped-def]
        response = login_through_form(client, login, password)
        assert response.status_code == 303, response.text[:500]
        return client

    return sign_in


@pytest.fixture
def api_as(client):  # type: ignore[no-untyped-def]
    """Authorization headers for a demo persona's bearer token: api_as("xianju")."""

    def headers(login: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        response = client.post("/api/v1/auth/token", json={"username": login, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return headers
