"""JSON routes for training records and records keepers: what the transport adds (shapes, status codes)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kangdang.access.models import User
from kangdang.core.clock import today_local
from kangdang.institutions.models import Institution


def test_training_then_designation_then_end_over_the_api(client, api_as, db):
    headers = api_as("jigou")
    yisheng = db.scalar(select(User.practitioner_id).where(User.login == "yisheng"))
    centre = db.scalar(select(Institution.id).where(Institution.code == "330521102-01"))

    refused = client.post(
        f"/api/v1/institutions/{centre}/keepers", json={"practitioner_id": str(yisheng)}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["message"] == "该人员没有合格的档案管理培训记录，不能指定为档案管理责任人"

    body = {
        "course": "档案管理培训",
        "held_on": (today_local() - timedelta(days=2)).isoformat(),
        "score": 90,
        "passed": True,
        "organiser": "县卫健局",
    }
    created = client.post(f"/api/v1/practitioners/{yisheng}/training", json=body, headers=headers)
    assert created.status_code == 201 and created.json()["status"] == "valid" and created.json()["score"] == 90
    listed = client.get(f"/api/v1/practitioners/{yisheng}/training", headers=headers).json()
    assert [t["id"] for t in listed] == [created.json()["id"]]

    keeper = client.post(
        f"/api/v1/institutions/{centre}/keepers", json={"practitioner_id": str(yisheng)}, headers=headers
    )
    assert keeper.status_code == 201 and keeper.json()["latest_training"]["id"] == created.json()["id"]
    names = {k["practitioner_id"] for k in client.get(f"/api/v1/institutions/{centre}/keepers", headers=headers).json()}
    assert str(yisheng) in names and len(names) == 2  # dangan (demo) and yisheng

    ended = client.post(
        f"/api/v1/institutions/{centre}/keepers/{keeper.json()['id']}/end", json={"reason": "调岗"}, headers=headers
    )
    assert ended.status_code == 200 and ended.json()["reason_ended"] == "调岗"
    history = client.get(f"/api/v1/institutions/{centre}/keepers?history=true", headers=headers).json()
    assert len(history) == 2 and any(k["reason_ended"] == "调岗" for k in history)

    withdrawn = client.post(
        f"/api/v1/practitioners/{yisheng}/training/{created.json()['id']}/withdraw",
        json={"reason": "录入错误"},
        headers=headers,
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_the_aggregate_viewer_and_a_doctor_are_refused(client, api_as, db):
    dangan = db.scalar(select(User.practitioner_id).where(User.login == "dangan"))
    centre = db.scalar(select(Institution.id).where(Institution.code == "330521102-01"))
    tongji = api_as("tongji")
    assert client.get(f"/api/v1/practitioners/{dangan}/training", headers=tongji).status_code == 403
    assert client.get(f"/api/v1/institutions/{centre}/keepers", headers=tongji).status_code == 403
    yisheng = api_as("yisheng")
    body = {"course": "x", "held_on": "2025-01-01", "passed": True, "organiser": "y"}
    assert client.post(f"/api/v1/practitioners/{dangan}/training", json=body, headers=yisheng).status_code == 403
