"""Use cases for staff (医务人员): practitioners, their memberships in institutions, and user accounts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, case, exists, select, true
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.auth import reset_password
from kangdang.access.crypto import cipher_for, mask_identity
from kangdang.access.models import User
from kangdang.access.passwords import hash_password, password_problem
from kangdang.access.roles import Action, Role
from kangdang.core.clock import today_local, utcnow
from kangdang.core.errors import ErrorCollector, NotFound, PermissionDenied
from kangdang.core.idnumber import IdNumberError, parse_id_number
from kangdang.core.pagination import Page, PageRequest, paginate
from kangdang.db.engine import settings_of
from kangdang.institutions.actors import current
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.institutions.schemas import AccountCreate, MembershipCreate, PractitionerCreate, PractitionerUpdate
from kangdang.institutions.service import managed_institutions, visible_institutions
from kangdang.institutions.types import ROLES_BY_INSTITUTION_TYPE, InstitutionType, grantable_roles

# --- scope ---------------------------------------------------------------------------------------------


def _visible_practitioners(actor: Actor) -> ColumnElement[bool]:
    """Practitioners with a membership (current or past) in an institution the actor may see."""
    if actor.scope.everything:
        return true()
    return exists(
        select(Membership.id)
        .join(Institution, Institution.id == Membership.institution_id)
        .where(Membership.practitioner_id == Practitioner.id, visible_institutions(actor))
    )


def _get_visible(session: Session, actor: Actor, practitioner_id: uuid.UUID) -> Practitioner:
    practitioner = session.scalar(
        select(Practitioner).where(Practitioner.id == practitioner_id, _visible_practitioners(actor))
    )
    if practitioner is None:
        raise NotFound("未找到该人员，或您无权查看")
    return practitioner


def _require_managed_practitioner(
    session: Session, actor: Actor, practitioner_id: uuid.UUID, action: Action, *, need_current: bool = False
) -> Practitioner:
    """The practitioner, if the actor may manage them for ``action``.

    Every live (current or future) membership must be in an institution the actor manages, in a role the actor
    could grant: otherwise an institution admin could take over the account of a former colleague now working in
    another township, or a county manager that of a system administrator. Former staff (no live membership) are
    managed by whoever manages one of their past institutions — except for account operations (``need_current``),
    so that nobody sets a password on a dormant account that a later employer would bring back to life.
    """
    practitioner = _get_visible(session, actor, practitioner_id)
    actor.require(action)
    if actor.scope.everything:
        return practitioner
    today = today_local()
    rows = session.execute(
        select(Membership.role, Membership.valid_to, case((managed_institutions(actor, action), 1), else_=0))
        .join(Institution, Institution.id == Membership.institution_id)
        .where(Membership.practitioner_id == practitioner.id)
    ).all()
    live = [(role, managed) for role, valid_to, managed in rows if valid_to is None or valid_to >= today]
    grantable = grantable_roles(actor.roles)
    if live:
        allowed = all(managed and Role(role) in grantable for role, managed in live)
    else:
        allowed = not need_current and any(managed for _role, _valid_to, managed in rows)
    if not allowed:
        raise PermissionDenied("您无权管理该人员")
    return practitioner


def _may_manage(
    session: Session, actor: Actor, practitioner_id: uuid.UUID, action: Action, *, need_current: bool = False
) -> bool:
    if not actor.can(action):
        return False
    try:
        _require_managed_practitioner(session, actor, practitioner_id, action, need_current=need_current)
    except PermissionDenied:
        return False
    return True


# --- queries -------------------------------------------------------------------------------------------


def list_practitioners(
    session: Session,
    actor: Actor,
    *,
    page: PageRequest,
    query: str | None = None,
    institution_id: uuid.UUID | None = None,
    qualification: str | None = None,
) -> Page[Practitioner]:
    actor.require(Action.STAFF_VIEW)
    stmt: Select = (
        select(Practitioner).where(_visible_practitioners(actor)).order_by(Practitioner.name, Practitioner.id)
    )
    if query:
        stmt = stmt.where(Practitioner.name.contains(query.strip(), autoescape=True))
    if institution_id:
        # Only through a visible institution: filtering by a hidden one must not reveal who worked there.
        stmt = stmt.where(
            exists(
                select(Membership.id)
                .join(Institution, Institution.id == Membership.institution_id)
                .where(
                    Membership.practitioner_id == Practitioner.id,
                    Membership.institution_id == institution_id,
                    visible_institutions(actor),
                )
            )
        )
    if qualification:
        stmt = stmt.where(Practitioner.qualification == qualification)
    return paginate(session, stmt, page)


@dataclass(frozen=True)
class MembershipView:
    membership: Membership
    institution: Institution

    @property
    def is_current(self) -> bool:
        today = today_local()
        m = self.membership
        return m.valid_from <= today and (m.valid_to is None or m.valid_to >= today)


@dataclass(frozen=True)
class PractitionerDetail:
    practitioner: Practitioner
    memberships: list[MembershipView]
    account_login: str | None
    can_manage: bool


def memberships_of(
    session: Session, actor: Actor, practitioner_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[MembershipView]]:
    """Memberships (with institution) of several practitioners in one query, for lists."""
    result: dict[uuid.UUID, list[MembershipView]] = {pid: [] for pid in practitioner_ids}
    if not practitioner_ids:
        return result
    rows = session.execute(
        select(Membership, Institution)
        .join(Institution, Institution.id == Membership.institution_id)
        .where(Membership.practitioner_id.in_(practitioner_ids), visible_institutions(actor))
        .order_by(Membership.valid_to.is_not(None), Membership.valid_from.desc())
    )
    for membership, institution in rows:
        result[membership.practitioner_id].append(MembershipView(membership, institution))
    return result


def get_practitioner(session: Session, actor: Actor, practitioner_id: uuid.UUID) -> PractitionerDetail:
    actor.require(Action.STAFF_VIEW)
    practitioner = _get_visible(session, actor, practitioner_id)
    login = session.scalar(select(User.login).where(User.practitioner_id == practitioner.id))
    return PractitionerDetail(
        practitioner=practitioner,
        memberships=memberships_of(session, actor, [practitioner.id])[practitioner.id],
        account_login=login,
        can_manage=_may_manage(session, actor, practitioner.id, Action.STAFF_MANAGE),
    )


def manageable_institutions(session: Session, actor: Actor) -> list[Institution]:
    """Active institutions where the actor may add staff (for a drop-down)."""
    if not actor.can(Action.STAFF_MANAGE):
        return []
    return list(
        session.scalars(
            select(Institution)
            .where(managed_institutions(actor, Action.STAFF_MANAGE), Institution.status == "active")
            .order_by(Institution.code)
        )
    )


def role_choices(actor: Actor) -> list[Role]:
    """Roles the actor may give in a membership, most junior first."""
    allowed = frozenset(Role) if actor.is_system else grantable_roles(actor.roles)
    return [role for role in Role if role in allowed]


def reveal_id_number(session: Session, actor: Actor, practitioner_id: uuid.UUID) -> str:
    """The full ID number, for those who manage the practitioner; the reading is audited."""
    practitioner = _require_managed_practitioner(session, actor, practitioner_id, Action.STAFF_MANAGE)
    record_event(session, actor, "practitioner.reveal_id", subject_type="practitioner", subject_id=practitioner.id)
    return cipher_for(session).decrypt(practitioner.id_number_cipher)


# --- changes -------------------------------------------------------------------------------------------


def create_practitioner(session: Session, actor: Actor, data: PractitionerCreate) -> Practitioner:
    """Register a member of staff with a first membership (institution and role)."""
    actor.require(Action.STAFF_MANAGE)
    errors = ErrorCollector()
    id_number = None
    try:
        id_number = parse_id_number(data.id_number, today=today_local())
    except IdNumberError as exc:
        errors.add("id_number", str(exc))
    cipher = cipher_for(session)
    if id_number is not None:
        if id_number.sex != data.sex:
            errors.add("sex", "性别与身份证号不一致")
        existing = session.scalar(
            select(Practitioner.id).where(Practitioner.id_number_index == cipher.blind_index(id_number.value))
        )
        if existing is not None:
            # Name the holder only to those who may see them: an ID number must not reveal another county's staff.
            visible = session.scalar(
                select(Practitioner.name).where(Practitioner.id == existing, _visible_practitioners(actor))
            )
            errors.add("id_number", f"该身份证号已登记（{visible}）" if visible else "该身份证号已登记")
    _check_membership(session, actor, data.institution_id, data.role, errors)
    errors.raise_if_any("人员未保存")
    assert id_number is not None
    practitioner = Practitioner(
        name=data.name,
        sex=data.sex,
        id_number_cipher=cipher.encrypt(id_number.value),
        id_number_index=cipher.blind_index(id_number.value),
        id_number_masked=mask_identity(id_number.value),
        phone=data.phone,
        qualification=data.qualification.value,
        licence_no=data.licence_no,
        practice_scope=data.practice_scope,
    )
    session.add(practitioner)
    session.flush()
    membership = Membership(
        practitioner_id=practitioner.id,
        institution_id=data.institution_id,
        role=data.role.value,
        valid_from=data.valid_from or today_local(),
    )
    session.add(membership)
    details = data.model_dump(mode="json", exclude={"id_number"}) | {"id_number": practitioner.id_number_masked}
    record_event(
        session, actor, "practitioner.create", subject_type="practitioner", subject_id=practitioner.id, details=details
    )
    session.flush()
    return practitioner


def update_practitioner(
    session: Session, actor: Actor, practitioner_id: uuid.UUID, data: PractitionerUpdate
) -> Practitioner:
    practitioner = _require_managed_practitioner(session, actor, practitioner_id, Action.STAFF_MANAGE)
    changes = data.model_dump(exclude_unset=True, mode="json")
    errors = ErrorCollector()
    for key in ("name", "qualification", "status"):
        if key in changes and changes[key] is None:
            errors.add(key, "此项不能为空")
    errors.raise_if_any("人员未保存")
    before = {key: getattr(practitioner, key) for key in changes}
    for key, value in changes.items():
        setattr(practitioner, key, value)
    details = {"before": before, "after": changes}
    record_event(
        session, actor, "practitioner.update", subject_type="practitioner", subject_id=practitioner.id, details=details
    )
    session.flush()
    return practitioner


def add_membership(session: Session, actor: Actor, practitioner_id: uuid.UUID, data: MembershipCreate) -> Membership:
    practitioner = _get_visible(session, actor, practitioner_id)
    actor.require(Action.STAFF_MANAGE)
    errors = ErrorCollector()
    _check_membership(session, actor, data.institution_id, data.role, errors)
    valid_from = data.valid_from or today_local()
    duplicate = session.scalar(
        select(Membership.id).where(
            Membership.practitioner_id == practitioner.id,
            Membership.institution_id == data.institution_id,
            Membership.role == data.role.value,
            current(Membership.valid_from, Membership.valid_to, valid_from),
        )
    )
    if duplicate is not None:
        errors.add("role", "该人员在此机构已有此角色")
    errors.raise_if_any("任职未保存")
    membership = Membership(
        practitioner_id=practitioner.id, institution_id=data.institution_id, role=data.role.value, valid_from=valid_from
    )
    session.add(membership)
    session.flush()
    details = data.model_dump(mode="json") | {"membership_id": membership.id}
    record_event(
        session, actor, "membership.create", subject_type="practitioner", subject_id=practitioner.id, details=details
    )
    return membership


def end_membership(
    session: Session,
    actor: Actor,
    membership_id: uuid.UUID,
    *,
    valid_to: date | None = None,
    practitioner_id: uuid.UUID | None = None,
) -> Membership:
    """End a membership; the row stays as history. ``valid_to`` is the last day in the role (inclusive).

    Without a date the membership ends now: its last day was yesterday, so the role is gone at once (a membership
    that had not started yet gets an empty window). ``practitioner_id``, when given, must be the membership's.
    """
    actor.require(Action.STAFF_MANAGE)
    membership = session.scalar(
        select(Membership)
        .join(Institution, Institution.id == Membership.institution_id)
        .where(Membership.id == membership_id, visible_institutions(actor))
    )
    if membership is None or (practitioner_id is not None and membership.practitioner_id != practitioner_id):
        raise NotFound("未找到该任职，或您无权查看")
    errors = ErrorCollector()
    _check_membership(session, actor, membership.institution_id, Role(membership.role), errors, new=False)
    if valid_to is None:
        end = max(today_local(), membership.valid_from) - timedelta(days=1)
    else:
        end = valid_to
        if end < membership.valid_from:
            errors.add("valid_to", "结束日期不能早于开始日期")
    if membership.valid_to is not None:
        errors.add("valid_to", "该任职已结束")
    errors.raise_if_any("任职未结束")
    membership.valid_to = end
    details = {"membership_id": membership.id, "valid_to": end}
    subject = membership.practitioner_id
    record_event(session, actor, "membership.end", subject_type="practitioner", subject_id=subject, details=details)
    session.flush()
    return membership


# --- accounts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountStatus:
    """A practitioner's login, and — for those who may manage it — its state."""

    login: str | None
    can_manage: bool
    is_active: bool | None = None
    locked_until: datetime | None = None
    last_login_at: datetime | None = None

    @property
    def exists(self) -> bool:
        return self.login is not None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > utcnow()


def account_of(session: Session, actor: Actor, practitioner_id: uuid.UUID) -> AccountStatus:
    actor.require(Action.STAFF_VIEW)
    practitioner = _get_visible(session, actor, practitioner_id)
    user = session.scalar(select(User).where(User.practitioner_id == practitioner.id))
    can_manage = _may_manage(session, actor, practitioner.id, Action.USER_MANAGE, need_current=True)
    if user is None or not can_manage:
        return AccountStatus(login=user.login if user else None, can_manage=can_manage)
    return AccountStatus(
        login=user.login,
        can_manage=True,
        is_active=user.is_active,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
    )


def create_account(session: Session, actor: Actor, practitioner_id: uuid.UUID, data: AccountCreate) -> User:
    """Give a practitioner a login; their roles come from their memberships."""
    practitioner = _require_managed_practitioner(session, actor, practitioner_id, Action.USER_MANAGE, need_current=True)
    errors = ErrorCollector()
    if session.scalar(select(User.id).where(User.login == data.login)) is not None:
        errors.add("login", f"登录名 {data.login} 已被使用")
    if session.scalar(select(User.id).where(User.practitioner_id == practitioner.id)) is not None:
        errors.add("login", "该人员已有账号")
    problem = password_problem(data.password, settings_of(session).password_min_length)
    if problem:
        errors.add("password", problem)
    errors.raise_if_any("账号未创建")
    user = User(login=data.login, password_hash=hash_password(data.password), practitioner_id=practitioner.id)
    session.add(user)
    session.flush()
    details = {"login": data.login, "practitioner_id": practitioner.id}
    record_event(session, actor, "user.create", subject_type="user", subject_id=user.id, details=details)
    return user


def _managed_account(session: Session, actor: Actor, practitioner_id: uuid.UUID) -> User:
    practitioner = _require_managed_practitioner(session, actor, practitioner_id, Action.USER_MANAGE, need_current=True)
    user = session.scalar(select(User).where(User.practitioner_id == practitioner.id))
    if user is None:
        raise NotFound("该人员还没有账号")
    return user


def reset_user_password(session: Session, actor: Actor, practitioner_id: uuid.UUID, *, new_password: str) -> User:
    """An administrator sets a new password for one of their staff; this also unlocks the account.

    The user's sessions and tokens are revoked; the reset is audited (``password.reset``).
    """
    user = _managed_account(session, actor, practitioner_id)
    return reset_password(session, actor, login=user.login, new_password=new_password)


def set_account_active(session: Session, actor: Actor, practitioner_id: uuid.UUID, *, active: bool) -> User:
    """Suspend or restore a staff member's account (a suspended account cannot log in or use its sessions)."""
    user = _managed_account(session, actor, practitioner_id)
    errors = ErrorCollector()
    if not active and user.id == actor.user_id:
        errors.add("is_active", "不能停用自己的账号")
    errors.raise_if_any("账号状态未修改")
    if user.is_active != active:
        user.is_active = active
        action = "user.activate" if active else "user.deactivate"
        record_event(session, actor, action, subject_type="user", subject_id=user.id, details={"login": user.login})
        session.flush()
    return user


# --- helpers -------------------------------------------------------------------------------------------


def _check_membership(
    session: Session, actor: Actor, institution_id: uuid.UUID, role: Role, errors: ErrorCollector, *, new: bool = True
) -> None:
    institution = session.scalar(
        select(Institution).where(Institution.id == institution_id, managed_institutions(actor, Action.STAFF_MANAGE))
    )
    if institution is None:
        errors.add("institution_id", "机构不存在，或您无权管理该机构的人员")
        return
    if new and institution.status != "active":
        errors.add("institution_id", "该机构已合并或撤销")
    if role not in ROLES_BY_INSTITUTION_TYPE[InstitutionType(institution.type)]:
        errors.add("role", f"“{role.label}”不能设在{InstitutionType(institution.type).label}")
    if not actor.is_system and role not in grantable_roles(actor.roles):
        errors.add("role", f"您不能授予“{role.label}”角色")


def find_user(session: Session, login: str) -> User | None:
    return session.scalar(select(User).where(User.login == login))


def institution_staff_counts(session: Session, institution_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    from sqlalchemy import func

    today = today_local()
    rows = session.execute(
        select(Membership.institution_id, func.count(func.distinct(Membership.practitioner_id)))
        .where(
            Membership.institution_id.in_(institution_ids), current(Membership.valid_from, Membership.valid_to, today)
        )
        .group_by(Membership.institution_id)
    )
    return {iid: n for iid, n in rows}
