"""Merging a duplicate person into a survivor, and undoing it. Every moved row is remembered for the undo."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.clock import today_local, utcnow
from kangdang.core.errors import InvalidInput, NotFound
from kangdang.institutions.actors import current
from kangdang.residents.events import RecordEvent, publish
from kangdang.residents.history import record_change
from kangdang.residents.models import DuplicateCandidate, HealthRecord, Household, HouseholdMember, Person, PersonMerge
from kangdang.residents.scope import get_visible_person

MERGE_NOTE = "重复档案合并"


def merge_persons(
    session: Session,
    actor: Actor,
    *,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    candidate_id: uuid.UUID | None = None,
) -> PersonMerge:
    """Move every record, household membership and family link of ``merged`` to ``survivor``.

    The merged person stays on file as a pointer (status 'merged'). When both have an open record, the
    merged one's record is closed (reason 其他, 重复档案合并) and kept under the survivor as history; its
    programme episodes close with it (outcome 其他) and stay closed if the merge is undone.
    """
    actor.require(Action.DUPLICATE_MANAGE)
    if survivor_id == merged_id:
        raise InvalidInput("不能把一个人合并到自己")
    survivor = get_visible_person(session, actor, survivor_id)
    merged = get_visible_person(session, actor, merged_id)
    if survivor.status != "active" or merged.status != "active":
        raise InvalidInput("已合并的人员不能再次合并")
    if candidate_id is not None:
        candidate = session.get(DuplicateCandidate, candidate_id)
        if candidate is None or {candidate.person_id, candidate.other_person_id} != {survivor.id, merged.id}:
            raise InvalidInput("该疑似重复记录与所选的两人不符")
    today = today_local()
    moved: dict[str, list[str]] = {
        "records": [],
        "closed_records": [],
        "members": [],
        "ended_members": [],
        "children": [],
        "heads": [],
    }
    survivor_open = session.scalar(
        select(HealthRecord.id).where(HealthRecord.person_id == survivor.id, HealthRecord.status == "active")
    )
    for record in session.scalars(select(HealthRecord).where(HealthRecord.person_id == merged.id)):
        if record.status == "active" and survivor_open is not None:
            record.status, record.closed_on, record.closure_reason = "closed", today, "9"
            record.closure_note = MERGE_NOTE
            moved["closed_records"].append(str(record.id))
        record.person_id = survivor.id
        moved["records"].append(str(record.id))
        session.flush()
    for closed in moved["closed_records"]:  # its programme episodes close as with any closure, tasks cancelled
        publish(session, actor, RecordEvent("closed", record_id=uuid.UUID(closed)))
    survivor_has_home = session.scalar(
        select(HouseholdMember.id).where(
            HouseholdMember.person_id == survivor.id,
            current(HouseholdMember.valid_from, HouseholdMember.valid_to, today),
        )
    )
    for member in session.scalars(select(HouseholdMember).where(HouseholdMember.person_id == merged.id)):
        if member.valid_to is None and survivor_has_home is not None:
            member.valid_to = today - timedelta(days=1)
            moved["ended_members"].append(str(member.id))
        member.person_id = survivor.id
        moved["members"].append(str(member.id))
    for child in session.scalars(select(Person).where(Person.mother_id == merged.id)):
        child.mother_id = survivor.id
        moved["children"].append(str(child.id))
    for household in session.scalars(select(Household).where(Household.head_person_id == merged.id)):
        household.head_person_id = survivor.id
        moved["heads"].append(str(household.id))
    merged.status, merged.merged_into_id = "merged", survivor.id
    merge = PersonMerge(survivor_id=survivor.id, merged_id=merged.id, merged_by=actor.login, moved=moved)
    session.add(merge)
    _settle_candidates(session, actor, survivor.id, merged.id, "merged")
    session.flush()
    record_change(
        session,
        actor,
        entity="merge",
        entity_id=merge.id,
        action="merge",
        person_id=survivor.id,
        changes={
            "merged_person": [None, f"{merged.name}（{merged.document_masked or '无证件'}）"],
            "moved": [None, {k: len(v) for k, v in moved.items()}],
        },
    )
    record_change(
        session,
        actor,
        entity="merge",
        entity_id=merge.id,
        action="merged_into",
        person_id=merged.id,
        changes={"merged_into": [None, survivor.name]},
        audit=False,
    )
    return merge


def unmerge_persons(session: Session, actor: Actor, merge_id: uuid.UUID) -> PersonMerge:
    """Undo a merge: every moved row goes back, closed records reopen, the pair returns to the worklist."""
    actor.require(Action.DUPLICATE_MANAGE)
    merge = session.get(PersonMerge, merge_id)
    if merge is None:
        raise NotFound("未找到该合并记录")
    survivor = get_visible_person(session, actor, merge.survivor_id)
    if merge.undone_at is not None:
        raise InvalidInput("该合并已撤销")
    merged = session.get_one(Person, merge.merged_id)
    moved = merge.moved
    ids = lambda key: [uuid.UUID(x) for x in moved.get(key, [])]  # noqa: E731
    if ids("records"):
        session.execute(update(HealthRecord).where(HealthRecord.id.in_(ids("records"))).values(person_id=merged.id))
    if ids("closed_records"):
        session.execute(
            update(HealthRecord)
            .where(HealthRecord.id.in_(ids("closed_records")))
            .values(status="active", closed_on=None, closure_reason=None, closure_note=None)
        )
    if ids("members"):
        session.execute(
            update(HouseholdMember).where(HouseholdMember.id.in_(ids("members"))).values(person_id=merged.id)
        )
    if ids("ended_members"):
        session.execute(
            update(HouseholdMember).where(HouseholdMember.id.in_(ids("ended_members"))).values(valid_to=None)
        )
    if ids("children"):
        session.execute(update(Person).where(Person.id.in_(ids("children"))).values(mother_id=merged.id))
    if ids("heads"):
        session.execute(update(Household).where(Household.id.in_(ids("heads"))).values(head_person_id=merged.id))
    merged.status, merged.merged_into_id = "active", None
    merge.undone_at, merge.undone_by = utcnow(), actor.login
    _settle_candidates(session, actor, survivor.id, merged.id, "open")
    session.flush()
    session.expire_all()
    record_change(
        session,
        actor,
        entity="merge",
        entity_id=merge.id,
        action="unmerge",
        person_id=merge.survivor_id,
        changes={"restored_person": [None, merged.name]},
    )
    record_change(
        session,
        actor,
        entity="merge",
        entity_id=merge.id,
        action="restored",
        person_id=merge.merged_id,
        changes={"merged_into": [survivor.name, None]},
        audit=False,
    )
    return merge


def _settle_candidates(session: Session, actor: Actor, a: uuid.UUID, b: uuid.UUID, status: str) -> None:
    first, second = sorted((a, b))
    candidate = session.scalar(
        select(DuplicateCandidate).where(
            DuplicateCandidate.person_id == first, DuplicateCandidate.other_person_id == second
        )
    )
    if candidate is None:
        candidate = DuplicateCandidate(person_id=first, other_person_id=second, reason="人工合并", score=1.0)
        session.add(candidate)
    candidate.status = status
    candidate.decided_by = actor.login if status != "open" else None
    candidate.decided_at = utcnow() if status != "open" else None


def merges_of(session: Session, person_id: uuid.UUID) -> list[PersonMerge]:
    return list(
        session.scalars(
            select(PersonMerge)
            .where((PersonMerge.survivor_id == person_id) | (PersonMerge.merged_id == person_id))
            .order_by(PersonMerge.merged_at.desc())
        )
    )
