"""JSON routes for worklists (随访任务清单): the caller's residents' open tasks — overdue, due this week, coming up —
their counts by programme, and counts by village and doctor for a centre or the county. Scoped and audited by
the service."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.programme_schemas import (
    StateFilter,
    WorkItemOut,
    WorklistCountsOut,
    WorklistSummaryOut,
)
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.core.clock import today_local
from kangdang.programmes.codes import Programme
from kangdang.programmes.worklist import WorkFilter, worklist, worklist_counts, worklist_summary

router = APIRouter(prefix="/worklist", tags=["worklist"], responses=ERROR_RESPONSES)


def work_filter(
    programme: Annotated[Programme | None, Query(description="Only this programme")] = None,
    village: Annotated[
        str | None, Query(pattern=r"^\d{2,12}$", description="A village code, or a township / county prefix")
    ] = None,
    doctor: Annotated[uuid.UUID | None, Query(description="Only episodes this practitioner manages")] = None,
) -> WorkFilter:
    return WorkFilter(programme=programme.value if programme else None, village_code=village, doctor_id=doctor)


Filters = Annotated[WorkFilter, Depends(work_filter)]


@router.get(
    "",
    response_model=PageOut[WorkItemOut],
    summary="Open tasks of the caller's residents: overdue (longest first), due this week, coming up",
)
def list_tasks(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    filters: Filters,
    state: Annotated[
        StateFilter | None,
        Query(description="overdue: past the last day; due: window opens within 7 days; upcoming: within 30 days"),
    ] = None,
) -> PageOut[WorkItemOut]:
    today = today_local()
    chosen = WorkFilter(
        programme=filters.programme, village_code=filters.village_code, doctor_id=filters.doctor_id, state=state
    )
    page = worklist(session, actor, today=today, filters=chosen, page=paging)
    return PageOut(
        items=[WorkItemOut.of(item, today) for item in page.items], total=page.total, page=page.page, size=page.size
    )


@router.get(
    "/counts",
    response_model=WorklistCountsOut,
    summary="Open tasks by programme and state (overdue, due, upcoming), with totals",
)
def counts(session: DbSession, actor: CurrentActor, filters: Filters) -> WorklistCountsOut:
    today = today_local()
    return WorklistCountsOut.of(worklist_counts(session, actor, today=today, filters=filters), today)


@router.get(
    "/summary",
    response_model=WorklistSummaryOut,
    summary="Open tasks by village and managing doctor, with counts by state (a centre's or the county's view)",
)
def summary(session: DbSession, actor: CurrentActor, filters: Filters) -> WorklistSummaryOut:
    today = today_local()
    return WorklistSummaryOut.of(worklist_summary(session, actor, today=today, filters=filters), today)
