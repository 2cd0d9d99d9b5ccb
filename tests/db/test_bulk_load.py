"""``db.bulk_load.loading``: inside, the loaded tables have no foreign keys and no secondary indexes on
PostgreSQL; afterwards every one is back, checked over the rows loaded — and a bad row is refused then."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kangdang.db.bulk_load import loading

TABLES = ("care_task", "resident_change")


def _shape(db: Session) -> dict[str, tuple[list[str], list[str]]]:
    inspector = inspect(db.connection())
    return {
        table: (
            sorted(fk["name"] or "" for fk in inspector.get_foreign_keys(table)),
            sorted(ix["name"] or "" for ix in inspector.get_indexes(table)),
        )
        for table in TABLES
    }


def test_foreign_keys_and_secondary_indexes_are_away_during_the_load_and_back_after(db: Session, backend: str) -> None:
    before = _shape(db)
    assert all(fks and indexes for fks, indexes in before.values())
    with loading(db, TABLES):
        during = _shape(db)
    assert _shape(db) == before
    if backend == "sqlite":
        assert during == before  # nothing is dropped on SQLite
        return
    for table in TABLES:
        fks, indexes = during[table]
        assert fks == []
        assert indexes == sorted(i for i in before[table][1] if i.startswith("uq_"))  # unique ones stay


def test_a_row_breaking_a_foreign_key_fails_when_the_keys_come_back(db: Session, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the keys are dropped on PostgreSQL only")
    nobody = uuid.uuid4()
    with pytest.raises(IntegrityError), db.begin_nested(), loading(db, ("resident_change",)):
        db.execute(
            text(
                "INSERT INTO resident_change (id, person_id, entity, entity_id, action, changes, at, login) "
                "VALUES (:id, :person, 'person', :person, 'test', '{}', now(), 'test')"
            ),
            {"id": uuid.uuid4(), "person": nobody},
        )
    assert _shape(db)["resident_change"][0]  # the rolled-back load leaves the keys in place
