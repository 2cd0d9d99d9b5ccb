"""Inserting many rows at once, the fastest way each database offers: ``COPY … FROM STDIN`` on PostgreSQL, and
the driver's ``executemany`` of one prepared INSERT on SQLite. Both run in the session's own transaction.

Rows are dicts with the same keys (column names). Columns left out get their Python-side default, as an ORM
or Core insert would give them; values pass through the column types (UTC datetimes, encrypted text, JSON)
exactly as in an INSERT. No ORM events fire; what must follow every insert into a table, however made, registers
with ``after_bulk_insert`` (the indicators mark the villages of new health records).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.orm import Session

from kangdang.db.copy_text import encode_rows
from kangdang.db.engine import take_write_lock

CHUNK = 2000  # rows per INSERT statement where there is no COPY

BulkHook = Callable[[Session, Sequence[dict[str, Any]]], None]
_HOOKS: dict[str, list[BulkHook]] = {}


def after_bulk_insert(table_name: str) -> Callable[[BulkHook], BulkHook]:
    """Register ``hook(session, rows)`` to run, in the same transaction, after ``insert_rows`` filled the table."""

    def register(hook: BulkHook) -> BulkHook:
        _HOOKS.setdefault(table_name, []).append(hook)
        return hook

    return register


def table_of(model: type[Any]) -> Table:
    """The table of a mapped class."""
    table: Table = model.__table__
    return table


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` into ``table`` (then run its ``after_bulk_insert`` hooks); returns how many."""
    if not rows:
        return 0
    take_write_lock(session)  # the driver's own statements: no ORM event takes it for them
    count = _insert(session, table, rows)
    for hook in _HOOKS.get(table.name, ()):
        hook(session, rows)
    return count


def _insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(table), list(rows[start : start + CHUNK]))
        return len(rows)
    keys = list(rows[0])
    defaults = [c for c in table.columns if c.key not in rows[0] and c.default is not None and c.server_default is None]
    columns = [table.c[k] for k in keys] + defaults
    processors = [_processor(c, dialect) for c in columns]

    def values(row: dict[str, Any]) -> list[Any]:
        raw = [row[k] for k in keys] + [_default(c) for c in defaults]
        return [p(v) if p is not None and v is not None else v for p, v in zip(processors, raw, strict=True)]

    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    target = dialect.identifier_preparer.format_table(table)
    driver = connection.connection.driver_connection
    assert driver is not None
    if dialect.name == "sqlite":  # the driver's own executemany: one prepared statement, no per-row compiling
        marks = ", ".join("?" * len(columns))
        statement = f"INSERT INTO {target} ({names}) VALUES ({marks})"  # noqa: S608 - quoted names from the metadata
        for start in range(0, len(rows), CHUNK):
            driver.executemany(statement, [values(row) for row in rows[start : start + CHUNK]])
        return len(rows)
    # PostgreSQL: the rows encoded in COPY text format here (db.copy_text), a chunk at a time — psycopg's own
    # write_row formats value by value in Python, at twice the cost
    with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            if defaults:
                chunk = [{**row, **{c.key: _default(c) for c in defaults}} for row in chunk]
            copy.write(encode_rows(table, chunk, dialect).data)
    return len(rows)


def _processor(column: Column[Any], dialect: Any) -> Callable[[Any], Any] | None:
    processor: Callable[[Any], Any] | None = column.type._cached_bind_processor(dialect)
    return processor


def _default(column: Column[Any]) -> Any:
    default = column.default
    assert default is not None
    if getattr(default, "is_callable", False):
        return default.arg(None)  # type: ignore[attr-defined]
    return default.arg  # type: ignore[attr-defined]
