"""The quarterly or annual report (``indicators.reports.Report``) as an Excel workbook in the layout a bureau files
upward: sheet 指标汇总 (merged title, 填报单位/统计期/填报日期, a header, the indicators grouped by catalogue group,
thin borders, rates as numbers with two decimals), sheet 分单位 (the main rates of each township or village) and
sheet 城乡 (the unit's figures urban and rural). A pure renderer: it takes the report and returns the bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kangdang.indicators.reports import AREA_LABELS, Report, ReportLine

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY_SHEET, CHILDREN_SHEET, AREAS_SHEET = "指标汇总", "分单位", "城乡"
RATE_FORMAT = "0.00"
NOT_ENTERED = "未录入"


def _number(value: Decimal | None) -> Decimal | str:
    return value if value is not None else "—"


def _denominator(line: ReportLine) -> int | str:
    return line.denominator if line.denominator is not None else NOT_ENTERED


class _Sheet:
    """A worksheet written row by row with the report's styles."""

    def __init__(self, sheet: Worksheet, widths: Sequence[int]) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
        from openpyxl.utils import get_column_letter

        self.sheet = sheet
        self.columns = len(widths)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        thin = Side(style="thin", color="000000")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.bold = Font(bold=True)
        self.title_font = Font(bold=True, size=14)
        self.fill = PatternFill("solid", fgColor="E8ECEF")
        self.group_fill = PatternFill("solid", fgColor="F4F6F7")
        self.centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.left = Alignment(horizontal="left", vertical="center", wrap_text=True)
        self.right = Alignment(horizontal="right", vertical="center")
        self.row = 0

    def title(self, text: str) -> None:
        self.row += 1
        self.sheet.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=self.columns)
        cell = self.sheet.cell(row=self.row, column=1, value=text)
        cell.font, cell.alignment = self.title_font, self.centre
        self.sheet.row_dimensions[self.row].height = 30

    def heading(self, report: Report) -> None:
        """填报单位 / 统计期 / 填报日期 across the width, each in a merged block."""
        self.row += 1
        parts = [
            f"填报单位：{report.unit_name}",
            f"统计期：{report.period_label}",
            f"填报日期：{report.produced_on.isoformat()}",
        ]
        bounds = [1, max(2, self.columns // 3 + 1), max(3, 2 * self.columns // 3 + 1), self.columns + 1]
        for index, text in enumerate(parts):
            start, end = bounds[index], bounds[index + 1] - 1
            if end > start:
                self.sheet.merge_cells(start_row=self.row, start_column=start, end_row=self.row, end_column=end)
            self.sheet.cell(row=self.row, column=start, value=text).alignment = self.left

    def header(self, titles: Sequence[str]) -> None:
        self.row += 1
        for index, text in enumerate(titles, start=1):
            cell = self.sheet.cell(row=self.row, column=index, value=text)
            cell.font, cell.fill, cell.alignment, cell.border = self.bold, self.fill, self.centre, self.border
        self.sheet.row_dimensions[self.row].height = 32
        self.sheet.freeze_panes = f"A{self.row + 1}"

    def group(self, text: str) -> None:
        self.row += 1
        self.sheet.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=self.columns)
        cell = self.sheet.cell(row=self.row, column=1, value=text)
        cell.font, cell.fill, cell.alignment = self.bold, self.group_fill, self.left
        for column in range(1, self.columns + 1):
            self.sheet.cell(row=self.row, column=column).border = self.border

    def values(self, values: Sequence[Any], rates: Sequence[int] = ()) -> None:
        """A data row; the 1-based columns in ``rates`` hold percentages (two decimals)."""
        self.row += 1
        for index, value in enumerate(values, start=1):
            cell = self.sheet.cell(row=self.row, column=index, value=value)
            cell.border = self.border
            if isinstance(value, int | float | Decimal):
                cell.alignment = self.right
                if index in rates:
                    cell.number_format = RATE_FORMAT
            else:
                cell.alignment = self.centre if index in rates or value in ("—", NOT_ENTERED) else self.left

    def text(self, text: str) -> None:
        self.row += 1
        self.sheet.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=self.columns)
        self.sheet.cell(row=self.row, column=1, value=text).alignment = self.left


def _summary(sheet: _Sheet, report: Report) -> None:
    titles = ["序号", "指标", "分子", "分子数", "分母", "分母数", "率（%）", "目标（%）", "完成情况"]
    if report.has_year_to_date:
        titles.append("本年累计率（%）")
    sheet.title(report.title)
    sheet.heading(report)
    sheet.header(titles)
    number = 0
    for section in report.sections:
        sheet.group(f"{section.number}、{section.group}")
        for line in section.lines:
            number += 1
            row: list[Any] = [
                number,
                line.name,
                line.numerator_label,
                line.numerator,
                line.denominator_label,
                _denominator(line),
                _number(line.rate),
                _number(line.target),
                line.status,
            ]
            if report.has_year_to_date:
                row.append(_number(line.year_to_date))
            sheet.values(row, rates=(7, 8, 10))
    sheet.row += 1
    sheet.text(f"填报人：{report.producer}    填报机构：{report.institution}    审核人：")
    for note in report.notes:
        sheet.text(f"注：{note}")


def _children(sheet: _Sheet, report: Report) -> None:
    columns = report.main_columns
    sheet.title(f"{report.title}（分{report.child_label}）")
    sheet.heading(report)
    sheet.header(["序号", report.child_label, *(f"{name}（%）" for _code, name in columns)])
    for number, child in enumerate(report.children, start=1):
        rates = [_number(child.rates.get(code)) for code, _name in columns]
        sheet.values([number, child.name, *rates], rates=range(3, 3 + len(columns)))
    if not report.children:
        sheet.text(f"没有可显示的{report.child_label}数据")


def _areas(sheet: _Sheet, report: Report) -> None:
    sheet.title(f"{report.title}（城乡）")
    sheet.heading(report)
    titles = ["序号", "指标"]
    for area in ("urban", "rural"):
        label = AREA_LABELS[area]
        titles += [f"{label}分子数", f"{label}分母数", f"{label}率（%）", f"{label}目标（%）", f"{label}完成情况"]
    sheet.header(titles)
    for number, area_line in enumerate(report.areas, start=1):
        row: list[Any] = [number, area_line.name]
        for line in (area_line.urban, area_line.rural):
            row += [line.numerator, _denominator(line), _number(line.rate), _number(line.target), line.status]
        sheet.values(row, rates=(5, 6, 10, 11))
    sheet.row += 1
    sheet.text("注：城镇、乡村按村（居）委会的城乡分类划分。")


def render_report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = SUMMARY_SHEET
    widths = [6, 26, 34, 10, 28, 10, 10, 10, 10]
    if report.has_year_to_date:
        widths.append(14)
    _summary(_Sheet(first, widths), report)
    _children(_Sheet(workbook.create_sheet(CHILDREN_SHEET), [6, 22, *([14] * len(report.main_columns))]), report)
    _areas(_Sheet(workbook.create_sheet(AREAS_SHEET), [6, 26, *([11] * 10)]), report)
    for sheet in workbook.worksheets:
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        if sheet.sheet_properties.pageSetUpPr is not None:
            sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
