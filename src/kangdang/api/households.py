"""JSON routes for households (家庭档案): list, create, living environment, members in and out, the head.

A household without members stays on file; members leave (their membership ends, history is kept) but
nothing is deleted.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.residents.households import (
    add_member,
    change_head,
    create_household,
    get_household,
    list_households,
    remove_member,
    update_household,
)
from kangdang.residents.schemas import HouseholdFields, HouseholdUpdate, MemberChange
from kangdang.residents.views import HouseholdDetailOut, HouseholdOut

router = APIRouter(prefix="/households", tags=["households"], responses=ERROR_RESPONSES)


class HouseholdCreate(HouseholdFields):
    head_person_id: uuid.UUID = Field(description="户主: a resident the caller may see (leaves any other household)")


class HeadChange(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    new_head_id: uuid.UUID = Field(description="A current member who becomes the head")
    old_head_relationship: str = Field(max_length=2, description="The former head's relationship to the new head")


def _detail(session: DbSession, actor: CurrentActor, household_id: uuid.UUID) -> HouseholdDetailOut:
    return HouseholdDetailOut.of_view(get_household(session, actor, household_id))


@router.get("", response_model=PageOut[HouseholdOut], summary="Households the caller may see")
def list_(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=50, description="Household number or head's name starts with")] = None,
    village: Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="Region code prefix")] = None,
) -> PageOut[HouseholdOut]:
    page = list_households(session, actor, page=paging, region_code=village, query=q)
    return PageOut(
        items=[HouseholdOut.listed(h, head, count) for h, head, count in page.items],
        total=page.total,
        page=page.page,
        size=page.size,
    )


@router.post("", response_model=HouseholdDetailOut, status_code=201, summary="Create a household with its head")
def create(body: HouseholdCreate, session: DbSession, actor: CurrentActor) -> HouseholdDetailOut:
    fields = HouseholdFields.model_validate(body.model_dump(exclude={"head_person_id"}))
    household = create_household(session, actor, fields, head_id=body.head_person_id)
    return _detail(session, actor, household.id)


@router.get("/{household_id}", response_model=HouseholdDetailOut, summary="One household with members and history")
def read(household_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> HouseholdDetailOut:
    return _detail(session, actor, household_id)


@router.patch("/{household_id}", response_model=HouseholdDetailOut, summary="Change address or living environment")
def patch(
    household_id: uuid.UUID, body: HouseholdUpdate, session: DbSession, actor: CurrentActor
) -> HouseholdDetailOut:
    update_household(session, actor, household_id, body)
    return _detail(session, actor, household_id)


@router.post(
    "/{household_id}/members",
    response_model=HouseholdDetailOut,
    status_code=201,
    summary="A resident joins (or moves into) the household",
)
def add_member_(
    household_id: uuid.UUID, body: MemberChange, session: DbSession, actor: CurrentActor
) -> HouseholdDetailOut:
    add_member(session, actor, household_id, body)
    return _detail(session, actor, household_id)


@router.post(
    "/{household_id}/members/{person_id}/remove",
    response_model=HouseholdDetailOut,
    summary="A member leaves the household (the membership is kept as history)",
)
def remove_member_(
    household_id: uuid.UUID, person_id: uuid.UUID, session: DbSession, actor: CurrentActor
) -> HouseholdDetailOut:
    remove_member(session, actor, household_id, person_id)
    return _detail(session, actor, household_id)


@router.post("/{household_id}/head", response_model=HouseholdDetailOut, summary="Change the head of the household")
def change_head_(
    household_id: uuid.UUID, body: HeadChange, session: DbSession, actor: CurrentActor
) -> HouseholdDetailOut:
    change_head(
        session, actor, household_id, new_head_id=body.new_head_id, old_head_relationship=body.old_head_relationship
    )
    return _detail(session, actor, household_id)
