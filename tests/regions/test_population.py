"""Population figures (常住人口 and friends): entering, importing CSV and Excel tables, totals, the template."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.regions.models import Region, RegionPopulation
from kangdang.regions.population import (
    import_population,
    population_sheet,
    population_template,
    set_population,
    set_populations,
)
from kangdang.regions.tables import PopulationRow

YEAR = 2030  # no demo figures for this year
HEADER = "区划代码,年份,常住人口,户籍人口,0-6岁儿童数,65岁及以上老年人数\n"
梅林, 加元, 厚皋 = "330521102201", "330521102202", "330521102203"


def _stored(db, year: int = YEAR) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(RegionPopulation).where(RegionPopulation.year == year)) or 0


def _figures(db, code: str, year: int = YEAR) -> tuple[int, int | None, int | None, int | None] | None:
    db.expire_all()
    row = db.scalar(select(RegionPopulation).where(RegionPopulation.region_code == code, RegionPopulation.year == year))
    if row is None:
        return None
    return (row.resident_population, row.registered_population, row.aged_0_6, row.aged_65_plus)


BAD_CSV = (
    HEADER
    + f"{梅林},{YEAR},1200,1100,80,200\n"  # row 2: good
    + f"{加元},{YEAR},-5,,,\n"  # row 3: negative
    + f"330521999999,{YEAR},100,,,\n"  # row 4: no such village
    + f"{厚皋},{YEAR},100,,150,\n"  # row 5: more children than residents
    + f"330102001,{YEAR},5000,,,\n"  # row 6: Hangzhou, outside 德清县
    + f"{梅林},{YEAR},1300,,,\n"  # row 7: same village and year as row 2
    + f"{加元},{YEAR},十二,,,\n"  # row 8: not a number
)


def test_a_population_csv_with_bad_rows_lists_every_row_and_stores_nothing(db, actor_of):
    with pytest.raises(InvalidInput) as caught:
        import_population(db, actor_of("xianju"), filename="人口.csv", content=BAD_CSV.encode("utf-8-sig"))
    rows = {e.row for e in caught.value.errors}
    assert rows == {3, 4, 5, 6, 7, 8}
    text = "\n".join(e.message for e in caught.value.errors)
    for expected in (
        "第 3 行",
        "第 4 行：区划代码 330521999999 不存在",
        "第 5 行",
        "不能大于常住人口",
        "第 6 行：区划 330102001 不在您的管辖范围内",
        "第 7 行：与第 2 行重复",
        "第 8 行：常住人口“十二”不是整数",
    ):
        assert expected in text, expected
    assert "未导入任何数据" in caught.value.message
    assert _stored(db) == 0


def test_a_gb18030_csv_from_excel_imports(db, actor_of):
    content = (HEADER + f"{梅林},{YEAR},1200,1100,80,200\n{加元},{YEAR},950,,,\n").encode("gb18030")
    assert import_population(db, actor_of("xianju"), filename="人口.csv", content=content) == 2
    assert _figures(db, 梅林) == (1200, 1100, 80, 200)
    assert _figures(db, 加元) == (950, None, None, None)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["区划代码", "年份", "常住人口", "户籍人口", "0-6岁儿童数", "65岁及以上老年人数"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_excel_table_with_bad_rows_lists_the_rows_and_stores_nothing(db, actor_of):
    content = _xlsx([[梅林, YEAR, 1200, None, 80, 200], [加元, YEAR, "很多", None, None, None], [厚皋, 1900, 10]])
    with pytest.raises(InvalidInput) as caught:
        import_population(db, actor_of("xianju"), filename="人口.xlsx", content=content)
    assert {e.row for e in caught.value.errors} == {3, 4}
    assert any("年份应在 1949–2200 之间" in e.message for e in caught.value.errors)
    assert _stored(db) == 0 and _stored(db, 1900) == 0


def test_a_good_excel_table_imports_with_numbers_stored_as_numbers(db, actor_of):
    content = _xlsx([[int(梅林), YEAR, 1200.0, 1100, 80, 200], [加元, str(YEAR), "950", None, None, None]])
    assert import_population(db, actor_of("xianju"), filename="人口.XLSX", content=content) == 2
    assert _figures(db, 梅林) == (1200, 1100, 80, 200)
    assert _figures(db, 加元) == (950, None, None, None)


def test_a_damaged_excel_file_is_a_chinese_error(db, actor_of):
    with pytest.raises(InvalidInput) as caught:
        import_population(db, actor_of("xianju"), filename="人口.xlsx", content=b"not really a workbook")
    assert "Excel" in caught.value.errors[0].message


def test_a_village_doctor_and_an_inspector_cannot_enter_population(db, actor_of):
    content = (HEADER + f"{梅林},{YEAR},1200,,,\n").encode()
    for login in ("cunyi", "ducha"):
        with pytest.raises(PermissionDenied):
            import_population(db, actor_of(login), filename="p.csv", content=content)
        with pytest.raises(PermissionDenied):
            set_population(db, actor_of(login), region_code=梅林, year=YEAR, resident_population=1)
    assert _stored(db) == 0


def test_a_county_manager_cannot_set_population_outside_the_county(db, actor_of):
    with pytest.raises(NotFound):
        set_population(db, actor_of("xianju"), region_code="330102", year=YEAR, resident_population=500_000)
    with pytest.raises(NotFound):
        set_population(db, actor_of("xianju"), region_code="330102001", year=YEAR, resident_population=50_000)
    assert _stored(db) == 0


def test_setting_population_validates_and_corrects_with_an_audit_trail(db, actor_of):
    from kangdang.access.models import AuditEvent

    xianju = actor_of("xianju")
    with pytest.raises(InvalidInput) as caught:
        set_population(db, xianju, region_code=梅林, year=YEAR, resident_population=100, aged_65_plus=101)
    assert caught.value.errors[0].field == "aged_65_plus"
    set_population(db, xianju, region_code=梅林, year=YEAR, resident_population=1200, source="统计年鉴")
    set_population(db, xianju, region_code=梅林, year=YEAR, resident_population=1250)
    assert _figures(db, 梅林) == (1250, None, None, None)
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "population.set", AuditEvent.subject_id == 梅林)
        .order_by(AuditEvent.at)
    ).all()
    assert [e.details["after"]["resident_population"] for e in events][-2:] == [1200, 1250]
    assert events[-1].details["before"]["resident_population"] == 1200


def _row(number: int, code: str, resident: int, **others: int) -> PopulationRow:
    return PopulationRow(row=number, region_code=code, year=YEAR, resident_population=resident, **others)


def test_a_townships_figures_are_saved_all_or_none(db, actor_of):
    xianju = actor_of("xianju")
    bad = [_row(1, 梅林, 1200), _row(2, 加元, -1), _row(3, 厚皋, 10, aged_0_6=11), _row(4, "330102001", 5)]
    with pytest.raises(InvalidInput) as caught:
        set_populations(db, xianju, rows=bad)
    fields = {e.field for e in caught.value.errors}
    assert fields == {f"{加元}.resident_population", f"{厚皋}.aged_0_6", "330102001.region_code"}
    assert any("加元村委会" in e.message for e in caught.value.errors)
    assert _stored(db) == 0
    assert set_populations(db, xianju, rows=[_row(1, 梅林, 1200), _row(2, 加元, 900)]) == 2
    assert set_populations(db, xianju, rows=[_row(1, 梅林, 1200), _row(2, 加元, 901)]) == 1  # unchanged row skipped
    assert _figures(db, 加元) == (901, None, None, None)


def test_the_population_sheet_totals_a_township_and_its_county(db, actor_of):
    year = 2026  # the demo county has figures on every village
    sheet = population_sheet(db, actor_of("xianju"), region_code="330521102", year=year)
    village_sum = db.scalar(
        select(func.sum(RegionPopulation.resident_population))
        .join(Region, Region.code == RegionPopulation.region_code)
        .where(Region.parent_code == "330521102", RegionPopulation.year == year)
    )
    county_sum = db.scalar(
        select(func.sum(RegionPopulation.resident_population))
        .join(Region, Region.code == RegionPopulation.region_code)
        .where(Region.code.startswith("330521"), Region.level == 5, RegionPopulation.year == year)
    )
    assert sheet.total == village_sum and sheet.county_total == county_sum and sheet.missing == 0
    assert sheet.county is not None and sheet.county.code == "330521" and len(sheet.townships) == 13
    assert sheet.editable and len(sheet.lines) == 23
    assert not population_sheet(db, actor_of("ducha"), region_code="330521102", year=year).editable
    empty = population_sheet(db, actor_of("xianju"), region_code="330521102", year=YEAR)
    assert empty.total is None and empty.missing == 23
    county = population_sheet(db, actor_of("xianju"), region_code="330521", year=year)
    assert county.total == county_sum and not county.editable
    village = population_sheet(db, actor_of("xianju"), region_code=梅林, year=year)
    assert village.region.code == "330521102"  # a village shows its township
    with pytest.raises(NotFound):
        population_sheet(db, actor_of("xianju"), region_code="330521999", year=year)
    with pytest.raises(InvalidInput):
        population_sheet(db, actor_of("xianju"), region_code="330521102", year=99999)


def test_the_template_lists_the_townships_villages_and_imports_back_unchanged(db, actor_of):
    xianju = actor_of("xianju")
    content = population_template(db, xianju, region_code="330521102", year=2026)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["区划代码", "年份", "常住人口", "户籍人口", "0-6岁儿童数", "65岁及以上老年人数"]
    assert len(rows) == 1 + 23 and all(r[1] == "2026" and r[2].isdigit() for r in rows[1:])
    assert rows[1][0] == "330521102001" and rows[1][-1] == "东升社区居委会"
    assert import_population(db, xianju, filename="template.csv", content=content) == 23
    blank = population_template(db, xianju, region_code="330521102", year=YEAR).decode("utf-8-sig").splitlines()
    assert blank[1].startswith(f"330521102001,{YEAR},,")


def test_figures_roll_up_from_villages_through_every_level(db, actor_of):
    from kangdang.regions.population import population_overview, rolled_up

    assert rolled_up({"330521102200": 10, "330521102201": 5, "330521101": 7}) == {
        "330521102200": 10,
        "330521102201": 5,
        "330521101": 7,
        "330521102": 15,
        "330521": 22,
        "3305": 22,
        "33": 22,
    }
    lines = population_overview(db, actor_of("xianju"), parent_code="3305", year=2026)
    deqing = next(line for line in lines if line.region.code == "330521")
    county_total = sum(
        line.resident_population or 0
        for line in population_overview(db, actor_of("xianju"), parent_code="330521", year=2026)
    )
    assert deqing.resident_population == county_total > 0
