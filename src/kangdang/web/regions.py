"""Pages for regions: browse and search divisions, set a village's urban–rural class, enter population figures."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.core.pagination import PageRequest
from kangdang.regions.codes import AREA_TYPE_LABELS, URBAN_RURAL_CLASSES
from kangdang.regions.population import (
    FIGURES,
    PopulationSheet,
    import_population,
    population_of,
    population_overview,
    population_sheet,
    population_template,
    set_populations,
)
from kangdang.regions.service import classify_region, get_region, home_region, list_regions, region_names
from kangdang.regions.tables import LABELS, PopulationRow
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values

router = APIRouter()

CLASS_OPTIONS = [(code, f"{code} {label}") for code, label in URBAN_RURAL_CLASSES.items()]
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
Year = Annotated[int | None, Query(ge=1949, le=2200)]
CodeParam = Annotated[str, Query(max_length=12)]
INTEGER = re.compile(r"[+-]?\d{1,12}")


# --- divisions -------------------------------------------------------------------------------------------


@router.get("/regions")
def regions_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=50)] = "",
    parent: CodeParam = "",
    page: PageNumber = 1,
) -> Response:
    if parent == "all":  # the whole country: the provinces
        start = None
    elif parent:
        start = get_region(session, actor, parent)
    else:
        home = home_region(session, actor)
        start = get_region(session, actor, home.code) if home else None
    needle = q.replace("\x00", "").strip()
    result = list_regions(
        session,
        actor,
        page=PageRequest(page=page, size=100),
        parent_code=start.region.code if start else None,
        query=needle or None,
    )
    parents = region_names(session, [r.parent_code for r in result.items if r.parent_code]) if needle else {}
    query = {k: v for k, v in (("q", needle), ("parent", parent)) if v}
    return render(
        request,
        "regions/list.html",
        {
            "page_title": "区划",
            "start": start,
            "q": needle,
            "parent": parent,
            "page": result,
            "parents": parents,
            "base_url": "/regions?" + urlencode(query),
        },
    )


def _detail_context(session: DbSession, actor: CurrentActor, code: str) -> dict[str, Any]:
    detail = get_region(session, actor, code)
    year = _this_year()
    lines = population_overview(session, actor, parent_code=code, year=year)
    own = population_of(session, code, year)
    figures = [line.resident_population for line in lines if line.resident_population is not None]
    population = own.resident_population if own else (sum(figures) if figures else None)
    return {
        "page_title": detail.region.name,
        "d": detail,
        "year": year,
        "population": population,
        "child_population": {line.region.code: line.resident_population for line in lines},
        "child_kinds": [
            (AREA_TYPE_LABELS[kind], n) for kind, n in sorted(detail.child_counts.items(), reverse=True) if kind
        ],
        "class_options": CLASS_OPTIONS,
        "values": {"urban_rural_class": detail.region.urban_rural_class or ""},
        "errors": {},
        "saved": 0,
    }


@router.get("/regions/{code}")
def region_page(request: Request, session: DbSession, actor: CurrentActor, code: str, saved: int = 0) -> Response:
    return render(request, "regions/detail.html", _detail_context(session, actor, code) | {"saved": saved})


@router.post("/regions/{code}/class", dependencies=[CsrfChecked])
async def classify_submit(request: Request, session: DbSession, actor: CurrentActor, code: str) -> Response:
    values = form_values(await request.form())
    try:
        classify_region(session, actor, code, values.get("urban_rural_class", ""))
        return RedirectResponse(f"/regions/{code}?saved=1", status_code=303)
    except InvalidInput as error:
        session.rollback()
        errors = errors_of(error)
    context = _detail_context(session, actor, code) | {"values": values, "errors": errors}
    return render(request, "regions/detail.html", context, status_code=422)


# --- population ------------------------------------------------------------------------------------------


def _this_year() -> int:
    return today_local().year


def _sheet(session: DbSession, actor: CurrentActor, region: str, year: int | None) -> PopulationSheet | None:
    code = region.strip()
    if not code:
        home = home_region(session, actor)
        if home is None:
            return None
        code = home.code
    return population_sheet(session, actor, region_code=code, year=year or _this_year())


def _population_page(
    request: Request,
    actor: CurrentActor,
    sheet: PopulationSheet | None,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    import_errors: list[str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    if values is None and sheet is not None:
        values = {
            f"{line.region.code}.{name}": _text(getattr(line.own, name)) if line.own else ""
            for line in sheet.lines
            for name in FIGURES
        }
    return render(
        request,
        "regions/population.html",
        {
            "page_title": "人口数",
            "sheet": sheet,
            "values": values or {},
            "errors": errors or {},
            "import_errors": import_errors or [],
            "notice": notice,
            "figures": FIGURES,
            "figure_labels": LABELS,
            "can_edit": actor.can(Action.POPULATION_EDIT),
            "this_year": _this_year(),
            "query": urlencode({"region": sheet.region.code, "year": sheet.year}) if sheet else "",
        },
        status_code=status_code,
    )


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


@router.get("/population")
def population_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    region: CodeParam = "",
    year: Year = None,
    saved: Annotated[int | None, Query(ge=0)] = None,
    imported: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    sheet = _sheet(session, actor, region, year)
    notice = None
    if saved is not None:
        notice = f"已保存 {saved} 行" if saved else "没有改动，未保存任何数据"
    if imported is not None:
        notice = f"已导入 {imported} 行"
    return _population_page(request, actor, sheet, notice=notice)


def _rows_from_form(values: dict[str, Any], sheet: PopulationSheet) -> tuple[list[PopulationRow], FormErrors]:
    """The filled-in rows of the table (a row left blank is skipped), and the cells that are not integers."""
    rows: list[PopulationRow] = []
    errors: FormErrors = {}
    for number, line in enumerate(sheet.lines, start=1):
        code, name = line.region.code, line.region.name
        cells = {f: re.sub(r"[\s,，]", "", str(values.get(f"{code}.{f}", ""))) for f in FIGURES}
        if not any(cells.values()):
            continue
        numbers: dict[str, int | None] = {}
        for figure, raw in cells.items():
            numbers[figure] = int(raw) if INTEGER.fullmatch(raw) else None
            if raw and numbers[figure] is None:
                errors[f"{code}.{figure}"] = f"{name}（{code}）：{LABELS[figure]}“{raw}”不是整数"
        if not cells["resident_population"]:
            errors[f"{code}.resident_population"] = f"{name}（{code}）：常住人口为空（该行其他数字已填写）"
        if not any(key.startswith(f"{code}.") for key in errors):
            resident = numbers.pop("resident_population")
            assert resident is not None
            rows.append(
                PopulationRow(row=number, region_code=code, year=sheet.year, resident_population=resident, **numbers)
            )
    return rows, errors


def _form_year(values: dict[str, Any]) -> int:
    raw = str(values.get("year", "")).strip()
    if not raw.isdigit() or not 1949 <= int(raw) <= 2200:
        raise InvalidInput("年份有误", errors=[FieldError("year", "年份应为 1949–2200 之间的四位数")])
    return int(raw)


@router.post("/population", dependencies=[CsrfChecked])
async def population_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.POPULATION_EDIT)
    values = form_values(await request.form())
    region, year = str(values.get("region", "")), _form_year(values)
    sheet = population_sheet(session, actor, region_code=region, year=year)
    rows, errors = _rows_from_form(values, sheet)
    stored = 0
    try:
        stored = set_populations(session, actor, rows=rows, source="人口数录入")
    except InvalidInput as error:
        errors = errors_of(error) | errors
    if errors:
        session.rollback()
        count = len([k for k in errors if not k.startswith("__")])
        errors["__message__"] = f"人口数有 {count} 处错误，未保存任何数据"
        sheet = population_sheet(session, actor, region_code=region, year=year)
        return _population_page(request, actor, sheet, values=values, errors=errors, status_code=422)
    query = urlencode({"region": sheet.region.code, "year": year, "saved": stored})
    return RedirectResponse(f"/population?{query}", status_code=303)


@router.post("/population/import", dependencies=[CsrfChecked])
async def population_import(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.POPULATION_EDIT)
    form = await request.form()
    upload = form.get("file")
    region = str(form.get("region") or "")
    year_raw = str(form.get("year") or "")
    year = int(year_raw) if year_raw.isdigit() and 1949 <= int(year_raw) <= 2200 else None
    problems: list[str]
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems = ["请选择要导入的 CSV 或 Excel（.xlsx）文件"]
    else:
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            problems = [f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请分批导入"]
        else:
            try:
                imported = import_population(
                    session, actor, filename=upload.filename.replace("\x00", ""), content=content
                )
                query = {"region": region if _is_code(region) else None, "year": year, "imported": imported}
                query = {k: v for k, v in query.items() if v is not None}
                return RedirectResponse(f"/population?{urlencode(query)}", status_code=303)
            except InvalidInput as error:
                session.rollback()
                problems = [error.message, *(e.message for e in error.errors)]
    sheet = _sheet(session, actor, region if _is_code(region) else "", year)
    return _population_page(request, actor, sheet, import_errors=problems, status_code=422)


def _is_code(value: str) -> bool:
    return value.isascii() and value.isdigit()


@router.get("/population/template.csv")
def population_template_download(
    session: DbSession, actor: CurrentActor, region: CodeParam = "", year: Year = None
) -> Response:
    code = region.strip()
    if not code:
        home = home_region(session, actor)
        code = home.code if home else ""
    wanted = year or _this_year()
    content = population_template(session, actor, region_code=code, year=wanted)
    filename = f"population-{code}-{wanted}.csv"
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
