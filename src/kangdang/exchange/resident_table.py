"""The residents import table (居民批量建档表): templates, and reading an Excel/CSV file into rows (pure).

One sheet "居民" (or a CSV with the same columns), row 1 the headers, one resident per row. Codes may be
written as their Chinese label or their code. A cell that cannot be read becomes a problem of its row (row
number as in the spreadsheet, column header, Chinese message); the import service adds the checks that need
the database. A file that cannot be read at all raises InvalidInput.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kangdang.core.errors import FieldError, InvalidInput
from kangdang.regions.importer import decode_table_bytes
from kangdang.residents.bulk import HEADERS, REQUIRED, ImportRow, row_error
from kangdang.residents.codes import (
    DOCUMENT_TYPES,
    ETHNICITIES,
    RELATIONSHIPS,
    RESIDENCE_TYPES,
    SEXES,
)

SHEET = "居民"
HELP_SHEET = "说明"
MAX_ROWS = 100_000
TEMPLATE_ROWS = 5000  # rows of the template that carry drop-downs and cell formats


@dataclass(frozen=True)
class Column:
    key: str
    help: str
    width: int = 14
    text: bool = False  # kept as text in Excel (numbers that must not lose digits)
    is_date: bool = False

    @property
    def header(self) -> str:
        return HEADERS[self.key]

    @property
    def required(self) -> bool:
        return self.key in REQUIRED

    @property
    def title(self) -> str:
        """The header as written in the template: required columns end with *."""
        return f"{self.header}*" if self.required else self.header


COLUMNS = (
    Column("document_type", "证件类别名称或代码，空白为居民身份证。", 12),
    Column(
        "document_number",
        "居民身份证 18 位（末位可为 X；旧 15 位自动升为 18 位）或其他证件号码。必填：批量导入不登记无证件的新生儿。"
        "已建档的证件（同一类别和号码）跳过，不会重复建档。",
        22,
        text=True,
    ),
    Column("name", "居民姓名，必填。", 10),
    Column("sex", "男/女或代码 1/2；身份证可不填，按身份证号推出。", 6),
    Column("birth_date", "YYYY-MM-DD 或 Excel 日期；身份证可不填，按身份证号推出。", 12, is_date=True),
    Column("ethnicity", "民族名称或 2 位代码（GB 3304），空白为汉族。", 8),
    Column("phone", "本人手机或固定电话：5–20 位数字，可含 - + 和空格。", 14, text=True),
    Column("contact_name", "联系人姓名。", 10),
    Column("contact_phone", "联系人电话，格式同本人电话。", 14, text=True),
    Column("residence_type", "户籍或非户籍，空白为户籍。", 8),
    Column(
        "current_region_code",
        "现住址所在村/居委会的 12 位统计用区划代码，必填；须在您的管辖范围内。档案编号按该村编排。",
        18,
        text=True,
    ),
    Column("current_address", "现住址的详细地址（组、门牌号等）。", 24),
    Column("registered_region_code", "户籍地址所在村/居委会的 12 位区划代码。", 18, text=True),
    Column("registered_address", "户籍地址的详细地址。", 24),
    Column("work_unit", "工作单位。", 16),
    Column("filed_on", "建档日期，空白为导入当天；不能晚于今天。", 12, is_date=True),
    Column(
        "household",
        "已有家庭的 17 位家庭编号；或本文件内自定的编号（如 A1），同一新家庭的各行填同一编号，其中一行为户主。"
        "留空则不加入家庭。",
        14,
        text=True,
    ),
    Column("relationship", "与户主关系名称或代码（GB/T 4761），填了家庭编号时必填；“户主”一行建立新家庭。", 10),
    Column("paper_location", "纸质档案存放位置。", 14),
)
BY_HEADER = {c.header: c for c in COLUMNS}
ALIASES = {
    "证件类型": "document_type",
    "身份证件类别": "document_type",
    "身份证号": "document_number",
    "身份证号码": "document_number",
    "证件号": "document_number",
    "电话": "phone",
    "联系电话": "phone",
    "手机": "phone",
    "手机号码": "phone",
    "常住类别": "residence_type",
    "档案位置": "paper_location",
}

# Code tables: label → code, plus the codes themselves.
_CODE_TABLES: dict[str, dict[str, str]] = {
    "document_type": DOCUMENT_TYPES,
    "sex": {"1": "男", "2": "女", "0": SEXES["0"], "9": SEXES["9"]},
    "ethnicity": ETHNICITIES,
    "residence_type": RESIDENCE_TYPES,
    "relationship": RELATIONSHIPS,
}
_EXTRA_LABELS = {
    "sex": {"男性": "1", "女性": "2"},
    "document_type": {"身份证": "01", "户口簿": "02", "台湾居民来往大陆通行证": "07"},
}
DEFAULTS = {"document_type": "01", "ethnicity": "01", "residence_type": "1"}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_EXCEL_EPOCH = date(1899, 12, 30)


def _lookup(kind: str) -> dict[str, str]:
    table = _CODE_TABLES[kind]
    found = {label: code for code, label in table.items()}
    found.update({code: code for code in table})
    found.update(_EXTRA_LABELS.get(kind, {}))
    if kind == "ethnicity":
        found.update({label.removesuffix("族"): code for code, label in table.items() if label.endswith("族")})
    return found


_LOOKUPS = {kind: _lookup(kind) for kind in _CODE_TABLES}


def _header_key(title: Any) -> str | None:
    text = re.sub(r"[\s*＊]", "", str(title or ""))
    column = BY_HEADER.get(text)
    return column.key if column else ALIASES.get(text)


# --- reading ---------------------------------------------------------------------------------------------


def read_resident_table(filename: str, content: bytes) -> list[ImportRow]:
    """Rows of an .xlsx or .csv residents table; cells that cannot be read are the rows' problems."""
    records = _records(filename, content)
    header = next(records, None)
    if header is None:
        raise _file_error("文件为空：第 1 行应为表头")
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _header_key(title)
        if key is not None and key not in columns:
            columns[key] = index
    missing = [HEADERS[k] for k in REQUIRED if k not in columns]
    if missing:
        raise _file_error(f"缺少列：{'、'.join(missing)}（第 1 行应为表头，可下载模板对照）")
    rows: list[ImportRow] = []
    for number, record in enumerate(records, start=2):
        cells = {key: record[index] if index < len(record) else None for key, index in columns.items()}
        if all(_is_blank(v) for v in cells.values()):
            continue
        if len(rows) >= MAX_ROWS:
            raise _file_error(f"一次最多导入 {MAX_ROWS:,} 行，请分批导入")
        rows.append(_row(number, cells))
    if not rows:
        raise _file_error("文件中没有数据行")
    return rows


def _file_error(message: str) -> InvalidInput:
    return InvalidInput(message, errors=[FieldError("文件", message)])


def _records(filename: str, content: bytes) -> Iterator[list[Any]]:
    name = filename.lower()
    if name.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        return _xlsx_records(content)
    if name.endswith((".xls", ".et", ".ods")):
        raise _file_error("请另存为 Excel .xlsx 或 CSV 文件后再导入（不支持旧的 .xls 格式）")
    try:
        text = decode_table_bytes(content)
    except ValueError as exc:
        raise _file_error(str(exc)) from None
    return iter(list(csv.reader(io.StringIO(text.replace("\x00", "")))))


def _xlsx_records(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise _file_error("无法读取 Excel 文件，请确认是 .xlsx 格式") from None
    try:
        sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
        records = [list(values) for values in sheet.iter_rows(values_only=True)]
    except Exception:
        raise _file_error("无法读取 Excel 文件的工作表，请确认是 .xlsx 格式") from None
    finally:
        workbook.close()
    return iter(records)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _row(number: int, cells: dict[str, Any]) -> ImportRow:
    problems: list[FieldError] = []
    values: dict[str, Any] = {}

    def problem(key: str, message: str) -> None:
        problems.append(row_error(number, key, message))

    for key, raw in cells.items():
        if _is_blank(raw):
            continue
        if key in ("birth_date", "filed_on"):
            values[key] = _date(raw, key, problem)
        elif key in _LOOKUPS:
            values[key] = _code(raw, key, problem)
        elif key in ("document_number", "household") and isinstance(raw, int | float) and len(_text(raw)) > 15:
            problem(key, "被 Excel 存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写")
        else:
            values[key] = _text(raw)
    for key, default in DEFAULTS.items():
        values.setdefault(key, default)
    if values.get("document_number"):
        values["document_number"] = "".join(values["document_number"].split()).upper()
    return ImportRow(
        row=number,
        name=values.pop("name", ""),
        current_region_code=values.pop("current_region_code", ""),
        problems=tuple(problems),
        **values,
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return str(value).replace("\x00", "").strip()


def _code(raw: Any, key: str, problem: Any) -> str | None:
    text = _text(raw)
    table = _LOOKUPS[key]
    if text in table:
        return table[text]
    if text.isdigit() and text.zfill(2) in table:  # Excel turns 01 into 1
        return table[text.zfill(2)]
    problem(key, f"“{text}”无效，请填写名称或代码（见模板的“说明”页）")
    return None


def _date(raw: Any, key: str, problem: Any) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if float(raw).is_integer() and 10_000_000 <= raw <= 99_999_999:  # 19800101
            raw = str(int(raw))
        elif 1 <= raw < 100_000:  # an Excel serial day number without a date format
            return _EXCEL_EPOCH + timedelta(days=int(raw))
    text = _text(raw)
    match = _DATE_TEXT.fullmatch(text)
    parts = match.groups() if match else (text[:4], text[4:6], text[6:]) if re.fullmatch(r"\d{8}", text) else None
    if parts is None:
        problem(key, f"“{text}”不是日期（应为 YYYY-MM-DD）")
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        problem(key, f"日期“{text}”不存在")
        return None


# --- templates -------------------------------------------------------------------------------------------


def resident_template_csv() -> bytes:
    """The header line, UTF-8 with a BOM so that Excel opens it in the right encoding."""
    out = io.StringIO()
    csv.writer(out).writerow([c.title for c in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def resident_template_xlsx() -> bytes:
    """Sheet 居民 with the headers, formats and drop-downs; sheet 说明 with each column and the code lists."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    guide = workbook.create_sheet(HELP_SHEET)
    bold, red = Font(bold=True), Font(bold=True, color="B91C1C")
    fill = PatternFill("solid", fgColor="E8F3EE")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.title)
        cell.font, cell.fill = (red if column.required else bold), fill
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width + 2
        if column.text or column.is_date:
            fmt = "@" if column.text else "yyyy-mm-dd"
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = fmt
    sheet.freeze_panes = "A2"

    guide.append(["列名", "必填", "说明"])
    for column in COLUMNS:
        guide.append([column.header, "是" if column.required else "", column.help])
    guide.append([])
    guide.append(["", "", "每行一位居民；第 1 行表头不要改动。任何一行有错时全部不导入，错误按行、列列出。"])
    guide.append(["", "", "家庭：同一新家庭的各行填同一个自定编号（如 A1），其中一行与户主关系填“户主”。"])
    for cell in guide[1]:
        cell.font, cell.fill = bold, fill
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 6
    guide.column_dimensions["C"].width = 70
    for row in guide.iter_rows(min_row=2, max_col=3):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")

    lists = (
        ("document_type", "证件类别", DOCUMENT_TYPES),
        ("sex", "性别", {"1": "男", "2": "女"}),
        ("ethnicity", "民族", ETHNICITIES),
        ("residence_type", "常住类型", RESIDENCE_TYPES),
        ("relationship", "与户主关系", RELATIONSHIPS),
    )
    first_column = 5
    for offset, (key, title, table) in enumerate(lists):
        code_col, label_col = first_column + offset * 3, first_column + offset * 3 + 1
        guide.cell(row=1, column=code_col, value=f"{title}代码").font = bold
        guide.cell(row=1, column=label_col, value=title).font = bold
        for row, (code, label) in enumerate(table.items(), start=2):
            guide.cell(row=row, column=code_col, value=code).number_format = "@"
            guide.cell(row=row, column=label_col, value=label)
        guide.column_dimensions[get_column_letter(label_col)].width = 16
        letter = get_column_letter(label_col)
        validation = DataValidation(
            type="list",
            formula1=f"'{HELP_SHEET}'!${letter}$2:${letter}${len(table) + 1}",
            allow_blank=True,
            showErrorMessage=False,  # codes typed by hand are accepted too
        )
        target = get_column_letter(next(i for i, c in enumerate(COLUMNS, start=1) if c.key == key))
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
