"""JSON routes for institutions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.institutions.schemas import (
    InstitutionClosure,
    InstitutionCreate,
    InstitutionDetailOut,
    InstitutionOut,
    InstitutionUpdate,
)
from kangdang.institutions.service import (
    create_institution,
    get_institution,
    list_institutions,
    update_institution,
)
from kangdang.institutions.types import InstitutionType
from kangdang.residents.lifecycle import close_institution_and_hand_over

router = APIRouter(prefix="/institutions", tags=["institutions"], responses=ERROR_RESPONSES)


def _detail(session: DbSession, actor: CurrentActor, institution_id: uuid.UUID) -> InstitutionDetailOut:
    d = get_institution(session, actor, institution_id)
    base = InstitutionOut.of(d.institution).model_dump()
    return InstitutionDetailOut(
        **base,
        catchment=[r.code for r in d.catchment],
        supervised_ids=[s.id for s in d.supervised],
        staff_count=d.staff_count,
    )


@router.get("", response_model=PageOut[InstitutionOut], summary="Institutions the caller may see")
def list_(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100, description="Name contains, or code starts with")] = None,
    type: InstitutionType | None = None,
    status: Annotated[str | None, Query(pattern="^(active|merged|closed)$")] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="Region code prefix")] = None,
) -> PageOut[InstitutionOut]:
    page = list_institutions(
        session, actor, page=paging, query=q, type=type.value if type else None, status=status, region_code=region
    )
    return PageOut(items=[InstitutionOut.of(i) for i in page.items], total=page.total, page=page.page, size=page.size)


@router.post("", response_model=InstitutionDetailOut, status_code=201, summary="Create an institution")
def create(body: InstitutionCreate, session: DbSession, actor: CurrentActor) -> InstitutionDetailOut:
    institution = create_institution(session, actor, body)
    return _detail(session, actor, institution.id)


@router.get("/{institution_id}", response_model=InstitutionDetailOut, summary="One institution with its catchment")
def read(institution_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> InstitutionDetailOut:
    return _detail(session, actor, institution_id)


@router.patch("/{institution_id}", response_model=InstitutionDetailOut, summary="Change an institution")
def patch(
    institution_id: uuid.UUID, body: InstitutionUpdate, session: DbSession, actor: CurrentActor
) -> InstitutionDetailOut:
    update_institution(session, actor, institution_id, body)
    return _detail(session, actor, institution_id)


@router.post("/{institution_id}/close", response_model=InstitutionDetailOut, summary="Close or merge into a successor")
def close(
    institution_id: uuid.UUID, body: InstitutionClosure, session: DbSession, actor: CurrentActor
) -> InstitutionDetailOut:
    close_institution_and_hand_over(session, actor, institution_id, body)
    return _detail(session, actor, institution_id)
