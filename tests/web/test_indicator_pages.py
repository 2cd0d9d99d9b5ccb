"""The indicator pages (工作指标): the county manager's dashboard with every indicator against its target, the
drill from the county to a township and a village and on to the residents behind a village figure; a village
doctor sees their own village; the aggregate viewer sees figures but never the residents; a hospital doctor sees
nothing; bad input answers in Chinese.

Figures are stored rows (``IndicatorValue``) written here with exact numbers for 2027 (the demo county's own
figures are for 2026), so each number on the page is known; the drill-down list runs the real rules."""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.models import IndicatorValue
from kangdang.indicators.refresh import recompute_all
from kangdang.indicators.targets import set_target
from tests.residents.factories import MOGANSHAN_VILLAGE, XINSHI_OTHER, XINSHI_VILLAGE, file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2027, 3, 1)
COUNTY, XINSHI, MOGANSHAN = "330521", "330521102", "330521115"
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def value(indicator: str, period: str, unit: str, numerator: int, denominator: int | None, area: str = "all") -> Any:
    kind = {6: "county", 9: "township", 12: "village"}[len(unit)]
    return IndicatorValue(
        indicator=indicator,
        period=period,
        unit_kind=kind,
        unit_code=unit,
        area_type=area,
        numerator=numerator,
        denominator=denominator,
    )


@pytest.fixture
def figures_2027(db: Any, actor_of: Any, time_machine: Any) -> None:
    """Filing figures for 2027 as of 1 March: the county 500/800 (62.5%, target 60%: met), 新市镇 300/400 (75%)
    ahead of 莫干山镇 200/400 (50%); in 新市镇 句城村 120/150 (80%) and 梅林村 180/250 (72%); urban 70% and rural
    30% targets; January and February figures for the trend."""
    time_machine.move_to(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI), tick=False)
    db.execute(delete(IndicatorValue).where(IndicatorValue.period.startswith("2027")))
    rows = [
        value("filing_rate", "2027", COUNTY, 500, 800),
        value("filing_rate", "2027", COUNTY, 150, 200, "urban"),
        value("filing_rate", "2027", COUNTY, 350, 600, "rural"),
        value("filing_rate", "2027", XINSHI, 300, 400),
        value("filing_rate", "2027", XINSHI, 120, 150, "urban"),
        value("filing_rate", "2027", XINSHI, 180, 250, "rural"),
        value("filing_rate", "2027", MOGANSHAN, 200, 400),
        value("filing_rate", "2027", MOGANSHAN, 200, 400, "rural"),
        value("filing_rate", "2027", XINSHI_VILLAGE, 120, 150),
        value("filing_rate", "2027", XINSHI_VILLAGE, 120, 150, "rural"),
        value("filing_rate", "2027", XINSHI_OTHER, 180, 250),
        value("filing_rate", "2027", XINSHI_OTHER, 180, 250, "rural"),
        value("filing_rate", "2027", MOGANSHAN_VILLAGE, 200, 400),
        value("filing_rate", "2027M01", COUNTY, 410, 800),
        value("filing_rate", "2027M02", COUNTY, 455, 800),
        value("usage_rate", "2027", COUNTY, 90, 500),
    ]
    db.add_all(rows)
    xianju = actor_of("xianju")
    for area, target in (("all", "60"), ("urban", "70"), ("rural", "30")):
        set_target(db, xianju, county=COUNTY, indicator="filing_rate", year=2027, area_type=area, target=target)
    db.flush()


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def ranking_units(page: str) -> list[str]:
    return re.findall(r'<tr data-unit="(\d+)" data-testid="ranking-row">', page)


def test_the_county_manager_sees_every_indicator_of_the_county_against_its_target(
    web_login: Any, figures_2027: None
) -> None:
    client = web_login("xianju")
    home = client.get("/")
    assert 'href="/indicators"' in home.text and "工作指标" in home.text
    page = client.get("/indicators")
    assert page.status_code == 200, page.text[:500]
    assert "德清县 工作指标" in text_of(page.text) and "2027年" in text_of(page.text)
    for code in catalogue():
        assert f'data-testid="card-{code}"' in page.text, code
    card = page.text.split('data-testid="card-filing_rate"')[1].split("</a>")[0]
    assert "62.50%" in card and "500 / 800" in card and "目标 60%" in card and "达标" in card and "未达标" not in card
    usage = page.text.split('data-testid="card-usage_rate"')[1].split("</a>")[0]
    assert "18.00%" in usage and "未设目标" in usage
    assert 'href="/indicators?period=2027&amp;unit=330521&amp;area=all&amp;indicator=usage_rate#focus"' in page.text
    # The focus indicator: the townships ranked, each linking to its own dashboard; urban vs rural; the months.
    units = ranking_units(page.text)
    assert units.index(XINSHI) < units.index(MOGANSHAN)
    row = page.text.split(f'<tr data-unit="{XINSHI}"')[1].split("</tr>")[0]
    assert "75.00%" in row and "300" in row and "400" in row and "达标" in row
    assert f'href="/indicators?period=2027&amp;unit={XINSHI}&amp;area=all&amp;indicator=filing_rate#focus"' in row
    assert "未达标" in page.text.split(f'<tr data-unit="{MOGANSHAN}"')[1].split("</tr>")[0]
    areas = text_of(page.text.split('data-testid="area-table"')[1].split("</table>")[0])
    assert "德清县（合计） 75.00% 150/200 70% 58.33% 350/600 30%" in areas
    trend = text_of(page.text.split('data-testid="trend-table"')[1].split("</table>")[0])
    assert "2027年1月 51.25%" in trend and "2027年2月 56.88%" in trend
    # The charts' data block is JSON (not executed: the policy allows no inline script) and only our scripts load.
    assert '<script type="application/json" id="dashboard-data">' in page.text
    for attributes in SCRIPT.findall(page.text):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert "/static/vendor/echarts-6.1.0.common.min.js" in page.text and "/static/js/dashboard.js" in page.text
    assert 'href="/indicators/settings"' in page.text and 'href="/indicators/reports"' in page.text
    assert client.get("/static/js/dashboard.js").status_code == 200
    assert client.get("/static/vendor/echarts-6.1.0.common.min.js").status_code == 200


def test_the_county_manager_drills_from_the_county_to_a_township_and_a_village(
    web_login: Any, figures_2027: None
) -> None:
    client = web_login("xianju")
    township = client.get(f"/indicators?period=2027&unit={XINSHI}&indicator=filing_rate")
    assert township.status_code == 200
    assert "新市镇 工作指标" in text_of(township.text)
    assert ranking_units(township.text)[:2] == [XINSHI_VILLAGE, XINSHI_OTHER]  # 80% ahead of 72%
    assert MOGANSHAN_VILLAGE not in ranking_units(township.text)
    row = township.text.split(f'<tr data-unit="{XINSHI_VILLAGE}"')[1].split("</tr>")[0]
    assert "句城村委会" in row and "80.00%" in row and "30%" in row  # a rural village: the rural target
    assert (
        f'href="/indicators?period=2027&amp;unit={XINSHI_VILLAGE}&amp;area=all&amp;indicator=filing_rate#focus"' in row
    )
    drill = (
        f"/indicators/drill?indicator=filing_rate&amp;period=2027&amp;village={XINSHI_VILLAGE}&amp;which=not_counted"
    )
    assert drill in row
    crumbs = township.text.split('data-testid="unit-crumbs"')[1].split("</p>")[0]
    assert 'href="/indicators?period=2027&amp;unit=330521&amp;' in crumbs and "德清县" in crumbs

    village = client.get(f"/indicators?period=2027&unit={XINSHI_VILLAGE}")
    assert village.status_code == 200
    assert "句城村委会 工作指标" in text_of(village.text) and 'data-testid="ranking"' not in village.text
    assert 'data-testid="village-drill"' in village.text and drill in village.text
    crumbs = village.text.split('data-testid="unit-crumbs"')[1].split("</p>")[0]
    assert f"unit={XINSHI}&amp;" in crumbs and "新市镇" in crumbs


def test_the_drill_down_lists_the_residents_not_counted_with_the_reason_and_those_counted(
    db: Any, web_login: Any, actor_of: Any, time_machine: Any
) -> None:
    time_machine.move_to(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI), tick=False)
    resident = file_resident(db, actor_of("cunyi"), name="钱未录", born=date(1970, 5, 6))
    recompute_all(db, county=COUNTY, today=TODAY)
    db.flush()
    client = web_login("xianju")
    url = f"/indicators/drill?indicator=filing_rate&period=2027&village={XINSHI_VILLAGE}"
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["cache-control"] == "no-store"
    assert "健康档案建档率" in page.text and "句城村委会" in page.text
    assert 'data-testid="unfiled-note"' in page.text and "常住人口" in page.text
    counts = {
        tab: int(n) for tab, n in re.findall(r'data-testid="tab-(\w+)">[^<]*<span class="count">(\d+)', page.text)
    }
    assert counts["not_counted"] >= 1
    rows, next_url = [], url
    while next_url:
        listing = client.get(next_url)
        rows.append(listing.text)
        found = re.search(r'<a href="([^"]+)" rel="next">', listing.text)
        next_url = html.unescape(found.group(1)) if found else ""
    everything = "\n".join(rows)
    assert f'href="/residents/{resident.id}"' in everything
    row = everything.split(f'data-record="{resident.id}"')[1].split("</tr>")[0]
    assert "钱未录" in row and "男" in row and "56 岁" in row and "个人基本信息表未填写" in row
    assert resident.record_number in row
    counted = client.get(url + "&which=counted")
    assert counted.status_code == 200 and 'aria-current="page" data-testid="tab-counted"' in counted.text
    assert "钱未录" not in counted.text
    # The figure on the dashboard and the lists add up: counted = numerator.
    dashboard = client.get(f"/indicators?period=2027&unit={XINSHI_VILLAGE}")
    numerator = re.search(r"建档人数[^：]*：<strong>(\d+)</strong>", dashboard.text)
    assert numerator is not None and int(numerator.group(1)) == counts["counted"]


def test_a_village_doctor_sees_their_own_village_and_not_another_township(web_login: Any, figures_2027: None) -> None:
    client = web_login("cunyi")
    county = client.get("/indicators")
    assert county.status_code == 200
    units = ranking_units(county.text)
    assert XINSHI in units and MOGANSHAN not in units  # only the township holding their village
    village = client.get(f"/indicators?unit={XINSHI_VILLAGE}")
    assert village.status_code == 200 and "80.00%" in village.text
    assert 'data-testid="village-drill"' in village.text
    other = client.get(f"/indicators?unit={MOGANSHAN_VILLAGE}")
    assert other.status_code == 404 and "未找到该统计单位" in other.text
    assert client.get(f"/indicators?unit={MOGANSHAN}").status_code == 404
    assert 'href="/indicators/settings"' not in county.text


def test_the_aggregate_viewer_sees_the_figures_but_not_the_residents_behind_them(
    web_login: Any, figures_2027: None
) -> None:
    client = web_login("tongji")
    page = client.get(f"/indicators?unit={XINSHI}")
    assert page.status_code == 200 and "75.00%" in page.text
    assert "/indicators/drill" not in page.text
    drill = client.get(f"/indicators/drill?indicator=filing_rate&period=2027&village={XINSHI_VILLAGE}")
    assert drill.status_code == 403 and "您没有执行此操作的权限" in drill.text
    assert 'data-testid="drill-table"' not in drill.text


def test_a_hospital_doctor_has_no_indicator_pages(web_login: Any) -> None:
    client = web_login("yiyuan")
    assert 'href="/indicators"' not in client.get("/").text
    assert client.get("/indicators").status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=2027Q5", "统计期：请填写年度"),
        ("period=abc", "统计期：请填写年度"),
        ("indicator=nonsense", "指标：请从列表中选择指标"),
        ("area=suburb", "城乡：请选择全部、城镇或乡村"),
        ("unit=xyz", "统计单位：请选择县、乡镇、村或机构"),
    ],
)
def test_bad_input_on_the_dashboard_answers_in_chinese(web_login: Any, query: str, message: str) -> None:
    client = web_login("xianju")
    page = client.get(f"/indicators?{query}")
    assert page.status_code == 422 and message in page.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("indicator=filing_rate&period=2027Q5&village=" + XINSHI_VILLAGE, 422, "统计期：请填写年度"),
        ("indicator=nonsense&period=2026&village=" + XINSHI_VILLAGE, 422, "指标：请从列表中选择指标"),
        ("indicator=filing_rate&period=2026&village=" + MOGANSHAN_VILLAGE, 404, "未找到"),
        ("indicator=filing_rate&period=2026&village=abc", 404, "未找到"),
    ],
)
def test_bad_input_on_the_drill_down_answers_in_chinese(web_login: Any, query: str, status: int, message: str) -> None:
    client = web_login("cunyi")
    page = client.get(f"/indicators/drill?{query}")
    assert page.status_code == status and message in page.text
