"""The appraisal score sheet (绩效考核评分与补助分配表) as an Excel workbook: a title, the period and budget, one
row per institution by rank — each item's rate and score, the total and the subsidy — and a total row whose
subsidies add up to the budget."""

from __future__ import annotations

import io
from decimal import Decimal

from kangdang.core.clock import to_local
from kangdang.indicators.appraisal import SheetView

SHEET_TITLE = "绩效考核"
MISSING = "无数据"


def appraisal_filename(view: SheetView) -> str:
    return f"绩效考核-{view.sheet.period}-{view.sheet.institution_kind}.xlsx"


def render_appraisal_xlsx(view: SheetView, *, county_name: str) -> bytes:
    """The sheet as .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = SHEET_TITLE
    sheet = view.sheet
    items = list(view.weights)
    last_column = 2 + 2 * len(items) + 2
    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="E8F0EC")

    ws.cell(1, 1, f"{county_name}{view.period.label}绩效考核评分与补助分配表").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_column)
    ws.cell(1, 1).alignment = centre
    local = to_local(sheet.computed_at) if sheet.computed_at else None
    computed = local.strftime("%Y-%m-%d %H:%M") if local else ""
    ws.cell(2, 1, f"考核期：{view.period.label}")
    ws.cell(2, 3, f"考核对象：{view.kind_label}")
    ws.cell(3, 1, "补助总额（元）：")
    ws.cell(3, 3, sheet.budget).number_format = "#,##0.00"
    ws.cell(3, 5, f"计算：{sheet.computed_by} {computed}")
    weights_text = "；".join(f"{view.labels.get(i, i)} {_plain(w)}" for i, w in view.weights.items())
    ws.cell(4, 1, f"权重（满分{_plain(sum(view.weights.values(), Decimal(0)))}分）：{weights_text}")
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=last_column)

    head, sub = 6, 7
    ws.cell(head, 1, "排名")
    ws.cell(head, 2, "机构")
    for n, item in enumerate(items):
        column = 3 + 2 * n
        ws.cell(head, column, f"{view.labels.get(item, item)}（权重{_plain(view.weights[item])}）")
        ws.merge_cells(start_row=head, start_column=column, end_row=head, end_column=column + 1)
        ws.cell(sub, column, "指标值（%）")
        ws.cell(sub, column + 1, "得分")
    ws.cell(head, last_column - 1, "总分")
    ws.cell(head, last_column, "补助金额（元）")
    for column in (1, 2, last_column - 1, last_column):
        ws.merge_cells(start_row=head, start_column=column, end_row=sub, end_column=column)
    for row in (head, sub):
        for column in range(1, last_column + 1):
            cell = ws.cell(row, column)
            cell.font, cell.alignment, cell.border, cell.fill = bold, centre, box, head_fill

    row = sub + 1
    for line in view.lines:
        ws.cell(row, 1, line.rank)
        ws.cell(row, 2, line.name)
        by_item = {i.item: i for i in line.items}
        for n, item in enumerate(items):
            column = 3 + 2 * n
            found = by_item.get(item)
            rate = found.rate if found else None
            if rate is None:
                ws.cell(row, column, MISSING)
            else:
                ws.cell(row, column, rate).number_format = "0.00"
            ws.cell(row, column + 1, found.score if found else Decimal(0)).number_format = "0.000"
        ws.cell(row, last_column - 1, line.score).number_format = "0.000"
        ws.cell(row, last_column, line.subsidy).number_format = "#,##0.00"
        for column in range(1, last_column + 1):
            ws.cell(row, column).border = box
        row += 1

    ws.cell(row, 1, "合计")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column - 1)
    ws.cell(row, last_column, view.total_subsidy).number_format = "#,##0.00"
    for column in range(1, last_column + 1):
        cell = ws.cell(row, column)
        cell.font, cell.border = bold, box
    ws.cell(
        row + 2,
        1,
        "说明：各项得分 = 权重 × 指标值（超过100%按100%计）÷ 100；无数据的项目记0分。"
        "补助按总分比例分配，精确到分，合计等于补助总额。",
    )

    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 28
    for column in range(3, last_column + 1):
        ws.column_dimensions[get_column_letter(column)].width = 12
    ws.column_dimensions[get_column_letter(last_column)].width = 16
    ws.freeze_panes = f"C{sub + 1}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _plain(value: Decimal) -> str:
    """A weight without trailing zeros (20, 12.5)."""
    return format(value.normalize(), "f")
