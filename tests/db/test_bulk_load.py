"""``db.bulk_load.upkeep_deferred``: during a bulk load the tables' foreign keys and secondary indexes are gone
(PostgreSQL), afterwards they are back exactly as PostgreSQL held them, and a row that breaks a foreign key
fails the load when the key is added back, with the drops rolled back."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kangdang.db.bulk import insert_rows, table_of
from kangdang.db.bulk_load import foreign_keys, secondary_indexes, upkeep_deferred
from kangdang.programmes.models import CareTask
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import ResidentChange

TABLES = [table_of(ServiceRecord), table_of(CareTask)]


def _change(person_id: uuid.UUID | None) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "person_id": person_id,
        "entity": "person",
        "entity_id": "x",
        "action": "person.update",
        "login": "yisheng",
    }


def test_the_upkeep_is_put_back_as_it_was(db: Session, backend: str) -> None:
    if backend != "postgresql":
        with upkeep_deferred(db, indexes_of=TABLES, foreign_keys_of=TABLES):
            pass  # nothing to set aside on SQLite
        return
    indexes, keys = secondary_indexes(db, TABLES), foreign_keys(db, TABLES)
    assert {name for name, _ in indexes} >= {"ix_service_record_record_date", "ix_care_task_open_village"}
    assert {name for _, name, _ in keys} >= {"fk_care_task_episode_id_programme_episode"}
    with upkeep_deferred(db, indexes_of=TABLES, foreign_keys_of=TABLES):
        assert secondary_indexes(db, TABLES) == [] and foreign_keys(db, TABLES) == []
        assert {name for name, _ in secondary_indexes(db, [table_of(ResidentChange)])}, "other tables untouched"
    assert secondary_indexes(db, TABLES) == indexes
    assert foreign_keys(db, TABLES) == keys


def test_a_row_breaking_a_foreign_key_fails_the_load(db: Session, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("foreign keys are set aside on PostgreSQL only")
    changes = [table_of(ResidentChange)]
    keys = foreign_keys(db, changes)
    with (
        pytest.raises(IntegrityError, match="fk_resident_change_person_id_person"),
        db.begin_nested(),
        upkeep_deferred(db, indexes_of=changes, foreign_keys_of=changes),
    ):
        insert_rows(db, changes[0], [_change(uuid.uuid4())])  # no such person: not checked during the load
    assert foreign_keys(db, changes) == keys  # the drops rolled back with the load
