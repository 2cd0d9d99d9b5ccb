"""The bulk path of an import (批量建档): numbers reserved per village, rows inserted in multi-row statements.

Called by ``residents.bulk.import_residents`` once every row has passed its checks; writes in the caller's
transaction, with a history row per new record and per new household (action "import").
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.crypto import cipher_for, mask_identity
from kangdang.core.clock import today_local, utcnow
from kangdang.core.ids import new_id
from kangdang.db.bulk import insert_rows, table_of
from kangdang.db.engine import settings_of
from kangdang.institutions.models import Institution
from kangdang.residents.models import (
    HealthRecord,
    Household,
    HouseholdMember,
    Person,
    PersonSearchKey,
    ResidentChange,
)
from kangdang.residents.numbering import RecordNumber, allocate_household_numbers, allocate_record_numbers
from kangdang.residents.phones import phone_index
from kangdang.residents.pinyin import name_pinyin, search_keys

if TYPE_CHECKING:
    from kangdang.residents.bulk import CheckedRow, ImportPlan, Progress

CHUNK = 2000  # rows per INSERT statement
PERSON_TABLE: Table = Person.__table__  # type: ignore[assignment]
LOOKUP_CHUNK = 900  # values per IN (…) list of a lookup
RECORD_ROLES = ("village_doctor", "township_doctor", "records_manager")
T = TypeVar("T")


def chunked(values: Iterable[T], size: int = LOOKUP_CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_plan(
    session: Session, actor: Actor, plan: ImportPlan, *, filename: str | None, progress: Progress | None
) -> None:
    """Insert the new persons, search keys, records, households, members and history rows of a checked plan."""
    new = plan.new_rows
    if not new:
        return
    now = utcnow()
    person_ids = {id(c): new_id() for c in new}
    numbers = _record_numbers(session, new)
    households, household_of = _households(session, plan, person_ids, now)

    cipher = cipher_for(session)
    today = today_local()
    own = [m.institution_id for m in actor.memberships if m.role.value in RECORD_ROLES]
    persons: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for c in new:
        row, person_id, number = c.row, person_ids[id(c)], numbers[id(c)]
        managing = plan.managing[row.current_region_code]
        record_id = new_id()
        filed_on = row.filed_on or today
        values = _person_values(c, person_id, cipher.encrypt(c.number or ""), now)
        values["phone_index"] = phone_index(cipher, c.row.phone)
        persons.append(values)
        keys.extend({"key": key, "person_id": person_id} for key in search_keys(row.name.strip()))
        # the filing institution: the actor's own care institution, else the managing one (as for one resident)
        filing_id = own[0] if own else managing.id
        records.append(_record_values(actor, record_id, person_id, c, number, managing, filing_id, filed_on, now))
        household = household_of.get(row.household or "")
        if household is not None:
            members.append(
                {
                    "id": new_id(),
                    "household_id": household[0],
                    "person_id": person_id,
                    "relationship": row.relationship or "97",
                    "valid_from": filed_on,
                    "valid_to": None,
                    "created_at": now,
                }
            )
        summary = {
            "record_number": [None, number.value],
            "name": [None, row.name],
            "document": [None, mask_identity(c.number or "")],
            "managing_institution": [None, managing.name],
            "household": [None, household[1] if household else None],
            "relationship": [None, row.relationship if household else None],
            "file": filename,
        }
        changes.append(
            _change(actor, now, "record", record_id, person_id, household[0] if household else None, summary)
        )
    for values in households:
        summary = {"household_number": [None, values["household_number"]], "file": filename}
        changes.append(_change(actor, now, "household", values["id"], values["head_person_id"], values["id"], summary))

    # every row of a table has the same columns: COPY on PostgreSQL, multi-row INSERTs elsewhere
    done = 0
    for chunk in chunked(persons, CHUNK):
        insert_rows(session, PERSON_TABLE, chunk)
        done += len(chunk)
        if progress:
            progress("写入", done, len(new))
    insert_rows(session, table_of(PersonSearchKey), keys)
    # (the indicators mark the records' villages for their refresh: an ``after_bulk_insert`` hook)
    for model, values_list in (
        (HealthRecord, records),
        (Household, households),
        (HouseholdMember, members),
        (ResidentChange, changes),
    ):
        insert_rows(session, table_of(model), values_list)


def _record_numbers(session: Session, new: list[CheckedRow]) -> dict[int, RecordNumber]:
    """Reserve every village's numbers in one step, handed out in file order."""
    pattern = settings_of(session).record_number_pattern
    by_village: dict[str, list[CheckedRow]] = defaultdict(list)
    for c in new:
        by_village[c.row.current_region_code].append(c)
    allocated = allocate_record_numbers(session, pattern, {village: len(rows) for village, rows in by_village.items()})
    numbers: dict[int, RecordNumber] = {}
    for village, rows in by_village.items():
        for c, number in zip(rows, allocated[village], strict=True):
            numbers[id(c)] = number
    return numbers


def _households(
    session: Session, plan: ImportPlan, person_ids: dict[int, uuid.UUID], now: datetime
) -> tuple[list[dict[str, Any]], dict[str, tuple[uuid.UUID, str]]]:
    """The new households (numbered per village of their head), and every household a row joins, by the
    row's key or household number → (id, household number)."""
    heads = {key: head for key, head in plan.group_heads.items() if head.existing_id is None}
    by_village: dict[str, list[str]] = defaultdict(list)
    for key, head in heads.items():
        by_village[head.row.current_region_code].append(key)
    created: list[dict[str, Any]] = []
    joined: dict[str, tuple[uuid.UUID, str]] = {}
    allocated = allocate_household_numbers(session, {village: len(keys) for village, keys in by_village.items()})
    for village in sorted(by_village):
        keys = by_village[village]
        for key, number in zip(keys, allocated[village], strict=True):
            head_row = heads[key].row
            household_id = new_id()
            joined[key] = (household_id, number)
            created.append(
                {
                    "id": household_id,
                    "household_number": number,
                    "region_code": village,
                    "address": head_row.current_address,
                    "head_person_id": person_ids[id(heads[key])],
                    "phone": head_row.phone,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    for number, household in plan.households.items():
        joined[number] = (household.id, household.household_number)
    for key, household in plan.group_joins.items():
        joined[key] = (household.id, household.household_number)
    return created, joined


def _person_values(c: CheckedRow, person_id: uuid.UUID, cipher_text: bytes, now: datetime) -> dict[str, Any]:
    row = c.row
    name = row.name.strip()
    return {
        "id": person_id,
        "document_type": row.document_type,
        "document_index": c.index,
        "document_cipher": cipher_text,
        "document_masked": mask_identity(c.number or ""),
        "name": name,
        "name_pinyin": name_pinyin(name),
        "sex": c.sex,
        "birth_date": c.birth_date,
        "ethnicity": row.ethnicity,
        "phone": row.phone,
        "contact_name": row.contact_name,
        "contact_phone": row.contact_phone,
        "residence_type": row.residence_type,
        "registered_region_code": row.registered_region_code,
        "registered_address": row.registered_address,
        "current_region_code": row.current_region_code,
        "current_address": row.current_address,
        "work_unit": row.work_unit,
        "mother_id": None,
        "status": "active",
        "merged_into_id": None,
        "created_at": now,
        "updated_at": now,
    }


def _record_values(
    actor: Actor,
    record_id: uuid.UUID,
    person_id: uuid.UUID,
    c: CheckedRow,
    number: RecordNumber,
    managing: Institution,
    filing_id: uuid.UUID,
    filed_on: date,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": record_id,
        "person_id": person_id,
        "record_number": number.value,
        "short_number": number.short,
        "numbering_unit": number.unit,
        "serial": number.serial,
        "village_code": c.row.current_region_code,
        "managing_institution_id": managing.id,
        "filing_institution_id": filing_id,
        "responsible_doctor_id": None,
        "filed_by_user_id": None if actor.is_system else actor.user_id,
        "filed_by_name": actor.name,
        "filed_on": filed_on,
        "paper_location": c.row.paper_location,
        "status": "active",
        "created_at": now,
        "updated_at": now,
    }


def _change(
    actor: Actor,
    now: datetime,
    entity: str,
    entity_id: uuid.UUID,
    person_id: uuid.UUID,
    household_id: uuid.UUID | None,
    changes: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "at": now,
        "person_id": person_id,
        "household_id": household_id,
        "entity": entity,
        "entity_id": str(entity_id),
        "action": "import",
        "login": actor.login,
        "changes": changes,
    }
