"""Migrations: an empty database upgraded to head matches the models, and SQLite and PostgreSQL agree."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from kangdang.db.engine import build_engine
from kangdang.db.migrate import current_revision, head_revision, schema_drift, upgrade
from tests.conftest import PG_ADMIN_URL, _unavailable


def _schema(engine) -> dict[str, object]:
    inspector = inspect(engine)
    schema: dict[str, object] = {}
    for table in sorted(inspector.get_table_names()):
        uniques = inspector.get_unique_constraints(table)
        unique_names = {u["name"] for u in uniques}
        schema[table] = {
            "columns": sorted((c["name"], bool(c["nullable"])) for c in inspector.get_columns(table)),
            "pk": sorted(inspector.get_pk_constraint(table)["constrained_columns"]),
            "fks": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table)
            ),
            # PostgreSQL also reports each unique constraint as an index; compare constraints once.
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                for ix in inspector.get_indexes(table)
                if ix["name"] not in unique_names and not ix.get("duplicates_constraint")
            ),
            "uniques": sorted((u["name"], tuple(u["column_names"])) for u in uniques),
        }
    return schema


def test_upgrade_on_empty_sqlite_and_postgresql_gives_the_same_schema_without_drift(tmp_path):
    sqlite = build_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    upgrade(sqlite)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"kangdang_migr_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        _unavailable(f"PostgreSQL not reachable: {exc.__class__.__name__}")
    postgres = build_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        upgrade(postgres)
        for engine in (sqlite, postgres):
            assert current_revision(engine) == head_revision()
            assert schema_drift(engine) == []
        sqlite_schema, postgres_schema = _schema(sqlite), _schema(postgres)
        assert set(sqlite_schema) == set(postgres_schema)
        for table in sqlite_schema:
            assert sqlite_schema[table] == postgres_schema[table], table
    finally:
        postgres.dispose()
        sqlite.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_test_database_is_at_head_and_has_no_drift(engine):
    assert current_revision(engine) == head_revision()
    assert schema_drift(engine) == []


@pytest.mark.parametrize("table", ["region", "institution", "practitioner", "app_user", "audit_event"])
def test_core_tables_exist(engine, table):
    assert table in inspect(engine).get_table_names()
