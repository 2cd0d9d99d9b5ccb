"""JSON routes for the county's indicator settings (指标设置): targets per indicator, year and area type, and the
parameters of the indicator rules. Reading needs ``indicator.view``; changing needs ``indicator.configure``
(the county bureau). Targets are percentages as JSON numbers; null is no target."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.api.deps import CurrentActor, DbSession
from kangdang.api.schemas import ERROR_RESPONSES
from kangdang.indicators.parameters import set_parameter
from kangdang.indicators.targets import default_county, list_parameters, list_targets, set_target

router = APIRouter(prefix="/indicators", tags=["indicator settings"], responses=ERROR_RESPONSES)

CountyQuery = Annotated[
    str | None, Query(pattern=r"^\d{6}$", description="The county (6 digits); default: the caller's county")
]


def _county(session: Session, actor: Actor, county: str | None) -> str:
    """The county asked for, or the caller's own; empty when there is none (the service then answers)."""
    return county or default_county(session, actor) or ""


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


class TargetOut(BaseModel):
    indicator: str
    name: str
    all: float | None = Field(description="Target for all residents, percent")
    urban: float | None = Field(description="Target for urban villages (城镇), percent")
    rural: float | None = Field(description="Target for rural villages (乡村), percent")


class TargetsOut(BaseModel):
    county: str
    year: int
    targets: list[TargetOut] = Field(description="One line per indicator, in the catalogue's order")


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: str | None = Field(default=None, description="The county (6 digits); default: the caller's county")
    indicator: str = Field(description="An indicator code", examples=["filing_rate"])
    year: int = Field(examples=[2027])
    area_type: Literal["all", "urban", "rural"] = Field(examples=["urban"])
    target: Decimal | None = Field(description="Percent 0–100, at most two decimals; null clears it", examples=[70])


class TargetSetOut(BaseModel):
    county: str
    indicator: str
    year: int
    area_type: str
    target: float | None
    set_by: str
    set_at: datetime


class ParameterOut(BaseModel):
    key: str
    label: str
    kind: str = Field(description="choice | bool | int | decimal")
    choices: dict[str, str] = Field(description="For kind choice: value → Chinese label")
    minimum: int | None = Field(description="For int and decimal")
    maximum: int | None = Field(description="For int and decimal")
    value: Any = Field(description="The value in force (the newest setting, or the default)")


class ParameterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county: str | None = Field(default=None, description="The county (6 digits); default: the caller's county")
    value: str | int | float | bool = Field(description="A value the parameter accepts (see GET)")


def _targets(session: Session, actor: Actor, county: str, year: int) -> TargetsOut:
    lines = list_targets(session, actor, county=county, year=year)
    return TargetsOut(
        county=county,
        year=year,
        targets=[
            TargetOut(
                indicator=line.indicator,
                name=line.name,
                all=_number(line.targets.get("all")),
                urban=_number(line.targets.get("urban")),
                rural=_number(line.targets.get("rural")),
            )
            for line in lines
        ],
    )


def _parameters(session: Session, actor: Actor, county: str) -> list[ParameterOut]:
    result = []
    for line in list_parameters(session, actor, county=county):
        spec, numeric = line.spec, line.spec.kind in ("int", "decimal")
        value = float(line.value) if isinstance(line.value, Decimal) else line.value
        result.append(
            ParameterOut(
                key=spec.key,
                label=spec.label,
                kind=spec.kind,
                choices=dict(spec.choices),
                minimum=spec.minimum if numeric else None,
                maximum=spec.maximum if numeric else None,
                value=value,
            )
        )
    return result


@router.get(
    "/targets", response_model=TargetsOut, summary="The county's targets for a year, per indicator and area type"
)
def read_targets(
    session: DbSession,
    actor: CurrentActor,
    year: Annotated[int, Query(ge=2000, le=2100, description="The target year")],
    county: CountyQuery = None,
) -> TargetsOut:
    return _targets(session, actor, _county(session, actor, county), year)


@router.put(
    "/targets",
    response_model=TargetSetOut,
    summary="Set or clear one target (indicator, year, area type); history kept",
)
def write_target(session: DbSession, actor: CurrentActor, body: TargetIn) -> TargetSetOut:
    row = set_target(
        session,
        actor,
        county=_county(session, actor, body.county),
        indicator=body.indicator,
        year=body.year,
        area_type=body.area_type,
        target=body.target,
    )
    return TargetSetOut(
        county=row.region_code,
        indicator=row.indicator,
        year=row.year,
        area_type=row.area_type,
        target=_number(row.target),
        set_by=row.set_by,
        set_at=row.set_at,
    )


@router.get("/parameters", response_model=list[ParameterOut], summary="The county's indicator parameters in force")
def read_parameters(session: DbSession, actor: CurrentActor, county: CountyQuery = None) -> list[ParameterOut]:
    return _parameters(session, actor, _county(session, actor, county))


@router.put(
    "/parameters/{key}",
    response_model=ParameterOut,
    summary="Set one parameter (a new version; figures follow at the next full recompute)",
)
def write_parameter(
    session: DbSession,
    actor: CurrentActor,
    key: Annotated[str, Path(max_length=40, description="A parameter key (see GET)")],
    body: ParameterIn,
) -> ParameterOut:
    county = _county(session, actor, body.county)
    set_parameter(session, actor, county=county, key=key, value=body.value)
    return next(p for p in _parameters(session, actor, county) if p.key == key)
