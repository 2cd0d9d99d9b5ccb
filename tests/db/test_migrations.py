"""Migrations: an empty database upgraded to head matches the models, and SQLite and PostgreSQL agree."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from kangdang.db.engine import build_engine
from kangdang.db.migrate import current_revision, head_revision, schema_drift, upgrade
from tests.conftest import throwaway_database


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
    with throwaway_database("sqlite", tmp_path) as sqlite_url, throwaway_database("postgresql", tmp_path) as pg_url:
        sqlite, postgres = build_engine(sqlite_url), build_engine(pg_url)
        try:
            for engine in (sqlite, postgres):
                upgrade(engine)
                assert current_revision(engine) == head_revision()
                assert schema_drift(engine) == []
            sqlite_schema, postgres_schema = _schema(sqlite), _schema(postgres)
            assert set(sqlite_schema) == set(postgres_schema)
            for table in sqlite_schema:
                assert sqlite_schema[table] == postgres_schema[table], table
        finally:
            postgres.dispose()
            sqlite.dispose()


def test_the_test_database_is_at_head_and_has_no_drift(engine):
    assert current_revision(engine) == head_revision()
    assert schema_drift(engine) == []


@pytest.mark.parametrize("table", ["region", "institution", "practitioner", "app_user", "audit_event"])
def test_core_tables_exist(engine, table):
    assert table in inspect(engine).get_table_names()
