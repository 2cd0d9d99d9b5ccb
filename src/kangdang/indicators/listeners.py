"""Marking villages for the incremental refresh, in the transaction that changes them.

An ORM flush that adds or changes a health record, a form, a programme episode or a person marks the village of
the record concerned (and, for a record that moved, the village it left); a bulk insert of records or forms
(imports, the demo) marks the villages of the rows. The marks commit or roll back with the change itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from kangdang.db.bulk import after_bulk_insert
from kangdang.indicators.models import IndicatorDirty
from kangdang.programmes.models import Episode
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import HealthRecord, Person


def _villages_of(session: Session, *, records: set[uuid.UUID], persons: set[uuid.UUID]) -> set[str]:
    found: set[str] = set()
    if records:
        found.update(
            session.connection().scalars(select(HealthRecord.village_code).where(HealthRecord.id.in_(records)))
        )
    if persons:
        found.update(
            session.connection().scalars(select(HealthRecord.village_code).where(HealthRecord.person_id.in_(persons)))
        )
    return found


def _mark(session: Session, villages: set[str]) -> None:
    codes = sorted(v for v in villages if v)
    if codes:
        session.connection().execute(insert(IndicatorDirty), [{"village_code": code} for code in codes])


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    villages: set[str] = set()
    records: set[uuid.UUID] = set()
    persons: set[uuid.UUID] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, HealthRecord):
            villages.add(obj.village_code)
            villages.update(inspect(obj).attrs.village_code.history.deleted or ())
        elif isinstance(obj, ServiceRecord):
            records.add(obj.record_id)
        elif isinstance(obj, Episode | Person):
            persons.add(obj.person_id if isinstance(obj, Episode) else obj.id)
    if villages or records or persons:
        _mark(session, villages | _villages_of(session, records=records, persons=persons))


@after_bulk_insert(HealthRecord.__tablename__)
def _records_inserted(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    _mark(session, {row["village_code"] for row in rows if row.get("village_code")})


@event.listens_for(Session, "do_orm_execute")
def _bulk_insert(state: ORMExecuteState) -> None:
    if not state.is_insert or not isinstance(state.parameters, list | dict):
        return
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ not in (HealthRecord, ServiceRecord):
        return
    rows: list[dict[str, Any]] = state.parameters if isinstance(state.parameters, list) else [state.parameters]
    if mapper.class_ is HealthRecord:
        _mark(state.session, {row["village_code"] for row in rows if row.get("village_code")})
    else:
        ids = {row["record_id"] for row in rows if row.get("record_id")}
        _mark(state.session, _villages_of(state.session, records=ids, persons=set()))
