"""JSON routes for staff: practitioners, their memberships, and their accounts.

The full ID number never appears in a response, except from ``POST /practitioners/{id}/reveal-id`` (managers
only, audited).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from kangdang.access.models import User
from kangdang.access.roles import Role
from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.core.clock import utcnow
from kangdang.institutions.models import Institution, Membership
from kangdang.institutions.schemas import (
    AccountCreate,
    MembershipCreate,
    MembershipOut,
    PractitionerCreate,
    PractitionerDetailOut,
    PractitionerOut,
    PractitionerUpdate,
)
from kangdang.institutions.staff import (
    add_membership,
    create_account,
    create_practitioner,
    end_membership,
    get_practitioner,
    list_practitioners,
    reset_user_password,
    reveal_id_number,
    set_account_active,
    update_practitioner,
)
from kangdang.institutions.types import Qualification

router = APIRouter(prefix="/practitioners", tags=["staff"], responses=ERROR_RESPONSES)


class MembershipEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_to: date | None = Field(default=None, description="Last day in the role (inclusive); default: ends now")


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=128, description="The new password")


class AccountActive(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


class AccountOut(BaseModel):
    login: str
    is_active: bool
    locked: bool


class IdNumberOut(BaseModel):
    id_number: str


def _membership_out(membership: Membership, institution: Institution) -> MembershipOut:
    return MembershipOut(
        id=membership.id,
        institution_id=institution.id,
        institution_name=institution.name,
        role=Role(membership.role),
        role_label=Role(membership.role).label,
        valid_from=membership.valid_from,
        valid_to=membership.valid_to,
    )


def _detail(session: DbSession, actor: CurrentActor, practitioner_id: uuid.UUID) -> PractitionerDetailOut:
    d = get_practitioner(session, actor, practitioner_id)
    return PractitionerDetailOut(
        **PractitionerOut.of(d.practitioner).model_dump(),
        memberships=[_membership_out(mv.membership, mv.institution) for mv in d.memberships],
        account_login=d.account_login,
    )


def _account_out(user: User) -> AccountOut:
    locked = user.locked_until is not None and user.locked_until > utcnow()
    return AccountOut(login=user.login, is_active=user.is_active, locked=locked)


@router.get("", response_model=PageOut[PractitionerOut], summary="Practitioners the caller may see")
def list_(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=50, description="Name contains")] = None,
    institution: Annotated[uuid.UUID | None, Query(description="With a membership (current or past) here")] = None,
    qualification: Qualification | None = None,
) -> PageOut[PractitionerOut]:
    page = list_practitioners(
        session,
        actor,
        page=paging,
        query=q,
        institution_id=institution,
        qualification=qualification.value if qualification else None,
    )
    return PageOut(items=[PractitionerOut.of(p) for p in page.items], total=page.total, page=page.page, size=page.size)


@router.post("", response_model=PractitionerDetailOut, status_code=201, summary="Register a practitioner")
def create(body: PractitionerCreate, session: DbSession, actor: CurrentActor) -> PractitionerDetailOut:
    practitioner = create_practitioner(session, actor, body)
    return _detail(session, actor, practitioner.id)


@router.get("/{practitioner_id}", response_model=PractitionerDetailOut, summary="One practitioner with memberships")
def read(practitioner_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> PractitionerDetailOut:
    return _detail(session, actor, practitioner_id)


@router.patch("/{practitioner_id}", response_model=PractitionerDetailOut, summary="Change a practitioner")
def patch(
    practitioner_id: uuid.UUID, body: PractitionerUpdate, session: DbSession, actor: CurrentActor
) -> PractitionerDetailOut:
    update_practitioner(session, actor, practitioner_id, body)
    return _detail(session, actor, practitioner_id)


@router.post(
    "/{practitioner_id}/memberships", response_model=MembershipOut, status_code=201, summary="Add a membership"
)
def add_membership_(
    practitioner_id: uuid.UUID, body: MembershipCreate, session: DbSession, actor: CurrentActor
) -> MembershipOut:
    membership = add_membership(session, actor, practitioner_id, body)
    return _membership_out(membership, session.get_one(Institution, membership.institution_id))


@router.post(
    "/{practitioner_id}/memberships/{membership_id}/end",
    response_model=MembershipOut,
    summary="End a membership (the row is kept as history)",
)
def end_membership_(
    practitioner_id: uuid.UUID,
    membership_id: uuid.UUID,
    session: DbSession,
    actor: CurrentActor,
    body: Annotated[MembershipEnd | None, Body()] = None,
) -> MembershipOut:
    valid_to = body.valid_to if body else None
    membership = end_membership(session, actor, membership_id, valid_to=valid_to, practitioner_id=practitioner_id)
    return _membership_out(membership, session.get_one(Institution, membership.institution_id))


@router.post("/{practitioner_id}/account", response_model=AccountOut, status_code=201, summary="Create a login")
def create_account_(
    practitioner_id: uuid.UUID, body: AccountCreate, session: DbSession, actor: CurrentActor
) -> AccountOut:
    return _account_out(create_account(session, actor, practitioner_id, body))


@router.post(
    "/{practitioner_id}/account/password",
    response_model=AccountOut,
    summary="Set a new password (unlocks the account, revokes its sessions and tokens)",
)
def reset_password_(
    practitioner_id: uuid.UUID, body: PasswordReset, session: DbSession, actor: CurrentActor
) -> AccountOut:
    return _account_out(reset_user_password(session, actor, practitioner_id, new_password=body.password))


@router.post("/{practitioner_id}/account/active", response_model=AccountOut, summary="Suspend or restore a login")
def account_active(
    practitioner_id: uuid.UUID, body: AccountActive, session: DbSession, actor: CurrentActor
) -> AccountOut:
    return _account_out(set_account_active(session, actor, practitioner_id, active=body.active))


@router.post("/{practitioner_id}/reveal-id", response_model=IdNumberOut, summary="The full ID number (audited)")
def reveal(practitioner_id: uuid.UUID, session: DbSession, actor: CurrentActor, response: Response) -> IdNumberOut:
    response.headers["Cache-Control"] = "no-store"
    return IdNumberOut(id_number=reveal_id_number(session, actor, practitioner_id))
