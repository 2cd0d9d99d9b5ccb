"""``db.bulk.insert_rows`` (COPY on PostgreSQL, the driver's executemany on SQLite): rows read back through the
ORM exactly as an ORM insert would have stored them — UUIDs, aware datetimes, JSON with Chinese text, NULLs and
the Python-side defaults of the columns left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.core.ids import new_id
from kangdang.db.bulk import insert_rows, table_of
from kangdang.db.copy_text import copy_blocks, encode_rows
from kangdang.residents.models import ResidentChange


def _stored(db: Session, ids: list[object]) -> list[tuple[object, ...]]:
    db.expire_all()
    return [
        (c.id, c.at, c.person_id, c.entity, c.entity_id, c.action, c.login, c.changes)
        for c in db.scalars(select(ResidentChange).where(ResidentChange.id.in_(ids)).order_by(ResidentChange.entity_id))
    ]


def _change(at: datetime, entity_id: str, changes: dict[str, object]) -> dict[str, object]:
    """A history row of a person (all columns given)."""
    return {
        "id": new_id(),
        "at": at,
        "person_id": None,
        "household_id": None,
        "entity": "person",
        "entity_id": entity_id,
        "action": "person.update",
        "login": "yisheng",
        "changes": changes,
    }


def test_bulk_rows_read_back_as_orm_rows(db: Session) -> None:
    at = datetime(2026, 3, 1, 2, 30, 15, 123456, tzinfo=UTC)
    rows = [
        _change(at, f"e{index:04d}", {"name": ["张三", "张叁"], "n": index, "nested": {"ok": True, "list": [1, None]}})
        for index in range(2500)  # more than one statement's worth
    ]
    assert insert_rows(db, table_of(ResidentChange), rows) == 2500
    by_orm = [ResidentChange(**{**row, "id": new_id()}) for row in rows[:3]]
    stored = _stored(db, [row["id"] for row in rows])
    assert len(stored) == 2500
    first = stored[0]
    assert first[1] == at and first[1].tzinfo is not None
    assert first[2] is None and first[3:7] == ("person", "e0000", "person.update", "yisheng")
    assert first[7] == {"name": ["张三", "张叁"], "n": 0, "nested": {"ok": True, "list": [1, None]}}
    db.add_all(by_orm)
    db.flush()
    orm = _stored(db, [c.id for c in by_orm])
    assert [row[1:] for row in orm] == [row[1:] for row in stored[:3]]


def test_left_out_columns_get_their_python_defaults(db: Session) -> None:
    before = datetime.now(UTC)
    row = {"id": new_id(), "entity": "record", "entity_id": "x", "action": "record.file", "login": "yisheng"}
    insert_rows(db, table_of(ResidentChange), [row])
    (stored,) = _stored(db, [row["id"]])
    assert stored[7] == {}  # changes: default dict
    assert stored[1] >= before.replace(microsecond=0)  # at: default utcnow
    assert insert_rows(db, table_of(ResidentChange), []) == 0


def test_copy_blocks_made_without_a_connection_read_back_as_bulk_rows(db: Session, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("COPY text blocks are a PostgreSQL path (SQLite gets rows)")
    at = datetime(2026, 3, 1, 10, 30, 15, 5, tzinfo=timezone(timedelta(hours=8)))
    awkward = "tab\there, new\nline, back\\slash, \\N, 引号\"'"
    rows = [
        _change(at, f"{index}{awkward}", {"name": ["张三", awkward], "n": index, "none": None, "list": [1.5, True]})
        for index in range(3)
    ]
    rows[2]["changes"] |= {7: "a key that is not text", "big": 2**70}  # JSON the fast encoder leaves to the stdlib
    halves = [encode_rows(table_of(ResidentChange), rows[:2]), encode_rows(table_of(ResidentChange), rows[2:])]
    assert copy_blocks(db, table_of(ResidentChange), halves) == 3
    twins = [{**row, "id": new_id()} for row in rows]
    insert_rows(db, table_of(ResidentChange), twins)
    copied = _stored(db, [row["id"] for row in rows])
    inserted = _stored(db, [row["id"] for row in twins])
    assert [row[1:] for row in copied] == [row[1:] for row in inserted]
    assert copied[0][1] == at and copied[0][4] == f"0{awkward}" and copied[0][7]["name"][1] == awkward
    assert copied[2][7]["7"] == "a key that is not text" and copied[2][7]["big"] == 2**70
    with pytest.raises(ValueError, match="naive"):
        encode_rows(table_of(ResidentChange), [{**rows[0], "at": datetime(2026, 3, 1)}])  # noqa: DTZ001 - the point
    with pytest.raises(ValueError, match="other columns"):
        other = encode_rows(table_of(ResidentChange), [{"id": new_id()}])
        copy_blocks(db, table_of(ResidentChange), [halves[0], other])


def test_encrypted_columns_are_refused_not_written_raw() -> None:
    from kangdang.residents.models import Person

    with pytest.raises(ValueError, match="no COPY text encoding"):
        encode_rows(table_of(Person), [{"phone": "13800000000"}])
