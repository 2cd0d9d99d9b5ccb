"""Use cases for households (家庭档案): create, edit the living environment, members in and out, the head."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import ErrorCollector, InvalidInput, NotFound
from kangdang.core.pagination import Page, PageRequest
from kangdang.institutions.actors import current
from kangdang.regions.codes import Level
from kangdang.regions.models import Region
from kangdang.residents.codes import HEAD
from kangdang.residents.history import apply_changes, changes_of, record_change
from kangdang.residents.models import HealthRecord, Household, HouseholdMember, Person, ResidentChange
from kangdang.residents.schemas import HouseholdFields, HouseholdUpdate, MemberChange
from kangdang.residents.scope import get_visible_person

HOUSEHOLD_NOT_FOUND = "未找到该家庭，或不在您的管辖范围内"


def visible_households(actor: Actor) -> ColumnElement[bool]:
    scope = actor.scope
    if scope.everything:
        return true()
    clauses: list[ColumnElement[bool]] = [Household.region_code.startswith(p) for p in scope.region_prefixes]
    if scope.village_codes:
        clauses.append(Household.region_code.in_(scope.village_codes))
    return or_(*clauses) if clauses else false()


def get_visible_household(session: Session, actor: Actor, household_id: uuid.UUID) -> Household:
    household = session.scalar(select(Household).where(Household.id == household_id, visible_households(actor)))
    if household is None:
        raise NotFound(HOUSEHOLD_NOT_FOUND)
    return household


def end_current_membership(session: Session, actor: Actor, person: Person, *, on: date) -> HouseholdMember | None:
    """End the person's current membership the day before ``on`` (history is kept)."""
    member = session.scalar(
        select(HouseholdMember).where(HouseholdMember.person_id == person.id, HouseholdMember.valid_to.is_(None))
    )
    if member is None:
        return None
    member.valid_to = on - timedelta(days=1)
    household = session.get_one(Household, member.household_id)
    if household.head_person_id == person.id:
        household.head_person_id = None
    record_change(
        session,
        actor,
        entity="member",
        entity_id=member.id,
        action="leave",
        person_id=person.id,
        household_id=household.id,
        changes={"household": [household.household_number, None]},
    )
    return member


def create_household(session: Session, actor: Actor, data: HouseholdFields, *, head_id: uuid.UUID) -> Household:
    """A new household in a village, with a visible resident as its head (they leave any other household)."""
    actor.require(Action.RESIDENT_EDIT)
    errors = ErrorCollector()
    region = session.get(Region, data.region_code)
    if region is None or region.level != Level.VILLAGE or not actor.scope.covers_region(data.region_code):
        errors.add("region_code", "请选择您管辖范围内的村/居委会")
    errors.raise_if_any("家庭未保存")
    head = get_visible_person(session, actor, head_id)
    from kangdang.residents.service import create_household_for

    fields = data.model_dump()
    household = create_household_for(session, actor, head, region_code=fields.pop("region_code"), **fields)
    return household


def update_household(session: Session, actor: Actor, household_id: uuid.UUID, data: HouseholdUpdate) -> Household:
    actor.require(Action.RESIDENT_EDIT)
    household = get_visible_household(session, actor, household_id)
    given = data.model_dump(exclude_unset=True)
    if "region_code" in given:
        region = session.get(Region, given["region_code"]) if given["region_code"] else None
        if region is None or region.level != Level.VILLAGE or not actor.scope.covers_region(region.code):
            raise InvalidInput("家庭未保存", errors=[_err("region_code", "请选择您管辖范围内的村/居委会")])
    apply_changes(session, actor, household, given, entity="household", household_id=household.id)
    session.flush()
    return household


def add_member(session: Session, actor: Actor, household_id: uuid.UUID, data: MemberChange) -> HouseholdMember:
    """A resident joins (or moves into) the household with a relationship to the head."""
    actor.require(Action.RESIDENT_EDIT)
    household = get_visible_household(session, actor, household_id)
    person = get_visible_person(session, actor, data.person_id)
    on = data.valid_from or today_local()
    errors = ErrorCollector()
    already = session.scalar(
        select(HouseholdMember.id).where(
            HouseholdMember.household_id == household.id,
            HouseholdMember.person_id == person.id,
            HouseholdMember.valid_to.is_(None),
        )
    )
    if already is not None:
        errors.add("person_id", "该居民已是本家庭成员")
    if data.relationship == HEAD and household.head_person_id is not None:
        errors.add("relationship", "家庭已有户主；请使用“更换户主”")
    if on > today_local():
        errors.add("valid_from", "加入日期不能晚于今天")
    errors.raise_if_any("成员未添加")
    from kangdang.residents.service import add_to_household

    member = add_to_household(session, actor, household, person, data.relationship, on=on)
    if data.relationship == HEAD:
        household.head_person_id = person.id
    session.flush()
    return member


def remove_member(session: Session, actor: Actor, household_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """The resident leaves the household (moved away, married out…); the household stays on file."""
    actor.require(Action.RESIDENT_EDIT)
    household = get_visible_household(session, actor, household_id)
    person = get_visible_person(session, actor, person_id)
    member = session.scalar(
        select(HouseholdMember).where(
            HouseholdMember.household_id == household.id,
            HouseholdMember.person_id == person.id,
            HouseholdMember.valid_to.is_(None),
        )
    )
    if member is None:
        raise InvalidInput("该居民不是本家庭的现有成员")
    end_current_membership(session, actor, person, on=today_local())
    session.flush()


def change_head(
    session: Session,
    actor: Actor,
    household_id: uuid.UUID,
    *,
    new_head_id: uuid.UUID,
    old_head_relationship: str | None = None,
) -> Household:
    """A current member becomes the head; the former head stays with the relationship given."""
    from kangdang.residents.codes import RELATIONSHIPS

    actor.require(Action.RESIDENT_EDIT)
    household = get_visible_household(session, actor, household_id)
    today = today_local()
    members = {
        m.person_id: m
        for m in session.scalars(
            select(HouseholdMember).where(
                HouseholdMember.household_id == household.id, HouseholdMember.valid_to.is_(None)
            )
        )
    }
    errors = ErrorCollector()
    if new_head_id not in members:
        errors.add("new_head_id", "新户主须是本家庭现有成员")
    has_old_head = household.head_person_id is not None and household.head_person_id in members
    if has_old_head and (old_head_relationship not in RELATIONSHIPS or old_head_relationship == HEAD):
        errors.add("old_head_relationship", "请选择原户主与新户主的关系")
    if new_head_id == household.head_person_id:
        errors.add("new_head_id", "该成员已是户主")
    errors.raise_if_any("户主未更换")
    old_head = household.head_person_id
    new_member = members[new_head_id]
    changes: dict[str, list[object]] = {"head": [str(old_head) if old_head else None, str(new_head_id)]}
    _restate(session, new_member, HEAD, today)
    if old_head is not None and old_head in members and old_head_relationship:
        _restate(session, members[old_head], old_head_relationship, today)
    household.head_person_id = new_head_id
    record_change(
        session,
        actor,
        entity="household",
        entity_id=household.id,
        action="change_head",
        household_id=household.id,
        person_id=new_head_id,
        changes=changes,
    )
    session.flush()
    return household


def _restate(session: Session, member: HouseholdMember, relationship: str, on: date) -> None:
    """A new relationship from today: the old membership row ends, a new one starts (history kept)."""
    if member.valid_from >= on:
        member.relationship = relationship
        return
    member.valid_to = on - timedelta(days=1)
    session.add(
        HouseholdMember(
            household_id=member.household_id, person_id=member.person_id, relationship=relationship, valid_from=on
        )
    )


@dataclass(frozen=True)
class HouseholdMemberLine:
    member: HouseholdMember
    person: Person
    record: HealthRecord | None


@dataclass(frozen=True)
class HouseholdView:
    household: Household
    region: Region
    head: Person | None
    members: list[HouseholdMemberLine]
    former: list[HouseholdMemberLine]
    history: list[ResidentChange]


def get_household(session: Session, actor: Actor, household_id: uuid.UUID) -> HouseholdView:
    actor.require(Action.RESIDENT_VIEW)
    household = get_visible_household(session, actor, household_id)
    today = today_local()
    rows = session.execute(
        select(HouseholdMember, Person)
        .join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.household_id == household.id)
        .order_by(HouseholdMember.valid_from, Person.birth_date)
    ).all()
    records = (
        {
            r.person_id: r
            for r in session.scalars(
                select(HealthRecord).where(
                    HealthRecord.person_id.in_([p.id for _m, p in rows]), HealthRecord.status == "active"
                )
            )
        }
        if rows
        else {}
    )
    lines = [HouseholdMemberLine(m, p, records.get(p.id)) for m, p in rows]
    members = [ln for ln in lines if ln.member.valid_to is None or ln.member.valid_to >= today]
    members = [ln for ln in members if ln.member.valid_from <= today]
    former = [ln for ln in lines if ln not in members]
    head = next((ln.person for ln in members if ln.person.id == household.head_person_id), None)
    return HouseholdView(
        household=household,
        region=session.get_one(Region, household.region_code),
        head=head,
        members=sorted(members, key=lambda ln: (ln.member.relationship != HEAD, ln.person.birth_date)),
        former=former,
        history=changes_of(session, household_ids=[household.id]),
    )


def list_households(
    session: Session, actor: Actor, *, page: PageRequest, region_code: str | None = None, query: str | None = None
) -> Page[tuple[Household, Person | None, int]]:
    """Households in scope with their head and current member count (one grouped query)."""
    actor.require(Action.RESIDENT_VIEW)
    today = today_local()
    count = (
        select(func.count(HouseholdMember.id))
        .where(
            HouseholdMember.household_id == Household.id,
            current(HouseholdMember.valid_from, HouseholdMember.valid_to, today),
        )
        .scalar_subquery()
    )
    stmt = (
        select(Household, Person, count)
        .outerjoin(Person, Person.id == Household.head_person_id)
        .where(visible_households(actor))
        .order_by(Household.household_number)
    )
    if region_code:
        stmt = stmt.where(Household.region_code.startswith(region_code))
    if query:
        needle = query.strip()
        stmt = stmt.where(or_(Household.household_number.startswith(needle), Person.name.startswith(needle)))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = [tuple(r) for r in session.execute(stmt.limit(page.size).offset(page.offset))]
    return Page(items=rows, total=total, page=page.page, size=page.size)


def _err(field: str, message: str):
    from kangdang.core.errors import FieldError

    return FieldError(field, message)
