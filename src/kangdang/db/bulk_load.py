"""A bulk load's integrity and index upkeep done once at its end instead of row by row (PostgreSQL), as
PostgreSQL's advice on populating a database has it: the foreign keys of the tables loaded are dropped and added
back (one validating join each), the secondary indexes of those the load does not read dropped and built again
(one sorted build each).

Measured on the synthetic county: three quarters of PostgreSQL's time in ``COPY`` went to the foreign-key
triggers, each inserted row running one lookup per reference (a form checks its record, person and
institution); and 200,000 service records went in in 6.0 s with their five secondary indexes, in 0.8 s without
them plus 1.5 s to build them after.

Primary keys and unique indexes stay, checking every row. Everything is put back from the definitions
PostgreSQL itself holds, within the caller's transaction: a load that fails rolls the drops back too, and rows
that break a foreign key fail the load when it is added back. The tables are locked for the load (dropping
takes an exclusive lock), so this is for loads into a database nobody else works in yet, such as ``kangdang
demo generate``. Nothing happens on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

BUILD_MEMORY = "256MB"  # maintenance_work_mem and work_mem for the builds and the validating joins


def secondary_indexes(session: Session, tables: Sequence[Table]) -> list[tuple[str, str]]:
    """The non-unique indexes of these tables as (name, definition), in a stable order."""
    rows = session.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relname = ANY(:tables) AND t.relnamespace = to_regnamespace(current_schema())::oid"
            " AND NOT x.indisunique AND NOT x.indisprimary ORDER BY t.relname, i.relname"
        ),
        {"tables": [table.name for table in tables]},
    )
    return [(name, definition) for name, definition in rows]


def foreign_keys(session: Session, tables: Sequence[Table]) -> list[tuple[str, str, str]]:
    """The foreign keys of these tables as (table, name, definition), in a stable order."""
    rows = session.execute(
        text(
            "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " JOIN pg_class t ON t.oid = c.conrelid"
            " WHERE c.contype = 'f' AND t.relname = ANY(:tables)"
            " AND t.relnamespace = to_regnamespace(current_schema())::oid"
            " ORDER BY t.relname, c.conname"
        ),
        {"tables": [table.name for table in tables]},
    )
    return [(table, name, definition) for table, name, definition in rows]


@contextmanager
def upkeep_deferred(
    session: Session, *, indexes_of: Sequence[Table], foreign_keys_of: Sequence[Table]
) -> Iterator[None]:
    """Drop the secondary indexes of ``indexes_of`` and the foreign keys of ``foreign_keys_of``, let the caller
    load, then build and add them back (in the caller's transaction; nothing is put back if the load raises,
    as the caller's rollback restores them)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    indexes, keys = secondary_indexes(session, indexes_of), foreign_keys(session, foreign_keys_of)
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    for table, name, _definition in keys:
        connection.exec_driver_sql(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    for name, _definition in indexes:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    yield
    connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
    connection.exec_driver_sql(f"SET LOCAL work_mem = '{BUILD_MEMORY}'")
    for _name, definition in indexes:
        connection.exec_driver_sql(definition)  # as PostgreSQL printed it (casts such as ::text included)
    for table, name, definition in keys:
        connection.exec_driver_sql(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
