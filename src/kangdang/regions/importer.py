"""Parsing and checking division files in the NBS CSV format of shared/data/regions (pure, no database).

Each file holds one level. Columns: ``code,name`` then parent-code columns (``provinceCode``, ``cityCode``,
``areaCode``, ``streetCode``); a village file may add ``urbanRuralClass`` (城乡分类代码). Every bad row is
reported with its file, row number and a Chinese reason; a file with any bad row imports nothing.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, replace
from pathlib import Path

from kangdang.core.errors import FieldError
from kangdang.regions.codes import Level, derived_area_type, is_valid_class, level_of, parent_of

PARENT_COLUMN = {
    Level.CITY: "provinceCode",
    Level.COUNTY: "cityCode",
    Level.TOWNSHIP: "areaCode",
    Level.VILLAGE: "streetCode",
}
CLASS_COLUMNS = ("urbanRuralClass", "urban_rural_class", "城乡分类代码")
FILE_LEVELS = {
    "provinces": Level.PROVINCE,
    "cities": Level.CITY,
    "counties": Level.COUNTY,
    "townships": Level.TOWNSHIP,
    "villages": Level.VILLAGE,
}


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: Level
    parent_code: str | None
    urban_rural_class: str | None
    area_type: str | None
    class_is_derived: bool
    source: str = ""  # the file it came from and its row there, for error messages
    row: int | None = None


@dataclass(frozen=True)
class DivisionFile:
    label: str  # shown in error messages, e.g. the file name
    text: str


def read_text(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return decode_table_bytes(data)


def decode_table_bytes(data: bytes) -> str:
    """CSV files from Chinese offices come as UTF-8 (with or without BOM) or GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("文件编码无法识别，请保存为 UTF-8 或 GB18030 编码的 CSV")


def level_from_filename(name: str) -> Level | None:
    stem = Path(name).name.split(".")[0].split("-")[0].lower()
    return FILE_LEVELS.get(stem)


def parse_division_file(source: DivisionFile, *, within: str | None = None) -> tuple[list[RegionRow], list[FieldError]]:
    """Rows of one division file (only codes under ``within`` when given), and every row's problems."""
    reader = csv.DictReader(io.StringIO(source.text))
    rows: list[RegionRow] = []
    errors: list[FieldError] = []
    seen: set[str] = set()
    header = reader.fieldnames or []
    if "code" not in header or "name" not in header:
        return [], [FieldError(source.label, f"{source.label}：缺少表头 code,name", row=1)]
    class_column = next((c for c in CLASS_COLUMNS if c in header), None)
    for number, record in enumerate(reader, start=2):  # row 1 is the header
        code = (record.get("code") or "").strip()
        if within and not code.startswith(within) and not within.startswith(code):
            continue
        row, problem = _check_row(record, code, class_column)
        if problem is None and code in seen:
            problem = f"区划代码 {code} 重复"
        if problem is not None:
            errors.append(FieldError(source.label, f"{source.label} 第 {number} 行：{problem}", row=number))
            continue
        assert row is not None
        seen.add(code)
        rows.append(replace(row, source=source.label, row=number))
    return rows, errors


def _check_row(record: dict[str, str], code: str, class_column: str | None) -> tuple[RegionRow | None, str | None]:
    level = level_of(code)
    if level is None:
        return None, f"区划代码“{code}”应为 2、4、6、9 或 12 位数字"
    name = (record.get("name") or "").strip()
    if not name:
        return None, "名称为空"
    if len(name) > 100:
        return None, "名称超过 100 个字符"
    parent = parent_of(code)
    column = PARENT_COLUMN.get(level)
    if column and column in record and (record.get(column) or "").strip() not in ("", parent):
        return None, f"上级代码 {record.get(column)} 与区划代码 {code} 不一致"
    urban_rural_class = (record.get(class_column) or "").strip() if class_column else ""
    if urban_rural_class and level is not Level.VILLAGE:
        return None, "只有村级单位有城乡分类代码"
    if urban_rural_class and not is_valid_class(urban_rural_class):
        return None, f"城乡分类代码“{urban_rural_class}”无效（应为 111、112、121、122、123、210 或 220）"
    area_type: str | None = None
    derived = False
    if level is Level.VILLAGE:
        if urban_rural_class:
            area_type = "urban" if urban_rural_class.startswith("1") else "rural"
        else:
            area_type, derived = derived_area_type(code, name), True
    return (
        RegionRow(
            code=code,
            name=name,
            level=level,
            parent_code=parent,
            urban_rural_class=urban_rural_class or None,
            area_type=area_type,
            class_is_derived=derived,
        ),
        None,
    )
