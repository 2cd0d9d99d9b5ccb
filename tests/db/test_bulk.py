"""``db.bulk.insert_rows`` (COPY on PostgreSQL, the driver's executemany on SQLite): rows read back through the
ORM exactly as an ORM insert would have stored them — UUIDs, aware datetimes, JSON with Chinese text, NULLs and
the Python-side defaults of the columns left out."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.core.ids import new_id
from kangdang.db.bulk import insert_rows, table_of
from kangdang.residents.models import ResidentChange


def _stored(db: Session, ids: list[object]) -> list[tuple[object, ...]]:
    db.expire_all()
    return [
        (c.id, c.at, c.person_id, c.entity, c.entity_id, c.action, c.login, c.changes)
        for c in db.scalars(select(ResidentChange).where(ResidentChange.id.in_(ids)).order_by(ResidentChange.entity_id))
    ]


def test_bulk_rows_read_back_as_orm_rows(db: Session) -> None:
    at = datetime(2026, 3, 1, 2, 30, 15, 123456, tzinfo=UTC)
    rows = [
        {
            "id": new_id(),
            "at": at,
            "person_id": None,
            "household_id": None,
            "entity": "person",
            "entity_id": f"e{index:04d}",
            "action": "person.update",
            "login": "yisheng",
            "changes": {"name": ["张三", "张叁"], "n": index, "nested": {"ok": True, "list": [1, None]}},
        }
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
