"""The reports page (季度与年度报表): the county manager picks the county and the last quarter, sees the report and
downloads it as Excel and PDF with Chinese file names; a village doctor is offered only their own township; a
hospital doctor is refused; a bad period is answered in Chinese."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import openpyxl
import pypdfium2 as pdfium
import pytest

from tests.indicators.test_reports import COUNTY, MOGANSHAN, XINSHI, seed_figures

SHANGHAI = ZoneInfo("Asia/Shanghai")
TITLE = "德清县2027年第1季度城乡居民健康档案及重点人群健康管理工作进展"


@pytest.fixture
def april(db: Any, time_machine: Any) -> None:
    time_machine.move_to(datetime(2027, 4, 10, 9, tzinfo=SHANGHAI), tick=False)
    seed_figures(db)


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select id="f-{name}" name="{name}">(.*?)</select>', html, re.S)
    assert select, f"no {name} picker"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_the_county_manager_sees_the_last_quarter_and_downloads_it(web_login: Any, april: None) -> None:
    client = web_login("xianju")
    page = client.get("/indicators/reports")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert options(page.text, "unit")[0] == COUNTY and {XINSHI, MOGANSHAN} <= set(options(page.text, "unit"))
    periods = options(page.text, "period")
    assert periods[:3] == ["2027Q2", "2027Q1", "2027"] and "2027Q3" not in periods
    assert re.search(r'<option value="2027Q1" selected>', page.text)  # the quarter last ended
    assert TITLE in page.text
    row = re.search(r'<tr data-indicator="filing_rate">(.*?)</tr>', page.text, re.S)
    assert (
        row and "600" in row.group(1) and "1000" in row.group(1) and "60.00" in row.group(1) and "达标" in row.group(1)
    )
    assert f'data-unit="{XINSHI}"' in page.text and "75.00" in page.text
    assert 'href="/indicators/reports/2027Q1.xlsx?unit=330521"' in page.text
    assert 'href="/indicators/reports/2027Q1.pdf?unit=330521"' in page.text

    workbook = client.get("/indicators/reports/2027Q1.xlsx?unit=330521")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = workbook.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="report-330521-2027Q1.xlsx"')
    assert f"filename*=UTF-8''{quote('德清县-2027Q1-季度报表.xlsx')}" in disposition
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["指标汇总"]
    assert sheet["A1"].value == TITLE
    filing = next(r for r in sheet.iter_rows(values_only=True) if r[1] == "健康档案建档率")
    assert (filing[3], filing[5], filing[6], filing[8]) == (600, 1000, 60.0, "达标")

    printed = client.get("/indicators/reports/2027Q1.pdf?unit=330521")
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    assert f"filename*=UTF-8''{quote('德清县-2027Q1-季度报表.pdf')}" in printed.headers["content-disposition"]
    document = pdfium.PdfDocument(printed.content)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    document.close()
    assert TITLE in text and "健康档案建档率" in text and "60.00" in text and "新市镇" in text


def test_a_township_and_the_annual_report_can_be_chosen(web_login: Any, april: None) -> None:
    client = web_login("xianju")
    page = client.get(f"/indicators/reports?unit={XINSHI}&period=2027")
    assert page.status_code == 200
    assert "新市镇2027年度城乡居民健康档案及重点人群健康管理工作报告" in page.text
    assert "统计期未结束" in page.text  # the year runs on
    assert re.search(rf'<option value="{XINSHI}" selected>', page.text)
    assert f'href="/indicators/reports/2027.xlsx?unit={XINSHI}"' in page.text


def test_a_village_doctor_is_offered_only_their_own_township(web_login: Any, april: None) -> None:
    client = web_login("cunyi")
    page = client.get("/indicators/reports")
    assert page.status_code == 200
    assert options(page.text, "unit") == [COUNTY, XINSHI]
    assert client.get(f"/indicators/reports/2027Q1.xlsx?unit={MOGANSHAN}").status_code == 404
    refused = client.get(f"/indicators/reports?unit={MOGANSHAN}&period=2027Q1")
    assert refused.status_code == 404 and "管辖范围" in refused.text


def test_a_hospital_doctor_is_refused(web_login: Any, april: None) -> None:
    client = web_login("yiyuan")
    assert client.get("/indicators/reports").status_code == 403
    assert client.get("/indicators/reports/2027Q1.pdf?unit=330521").status_code == 403


def test_bad_choices_are_answered_in_chinese(web_login: Any, april: None) -> None:
    client = web_login("xianju")
    future = client.get("/indicators/reports/2027Q3.xlsx?unit=330521")
    assert future.status_code == 422 and "尚未开始" in future.text
    monthly = client.get("/indicators/reports?unit=330521&period=2027M01")
    assert monthly.status_code == 422 and "报表按季度" in monthly.text
    village = client.get("/indicators/reports/2027Q1.pdf?unit=330521102200")
    assert village.status_code == 422 and "填报单位" in village.text
    assert client.get("/indicators/reports/2027Q1.xlsx").status_code == 422


def test_signing_in_is_required(client: Any, april: None) -> None:
    answer = client.get("/indicators/reports/2027Q1.xlsx?unit=330521", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
