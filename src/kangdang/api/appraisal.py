"""JSON routes for appraisal (绩效考核) and subsidies (补助): the county's weights per year, computing a score
sheet with a budget, the computed sheets and one sheet ranked. Rates, weights and scores are JSON numbers; money
(budget, subsidy) is a string in yuan with two decimals, exact to the fen."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.api.deps import CurrentActor, DbSession
from kangdang.api.schemas import ERROR_RESPONSES
from kangdang.indicators.appraisal import (
    Scheme,
    SheetSummary,
    SheetView,
    compute_sheet,
    get_scheme,
    get_sheet,
    item_labels,
    list_sheets,
    set_scheme,
)
from kangdang.indicators.targets import default_county

router = APIRouter(prefix="/appraisal", tags=["appraisal"], responses=ERROR_RESPONSES)

CountyQuery = Annotated[
    str | None, Query(pattern=r"^\d{6}$", description="The county (6 digits); default: the caller's county")
]
YearPath = Annotated[int, Path(ge=2000, le=2100, description="The appraisal year")]


def _county(session: Session, actor: Actor, county: str | None) -> str:
    """The county asked for, or the caller's own; empty when there is none (the service then answers)."""
    return county or default_county(session, actor) or ""


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


class SchemeItemOut(BaseModel):
    item: str = Field(description="An indicator code, or inspection_qualified / inspection_dynamic")
    name: str
    weight: float


class SchemeOut(BaseModel):
    county: str
    year: int
    is_default: bool = Field(description="true: nothing set for the year yet, the default weights apply")
    weights: dict[str, float] = Field(description="Item → weight (items weighted 0 are left out)")
    items: list[SchemeItemOut]
    total: float = Field(description="The highest score an institution can reach (the sum of the weights)")
    set_by: str | None
    set_at: datetime | None

    @classmethod
    def of(cls, scheme: Scheme) -> SchemeOut:
        names = item_labels()
        return cls(
            county=scheme.county,
            year=scheme.year,
            is_default=scheme.is_default,
            weights={item: float(weight) for item, weight in scheme.weights.items()},
            items=[SchemeItemOut(item=i, name=names[i], weight=float(w)) for i, w in scheme.weights.items()],
            total=float(scheme.total),
            set_by=scheme.set_by,
            set_at=scheme.set_at,
        )


class SchemeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: str | None = Field(default=None, description="The county (6 digits); default: the caller's county")
    weights: dict[str, Any] = Field(
        description="Item → weight, 0–100 with at most two decimals; at least one above 0; items left out weigh 0",
        examples=[{"filing_rate": 30, "qualified_rate": 30, "usage_rate": 20, "inspection_qualified": 20}],
    )


class SheetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: str | None = Field(default=None, description="The county (6 digits); default: the caller's county")
    period: str = Field(description="A year (2027), quarter (2027Q1) or month (2027M01)", examples=["2027"])
    institution_kind: str = Field(
        description="township: 乡镇卫生院 and 社区卫生服务中心; village: 村卫生室 and 社区卫生服务站",
        examples=["township"],
    )
    budget: str | float | int = Field(description="Yuan, at most two decimals, not negative", examples=["100000.00"])


class LineItemOut(BaseModel):
    item: str
    name: str
    weight: float
    rate: float | None = Field(description="Percent; null: no figure (the item scored 0)")
    score: float


class SheetLineOut(BaseModel):
    institution_id: uuid.UUID
    institution_code: str
    institution_name: str
    rank: int = Field(description="1 = highest score; equal scores share a rank")
    score: float
    subsidy: str = Field(description="Yuan, two decimals")
    missing: list[str] = Field(description="Names of the items without a figure (scored 0)")
    items: list[LineItemOut]


class SheetSummaryOut(BaseModel):
    id: uuid.UUID
    county: str
    period: str
    period_label: str
    institution_kind: str
    institutions: int
    budget: str = Field(description="Yuan, two decimals")
    computed_by: str
    computed_at: datetime

    @classmethod
    def of(cls, summary: SheetSummary) -> SheetSummaryOut:
        return cls(
            id=summary.id,
            county=summary.region_code,
            period=summary.period,
            period_label=summary.period_label,
            institution_kind=summary.institution_kind,
            institutions=summary.institutions,
            budget=f"{summary.budget:.2f}",
            computed_by=summary.computed_by,
            computed_at=summary.computed_at,
        )


class SheetOut(BaseModel):
    id: uuid.UUID
    county: str
    period: str
    period_label: str
    institution_kind: str
    budget: str = Field(description="Yuan, two decimals")
    total_subsidy: str = Field(description="The subsidies added up: always equal to the budget")
    weights: dict[str, float]
    computed_by: str
    computed_at: datetime
    lines: list[SheetLineOut] = Field(description="By rank, then name")

    @classmethod
    def of(cls, view: SheetView) -> SheetOut:
        sheet = view.sheet
        return cls(
            id=sheet.id,
            county=sheet.region_code,
            period=sheet.period,
            period_label=view.period.label,
            institution_kind=sheet.institution_kind,
            budget=f"{sheet.budget:.2f}",
            total_subsidy=f"{view.total_subsidy:.2f}",
            weights={item: float(weight) for item, weight in view.weights.items()},
            computed_by=sheet.computed_by,
            computed_at=sheet.computed_at,
            lines=[
                SheetLineOut(
                    institution_id=line.institution_id,
                    institution_code=line.code,
                    institution_name=line.name,
                    rank=line.rank,
                    score=float(line.score),
                    subsidy=f"{line.subsidy:.2f}",
                    missing=line.missing,
                    items=[
                        LineItemOut(
                            item=i.item,
                            name=i.label,
                            weight=float(i.weight),
                            rate=_number(i.rate),
                            score=float(i.score),
                        )
                        for i in line.items
                    ],
                )
                for line in view.lines
            ],
        )


@router.get(
    "/schemes/{year}", response_model=SchemeOut, summary="The weights in force for a year (the default until set)"
)
def read_scheme(session: DbSession, actor: CurrentActor, year: YearPath, county: CountyQuery = None) -> SchemeOut:
    return SchemeOut.of(get_scheme(session, actor, county=_county(session, actor, county), year=year))


@router.put(
    "/schemes/{year}", response_model=SchemeOut, summary="Set the weights for a year (the previous stay as history)"
)
def write_scheme(session: DbSession, actor: CurrentActor, year: YearPath, body: SchemeIn) -> SchemeOut:
    scheme = set_scheme(session, actor, county=_county(session, actor, body.county), year=year, weights=body.weights)
    return SchemeOut.of(scheme)


@router.post(
    "/sheets",
    response_model=SheetOut,
    status_code=201,
    summary="Compute a score sheet: rank the institutions of one kind and split the budget by score, exactly",
)
def create_sheet(session: DbSession, actor: CurrentActor, body: SheetIn) -> SheetOut:
    view = compute_sheet(
        session,
        actor,
        county=_county(session, actor, body.county),
        period=body.period,
        institution_kind=body.institution_kind,
        budget=str(body.budget),
    )
    return SheetOut.of(view)


@router.get("/sheets", response_model=list[SheetSummaryOut], summary="The computed score sheets, newest first")
def read_sheets(
    session: DbSession,
    actor: CurrentActor,
    county: CountyQuery = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Only sheets of this year's periods")] = None,
) -> list[SheetSummaryOut]:
    return [SheetSummaryOut.of(s) for s in list_sheets(session, actor, county=county, year=year)]


@router.get(
    "/sheets/{sheet_id}",
    response_model=SheetOut,
    summary="One score sheet: the institutions ranked with scores and subsidies",
)
def read_sheet(session: DbSession, actor: CurrentActor, sheet_id: uuid.UUID) -> SheetOut:
    return SheetOut.of(get_sheet(session, actor, sheet_id))
