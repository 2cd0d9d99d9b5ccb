"""The indicators issue's browser line: the county manager opens the dashboard (工作指标), sees the charts render,
drills from the county's filing rate to a township, a village and a resident who is not counted (with the
reason), and downloads the quarterly report; the Excel opens with openpyxl and the PDF renders Chinese text.

The live server holds the demo county, whose load computes the figures for the current year; about one in seven
demo residents has no 个人基本信息表, so every village has residents outside the filing rate's numerator."""

from __future__ import annotations

import io
import re

import pytest

from kangdang.core.clock import today_local
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.test_roles import sign_in

pytestmark = pytest.mark.browser

XINSHI = "330521102"
JUCHENG = "330521102200"

CHARTS_DRAWN = """() => {
  const boxes = [...document.querySelectorAll('[data-chart]')];
  return boxes.length > 0 && boxes.every((box) => box.getAttribute('data-rendered') === 'true');
}"""
# Each chart container: its ECharts instance, its canvas's size and how many pixels were painted on it.
CHART_STATE = """() => [...document.querySelectorAll('[data-chart]')].map((box) => {
  const canvas = box.querySelector('canvas');
  const instance = window.echarts ? window.echarts.getInstanceByDom(box) : null;
  let painted = 0;
  if (canvas && canvas.width && canvas.height) {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted += 1; }
  }
  return {
    chart: box.getAttribute('data-chart'),
    width: canvas ? canvas.width : 0,
    height: canvas ? canvas.height : 0,
    series: instance ? instance.getOption().series.length : 0,
    points: instance ? instance.getOption().series[0].data.length : 0,
    painted: painted,
  };
})"""


def _charts_render(page, expected: set[str]) -> None:
    page.wait_for_function(CHARTS_DRAWN)
    state = page.evaluate(CHART_STATE)
    assert {chart["chart"] for chart in state} == expected, state
    for chart in state:
        assert chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["series"] >= 1 and chart["points"] >= 1, chart
        assert chart["painted"] > 1000, f"the {chart['chart']} chart drew (almost) nothing: {chart}"


def test_the_county_manager_drills_from_the_county_filing_rate_to_a_resident_and_downloads_the_quarterly_report(
    page,
):
    policy_errors: list[str] = []  # a blocked inline script or foreign source shows on the console

    def watch(message) -> None:
        if "Security Policy" in message.text:
            policy_errors.append(message.text)

    page.on("console", watch)
    sign_in(page, "xianju")
    page.wait_for_url("**/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="工作指标").click()
    page.wait_for_url("**/indicators")
    assert "德清县" in page.get_by_test_id("dashboard-title").inner_text()
    _charts_render(page, {"units", "areas", "trend"})
    screenshot(page, "dashboard-county")

    # The county's filing rate: its card focuses it; the townships are ranked below the charts.
    page.get_by_test_id("card-e_filing_rate").click()
    page.wait_for_url(re.compile(r"indicator=e_filing_rate"))
    _charts_render(page, {"units", "areas", "trend"})
    page.get_by_test_id("card-filing_rate").click()
    page.wait_for_url(re.compile(r"/indicators\?period=\d{4}&unit=330521&area=all&indicator=filing_rate#focus$"))
    assert page.get_by_test_id("card-filing_rate").get_attribute("aria-current") == "true"
    rate = page.get_by_test_id("focus-rate").inner_text()
    assert re.fullmatch(r"\d+\.\d\d%", rate), rate
    _charts_render(page, {"units", "areas", "trend"})

    ranking = page.get_by_test_id("ranking")
    ranking.locator(f'tr[data-unit="{XINSHI}"]').get_by_test_id("unit-link").click()
    page.wait_for_url(re.compile(rf"unit={XINSHI}&area=all&indicator=filing_rate#focus$"))
    assert "新市镇" in page.get_by_test_id("dashboard-title").inner_text()
    _charts_render(page, {"units", "areas", "trend"})
    screenshot(page, "dashboard-township")

    page.get_by_test_id("ranking").locator(f'tr[data-unit="{JUCHENG}"]').get_by_test_id("unit-link").click()
    page.wait_for_url(re.compile(rf"unit={JUCHENG}&area=all&indicator=filing_rate#focus$"))
    assert "句城村委会" in page.get_by_test_id("dashboard-title").inner_text()
    _charts_render(page, {"areas", "trend"})  # a village has no units below it

    # The residents behind the village's figure: those not counted first, each with the reason.
    page.get_by_test_id("village-drill").click()
    page.wait_for_url(re.compile(rf"/indicators/drill\?indicator=filing_rate&period=\d{{4}}&village={JUCHENG}"))
    tab = page.get_by_test_id("tab-not_counted")
    assert tab.get_attribute("aria-current") == "page"
    assert int(tab.locator(".count").inner_text()) > 0
    row = page.get_by_test_id("drill-row").first
    reason = row.get_by_test_id("drill-reason").inner_text()
    assert "未填写" in reason, reason
    name = row.get_by_test_id("drill-name").inner_text()
    screenshot(page, "dashboard-drill")
    row.get_by_test_id("drill-name").click()
    page.wait_for_url(re.compile(r"/residents/[0-9a-f-]{36}$"))
    assert page.get_by_test_id("resident-name").inner_text() == name

    # The quarterly report of the county (this quarter's, so far), as Excel and PDF.
    today = today_local()
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="工作指标").click()
    page.wait_for_url("**/indicators")
    page.get_by_test_id("reports-link").click()
    page.wait_for_url("**/indicators/reports")
    page.get_by_label("统计期").select_option(quarter)
    page.get_by_test_id("report-form").get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(rf"/indicators/reports\?unit=330521&period={quarter}$"))
    with page.expect_download() as excel:
        page.get_by_test_id("download-xlsx").click()
    assert quarter in excel.value.suggested_filename and excel.value.suggested_filename.endswith(".xlsx")
    _check_excel(excel.value.path().read_bytes())
    with page.expect_download() as pdf:
        page.get_by_test_id("download-pdf").click()
    assert quarter in pdf.value.suggested_filename and pdf.value.suggested_filename.endswith(".pdf")
    _check_pdf(pdf.value.path().read_bytes())
    assert not policy_errors, policy_errors


def _check_excel(body: bytes) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body), read_only=True)
    text = " ".join(
        str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row if cell
    )
    assert "健康档案建档率" in text and "德清县" in text, text[:300]


def _check_pdf(body: bytes) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(body)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "健康档案建档率" in text and "德清县" in text, text[:300]
    image = document[0].render(scale=2).to_pil().convert("L")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / "quarterly-report.png")
    histogram = image.histogram()
    assert sum(histogram[:128]) > image.width * image.height * 0.005, "the report rendered (almost) blank"
    document.close()
