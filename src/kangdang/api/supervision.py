"""JSON routes for supervision (督导检查): plan an inspection, draw its sample, record each sampled record's
checklist, record findings and their rectification, close it, and read the inspection-based rates. Scoped,
validated and audited by the service."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from kangdang.api.deps import CurrentActor, DbSession
from kangdang.api.schemas import ERROR_RESPONSES, ErrorOut
from kangdang.api.supervision_schemas import (
    CheckIn,
    CheckOut,
    ClosureIn,
    FindingIn,
    FindingOut,
    InspectionDetailOut,
    InspectionIn,
    InspectionListOut,
    InspectionOut,
    RatesOut,
    RectificationIn,
)
from kangdang.core.clock import today_local
from kangdang.indicators.supervision import (
    FindingLine,
    close_inspection,
    draw_sample,
    get_inspection,
    inspection_rates,
    list_inspections,
    plan_inspection,
    record_check,
    record_finding,
    rectify_finding,
)
from kangdang.indicators.supervision_read import region_name
from kangdang.institutions.models import Institution

RESPONSES: dict[int | str, dict[str, object]] = ERROR_RESPONSES | {
    409: {"model": ErrorOut, "description": "Conflict: already sampled, closed, already rectified, …"}
}

router = APIRouter(tags=["supervision"], responses=RESPONSES)


@router.get(
    "/inspections",
    response_model=InspectionListOut,
    summary="The year's inspections the caller may see, with each unit's coverage against the yearly minimum",
)
def list_(
    session: DbSession,
    actor: CurrentActor,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Default: this year")] = None,
) -> InspectionListOut:
    return InspectionListOut.of(list_inspections(session, actor, year=year or today_local().year))


@router.post("/inspections", response_model=InspectionOut, status_code=201, summary="Plan an inspection")
def plan(body: InspectionIn, session: DbSession, actor: CurrentActor) -> InspectionOut:
    inspection = plan_inspection(
        session,
        actor,
        target_region_code=body.target_region_code,
        year=body.year if body.year is not None else body.planned_on.year,
        round=body.round,
        planned_on=body.planned_on,
        title=body.title,
        sample_size=body.sample_size,
        seed=body.seed,
    )
    return InspectionOut.of(inspection, region_name(session, inspection.target_region_code))


@router.get(
    "/inspections/{inspection_id}",
    response_model=InspectionDetailOut,
    summary="An inspection with its sample (names, masked ID numbers, phones: audited), checks, findings, rates",
)
def detail(inspection_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> InspectionDetailOut:
    return InspectionDetailOut.of_view(get_inspection(session, actor, inspection_id))


@router.post(
    "/inspections/{inspection_id}/sample",
    response_model=InspectionDetailOut,
    summary="Draw the sample (once): records stratified by village, reproducible from the stored seed",
)
def sample(inspection_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> InspectionDetailOut:
    draw_sample(session, actor, inspection_id)
    return InspectionDetailOut.of_view(get_inspection(session, actor, inspection_id))


@router.post(
    "/inspection-samples/{sample_id}/checks",
    response_model=CheckOut,
    status_code=201,
    summary="Record the checklist of a sampled record (a newer check replaces the current one; history kept)",
)
def check(sample_id: uuid.UUID, body: CheckIn, session: DbSession, actor: CurrentActor) -> CheckOut:
    return CheckOut.of(
        record_check(
            session,
            actor,
            sample_id,
            filled_to_standard=body.filled_to_standard,
            dynamic=body.dynamic,
            phone_result=body.phone_result,
            note=body.note,
        )
    )


def _institution_name(session: DbSession, institution_id: uuid.UUID | None) -> str | None:
    if institution_id is None:
        return None
    return session.scalar(select(Institution.name).where(Institution.id == institution_id))


@router.post(
    "/inspections/{inspection_id}/findings",
    response_model=FindingOut,
    status_code=201,
    summary="Record a finding with its rectification deadline",
)
def finding(inspection_id: uuid.UUID, body: FindingIn, session: DbSession, actor: CurrentActor) -> FindingOut:
    found = record_finding(
        session,
        actor,
        inspection_id,
        institution_id=body.institution_id,
        description=body.description,
        deadline=body.deadline,
    )
    return FindingOut.of(FindingLine(found, _institution_name(session, found.institution_id)))


@router.post(
    "/inspection-findings/{finding_id}/rectification",
    response_model=FindingOut,
    summary="Report how a finding was rectified (staff of the inspected centre)",
)
def rectification(finding_id: uuid.UUID, body: RectificationIn, session: DbSession, actor: CurrentActor) -> FindingOut:
    found = rectify_finding(
        session, actor, finding_id, rectification=body.rectification, rectified_on=body.rectified_on
    )
    return FindingOut.of(FindingLine(found, _institution_name(session, found.institution_id)))


@router.post(
    "/inspections/{inspection_id}/close",
    response_model=InspectionOut,
    summary="Close a sampled inspection (optional body: closed_on, default today): its checks become final",
)
def close(
    inspection_id: uuid.UUID, session: DbSession, actor: CurrentActor, body: ClosureIn | None = None
) -> InspectionOut:
    inspection = close_inspection(session, actor, inspection_id, closed_on=body.closed_on if body else None)
    return InspectionOut.of(inspection, region_name(session, inspection.target_region_code))


@router.get(
    "/inspections/{inspection_id}/rates",
    response_model=RatesOut,
    summary="The inspection-based qualified and usage rates and the telephone check results",
)
def rates(inspection_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> RatesOut:
    return RatesOut.of(inspection_rates(session, actor, inspection_id))
