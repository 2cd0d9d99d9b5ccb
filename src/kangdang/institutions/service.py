"""Use cases for institutions (医疗卫生机构): list, view, create, edit, and close or merge into a successor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action, Role
from kangdang.core.clock import today_local
from kangdang.core.errors import ErrorCollector, FieldError, InvalidInput, NotFound, PermissionDenied
from kangdang.core.pagination import Page, PageRequest, paginate
from kangdang.institutions.actors import current
from kangdang.institutions.models import Catchment, Institution, Membership
from kangdang.institutions.schemas import InstitutionClosure, InstitutionCreate, InstitutionUpdate
from kangdang.regions.codes import Level
from kangdang.regions.models import Region

# --- scope ---------------------------------------------------------------------------------------------


def visible_institutions(actor: Actor) -> ColumnElement[bool]:
    """The one SQL filter for which institutions an actor may see (deny by default)."""
    scope = actor.scope
    if scope.everything:
        return true()
    clauses: list[ColumnElement[bool]] = [
        Institution.region_code.startswith(prefix) for prefix in scope.region_prefixes
    ]
    if scope.institution_ids:
        clauses.append(Institution.id.in_(scope.institution_ids))
    return or_(*clauses) if clauses else false()


def managed_institutions(actor: Actor, action: Action) -> ColumnElement[bool]:
    """Institutions where the actor may perform a managing ``action`` (e.g. staff.manage)."""
    if actor.scope.everything and actor.can(action):
        return true()
    clauses: list[ColumnElement[bool]] = []
    for membership in actor.memberships:
        if not actor.can(action) or membership.role not in _roles_for(action):
            continue
        if membership.role.is_county_role:
            clauses.extend(Institution.region_code.startswith(p) for p in actor.scope.region_prefixes)
        else:
            clauses.append(
                or_(Institution.id == membership.institution_id, Institution.supervisor_id == membership.institution_id)
            )
    return or_(*clauses) if clauses else false()


def _roles_for(action: Action) -> frozenset[Role]:
    from kangdang.access.roles import PERMISSIONS

    return PERMISSIONS[action]


def _get_visible(session: Session, actor: Actor, institution_id: uuid.UUID) -> Institution:
    institution = session.scalar(
        select(Institution).where(Institution.id == institution_id, visible_institutions(actor))
    )
    if institution is None:
        raise NotFound("未找到该机构，或您无权查看")
    return institution


def _require_managed(session: Session, actor: Actor, institution_id: uuid.UUID, action: Action) -> Institution:
    institution = _get_visible(session, actor, institution_id)
    actor.require(action)
    allowed = session.scalar(
        select(Institution.id).where(Institution.id == institution_id, managed_institutions(actor, action))
    )
    if allowed is None:
        raise PermissionDenied("您无权管理该机构")
    return institution


# --- queries -------------------------------------------------------------------------------------------


def list_institutions(
    session: Session,
    actor: Actor,
    *,
    page: PageRequest,
    query: str | None = None,
    type: str | None = None,
    status: str | None = None,
    region_code: str | None = None,
) -> Page[Institution]:
    actor.require(Action.INSTITUTION_VIEW)
    stmt: Select = select(Institution).where(visible_institutions(actor)).order_by(Institution.code)
    if query:
        needle = query.strip()
        stmt = stmt.where(
            or_(
                Institution.name.contains(needle, autoescape=True), Institution.code.startswith(needle, autoescape=True)
            )
        )
    if type:
        stmt = stmt.where(Institution.type == type)
    if status:
        stmt = stmt.where(Institution.status == status)
    if region_code:
        stmt = stmt.where(Institution.region_code.startswith(region_code, autoescape=True))
    return paginate(session, stmt, page)


@dataclass(frozen=True)
class InstitutionDetail:
    institution: Institution
    region: Region
    supervisor: Institution | None
    successor: Institution | None
    catchment: list[Region]
    supervised: list[Institution]
    staff_count: int
    can_edit: bool
    can_close: bool


def get_institution(session: Session, actor: Actor, institution_id: uuid.UUID) -> InstitutionDetail:
    actor.require(Action.INSTITUTION_VIEW)
    institution = _get_visible(session, actor, institution_id)
    today = today_local()
    region = session.get_one(Region, institution.region_code)
    related = {
        i.id: i
        for i in session.scalars(
            select(Institution).where(
                Institution.id.in_([x for x in (institution.supervisor_id, institution.successor_id) if x])
            )
        )
    }
    catchment = list(
        session.scalars(
            select(Region)
            .join(Catchment, Catchment.region_code == Region.code)
            .where(Catchment.institution_id == institution.id, current(Catchment.valid_from, Catchment.valid_to, today))
            .order_by(Region.code)
        )
    )
    supervised = list(
        session.scalars(
            select(Institution)
            .where(Institution.supervisor_id == institution.id, visible_institutions(actor))
            .order_by(Institution.code)
        )
    )
    staff_count = session.scalar(
        select(func.count(func.distinct(Membership.practitioner_id))).where(
            Membership.institution_id == institution.id, current(Membership.valid_from, Membership.valid_to, today)
        )
    )
    managed = session.scalar(
        select(Institution.id).where(
            Institution.id == institution.id, managed_institutions(actor, Action.INSTITUTION_EDIT)
        )
    )
    return InstitutionDetail(
        institution=institution,
        region=region,
        supervisor=related.get(institution.supervisor_id) if institution.supervisor_id else None,
        successor=related.get(institution.successor_id) if institution.successor_id else None,
        catchment=catchment,
        supervised=supervised,
        staff_count=staff_count or 0,
        can_edit=actor.can(Action.INSTITUTION_EDIT) and managed is not None and institution.status == "active",
        can_close=actor.can(Action.INSTITUTION_CLOSE) and institution.status == "active",
    )


def institution_choices(session: Session, actor: Actor, *, active_only: bool = True) -> list[Institution]:
    """Visible institutions for a drop-down (supervisor, successor, membership)."""
    stmt = select(Institution).where(visible_institutions(actor)).order_by(Institution.code)
    if active_only:
        stmt = stmt.where(Institution.status == "active")
    return list(session.scalars(stmt))


# --- changes -------------------------------------------------------------------------------------------


def create_institution(session: Session, actor: Actor, data: InstitutionCreate) -> Institution:
    actor.require(Action.INSTITUTION_CREATE)
    errors = ErrorCollector()
    if session.scalar(select(Institution.id).where(Institution.code == data.code)) is not None:
        errors.add("code", f"机构代码 {data.code} 已被使用")
    _check_region(session, actor, data.region_code, errors)
    if data.supervisor_id is not None:
        _check_supervisor(session, actor, data.supervisor_id, None, errors)
    villages = _check_catchment(session, actor, data.catchment, errors)
    errors.raise_if_any("机构未保存")
    institution = Institution(
        code=data.code,
        name=data.name,
        type=data.type.value,
        region_code=data.region_code,
        supervisor_id=data.supervisor_id,
        address=data.address,
        phone=data.phone,
    )
    session.add(institution)
    session.flush()
    _set_catchment(session, institution, villages, today_local())
    record_event(
        session,
        actor,
        "institution.create",
        subject_type="institution",
        subject_id=institution.id,
        details=data.model_dump(mode="json"),
    )
    session.flush()
    return institution


def update_institution(
    session: Session, actor: Actor, institution_id: uuid.UUID, data: InstitutionUpdate
) -> Institution:
    institution = _require_managed(session, actor, institution_id, Action.INSTITUTION_EDIT)
    if institution.status != "active":
        raise InvalidInput("已合并或撤销的机构不能修改")
    changes = data.model_dump(exclude_unset=True, mode="json")
    county_level = actor.can(Action.INSTITUTION_CREATE)
    errors = ErrorCollector()
    for key in ("type", "supervisor_id", "catchment"):
        if key in changes and not county_level:
            errors.add(key, "只有县卫健局管理员可以修改机构类型、上级机构和服务范围")
    if data.supervisor_id is not None:
        _check_supervisor(session, actor, data.supervisor_id, institution.id, errors)
    villages = _check_catchment(session, actor, data.catchment, errors) if data.catchment is not None else None
    errors.raise_if_any("机构未保存")
    before = {k: _plain(getattr(institution, k)) for k in changes if k != "catchment"}
    for key in ("name", "type", "supervisor_id", "address", "phone"):
        if key in data.model_fields_set:
            value = getattr(data, key)
            setattr(institution, key, value.value if key == "type" and value is not None else value)
    if villages is not None:
        _set_catchment(session, institution, villages, today_local())
    record_event(
        session,
        actor,
        "institution.update",
        subject_type="institution",
        subject_id=institution.id,
        details={"before": before, "after": changes},
    )
    session.flush()
    return institution


def close_institution(
    session: Session, actor: Actor, institution_id: uuid.UUID, data: InstitutionClosure
) -> Institution:
    """Merge or close an institution: its catchment, supervised institutions and records pass to the successor.

    Memberships at the closed institution end the day before the closing date.
    """
    actor.require(Action.INSTITUTION_CLOSE)
    institution = _require_managed(session, actor, institution_id, Action.INSTITUTION_CLOSE)
    errors = ErrorCollector()
    if institution.status != "active":
        errors.add("status", "该机构已合并或撤销")
    if data.successor_id == institution.id:
        errors.add("successor_id", "承接机构不能是该机构本身")
    successor = session.scalar(
        select(Institution).where(Institution.id == data.successor_id, visible_institutions(actor))
    )
    if successor is None:
        errors.add("successor_id", "承接机构不存在")
    elif successor.status != "active":
        errors.add("successor_id", "承接机构必须是正常运行的机构")
    if data.closed_on > today_local() + timedelta(days=366):
        errors.add("closed_on", "撤销日期不能晚于一年以后")
    errors.raise_if_any("机构未撤销")
    assert successor is not None
    institution.status = data.status
    institution.closed_on = data.closed_on
    institution.successor_id = successor.id
    moved = _move_catchment(session, institution, successor, data.closed_on)
    session.execute(
        update(Institution).where(Institution.supervisor_id == institution.id).values(supervisor_id=successor.id)
    )
    ending = Membership.institution_id == institution.id, Membership.valid_to.is_(None)
    ended = len(session.scalars(select(Membership.id).where(*ending)).all())
    session.execute(update(Membership).where(*ending).values(valid_to=data.closed_on - timedelta(days=1)))
    record_event(
        session,
        actor,
        f"institution.{data.status}",
        subject_type="institution",
        subject_id=institution.id,
        details={
            "successor_id": successor.id,
            "closed_on": data.closed_on,
            "reason": data.reason,
            "catchment_moved": moved,
            "memberships_ended": ended,
        },
    )
    session.flush()
    return institution


# --- helpers -------------------------------------------------------------------------------------------


def _plain(value: object) -> object:
    return str(value) if isinstance(value, uuid.UUID | date) else value


def _check_region(session: Session, actor: Actor, code: str, errors: ErrorCollector) -> None:
    region = session.get(Region, code)
    if region is None:
        errors.add("region_code", f"区划代码 {code} 不存在")
    elif not actor.scope.covers_region(code) and not actor.scope.everything:
        errors.add("region_code", "只能在您管辖的区域内设立机构")


def _check_supervisor(
    session: Session, actor: Actor, supervisor_id: uuid.UUID, self_id: uuid.UUID | None, errors: ErrorCollector
) -> None:
    supervisor = session.scalar(select(Institution).where(Institution.id == supervisor_id, visible_institutions(actor)))
    if supervisor is None:
        errors.add("supervisor_id", "上级机构不存在")
    elif supervisor.status != "active":
        errors.add("supervisor_id", "上级机构已合并或撤销")
    elif supervisor_id == self_id:
        errors.add("supervisor_id", "上级机构不能是机构本身")


def _check_catchment(session: Session, actor: Actor, codes: list[str], errors: ErrorCollector) -> list[str]:
    wanted = sorted({c.strip() for c in codes if c.strip()})
    if not wanted:
        return []
    found = {
        code: level for code, level in session.execute(select(Region.code, Region.level).where(Region.code.in_(wanted)))
    }
    for code in wanted:
        if code not in found:
            errors.add("catchment", f"村级区划 {code} 不存在")
        elif found[code] != Level.VILLAGE:
            errors.add("catchment", f"{code} 不是村级区划（服务范围按村/居委会划定）")
        elif not actor.scope.covers_region(code):
            errors.add("catchment", f"村级区划 {code} 不在您的管辖范围内")
    return wanted


def _set_catchment(session: Session, institution: Institution, villages: list[str], on: date) -> None:
    """Make ``villages`` the current catchment, ending rows no longer wanted (history is kept).

    ``valid_to`` is the last day a row applies; a row added and removed on the same day ends the day
    before it began, which keeps it on file as never in force.
    """
    rows = list(
        session.scalars(
            select(Catchment).where(Catchment.institution_id == institution.id, Catchment.valid_to.is_(None))
        )
    )
    keep = set(villages)
    for row in rows:
        if row.region_code not in keep:
            row.valid_to = on - timedelta(days=1)
    present = {row.region_code for row in rows}
    for code in villages:
        if code not in present:
            session.add(Catchment(institution_id=institution.id, region_code=code, valid_from=on))


def _move_catchment(session: Session, closing: Institution, successor: Institution, on: date) -> int:
    rows = list(
        session.scalars(select(Catchment).where(Catchment.institution_id == closing.id, Catchment.valid_to.is_(None)))
    )
    existing = set(
        session.scalars(
            select(Catchment.region_code).where(Catchment.institution_id == successor.id, Catchment.valid_to.is_(None))
        )
    )
    for row in rows:
        row.valid_to = on - timedelta(days=1)
        if row.region_code not in existing:
            session.add(Catchment(institution_id=successor.id, region_code=row.region_code, valid_from=on))
    return len(rows)


def errors_for(field: str, message: str) -> InvalidInput:
    return InvalidInput(errors=[FieldError(field, message)])


def institutions_serving(
    session: Session, village_code: str, *, types: frozenset[str] | None = None, on: date | None = None
) -> list[Institution]:
    """Active institutions whose current catchment holds the village (the directory is not personal data)."""
    stmt = (
        select(Institution)
        .join(Catchment, Catchment.institution_id == Institution.id)
        .where(
            Catchment.region_code == village_code,
            current(Catchment.valid_from, Catchment.valid_to, on or today_local()),
            Institution.status == "active",
        )
        .order_by(Institution.code)
    )
    if types is not None:
        stmt = stmt.where(Institution.type.in_(types))
    return list(session.scalars(stmt))
