"""JSON supervision routes: the county inspector plans, draws (the same seed draws the same sample), checks and reads
the rates; field errors come back structured; the centre rectifies; doctors get 403 and another township's
inspection is 404 for the centre."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kangdang.institutions.models import Institution

SHANGHAI = ZoneInfo("Asia/Shanghai")
XINSHI, MOGANSHAN = "330521102", "330521115"


@pytest.fixture
def march(time_machine: Any) -> Any:
    time_machine.move_to(datetime(2027, 3, 1, 9, 30, tzinfo=SHANGHAI), tick=False)
    return time_machine


def planned(client: Any, headers: dict[str, str], target: str = XINSHI, **body: Any) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/inspections",
        json={"target_region_code": target, "planned_on": "2027-03-01", "sample_size": 8, "seed": 42} | body,
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def sampled(client: Any, headers: dict[str, str], inspection: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(f"/api/v1/inspections/{inspection['id']}/sample", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_plan_draw_check_and_rates(client: Any, api_as: Any, march: Any) -> None:
    ducha = api_as("ducha")
    first = planned(client, ducha)
    assert (first["level"], first["round"], first["status"], first["target_name"]) == ("county", 1, "planned", "新市镇")
    detail = sampled(client, ducha, first)
    assert detail["status"] == "sampled" and len(detail["samples"]) == 8 and detail["manageable"]
    assert [s["position"] for s in detail["samples"]] == list(range(1, 9))
    assert all(s["check"] is None and s["record_number"].startswith(XINSHI) for s in detail["samples"])
    second = sampled(client, ducha, planned(client, ducha))
    assert second["round"] == 2
    assert [s["record_id"] for s in second["samples"]] == [s["record_id"] for s in detail["samples"]]
    assert client.post(f"/api/v1/inspections/{first['id']}/sample", headers=ducha).status_code == 409

    samples = detail["samples"]
    for sample, body in zip(
        samples,
        [
            {"filled_to_standard": True, "dynamic": True, "phone_result": "confirmed"},
            {"filled_to_standard": False, "dynamic": True, "phone_result": "not_confirmed"},
            {"filled_to_standard": True, "dynamic": False, "phone_result": "not_reached"},
            {"filled_to_standard": True, "dynamic": True},
        ],
        strict=False,
    ):
        answer = client.post(f"/api/v1/inspection-samples/{sample['id']}/checks", json=body, headers=ducha)
        assert answer.status_code == 201, answer.text
    corrected = client.post(
        f"/api/v1/inspection-samples/{samples[3]['id']}/checks",
        json={"filled_to_standard": False, "dynamic": True, "note": "缺体检表"},
        headers=ducha,
    )
    assert corrected.status_code == 201 and corrected.json()["checked_by"] == "ducha"
    rates = client.get(f"/api/v1/inspections/{first['id']}/rates", headers=ducha).json()
    # 4 checked: to standard 1st and 3rd (the 4th corrected) → 50%; dynamic 1st, 2nd, 4th → 75%;
    # calls: confirmed 1, not confirmed 1, not reached 1 → reached 66.67%, confirmed 50%
    assert (rates["sampled"], rates["checked"], rates["qualified"], rates["dynamic"]) == (8, 4, 2, 3)
    assert (rates["qualified_rate"], rates["usage_rate"]) == ("50.00", "75.00")
    assert (rates["reached_rate"], rates["confirmed_rate"]) == ("66.67", "50.00")
    again = client.get(f"/api/v1/inspections/{first['id']}", headers=ducha).json()
    fourth = again["samples"][3]
    assert fourth["check"]["note"] == "缺体检表" and [h["filled_to_standard"] for h in fourth["history"]] == [True]
    listing = client.get("/api/v1/inspections", params={"year": 2027}, headers=ducha).json()
    line = next(i for i in listing["inspections"] if i["id"] == first["id"])
    assert (line["sampled"], line["checked"]) == (8, 4)
    coverage = {c["unit_code"]: c for c in listing["coverage"]}
    assert (coverage[XINSHI]["planned"], coverage[XINSHI]["below"]) == (2, False)
    assert coverage[MOGANSHAN]["below"] is True


def test_field_errors_are_structured(client: Any, api_as: Any, march: Any) -> None:
    ducha = api_as("ducha")
    answer = client.post(
        "/api/v1/inspections",
        json={"target_region_code": "330521102200", "planned_on": "2027-03-01", "sample_size": 0},
        headers=ducha,
    )
    assert answer.status_code == 422
    fields = {f["field"]: f["message"] for f in answer.json()["error"]["fields"]}
    assert fields == {
        "target_region_code": "检查对象：请选择本县的乡镇（街道）",
        "sample_size": "抽样数量：请填写1至1000之间的整数",
    }
    inspection = planned(client, ducha)
    detail = sampled(client, ducha, inspection)
    bad = client.post(
        f"/api/v1/inspection-samples/{detail['samples'][0]['id']}/checks",
        json={"filled_to_standard": True, "dynamic": True, "phone_result": "busy"},
        headers=ducha,
    )
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "phone_result"
    early = client.post(
        f"/api/v1/inspections/{inspection['id']}/findings",
        json={"description": "档案不全", "deadline": "2027-02-27"},
        headers=ducha,
    )
    assert early.status_code == 422
    assert early.json()["error"]["fields"] == [{"field": "deadline", "message": "整改期限：不能早于检查日期"}]


def test_the_centre_rectifies_and_outsiders_are_refused(db: Any, client: Any, api_as: Any, march: Any) -> None:
    ducha, dangan = api_as("ducha"), api_as("dangan")
    inspection = planned(client, ducha)
    sampled(client, ducha, inspection)
    centre = db.scalar(select(Institution.id).where(Institution.name == "新市镇中心卫生院"))
    finding = client.post(
        f"/api/v1/inspections/{inspection['id']}/findings",
        json={"institution_id": str(centre), "description": "动态记录不足", "deadline": "2027-03-31"},
        headers=ducha,
    )
    assert finding.status_code == 201 and finding.json()["institution_name"] == "新市镇中心卫生院"
    url = f"/api/v1/inspection-findings/{finding.json()['id']}/rectification"
    assert client.post(url, json={"rectification": "已整改"}, headers=ducha).status_code == 403
    seen = client.get(f"/api/v1/inspections/{inspection['id']}", headers=dangan)
    assert seen.status_code == 200 and seen.json()["rectifiable"] and not seen.json()["manageable"]
    done = client.post(url, json={"rectification": "已补录随访"}, headers=dangan)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["rectified_on"]) == ("rectified", "2027-03-01")
    assert client.post(url, json={"rectification": "再次"}, headers=dangan).status_code == 409
    closed = client.post(f"/api/v1/inspections/{inspection['id']}/close", headers=ducha)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    elsewhere = planned(client, ducha, MOGANSHAN)
    for path in (f"/api/v1/inspections/{elsewhere['id']}", f"/api/v1/inspections/{elsewhere['id']}/rates"):
        assert client.get(path, headers=dangan).status_code == 404
    assert (
        client.post(
            "/api/v1/inspections",
            json={"target_region_code": XINSHI, "planned_on": "2027-03-01", "sample_size": 5},
            headers=dangan,
        ).status_code
        == 403
    )
    for login in ("cunyi", "yiyuan", "tongji"):
        headers = api_as(login)
        assert client.get("/api/v1/inspections", headers=headers).status_code == 403
        answer = client.get(f"/api/v1/inspections/{inspection['id']}", headers=headers)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "permission_denied"
