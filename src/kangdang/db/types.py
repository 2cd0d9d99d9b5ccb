"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, LargeBinary, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def bytewise_text(length: int) -> String:
    """Text compared bytewise on both databases (the "C" collation on PostgreSQL), so that prefix ranges
    (region codes) use the B-tree index: SQLite's default collation already compares bytes."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, always stored and returned in UTC (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use kangdang.core.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest with AES-256-GCM (phone numbers): bytes in the database, text in Python.

    The cipher comes from the engine's dialect, set by ``db.engine.build_sessionmaker`` from the deployment's
    secret key; an engine without one refuses to read or write these columns rather than store clear text.
    """

    impl = LargeBinary
    cache_ok = True

    @staticmethod
    def _cipher(dialect: Dialect) -> Any:
        cipher = getattr(dialect, "kangdang_cipher", None)
        if cipher is None:
            raise RuntimeError("no cipher on this engine: make sessions with db.engine.build_sessionmaker()")
        return cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        if value is None or value == "":
            return None
        return bytes(self._cipher(dialect).encrypt(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(self._cipher(dialect).decrypt(bytes(value)))
