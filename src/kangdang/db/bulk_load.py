"""Filling a few tables with millions of rows in one transaction, as PostgreSQL's manual advises for populating a
database: their foreign keys and secondary indexes are dropped first and made again at the end — one check of
each key over the whole table and one sorted build of each index, instead of a key check and an index insertion
for every row. Primary keys and unique indexes stay, so a duplicate still fails at once, and a failure rolls
the drops back with everything else (DDL is transactional). Other sessions wait on the tables meanwhile: meant
for loads such as the synthetic county, not for a system in use. On SQLite nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

BUILD_MEMORY = "256MB"  # maintenance_work_mem while the indexes are built again (sorts in memory)

_FOREIGN_KEYS = text(
    "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname), "
    "format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) "
    "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(CAST(:tables AS regclass[])) ORDER BY conname"
)
_INDEXES = text(
    "SELECT format('DROP INDEX %s', indexrelid::regclass), pg_get_indexdef(indexrelid) FROM pg_index "
    "WHERE indrelid = ANY(CAST(:tables AS regclass[])) AND NOT indisunique AND NOT indisprimary "
    "ORDER BY indexrelid::regclass::text"
)


@contextmanager
def loading(session: Session, tables: Sequence[str]) -> Iterator[None]:
    """Within the block, ``tables`` have no foreign keys and no secondary indexes (PostgreSQL)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or not tables:
        yield
        return
    names = list(tables)
    foreign_keys = connection.execute(_FOREIGN_KEYS, {"tables": names}).all()
    indexes = connection.execute(_INDEXES, {"tables": names}).all()
    for drop, _ in (*foreign_keys, *indexes):
        connection.exec_driver_sql(drop)
    yield
    connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
    for _, create in (*indexes, *foreign_keys):
        connection.exec_driver_sql(create)
