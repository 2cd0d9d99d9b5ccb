"""The indicator settings page (指标设置): the county manager sets the work plan's filing targets for urban and
rural villages and changes parameters — only what changed is saved, nothing while any value is wrong, errors in
Chinese; those who only see figures read the settings without forms; a hospital doctor may not look."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from kangdang.access.models import AuditEvent
from kangdang.indicators.parameters import current_parameters
from kangdang.indicators.read import targets
from tests.helpers import csrf_from

COUNTY = "330521"
URL = "/indicators/settings?year=2027"
FIELD = re.compile(r'name="((?:target|param)\.[^"]+)"[^>]*?value="([^"]*)"', re.S)
SELECTED = re.compile(r'<select id="p-[^"]+" name="(param\.[^"]+)">(.*?)</select>', re.S)


def form_of(html: str, prefix: str) -> dict[str, str]:
    """What the browser would send from the page's form: every input and each select's chosen option."""
    values = {name: value for name, value in FIELD.findall(html) if name.startswith(prefix)}
    for name, options in SELECTED.findall(html):
        if name.startswith(prefix):
            values[name] = re.search(r'<option value="([^"]*)" selected', options).group(1)  # type: ignore[union-attr]
    return values


def submit(client: Any, action: str, changes: dict[str, str], prefix: str) -> Any:
    page = client.get(URL)
    data = form_of(page.text, prefix) | changes | {"county": COUNTY, "year": "2027", "csrf_token": csrf_from(page.text)}
    return client.post(action, data=data, follow_redirects=False)


def events(db: Any, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.at)))


def test_the_county_manager_sets_the_work_plans_targets(web_login: Any, db: Any) -> None:
    client = web_login("xianju")
    page = client.get(URL)
    assert page.status_code == 200 and "2027年度工作目标（%）" in page.text
    assert page.text.count('<tr data-indicator="') == 17 and "健康档案建档率" in page.text
    before = len(events(db, "indicator.target"))
    answer = submit(
        client,
        "/indicators/settings/targets",
        {"target.filing_rate.urban": "60", "target.filing_rate.rural": "20"},
        "target.",
    )
    assert answer.status_code == 303, answer.text[:500]
    page = client.get(answer.headers["location"])
    assert "目标已保存" in page.text
    assert targets(db, COUNTY, 2027)[("filing_rate", "urban")] == Decimal("60")
    assert targets(db, COUNTY, 2027)[("filing_rate", "rural")] == Decimal("20")
    assert len(events(db, "indicator.target")) == before + 2  # only what changed
    assert form_of(page.text, "target.")["target.filing_rate.urban"] == "60"

    # next year's plan raises them; a wrong value elsewhere keeps everything unsaved
    refused = submit(
        client,
        "/indicators/settings/targets",
        {"target.filing_rate.urban": "70", "target.usage_rate.all": "120"},
        "target.",
    )
    assert refused.status_code == 422
    assert "目标未保存" in refused.text and "健康档案使用率（全部）：请填写0～100之间的百分数" in refused.text
    assert 'value="120"' in refused.text
    assert targets(db, COUNTY, 2027)[("filing_rate", "urban")] == Decimal("60")
    cleared = submit(client, "/indicators/settings/targets", {"target.filing_rate.rural": ""}, "target.")
    assert cleared.status_code == 303
    assert targets(db, COUNTY, 2027)[("filing_rate", "rural")] is None


def test_the_county_manager_changes_parameters(web_login: Any, db: Any) -> None:
    client = web_login("xianju")
    page = client.get(URL)
    assert "使用率：动态记录的时间窗" in page.text and "近12个月（滚动）" in page.text
    before = len(events(db, "indicator.parameter"))
    answer = submit(
        client,
        "/indicators/settings/parameters",
        {"param.usage_window": "calendar_year", "param.invalid_empty_items": "4"},
        "param.",
    )
    assert answer.status_code == 303, answer.text[:500]
    assert "参数已保存" in client.get(answer.headers["location"]).text
    now = current_parameters(db, COUNTY)
    assert now.usage_window == "calendar_year" and now.invalid_empty_items == 4
    assert len(events(db, "indicator.parameter")) == before + 2
    wrong = submit(
        client,
        "/indicators/settings/parameters",
        {"param.late_entry_days": "0", "param.usage_clinical": "false"},
        "param.",
    )
    assert wrong.status_code == 422 and "请填写1～365之间的数" in wrong.text and "参数未保存" in wrong.text
    assert current_parameters(db, COUNTY).usage_clinical is True


def test_those_who_see_figures_read_the_settings_without_forms(web_login: Any, client: Any) -> None:
    web_login("tongji")
    page = client.get(URL)
    assert page.status_code == 200 and "2027年度工作目标（%）" in page.text and "指标参数" in page.text
    assert 'action="/indicators/settings/targets"' not in page.text
    refused = client.post(
        "/indicators/settings/targets",
        data={"county": COUNTY, "year": "2027", "target.filing_rate.all": "50", "csrf_token": csrf_from(page.text)},
    )
    assert refused.status_code == 403
    client.cookies.clear()
    web_login("yiyuan")
    assert client.get(URL).status_code == 403
