"""The quarterly report's files: the workbook opens with openpyxl and carries the bureau layout (merged title,
填报单位/统计期/填报日期, header, groups, rates as numbers with two decimals, three sheets); the PDF is A4 landscape,
embeds a CJK font and its text holds the Chinese title, indicator names and figures."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pypdfium2 as pdfium
import pytest

from kangdang.exchange.report_pdf import render_report_html, render_report_pdf
from kangdang.exchange.report_xlsx import render_report_xlsx
from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.read import percent
from kangdang.indicators.reports import (
    GROUP_NUMERALS,
    MAIN_INDICATORS,
    AreaLine,
    ChildLine,
    Report,
    ReportLine,
    ReportSection,
    status_of,
)
from tests.exchange.test_card_pdf import _fonts

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TITLE = "德清县2027年第2季度城乡居民健康档案及重点人群健康管理工作进展"


def line(code: str, numerator: int, denominator: int | None, target: str | None, ytd: str | None = None) -> ReportLine:
    definition = catalogue()[code]
    rate = percent(numerator, denominator)
    goal = Decimal(target) if target else None
    return ReportLine(
        indicator=code,
        name=definition.name,
        numerator_label=definition.numerator,
        numerator=numerator,
        denominator_label=definition.denominator,
        denominator=denominator,
        rate=rate,
        target=goal,
        status=status_of(rate, goal),
        year_to_date=Decimal(ytd) if ytd else None,
    )


def sample_report(*, year_to_date: bool = True, producer: str = "王主任") -> Report:
    lines = {code: line(code, 0, 0, None) for code in catalogue()}
    lines["filing_rate"] = line("filing_rate", 6543, 10000, "60", "66.10")
    lines["e_filing_rate"] = line("e_filing_rate", 500, None, "55")
    lines["usage_rate"] = line("usage_rate", 1234, 6543, "60", "20.00")
    groups: dict[str, list[ReportLine]] = {}
    for code, item in lines.items():
        groups.setdefault(catalogue()[code].group, []).append(item)
    sections = [ReportSection(GROUP_NUMERALS[i], group, items) for i, (group, items) in enumerate(groups.items())]
    children = [
        ChildLine("330521102", "新市镇", {code: Decimal("71.25") for code in MAIN_INDICATORS}),
        ChildLine("330521115", "莫干山镇", dict.fromkeys(MAIN_INDICATORS)),
    ]
    areas = [
        AreaLine(code, catalogue()[code].name, line(code, 80, 100, "70"), line(code, 40, 100, None))
        for code in catalogue()
    ]
    return Report(
        title=TITLE,
        kind="quarter",
        unit_code="330521",
        unit_kind="county",
        unit_name="德清县",
        period="2027Q2",
        period_label="2027年第2季度（2027年4月1日至6月30日）",
        as_of=date(2027, 5, 10),
        produced_on=date(2027, 5, 10),
        producer=producer,
        institution="德清县卫生健康局",
        sections=sections,
        child_label="乡镇（街道）",
        children=children,
        areas=areas,
        has_year_to_date=year_to_date,
        notes=["统计期尚未结束，数据截至2027年5月10日。"],
    )


def test_the_workbook_has_the_bureau_layout() -> None:
    book = openpyxl.load_workbook(io.BytesIO(render_report_xlsx(sample_report())))
    assert book.sheetnames == ["指标汇总", "分单位", "城乡"]
    sheet = book["指标汇总"]
    assert sheet["A1"].value == TITLE
    assert "A1:J1" in {str(r) for r in sheet.merged_cells.ranges}
    heading = [c.value for c in sheet[2] if c.value]
    assert heading == ["填报单位：德清县", "统计期：2027年第2季度（2027年4月1日至6月30日）", "填报日期：2027-05-10"]
    assert [c.value for c in sheet[3]] == [
        "序号",
        "指标",
        "分子",
        "分子数",
        "分母",
        "分母数",
        "率（%）",
        "目标（%）",
        "完成情况",
        "本年累计率（%）",
    ]
    assert sheet["A4"].value == "一、健康档案"
    rows = {row[1]: row for row in sheet.iter_rows(min_row=5, values_only=True) if isinstance(row[0], int)}
    assert len(rows) == 17
    filing = rows["健康档案建档率"]
    assert filing[0] == 1 and filing[3] == 6543 and filing[5] == 10000
    assert (filing[6], filing[7], filing[8], filing[9]) == (65.43, 60.0, "达标", 66.1)
    assert rows["电子健康档案建档率"][5:9] == ("未录入", "—", 55, "无数据")
    assert (rows["健康档案使用率"][6], rows["健康档案使用率"][8]) == (18.86, "未达标")
    assert rows["新生儿访视率"][8] == "未设目标"
    rate_cell = next(row for row in sheet.iter_rows(min_row=5) if row[1].value == "健康档案建档率")[6]
    assert rate_cell.number_format == "0.00" and rate_cell.border.left.style == "thin"
    groups = [
        row[0] for row in sheet.iter_rows(min_row=4, values_only=True) if isinstance(row[0], str) and "、" in row[0]
    ]
    assert groups == [
        "一、健康档案",
        "二、0～6岁儿童",
        "三、孕产妇",
        "四、老年人",
        "五、高血压",
        "六、2型糖尿病",
        "七、严重精神障碍",
        "八、肺结核",
    ]
    texts = [row[0] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], str)]
    assert any("填报人：王主任" in text for text in texts)
    assert any("数据截至2027年5月10日" in text for text in texts)
    assert sheet.column_dimensions["B"].width >= 20

    children = book["分单位"]
    assert children["A1"].value == f"{TITLE}（分乡镇（街道））"
    assert children["B3"].value == "乡镇（街道）" and children["C3"].value == "健康档案建档率（%）"
    assert [c.value for c in children[4]][:4] == [1, "新市镇", 71.25, 71.25]
    assert [c.value for c in children[5]][:3] == [2, "莫干山镇", "—"]

    areas = book["城乡"]
    assert areas["C3"].value == "城镇分子数" and areas["H3"].value == "乡村分子数"
    first = [c.value for c in areas[4]]
    assert first[:7] == [1, "健康档案建档率", 80, 100, 80, 70, "达标"]
    assert first[7:] == [40, 100, 40, "—", "未设目标"]


def test_without_a_year_to_date_rate_the_column_is_left_out() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(render_report_xlsx(sample_report(year_to_date=False))))["指标汇总"]
    assert [c.value for c in sheet[3]][-1] == "完成情况"


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_report_pdf(sample_report())


def test_the_pdf_is_a4_landscape_with_chinese_text(pdf: bytes) -> None:
    document = pdfium.PdfDocument(pdf)
    first = document[0]
    width, height = first.get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (297, 210)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    for expected in (
        TITLE,
        "填报单位",
        "健康档案建档率",
        "2型糖尿病患者规范管理率",
        "65.43",
        "66.10",
        "未录入",
        "未达标",
    ):
        assert expected in text, expected
    for expected in (
        "分乡镇（街道）主要指标",
        "新市镇",
        "莫干山镇",
        "城乡分列",
        "城镇",
        "乡村",
        "填报人：王主任",
        "第 1 页",
    ):
        assert expected in text, expected
    fonts = _fonts(first)
    assert all(fonts.values()) and any("CJK" in name for name in fonts), fonts
    image = first.render(scale=1.5).to_pil()
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "indicator-report.png")  # for a human to look at
    histogram = image.convert("L").histogram()
    dark = sum(histogram[:128]) / (image.width * image.height)
    assert 0.01 < dark < 0.5, f"dark pixel fraction {dark:.3f}"
    document.close()


def test_markup_in_names_is_printed_literally() -> None:
    html = render_report_html(sample_report(producer='<b>王</b>"'))
    assert "&lt;b&gt;王&lt;/b&gt;" in html and "<b>王</b>" not in html
