"""Likely duplicates: the check before filing, the worklist for records managers, and marking pairs.

A pair is likely the same person when the name, or its reading, matches with the same birth date and sex,
or when the phone matches and the names are similar. Merging is in ``residents.merge``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from kangdang.access.actor import Actor
from kangdang.access.crypto import cipher_for
from kangdang.access.roles import Action
from kangdang.core.clock import utcnow
from kangdang.core.errors import Conflict, FieldError, InvalidInput, NotFound
from kangdang.core.pagination import Page, PageRequest, paginate
from kangdang.residents.history import record_change
from kangdang.residents.models import DuplicateCandidate, HealthRecord, Person
from kangdang.residents.phones import phone_index
from kangdang.residents.pinyin import name_pinyin
from kangdang.residents.scope import visible_persons

SIMILAR_NAME = 50  # rapidfuzz ratio (0–100) for "similar" names sharing a phone


@dataclass(frozen=True)
class DuplicateHit:
    person: Person
    record_number: str | None
    reason: str
    score: float
    visible: bool


class LikelyDuplicates(Conflict):
    code = "likely_duplicates"
    default_message = "发现疑似重复的居民，请核对；确认不是同一人后再勾选“已核对”保存"

    def __init__(self, hits: list[DuplicateHit]) -> None:
        shown = [h for h in hits if h.visible]
        hidden = len(hits) - len(shown)
        errors = [
            FieldError(
                "confirm_duplicates",
                f"{h.person.name}，{h.person.birth_date.isoformat()}，档案编号 {h.record_number or '—'}（{h.reason}）",
            )
            for h in shown
        ]
        if hidden:
            errors.append(FieldError("confirm_duplicates", f"另有 {hidden} 位疑似重复的居民在其他机构建档"))
        super().__init__(errors=errors)
        self.hits = hits


def _pair_reason(name: str, pinyin: str, phone: str | None, other: Person) -> tuple[str, float] | None:
    if other.name == name:
        return "姓名、出生日期、性别相同", 1.0
    if other.name_pinyin == pinyin:
        return "姓名读音、出生日期、性别相同", 0.9
    if phone and other.phone == phone:
        score = fuzz.ratio(name, other.name)
        if score >= SIMILAR_NAME:
            return "电话相同且姓名相近", score / 100
    return None


def likely_duplicates(
    session: Session,
    actor: Actor,
    *,
    name: str,
    birth_date: date,
    sex: str,
    phone: str | None,
    exclude: uuid.UUID | None = None,
) -> list[DuplicateHit]:
    """Persons already on file who look like the one described (two indexed lookups)."""
    pinyin = name_pinyin(name)
    same_birth = and_(
        Person.birth_date == birth_date, Person.sex == sex, or_(Person.name == name, Person.name_pinyin == pinyin)
    )
    same_phone = Person.phone_index == phone_index(cipher_for(session), phone)
    condition = or_(same_birth, same_phone) if phone else same_birth
    stmt = select(Person).where(condition, Person.status == "active")
    if exclude is not None:
        stmt = stmt.where(Person.id != exclude)
    people = list(session.scalars(stmt.limit(50)))
    if not people:
        return []
    visible = set(
        session.scalars(select(Person.id).where(Person.id.in_([p.id for p in people]), visible_persons(actor)))
    )
    numbers = dict(
        session.execute(
            select(HealthRecord.person_id, HealthRecord.record_number).where(
                HealthRecord.person_id.in_([p.id for p in people]), HealthRecord.status == "active"
            )
        ).all()
    )
    hits = []
    for other in people:
        if other.birth_date != birth_date or other.sex != sex:
            judged = _pair_reason(name, "\0", phone, other) if phone and other.phone == phone else None
        else:
            judged = _pair_reason(name, pinyin, phone, other)
        if judged is not None:
            hits.append(DuplicateHit(other, numbers.get(other.id), judged[0], judged[1], other.id in visible))
    return sorted(hits, key=lambda h: -h.score)


def remember_pairs(session: Session, person: Person, hits: list[DuplicateHit]) -> None:
    """Put confirmed-at-filing pairs on the worklist so a records manager reviews them."""
    for hit in hits:
        a, b = sorted((person.id, hit.person.id))
        exists = session.scalar(
            select(DuplicateCandidate.id).where(
                DuplicateCandidate.person_id == a, DuplicateCandidate.other_person_id == b
            )
        )
        if exists is None:
            session.add(DuplicateCandidate(person_id=a, other_person_id=b, reason=hit.reason, score=hit.score))


def detect_duplicates(session: Session, actor: Actor, *, region_prefix: str | None = None) -> int:
    """Scan for likely duplicate pairs (same reading, birth date and sex) and add new ones to the worklist."""
    actor.require(Action.DUPLICATE_MANAGE)
    other = aliased(Person)
    stmt = (
        select(Person.id, other.id, Person.name, other.name)
        .join(
            other,
            and_(
                other.birth_date == Person.birth_date,
                other.sex == Person.sex,
                other.name_pinyin == Person.name_pinyin,
                other.id > Person.id,
            ),
        )
        .where(Person.status == "active", other.status == "active", visible_persons(actor))
    )
    if region_prefix:
        stmt = stmt.where(Person.current_region_code.startswith(region_prefix))
    known = {
        (a, b) for a, b in session.execute(select(DuplicateCandidate.person_id, DuplicateCandidate.other_person_id))
    }
    added = 0
    for a, b, name_a, name_b in session.execute(stmt):
        pair = (a, b) if a < b else (b, a)
        if pair in known:
            continue
        known.add(pair)
        reason = "姓名、出生日期、性别相同" if name_a == name_b else "姓名读音、出生日期、性别相同"
        session.add(
            DuplicateCandidate(
                person_id=pair[0], other_person_id=pair[1], reason=reason, score=1.0 if name_a == name_b else 0.9
            )
        )
        added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class CandidateLine:
    candidate: DuplicateCandidate
    person: Person
    other: Person


def list_duplicate_candidates(
    session: Session, actor: Actor, *, page: PageRequest, status: str = "open"
) -> Page[CandidateLine]:
    """The worklist: pairs where both persons are in the actor's scope."""
    actor.require(Action.DUPLICATE_MANAGE)
    first, second, pointer = aliased(Person), aliased(Person), aliased(Person)
    visible = select(Person.id).where(visible_persons(actor))
    # A merged person keeps no record of their own: they are in scope through the survivor they point to.
    via_survivor = select(pointer.id).where(pointer.merged_into_id.in_(visible))
    stmt = (
        select(DuplicateCandidate)
        .join(first, first.id == DuplicateCandidate.person_id)
        .join(second, second.id == DuplicateCandidate.other_person_id)
        .where(DuplicateCandidate.status == status)
        .where(or_(DuplicateCandidate.person_id.in_(visible), DuplicateCandidate.person_id.in_(via_survivor)))
        .where(
            or_(DuplicateCandidate.other_person_id.in_(visible), DuplicateCandidate.other_person_id.in_(via_survivor))
        )
        .order_by(DuplicateCandidate.detected_at.desc(), DuplicateCandidate.id)
    )
    result = paginate(session, stmt, page)
    ids = {c.person_id for c in result.items} | {c.other_person_id for c in result.items}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    lines = [CandidateLine(c, people[c.person_id], people[c.other_person_id]) for c in result.items]
    return Page(items=lines, total=result.total, page=result.page, size=result.size)


def get_candidate(session: Session, actor: Actor, candidate_id: uuid.UUID) -> CandidateLine:
    actor.require(Action.DUPLICATE_MANAGE)
    candidate = session.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        raise NotFound("未找到该疑似重复记录")
    people = {
        p.id: p
        for p in session.scalars(
            select(Person).where(
                Person.id.in_([candidate.person_id, candidate.other_person_id]), visible_persons(actor)
            )
        )
    }
    if len(people) != 2:
        raise NotFound("未找到该疑似重复记录")
    return CandidateLine(candidate, people[candidate.person_id], people[candidate.other_person_id])


def mark_not_duplicate(session: Session, actor: Actor, candidate_id: uuid.UUID) -> DuplicateCandidate:
    line = get_candidate(session, actor, candidate_id)
    if line.candidate.status != "open":
        raise InvalidInput("该记录已处理")
    line.candidate.status = "not_duplicate"
    line.candidate.decided_by = actor.login
    line.candidate.decided_at = utcnow()
    record_change(
        session,
        actor,
        entity="merge",
        entity_id=line.candidate.id,
        action="not_duplicate",
        person_id=line.person.id,
        changes={"other": [None, line.other.name]},
    )
    session.flush()
    return line.candidate


def open_candidate_count(session: Session, actor: Actor) -> int:
    if not actor.can(Action.DUPLICATE_MANAGE):
        return 0
    return list_duplicate_candidates(session, actor, page=PageRequest(size=1)).total
