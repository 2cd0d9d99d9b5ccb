"""JSON routes for regions: browsing divisions, the urban–rural class, population figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile

from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.core.clock import today_local
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.regions.population import import_population, population_overview, set_population
from kangdang.regions.schemas import (
    PopulationImportOut,
    PopulationIn,
    PopulationLineOut,
    PopulationOut,
    PopulationOverviewOut,
    RegionClassIn,
    RegionDetailOut,
    RegionOut,
    RegionRef,
)
from kangdang.regions.service import classify_region, get_region, list_regions

router = APIRouter(prefix="/regions", tags=["regions"], responses=ERROR_RESPONSES)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
RegionCode = Annotated[str, Path(pattern=r"^\d{2,12}$", description="Division code, 2 to 12 digits")]


@router.get("", response_model=PageOut[RegionOut], summary="Divisions: children of a parent, or a search")
def list_(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    parent: Annotated[
        str | None, Query(pattern=r"^\d{2,12}$", description="Parent code; without q its children, else its subtree")
    ] = None,
    q: Annotated[str | None, Query(max_length=50, description="Name contains, or code starts with")] = None,
) -> PageOut[RegionOut]:
    page = list_regions(session, actor, page=paging, parent_code=parent, query=q)
    return PageOut(items=[RegionOut.of(r) for r in page.items], total=page.total, page=page.page, size=page.size)


@router.post(
    "/population/import",
    response_model=PopulationImportOut,
    summary="Import population figures from a CSV or .xlsx table (all rows or none)",
)
def import_(
    session: DbSession, actor: CurrentActor, file: Annotated[UploadFile, File(description="CSV or .xlsx")]
) -> PopulationImportOut:
    content = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(errors=[FieldError("file", f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB")])
    imported = import_population(
        session, actor, filename=(file.filename or "upload.csv").replace("\x00", ""), content=content
    )
    return PopulationImportOut(imported=imported)


@router.get("/{code}", response_model=RegionDetailOut, summary="One division with its ancestors and children")
def read(code: str, session: DbSession, actor: CurrentActor) -> RegionDetailOut:
    d = get_region(session, actor, code)
    return RegionDetailOut(
        **RegionOut.of(d.region).model_dump(),
        path=[RegionRef(code=r.code, name=r.name, level=r.level) for r in d.path],
        children=[RegionOut.of(r) for r in d.children],
        child_counts=d.child_counts,
    )


@router.put("/{code}/class", response_model=RegionOut, summary="Set a village's urban–rural class (城乡分类代码)")
def classify(code: RegionCode, body: RegionClassIn, session: DbSession, actor: CurrentActor) -> RegionOut:
    return RegionOut.of(classify_region(session, actor, code, body.urban_rural_class))


@router.get(
    "/{code}/population", response_model=PopulationOverviewOut, summary="The children of a division with their figures"
)
def population(
    code: str,
    session: DbSession,
    actor: CurrentActor,
    year: Annotated[int | None, Query(ge=1949, le=2200, description="Default: this year")] = None,
) -> PopulationOverviewOut:
    region = get_region(session, actor, code).region
    wanted = year or today_local().year
    lines = population_overview(session, actor, parent_code=region.code, year=wanted)
    figures = [line.resident_population for line in lines if line.resident_population is not None]
    return PopulationOverviewOut(
        region=RegionOut.of(region),
        year=wanted,
        lines=[
            PopulationLineOut(
                region=RegionOut.of(line.region),
                resident_population=line.resident_population,
                own=PopulationOut.of(line.own) if line.own else None,
                children_total=line.children_total,
            )
            for line in lines
        ],
        total=sum(figures) if figures else None,
    )


@router.put("/{code}/population/{year}", response_model=PopulationOut, summary="Enter a division's figures for a year")
def put_population(
    code: RegionCode, year: int, body: PopulationIn, session: DbSession, actor: CurrentActor
) -> PopulationOut:
    stored = set_population(
        session,
        actor,
        region_code=code,
        year=year,
        resident_population=body.resident_population,
        registered_population=body.registered_population,
        aged_0_6=body.aged_0_6,
        aged_65_plus=body.aged_65_plus,
        source=body.source,
    )
    return PopulationOut.of(stored)
