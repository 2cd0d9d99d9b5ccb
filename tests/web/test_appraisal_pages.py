"""Appraisal pages (绩效考核): the county manager sets the year's weights, computes a township sheet with a budget,
reads the ranked table and downloads it as Excel (opened with openpyxl: the subsidies add up to the budget); bad
input is answered in Chinese on the page; the aggregate viewer may look but not compute; a village doctor may not
look at all."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.helpers import csrf_from, post_form
from tests.indicators.test_appraisal import MOGANSHAN, XINSHI, put

SHEET_URL = re.compile(r"^/appraisal/sheets/([0-9a-f-]{36})$")


@pytest.fixture
def figures(db: Any) -> None:
    put(db, "township", XINSHI, "filing_rate", 800, 1000)  # 80%
    put(db, "township", XINSHI, "usage_rate", 300, 600)  # 50%
    put(db, "township", MOGANSHAN, "filing_rate", 900, 1000)  # 90%
    put(db, "township", MOGANSHAN, "usage_rate", 100, 500)  # 20%


def weights(**given: str) -> dict[str, str]:
    return {f"weights.{item}": value for item, value in given.items()} | {"county": "330521", "year": "2027"}


def compute(client: Any, **given: str) -> Any:
    data = {"county": "330521", "period": "2027", "institution_kind": "township", "budget": "10000"} | given
    return post_form(client, "/appraisal/sheets", data, page_url="/appraisal?year=2027")


def test_the_county_manager_sets_weights_computes_a_sheet_and_downloads_it(web_login: Any, figures: None) -> None:
    client = web_login("xianju")
    home = client.get("/")
    assert 'href="/appraisal"' in home.text and "绩效考核" in home.text
    page = client.get("/appraisal?year=2027")
    assert page.status_code == 200 and "2027年度考核项目与权重" in page.text and "以下为默认权重" in page.text
    saved = post_form(
        client, "/appraisal/scheme", weights(filing_rate="90", usage_rate="10"), page_url="/appraisal?year=2027"
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "2027年度考核权重已保存" in page.text and "由 xianju 于" in page.text
    assert 'name="weights.filing_rate" type="text" inputmode="decimal"\n                value="90"' in page.text

    answer = compute(client)
    assert answer.status_code == 303
    found = SHEET_URL.match(answer.headers["location"])
    assert found, answer.headers["location"]
    sheet = client.get(answer.headers["location"])
    assert sheet.status_code == 200 and "德清县2027年绩效考核评分与补助分配表" in sheet.text
    rows = re.findall(r'data-testid="sheet-row" data-institution="([^"]+)" data-rank="(\d+)"', sheet.text)
    # 莫干山镇 90×90% + 10×20% = 83, 新市镇 90×80% + 10×50% = 77
    assert rows[:2] == [(f"{MOGANSHAN}-01", "1"), (f"{XINSHI}-01", "2")]
    subsidies = re.findall(r'data-testid="subsidy">([\d,.]+)<', sheet.text)
    # 1,000,000 fen × 83/160 = 518,750 and × 77/160 = 481,250 exactly
    assert subsidies[:2] == ["5,187.50", "4,812.50"] and set(subsidies[2:]) == {"0.00"}
    assert 'data-testid="subsidy-total">10,000.00<' in sheet.text
    listing = client.get("/appraisal?year=2027")
    assert f'href="/appraisal/sheets/{found.group(1)}.xlsx"' in listing.text

    download = client.get(f"/appraisal/sheets/{found.group(1)}.xlsx")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in download.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(download.content))["绩效考核"]
    assert ws["A1"].value == "德清县2027年绩效考核评分与补助分配表"
    assert ws["A2"].value == "考核期：2027年" and Decimal(str(ws["C3"].value)) == Decimal("10000")
    values = [[cell.value for cell in row] for row in ws.iter_rows(min_row=8)]
    assert values[0][:8] == [1, "莫干山镇中心卫生院", 90, 81, 20, 2, 83, 5187.5]
    assert values[1][:8] == [2, "新市镇中心卫生院", 80, 72, 50, 5, 77, 4812.5]
    total = next(row for row in values if row[0] == "合计")
    body = [row for row in values[: values.index(total)]]
    assert Decimal(str(total[-1])) == Decimal("10000") == sum(Decimal(str(row[-1])) for row in body)
    assert any(row[2] == "无数据" for row in body)  # centres without a 2027 figure


def test_bad_weights_and_a_bad_budget_are_answered_in_chinese_on_the_page(web_login: Any) -> None:
    client = web_login("xianju")
    answer = post_form(
        client, "/appraisal/scheme", weights(filing_rate="120", usage_rate="x"), page_url="/appraisal?year=2027"
    )
    assert answer.status_code == 422 and "权重未保存" in answer.text
    assert "健康档案建档率：权重请填写0～100之间的数" in answer.text and 'value="120"' in answer.text
    nothing = post_form(client, "/appraisal/scheme", weights(filing_rate="0"), page_url="/appraisal?year=2027")
    assert nothing.status_code == 422 and "至少要有一个考核项目的权重大于0" in nothing.text
    bad = compute(client, budget="12.345", period="2027Q9")
    assert bad.status_code == 422
    assert "补助总额：请填写不小于0的金额" in bad.text and "统计期：请填写年度" in bad.text
    assert 'value="12.345"' in bad.text


def test_the_aggregate_viewer_looks_but_does_not_compute(web_login: Any, client: Any, figures: None) -> None:
    web_login("xianju")
    sheet_url = compute(client).headers["location"]
    client.cookies.clear()
    web_login("tongji")
    page = client.get("/appraisal?year=2027")
    assert page.status_code == 200 and 'href="/appraisal"' in page.text
    assert 'action="/appraisal/scheme"' not in page.text and 'action="/appraisal/sheets"' not in page.text
    assert sheet_url in page.text
    assert client.get(sheet_url).status_code == 200
    assert client.get(sheet_url + ".xlsx").status_code == 200
    token = csrf_from(page.text)
    refused = client.post(
        "/appraisal/sheets",
        data={"county": "330521", "period": "2027", "institution_kind": "township", "budget": "1", "csrf_token": token},
    )
    assert refused.status_code == 403


def test_a_village_doctor_sees_no_appraisal(web_login: Any, client: Any, figures: None) -> None:
    web_login("xianju")
    sheet_url = compute(client).headers["location"]
    client.cookies.clear()
    web_login("cunyi")
    assert 'href="/appraisal"' not in client.get("/").text
    assert client.get("/appraisal").status_code == 403
    assert client.get(sheet_url).status_code == 403
    assert client.get(sheet_url + ".xlsx").status_code == 403
