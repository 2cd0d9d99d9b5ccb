"""Finding residents: by ID number, record number (full or the 8 digits on forms), name, pinyin (full or
initials), phone or household number, within the actor's scope. Every branch uses an index.

Prefix matches are written as ranges (``>= p AND < p + U+10FFFF``): SQLite compares text bytewise, and the
PostgreSQL columns used this way have the "C" collation, so both answer from the B-tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, union
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.crypto import cipher_for
from kangdang.access.roles import Action
from kangdang.core.idnumber import IdNumberError, parse_id_number
from kangdang.core.pagination import Page, PageRequest
from kangdang.residents.models import HealthRecord, Household, HouseholdMember, Person, PersonSearchKey
from kangdang.residents.phones import phone_index
from kangdang.residents.pinyin import is_pinyin_query, normalize_query
from kangdang.residents.scope import visible_records

_TOP = "\U0010ffff"
_ID_LIKE = re.compile(r"^\d{15}$|^\d{17}[\dXx]$")


@dataclass(frozen=True)
class ResidentHit:
    person: Person
    record: HealthRecord


def prefix(column: Any, text: str) -> ColumnElement[bool]:
    return and_(column >= text, column < text + _TOP)


def describe_query(query: str) -> str:
    """What the search box understood, for the page (e.g. 按拼音首字母)."""
    kind = _kind(query.strip())
    return {
        "id": "按身份证号",
        "record": "按档案编号",
        "short": "按档案编号后 8 位",
        "phone": "按电话",
        "digits": "按编号或电话开头",
        "pinyin": "按拼音或首字母",
        "name": "按姓名",
        "other": "按证件号码",
    }[kind]


def _kind(q: str) -> str:
    if _ID_LIKE.match(q):
        return "id"
    if q.isdigit():
        if len(q) in (17, 20):
            return "record"
        if len(q) == 8:
            return "short"
        if len(q) == 11 and q.startswith("1"):
            return "phone"
        return "digits"
    if is_pinyin_query(q):
        return "pinyin"
    if any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in q):
        return "name"
    return "other"


def _condition(session: Session, query: str) -> ColumnElement[bool]:
    q = query.strip()
    kind = _kind(q)
    cipher = cipher_for(session)
    if kind == "id":
        try:
            number = parse_id_number(q).value
        except IdNumberError:
            number = q.upper()
        return Person.document_index == cipher.blind_index(number)
    # an OR across the record and the person would scan every visible record: each side is found by its own
    # index and the persons taken from their union
    if kind == "record":
        return _either(HealthRecord.record_number == q, Person.id.in_(_household_members(q)))
    if kind == "short":
        return _either(HealthRecord.short_number == q, Person.phone_index == phone_index(cipher, q))
    if kind == "phone":
        return Person.phone_index == phone_index(cipher, q)
    if kind == "digits":  # a record number's beginning, or a whole landline number
        return _either(prefix(HealthRecord.record_number, q), Person.phone_index == phone_index(cipher, q))
    if kind == "pinyin":
        key = normalize_query(q)
        return Person.id.in_(select(PersonSearchKey.person_id).where(prefix(PersonSearchKey.key, key)))
    if kind == "name":
        return prefix(Person.name, q.replace(" ", ""))
    return Person.document_index == cipher.blind_index(q.upper())


def _either(on_record: ColumnElement[bool], on_person: ColumnElement[bool]) -> ColumnElement[bool]:
    """The records that match ``on_record``, or whose person matches ``on_person``."""
    return HealthRecord.id.in_(
        union(
            select(HealthRecord.id).where(on_record).correlate(None),
            select(HealthRecord.id).join(Person, Person.id == HealthRecord.person_id).where(on_person).correlate(None),
        )
    )


def _household_members(number: str) -> Select[Any]:
    return (
        select(HouseholdMember.person_id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.household_number == number, HouseholdMember.valid_to.is_(None))
    )


def search_residents(
    session: Session,
    actor: Actor,
    *,
    query: str | None,
    page: PageRequest,
    village_code: str | None = None,
    include_closed: bool = False,
) -> Page[ResidentHit]:
    """Residents matching ``query`` among the records the actor may see, ordered by pinyin."""
    actor.require(Action.RESIDENT_VIEW)
    stmt = (
        select(Person, HealthRecord)
        .join(HealthRecord, HealthRecord.person_id == Person.id)
        .where(visible_records(actor))
    )
    if not include_closed:
        stmt = stmt.where(HealthRecord.status == "active")
    if village_code:
        stmt = stmt.where(prefix(HealthRecord.village_code, village_code))
    if query and query.strip():
        stmt = stmt.where(_condition(session, query))
    elif not village_code:
        return Page(items=[], total=0, page=page.page, size=page.size)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Person.name_pinyin, Person.id, HealthRecord.filed_on.desc()).limit(page.size).offset(page.offset)
    )
    return Page(items=[ResidentHit(p, r) for p, r in rows], total=total, page=page.page, size=page.size)
