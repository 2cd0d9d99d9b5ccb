"""Rows encoded in PostgreSQL's ``COPY … FROM STDIN`` text format where they are made — in a worker process,
with no connection — so that the process holding the transaction only streams bytes (``copy_blocks``).

Used by the synthetic county, whose rows are made in worker processes: shipping the rows themselves back
(UUIDs, dates, nested answers) and formatting them in the writing process cost as much as making them. The
encoding is PostgreSQL's documented text format: ``\\N`` for NULL, tab-separated columns, backslash escapes;
values as an INSERT would bind them — UUIDs and dates as text, datetimes (which must be aware) with their
offset, JSON columns serialised. Columns of other custom types (encrypted text) are bound by their type when the
encoding has the connection's dialect (``db.bulk.insert_rows``), and refused rather than written raw when it has
not.
``tests/db/test_bulk.py`` checks that the rows read back as ``insert_rows`` stores them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import JSON, Date, DateTime, String, Table, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from kangdang.db.types import UTCDateTime

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"
# dates and dataclasses are left to the fallback, which refuses them as the standard encoder does everywhere else
_ORJSON_AS_STDLIB = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class CopyBlock:
    """Rows of one table in COPY text format: the columns, the encoded lines, how many rows."""

    table: str
    columns: tuple[str, ...]
    data: bytes
    count: int


def encode_rows(table: Table, rows: Sequence[dict[str, Any]], dialect: Dialect | None = None) -> CopyBlock:
    """The rows (dicts with the same keys; no Python-side defaults are filled in) as one COPY block. With the
    connection's ``dialect``, columns of other custom types (encrypted text) are encoded as their type binds
    them; without one (a worker process has no engine) they are refused.

    Encoded a column at a time, each by an encoder chosen once for its column's type (``_column_encoders``): per value
    only the conversion itself is paid (a million values per second on the synthetic county's forms)."""
    if not rows:
        return CopyBlock(table.name, (), b"", 0)
    columns = tuple(rows[0])
    encoded = [
        [_NULL if (value := row[name]) is None else encode(value) for row in rows]
        for name, encode in zip(columns, _column_encoders(table, columns, dialect), strict=True)
    ]
    lines = ["\t".join(values) for values in zip(*encoded, strict=True)]
    lines.append("")  # the last line's newline
    return CopyBlock(table.name, columns, "\n".join(lines).encode(), len(rows))


def copy_blocks(session: Session, table: Table, blocks: Sequence[CopyBlock]) -> int:
    """Stream the blocks (all of ``table``, with the same columns) into it in one COPY; returns the rows."""
    filled = [block for block in blocks if block.count]
    if not filled:
        return 0
    columns = filled[0].columns
    if any(block.table != table.name or block.columns != columns for block in filled):
        raise ValueError(f"blocks of another table or other columns than {table.name}{columns}")
    connection = session.connection()
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(name) for name in columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {preparer.format_table(table)} ({names}) FROM STDIN") as copy:
        for block in filled:
            copy.write(block.data)
    return sum(block.count for block in filled)


@lru_cache(maxsize=256)
def _column_encoders(table: Table, columns: tuple[str, ...], dialect: Dialect | None) -> tuple[Any, ...]:
    return tuple(_encoder(table.c[name].type, f"{table.name}.{name}", dialect) for name in columns)


def _encoder(kind: Any, where: str, dialect: Dialect | None) -> Any:
    if isinstance(kind, JSON):
        return _json
    if isinstance(kind, UTCDateTime):
        return _datetime
    if isinstance(kind, TypeDecorator):
        if dialect is None:
            raise ValueError(f"{where}: {type(kind).__name__} has no COPY text encoding here")
        return _bound(kind, dialect)
    if isinstance(kind, Uuid):
        return _uuid
    if isinstance(kind, Date) and not isinstance(kind, DateTime):
        return _date
    if isinstance(kind, String):
        return _text
    return _plain


def _bound(kind: TypeDecorator[Any], dialect: Dialect) -> Callable[[Any], str]:
    """A custom type's own conversion (encrypted text → bytes), then the plain encoding of what it gives."""

    def encode(value: Any) -> str:
        bound = kind.process_bind_param(value, dialect)
        return "\\N" if bound is None else _plain(bound)

    return encode


def _escaped(text: str) -> str:
    # most values hold none of the four characters: four substring tests cost less than a translate
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def _json(value: Any) -> str:
    """Compact JSON by orjson (six times the standard encoder's speed on a form's answers — a county has
    millions); what orjson refuses (keys that are not text, integers beyond 64 bits) by the standard encoder.
    Both escape control characters themselves, so only backslashes need doubling for COPY."""
    try:
        text = orjson.dumps(value, option=_ORJSON_AS_STDLIB).decode()
    except TypeError:
        text = _JSON_TEXT(value)
    return text.replace("\\", "\\\\") if "\\" in text else text


@lru_cache(maxsize=1 << 14)  # datetimes repeat: a row's created and updated times, forms signed on the same day
def _datetime(value: datetime) -> str:
    """An aware datetime with its UTC offset (PostgreSQL stores the instant, whatever the offset)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; use kangdang.core.clock.utcnow()")
    return value.isoformat()


def _uuid(value: Any) -> str:
    # 32 hex digits, one of PostgreSQL's documented uuid inputs, at a third of the cost of the hyphenated form
    return value.hex if isinstance(value, uuid.UUID) else _plain(value)


def _date(value: Any) -> str:
    return value.isoformat() if type(value) is date else _plain(value)


def _text(value: Any) -> str:
    return _escaped(value) if type(value) is str else _plain(value)


def _plain(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _escaped(value)
    if kind is uuid.UUID or kind is int:
        return str(value)
    if kind is date:
        return value.isoformat()
    if isinstance(value, str):
        return _escaped(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | uuid.UUID | date):  # a datetime is a date too: isoformat keeps its zone
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    raise ValueError(f"no COPY text encoding for {type(value).__name__}")
