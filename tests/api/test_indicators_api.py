"""JSON indicator routes: the catalogue; figures of units with targets and attainment, worked out by hand from
figures put in place by the test; the townships or villages under a unit, only those the caller may see; the
trend by month; the residents behind a village's figure, adding up; the quarterly report as Excel; units outside
the caller's territory answered like missing ones, bad input with field errors."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import delete, select

from kangdang.access.models import AuditEvent
from kangdang.indicators.models import IndicatorValue
from tests.indicators.test_reports import COUNTY, JUCHENG, MEILIN, MOGANSHAN, XINSHI, seed_figures

SHANGHAI = ZoneInfo("Asia/Shanghai")
API = "/api/v1/indicators"


@pytest.fixture
def april(db: Any, time_machine: Any) -> None:
    time_machine.move_to(datetime(2027, 4, 10, 9, tzinfo=SHANGHAI), tick=False)
    seed_figures(db)


def get(client: Any, headers: dict[str, str], path: str, status: int = 200, **params: Any) -> Any:
    answer = client.get(f"{API}{path}", params=params, headers=headers)
    assert answer.status_code == status, answer.text
    return answer.json()


def by_unit(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["unit_code"]: item for item in items}


def test_the_catalogue_lists_every_indicator(client: Any, api_as: Any) -> None:
    items = get(client, api_as("tongji"), "")
    assert len(items) == 17
    assert items[0] == {
        "code": "filing_rate",
        "name": "健康档案建档率",
        "group": "健康档案",
        "numerator": "建档人数（封面和个人基本信息表已完成）",
        "denominator": "辖区内常住居民数",
        "denominator_source": "population",
    }
    assert {item["denominator_source"] for item in items} == {"population", "counted"}
    assert client.get(API).status_code == 401


def test_figures_carry_rate_target_and_attainment(client: Any, api_as: Any, april: None) -> None:
    xianju = api_as("xianju")
    figures = get(client, xianju, "/figures", period="2027Q1", unit=COUNTY)
    assert len(figures) == 17
    filing = figures[0]
    assert filing == {
        "indicator": "filing_rate",
        "period": "2027Q1",
        "unit_kind": "county",
        "unit_code": COUNTY,
        "unit_name": "德清县",
        "area_type": "all",
        "numerator": 600,
        "denominator": 1000,
        "rate": 60.0,
        "target": 55.0,
        "attainment": 109.1,
        "target_met": True,
    }
    usage = next(f for f in figures if f["indicator"] == "usage_rate")
    assert (usage["rate"], usage["target"], usage["attainment"], usage["target_met"]) == (50.0, 60.0, 83.3, False)
    newborn = next(f for f in figures if f["indicator"] == "newborn_visit_rate")
    assert (newborn["numerator"], newborn["denominator"], newborn["rate"], newborn["target_met"]) == (0, 0, None, None)

    two = get(client, xianju, "/figures", period="2027Q1", unit=[XINSHI, MOGANSHAN], indicator="filing_rate")
    assert [(f["unit_name"], f["rate"]) for f in two] == [("新市镇", 75.0), ("莫干山镇", 50.0)]
    urban = get(client, xianju, "/figures", period="2027Q1", unit=COUNTY, indicator="filing_rate", area_type="urban")
    assert (urban[0]["numerator"], urban[0]["rate"], urban[0]["target"], urban[0]["target_met"]) == (
        200,
        80.0,
        70.0,
        True,
    )


def test_children_are_the_townships_or_villages_the_caller_may_see(client: Any, api_as: Any, april: None) -> None:
    townships = by_unit(
        get(client, api_as("xianju"), "/children", parent=COUNTY, period="2027Q1", indicator="filing_rate")
    )
    assert (townships[XINSHI]["rate"], townships[MOGANSHAN]["rate"]) == (75.0, 50.0)
    assert all(len(code) == 9 and code.startswith(COUNTY) for code in townships)
    assert all(f["indicator"] == "filing_rate" and f["unit_kind"] == "township" for f in townships.values())

    cunyi = api_as("cunyi")
    assert list(by_unit(get(client, cunyi, "/children", parent=COUNTY, period="2027Q1", indicator="filing_rate"))) == [
        XINSHI
    ]
    villages = get(client, cunyi, "/children", parent=XINSHI, period="2027Q1", indicator="filing_rate")
    assert [(f["unit_code"], f["rate"]) for f in villages] == [(JUCHENG, 80.0)]
    everything = by_unit(get(client, api_as("dangan"), "/children", parent=XINSHI, period="2027Q1"))
    assert {JUCHENG, MEILIN} <= set(everything)
    get(client, cunyi, "/children", 404, parent=MOGANSHAN, period="2027Q1")


def test_the_trend_gives_each_month_begun(client: Any, api_as: Any, db: Any, april: None) -> None:
    months = ("2027M01", "2027M02", "2027M03", "2027M04")
    db.execute(delete(IndicatorValue).where(IndicatorValue.period.in_(months)))
    for period, numerator in (("2027M01", 100), ("2027M02", 300)):
        db.add(
            IndicatorValue(
                indicator="usage_rate",
                period=period,
                unit_kind="county",
                unit_code=COUNTY,
                area_type="all",
                numerator=numerator,
                denominator=1000,
            )
        )
    db.flush()
    trend = get(client, api_as("xianju"), "/trend", indicator="usage_rate", unit=COUNTY, year=2027)
    assert [(f["period"], f["rate"], f["target"]) for f in trend] == [
        ("2027M01", 10.0, 60.0),
        ("2027M02", 30.0, 60.0),
        ("2027M03", None, 60.0),
        ("2027M04", None, 60.0),
    ]
    assert get(client, api_as("xianju"), "/trend", indicator="usage_rate", unit=COUNTY, year=2028) == []


def test_the_drill_down_lists_add_up_to_the_figure(client: Any, api_as: Any, db: Any, april: None) -> None:
    cunyi = api_as("cunyi")
    params: dict[str, Any] = {"indicator": "qualified_rate", "period": "2027Q1", "village": JUCHENG}
    missed = get(client, cunyi, "/drill", **params, size=200)
    assert (missed["village_name"], missed["which"], missed["indicator"]) == (
        "句城村委会",
        "not_counted",
        "qualified_rate",
    )
    assert missed["counted_total"] + missed["not_counted_total"] == missed["denominator"] > 0
    assert missed["numerator"] == missed["counted_total"] and missed["unfiled"] is None
    assert missed["total"] == missed["not_counted_total"] == len(missed["items"])
    assert all(not row["counted"] and row["reason"] and row["village_code"] == JUCHENG for row in missed["items"])
    counted = get(client, cunyi, "/drill", **params, which="counted", size=2)
    assert counted["total"] == counted["counted_total"] and len(counted["items"]) == min(2, counted["total"])
    for row in counted["items"]:
        assert row["counted"] and row["sex_label"] in ("男", "女") and len(row["record_number"]) >= 17
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "indicator.drill").order_by(AuditEvent.id.desc()))
    assert event.subject_id == JUCHENG and event.details["which"] == "counted"

    get(client, api_as("cunyi2"), "/drill", 404, **params)  # another township's village
    get(client, api_as("tongji"), "/drill", 403, **params)  # figures only, no residents
    bad = get(client, cunyi, "/drill", 422, **params | {"indicator": "no_such_rate"})
    assert bad["error"]["fields"][0]["field"] == "indicator"


def test_the_quarterly_report_downloads_as_excel(client: Any, api_as: Any, april: None) -> None:
    answer = client.get(f"{API}/reports/2027Q1.xlsx", params={"unit": COUNTY}, headers=api_as("xianju"))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert answer.headers["content-disposition"].startswith('attachment; filename="report-330521-2027Q1.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["指标汇总", "分单位", "城乡"]
    assert book["指标汇总"]["A1"].value == "德清县2027年第1季度城乡居民健康档案及重点人群健康管理工作进展"
    refused = client.get(f"{API}/reports/2027Q1.xlsx", params={"unit": XINSHI}, headers=api_as("cunyi2"))
    assert refused.status_code == 404
    monthly = client.get(f"{API}/reports/2027M01.xlsx", params={"unit": COUNTY}, headers=api_as("xianju"))
    assert monthly.status_code == 422 and monthly.json()["error"]["fields"][0]["field"] == "period"


def test_out_of_scope_units_and_bad_input(client: Any, api_as: Any, april: None) -> None:
    cunyi2 = api_as("cunyi2")
    get(client, cunyi2, "/figures", 404, period="2027Q1", unit=XINSHI)
    assert get(client, cunyi2, "/figures", period="2027Q1", unit=MOGANSHAN, indicator="filing_rate")[0]["rate"] == 50.0
    get(client, api_as("yiyuan"), "/figures", 403, period="2027Q1", unit=COUNTY)
    xianju = api_as("xianju")
    unknown = get(client, xianju, "/figures", 422, period="2027Q1", unit=COUNTY, indicator="birth_rate")
    assert unknown["error"]["fields"][0]["field"] == "indicator"
    mixed = get(client, xianju, "/figures", 422, period="2027Q1", unit=[COUNTY, XINSHI])
    assert mixed["error"]["fields"][0]["field"] == "unit"
    assert get(client, xianju, "/figures", 422, period="2027Q5", unit=COUNTY)["error"]["code"]
    assert get(client, xianju, "/figures", 422, period="2027Q1", unit="abc")["error"]["fields"][0]["field"] == "unit"
    assert get(client, xianju, "/children", 422, parent=JUCHENG, period="2027Q1")["error"]["code"]
