"""Reading population tables from CSV or Excel (pure, no database). Headers may be English or Chinese."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from kangdang.core.errors import FieldError
from kangdang.regions.codes import level_of
from kangdang.regions.importer import decode_table_bytes

HEADERS = {
    "region_code": ("region_code", "code", "区划代码", "代码"),
    "year": ("year", "年份", "年度"),
    "resident_population": ("resident_population", "常住人口", "常住人口数"),
    "registered_population": ("registered_population", "户籍人口", "户籍人口数"),
    "aged_0_6": ("aged_0_6", "0-6岁儿童数", "0～6岁儿童数", "0-6岁"),
    "aged_65_plus": ("aged_65_plus", "65岁及以上老年人数", "65岁及以上", "老年人数"),
}
REQUIRED = ("region_code", "year", "resident_population")
LABELS = {
    "region_code": "区划代码",
    "year": "年份",
    "resident_population": "常住人口",
    "registered_population": "户籍人口",
    "aged_0_6": "0-6岁儿童数",
    "aged_65_plus": "65岁及以上老年人数",
}
MAX_ROWS = 100_000


@dataclass(frozen=True)
class PopulationRow:
    row: int | None
    region_code: str
    year: int
    resident_population: int
    registered_population: int | None = None
    aged_0_6: int | None = None
    aged_65_plus: int | None = None

    def problems(self) -> list[FieldError]:
        found: list[FieldError] = []
        if level_of(self.region_code) is None:
            found.append(FieldError("region_code", "区划代码应为 2、4、6、9 或 12 位数字", self.row))
        if not 1949 <= self.year <= 2200:
            found.append(FieldError("year", "年份应在 1949–2200 之间", self.row))
        for name in ("resident_population", "registered_population", "aged_0_6", "aged_65_plus"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 200_000_000:
                found.append(FieldError(name, f"{LABELS[name]}应为 0 到 2 亿之间的整数", self.row))
        for part in ("aged_0_6", "aged_65_plus"):
            value = getattr(self, part)
            if value is not None and value > self.resident_population:
                found.append(FieldError(part, f"{LABELS[part]}不能大于常住人口", self.row))
        return found


def parse_population_table(filename: str, content: bytes) -> tuple[list[PopulationRow], list[FieldError]]:
    """Rows and problems of a population table; row numbers count the header as row 1, as a spreadsheet does."""
    try:
        records = list(_xlsx_rows(content) if filename.lower().endswith(".xlsx") else _csv_rows(content))
    except ValueError as exc:
        return [], [FieldError("file", str(exc))]
    if not records:
        return [], [FieldError("file", "文件为空")]
    header = [str(h or "").strip() for h in records[0]]
    columns: dict[str, int] = {}
    for key, names in HEADERS.items():
        for index, title in enumerate(header):
            if title in names:
                columns[key] = index
                break
    missing = [LABELS[k] for k in REQUIRED if k not in columns]
    if missing:
        return [], [FieldError("file", f"缺少列：{'、'.join(missing)}（第 1 行应为表头）", row=1)]
    if len(records) - 1 > MAX_ROWS:
        return [], [FieldError("file", f"一次最多导入 {MAX_ROWS} 行")]
    rows: list[PopulationRow] = []
    errors: list[FieldError] = []
    seen: dict[tuple[str, int], int] = {}
    for number, record in enumerate(records[1:], start=2):
        cells = {key: _cell(record, index) for key, index in columns.items()}
        if not any(cells.values()):
            continue
        row_errors: list[FieldError] = []
        values: dict[str, int | None] = {}
        for key in ("year", "resident_population", "registered_population", "aged_0_6", "aged_65_plus"):
            raw = cells.get(key, "")
            if not raw:
                if key in REQUIRED:
                    row_errors.append(FieldError(key, f"第 {number} 行：{LABELS[key]}为空", number))
                values[key] = None
                continue
            try:
                values[key] = (
                    int(float(raw)) if raw.replace(".", "", 1).isdigit() and float(raw).is_integer() else int(raw)
                )
            except ValueError:
                row_errors.append(FieldError(key, f"第 {number} 行：{LABELS[key]}“{raw}”不是整数", number))
        code = cells.get("region_code", "")
        if not code:
            row_errors.append(FieldError("region_code", f"第 {number} 行：区划代码为空", number))
        if row_errors:
            errors.extend(row_errors)
            continue
        row = PopulationRow(row=number, region_code=code, **values)  # type: ignore[arg-type]
        problems = row.problems()
        errors.extend(FieldError(p.field, f"第 {number} 行：{p.message}", number) for p in problems)
        identity = (row.region_code, row.year)
        if identity in seen:
            errors.append(
                FieldError("region_code", f"第 {number} 行：与第 {seen[identity]} 行重复（同一区划同一年份）", number)
            )
        elif not problems:
            seen[identity] = number
            rows.append(row)
    return rows, errors


def _cell(record: list[object], index: int) -> str:
    if index >= len(record) or record[index] is None:
        return ""
    value = record[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _csv_rows(content: bytes) -> Iterator[list[object]]:
    yield from csv.reader(io.StringIO(decode_table_bytes(content)))


def _xlsx_rows(content: bytes) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise ValueError("无法读取 Excel 文件，请确认是 .xlsx 格式") from exc
    sheet = workbook.worksheets[0]
    for values in sheet.iter_rows(values_only=True):
        yield list(values)
    workbook.close()
