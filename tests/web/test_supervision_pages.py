"""Supervision pages (督导检查): the county inspector plans an inspection from the year's page, draws the sample,
fills the checklist row by row (plain form or htmx) and sees the rates; bad input re-renders the page with a
Chinese message; the inspected centre's records manager reports a rectification; a village doctor has no such
page; another township's inspection is not found for the centre."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kangdang.indicators.models_supervision import Inspection, InspectionSample
from kangdang.indicators.supervision import draw_sample, plan_inspection, record_finding
from kangdang.residents.models import HealthRecord, Person
from tests.helpers import csrf_from, post_form

SHANGHAI = ZoneInfo("Asia/Shanghai")
XINSHI, MOGANSHAN = "330521102", "330521115"


@pytest.fixture
def march(time_machine: Any) -> Any:
    time_machine.move_to(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI), tick=False)
    return time_machine


def inspection_of(db: Any, actor: Any, target: str = XINSHI, *, size: int = 4, sampled: bool = True) -> Any:
    found = plan_inspection(
        db, actor, target_region_code=target, year=2027, planned_on=date(2027, 3, 1), sample_size=size, seed=42
    )
    if sampled:
        draw_sample(db, actor, found.id)
    return found


def test_the_inspector_plans_draws_checks_and_sees_the_rates(db: Any, web_login: Any, march: Any) -> None:
    client = web_login("ducha")
    home = client.get("/")
    assert 'href="/supervision"' in home.text and "督导检查" in home.text
    page = client.get("/supervision?year=2027")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'data-testid="coverage-warning"' in page.text and "新市镇（0/2 次）" in page.text
    assert 'data-testid="plan-form"' in page.text
    answer = post_form(
        client,
        "/supervision",
        {"target_region_code": XINSHI, "planned_on": "2027-03-01", "sample_size": "6", "seed": "42", "round": ""},
        page_url="/supervision?year=2027",
    )
    assert answer.status_code == 303, answer.text[:500]
    inspection = db.scalar(select(Inspection).where(Inspection.target_region_code == XINSHI))
    assert answer.headers["location"] == f"/supervision/{inspection.id}?saved=planned"
    planned = client.get(answer.headers["location"])
    assert "督导检查已计划" in planned.text and 'data-testid="draw-sample"' in planned.text
    assert "2027年第1轮新市镇健康档案督导检查" in planned.text and ">42<" in planned.text
    drawn = post_form(client, f"/supervision/{inspection.id}/sample", {}, page_url=f"/supervision/{inspection.id}")
    assert drawn.status_code == 303
    sampled = client.get(f"/supervision/{inspection.id}")
    assert sampled.headers["cache-control"] == "no-store"
    samples = db.scalars(
        select(InspectionSample)
        .where(InspectionSample.inspection_id == inspection.id)
        .order_by(InspectionSample.position)
    ).all()
    assert len(samples) == 6 and sampled.text.count('data-testid="check-form"') == 6
    first = db.get(Person, db.get(HealthRecord, samples[0].record_id).person_id)
    assert first.name in sampled.text and (first.document_masked or "") in sampled.text
    if first.phone:
        assert first.phone in sampled.text  # in full, for the telephone check
    # a plain form post for the first row …
    token = csrf_from(sampled.text)
    saved = client.post(
        f"/supervision/samples/{samples[0].id}/check",
        data={"csrf_token": token, "filled_to_standard": "1", "dynamic": "1", "phone_result": "confirmed"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=checked#s-1")
    # … and htmx for the second: the row comes back, the rates out of band
    fragment = client.post(
        f"/supervision/samples/{samples[1].id}/check",
        data={"dynamic": "1", "phone_result": "not_reached", "note": "空号"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<tr id="s-2"') and "空号" in fragment.text
    assert 'hx-swap-oob="true"' in fragment.text
    rate = re.search(r'data-testid="rate-qualified">([^<]+)<', fragment.text)
    assert rate is not None and rate.group(1) == "50.00%"  # 1 of 2 checked filled to standard
    usage = re.search(r'data-testid="rate-usage">([^<]+)<', fragment.text)
    assert usage is not None and usage.group(1) == "100.00%"
    final = client.get(f"/supervision/{inspection.id}")
    assert 'data-testid="rate-checked">2 / 6<' in final.text
    assert final.text.count("未检查") == 4


def test_bad_input_re_renders_the_page_with_chinese_messages(
    db: Any, web_login: Any, actor_of: Any, march: Any
) -> None:
    client = web_login("ducha")
    answer = post_form(
        client,
        "/supervision",
        {"target_region_code": XINSHI, "planned_on": "2027-03-01", "sample_size": "0", "title": "春季督导"},
        page_url="/supervision",
    )
    assert answer.status_code == 422
    assert "抽样数量：请填写1至1000之间的整数" in answer.text and 'value="春季督导"' in answer.text
    missing = post_form(client, "/supervision", {"planned_on": "3月1日", "sample_size": "x"}, page_url="/supervision")
    assert missing.status_code == 422
    for message in ("检查对象：请选择乡镇（街道）", "检查日期：请填写正确的日期", "抽样数量：请填写整数"):
        assert message in missing.text
    village = post_form(
        client,
        "/supervision",
        {"target_region_code": "330521102200", "planned_on": "2027-03-01", "sample_size": "5"},
        page_url="/supervision",
    )
    assert village.status_code == 422 and "检查对象：请选择本县的乡镇（街道）" in village.text
    inspection = inspection_of(db, actor_of("ducha"))
    url = f"/supervision/{inspection.id}"
    early = post_form(client, f"{url}/findings", {"description": "档案不全", "deadline": "2027-02-01"}, page_url=url)
    assert early.status_code == 422 and "整改期限：不能早于检查日期" in early.text
    again = post_form(client, f"{url}/sample", {}, page_url=url)
    assert again.status_code == 409 and "该督导检查已抽样，样本不能重抽" in again.text
    sample = db.scalar(select(InspectionSample).where(InspectionSample.inspection_id == inspection.id))
    wrong = post_form(client, f"/supervision/samples/{sample.id}/check", {"phone_result": "busy"}, page_url=url)
    assert wrong.status_code == 422 and "电话核实：请选择核实属实、核实不符或未接通" in wrong.text
    no_token = client.post(f"/supervision/samples/{sample.id}/check", data={"dynamic": "1"}, follow_redirects=False)
    assert no_token.status_code == 403


def test_the_centre_reports_a_rectification_but_a_village_doctor_sees_nothing(
    db: Any, web_login: Any, actor_of: Any, march: Any
) -> None:
    ducha = actor_of("ducha")
    inspection = inspection_of(db, ducha)
    finding = record_finding(db, ducha, inspection.id, description="随访记录缺签名", deadline=date(2027, 3, 31))
    elsewhere = inspection_of(db, ducha, MOGANSHAN)
    client = web_login("dangan")
    url = f"/supervision/{inspection.id}"
    page = client.get(url)
    assert page.status_code == 200 and "随访记录缺签名" in page.text
    assert 'data-testid="rectify-form"' in page.text
    assert 'data-testid="check-form"' not in page.text and 'data-testid="finding-form"' not in page.text
    blank = post_form(client, f"/supervision/findings/{finding.id}/rectify", {"rectification": ""}, page_url=url)
    assert blank.status_code == 422 and "整改情况：请填写" in blank.text
    done = post_form(
        client,
        f"/supervision/findings/{finding.id}/rectify",
        {"rectification": "已补签并培训", "rectified_on": "2027-03-01"},
        page_url=url,
    )
    assert done.status_code == 303 and done.headers["location"] == f"{url}?saved=rectified#findings"
    db.refresh(finding)
    assert (finding.status, finding.rectified_by) == ("rectified", "dangan")
    assert "已补签并培训" in client.get(url).text
    assert client.get(f"/supervision/{elsewhere.id}").status_code == 404
    listing = client.get("/supervision?year=2027")
    assert str(inspection.id) in listing.text and str(elsewhere.id) not in listing.text
    # the records manager does not plan
    assert 'data-testid="plan-form"' not in listing.text
    refused = client.post(
        "/supervision",
        data={"csrf_token": csrf_from(listing.text), "target_region_code": XINSHI},
        follow_redirects=False,
    )
    assert refused.status_code == 403

    village_doctor = web_login("cunyi")
    assert 'href="/supervision"' not in village_doctor.get("/").text
    denied = village_doctor.get(url)
    assert denied.status_code == 403 and "您没有执行此操作的权限" in denied.text
    assert village_doctor.get("/supervision").status_code == 403
