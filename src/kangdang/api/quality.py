"""JSON routes for the quality worklist (质控): the caller's records that fail the automatic quality rules."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.indicators.quality import quality_counts, quality_worklist

router = APIRouter(prefix="/quality", tags=["quality"], responses=ERROR_RESPONSES)


class QualityItemOut(BaseModel):
    record_id: uuid.UUID
    record_number: str
    name: str
    sex: str
    birth_date: date
    village_code: str
    status: str
    status_label: str
    reasons: list[dict[str, Any]]
    checked_on: date


class QualityCountsOut(BaseModel):
    ok: int
    invalid: int
    defective: int


Village = Annotated[str | None, Query(pattern=r"^\d{12}$", description="Only this village")]


@router.get("", response_model=PageOut[QualityItemOut], summary="Records failing the quality rules, invalid first")
def list_faulty(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    village: Village = None,
    status: Annotated[Literal["invalid", "defective"] | None, Query(description="Only this status")] = None,
) -> PageOut[QualityItemOut]:
    page = quality_worklist(session, actor, status=status, village=village, page=paging)
    return PageOut(
        items=[QualityItemOut(**item.__dict__) for item in page.items], total=page.total, page=page.page, size=page.size
    )


@router.get("/counts", response_model=QualityCountsOut, summary="How many records are qualified, invalid, defective")
def counts(session: DbSession, actor: CurrentActor, village: Village = None) -> QualityCountsOut:
    return QualityCountsOut(**quality_counts(session, actor, village=village))
