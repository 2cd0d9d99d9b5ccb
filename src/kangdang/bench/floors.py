"""The floors: the same lookups and writes as bare SQL through the database driver (no ORM, no HTTP, no
permission or audit), on the same database in the same run. Their p50 beside each HTTP figure shows what the
platform adds on top of the database itself (the ratio).

Each query is the core statement of its operation with the same conditions the service applies (active record
in the township, the same prefix ranges and page size); the writes insert a copy of an existing row and commit,
and the copy is deleted afterwards (untimed).
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from kangdang.bench.http_ops import warmup_count
from kangdang.bench.picks import TOWNSHIP, Picks
from kangdang.bench.stats import summarize
from kangdang.core.clock import today_local
from kangdang.programmes.worklist import HORIZON_DAYS

TOP = "\U0010ffff"
# The statements, written out: the same conditions as the services (an active record in the township), the
# same prefix ranges and page size (50).
SQL = {
    "lookup_id": "SELECT p.id, p.name, r.id, r.record_number FROM person p JOIN health_record r ON r.person_id = p.id "
    "WHERE p.document_index = :q AND r.village_code >= :lo AND r.village_code < :hi AND r.status = 'active'",
    "lookup_record": "SELECT p.id, p.name, r.id, r.record_number FROM person p "
    "JOIN health_record r ON r.person_id = p.id "
    "WHERE r.record_number = :q AND r.village_code >= :lo AND r.village_code < :hi AND r.status = 'active'",
    "search_name": "SELECT p.id, p.name, r.id, r.record_number FROM person p "
    "JOIN health_record r ON r.person_id = p.id "
    "WHERE p.name >= :q AND p.name < :q_hi AND r.village_code >= :lo AND r.village_code < :hi "
    "AND r.status = 'active' ORDER BY p.name_pinyin, p.id LIMIT 50",
    "search_pinyin": "SELECT p.id, p.name, r.id, r.record_number FROM person p "
    "JOIN health_record r ON r.person_id = p.id "
    "WHERE p.id IN (SELECT k.person_id FROM person_search_key k WHERE k.key >= :q AND k.key < :q_hi) "
    "AND r.village_code >= :lo AND r.village_code < :hi AND r.status = 'active' "
    "ORDER BY p.name_pinyin, p.id LIMIT 50",
    "record_page": "SELECT p.name, r.record_number, s.id, s.form_code, s.service_date, s.status, s.answers "
    "FROM health_record r JOIN person p ON p.id = r.person_id JOIN service_record s ON s.record_id = r.id "
    "WHERE r.record_number = :q ORDER BY s.service_date DESC",
    "worklist": "SELECT t.id, t.title, t.opens_on, t.due_on, p.name, r.short_number FROM care_task t "
    "JOIN programme_episode e ON e.id = t.episode_id JOIN health_record r ON r.id = t.record_id "
    "JOIN person p ON p.id = t.person_id "
    "WHERE t.status = 'open' AND e.status = 'active' AND t.opens_on <= :horizon "
    "AND (t.expires_on IS NULL OR t.expires_on > :today) "
    "AND r.village_code >= :lo AND r.village_code < :hi AND r.status = 'active' "
    "ORDER BY t.due_on, t.id LIMIT 50",
}
SQL["search_initials"] = SQL["search_pinyin"]


def to_pyformat(sql: str) -> str:
    """``:name`` parameters (sqlite3's named style) as ``%(name)s`` (psycopg's); ``::`` casts are left alone."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)


class Raw:
    """A DBAPI connection of the engine's pool; statements written with :name parameters on both drivers."""

    def __init__(self, engine: Engine) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self.conn = engine.raw_connection()

    def _sql(self, sql: str) -> str:
        return to_pyformat(sql) if self.postgres else sql

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        cursor = self.conn.cursor()
        try:
            cursor.execute(self._sql(sql), params or {})
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def row(self, sql: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        cursor = self.conn.cursor()
        try:
            cursor.execute(self._sql(sql), params or {})
            names = [column[0] for column in cursor.description or ()]
            found = cursor.fetchone()
        finally:
            cursor.close()
        if found is None:
            raise LookupError(f"no row for {sql}")
        return dict(zip(names, found, strict=True))

    def insert(self, table: str, row: dict[str, Any]) -> None:
        values = dict(row)
        if self.postgres:
            from psycopg.types.json import Jsonb

            values = {k: Jsonb(v) if isinstance(v, dict | list) else v for k, v in values.items()}
        columns = list(values)
        self.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})",  # noqa: S608
            values,
        )

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


def _new_id(like: Any) -> Any:
    """A fresh UUID stored the way the template's is (native on PostgreSQL, 32 hex digits on SQLite)."""
    fresh = uuid.uuid4()
    return fresh if isinstance(like, uuid.UUID) else fresh.hex


def _timed(raw: Raw, work: Callable[[int], object], count: int, *, after: Callable[[int], None]) -> list[float]:
    samples = []
    for index in range(count):
        started = time.perf_counter()
        work(index)
        samples.append((time.perf_counter() - started) * 1000)
        after(index)
    return samples


def _select_floor(raw: Raw, key: str, params: Sequence[dict[str, Any]], count: int) -> list[float]:
    sql = SQL[key]
    return _timed(raw, lambda i: raw.execute(sql, params[i % len(params)]), count, after=lambda _i: raw.rollback())


def measure_floors(engine: Engine, picks: Picks, *, samples: int) -> dict[str, float]:
    """The p50 (ms) of each operation's bare SQL, after a short warm-up of each."""
    township = {"lo": TOWNSHIP, "hi": TOWNSHIP + TOP}
    today = today_local()
    residents = picks.residents

    def keyed(values: Sequence[str]) -> list[dict[str, Any]]:
        return [{"q": v, "q_hi": v + TOP, **township} for v in values]

    params: dict[str, list[dict[str, Any]]] = {
        "lookup_id": keyed([r.document_index for r in residents]),
        "lookup_record": keyed([r.record_number for r in residents]),
        "search_name": keyed([r.name for r in residents]),
        "search_pinyin": keyed([r.full_pinyin for r in residents]),
        "search_initials": keyed([r.initials for r in residents]),
        "record_page": [{"q": r.record_number} for r in picks.busy_records],
        "worklist": [
            {
                "today": today.isoformat(),
                "horizon": (today + timedelta(days=HORIZON_DAYS)).isoformat(),
                **township,
            }
        ],
    }
    warmup = warmup_count(samples)
    raw = Raw(engine)
    floors: dict[str, float] = {}
    try:
        for key, values in params.items():
            _select_floor(raw, key, values, warmup)
            floors[key] = summarize(_select_floor(raw, key, values, samples)).p50
        for key, floor in (("form_save", _form_insert_floor), ("registration", _registration_floor)):
            floor(raw, warmup)
            floors[key] = summarize(floor(raw, samples)).p50
    finally:
        raw.rollback()
        raw.close()
    return floors


def _form_insert_floor(raw: Raw, count: int) -> list[float]:
    template = raw.row(
        "SELECT * FROM service_record WHERE form_code = 'hypertension_followup' AND status = 'completed' LIMIT 1"
    )
    raw.rollback()
    made: list[Any] = []

    def insert(_i: int) -> None:
        new = _new_id(template["id"])
        made.append(new)
        raw.insert("service_record", {**template, "id": new, "lineage_id": _new_id(template["lineage_id"])})
        raw.commit()

    def remove(_i: int) -> None:
        raw.execute("DELETE FROM service_record WHERE id = :id", {"id": made.pop()})
        raw.commit()

    return _timed(raw, insert, count, after=remove)


def _registration_floor(raw: Raw, count: int) -> list[float]:
    record = raw.row("SELECT * FROM health_record WHERE status = 'active' LIMIT 1")
    person = raw.row("SELECT * FROM person WHERE id = :id", {"id": record["person_id"]})
    raw.rollback()
    made: list[tuple[Any, Any]] = []

    def insert(_i: int) -> None:
        person_id, record_id = _new_id(person["id"]), _new_id(record["id"])
        made.append((person_id, record_id))
        raw.insert("person", {**person, "id": person_id, "document_index": secrets.token_hex(32)})
        number = "9" + "".join(secrets.choice("0123456789") for _ in range(19))
        raw.insert("health_record", {**record, "id": record_id, "person_id": person_id, "record_number": number})
        raw.commit()

    def remove(_i: int) -> None:
        person_id, record_id = made.pop()
        raw.execute("DELETE FROM health_record WHERE id = :id", {"id": record_id})
        raw.execute("DELETE FROM person WHERE id = :id", {"id": person_id})
        raw.commit()

    return _timed(raw, insert, count, after=remove)
