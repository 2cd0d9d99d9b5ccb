"""Access for other institutions and break-the-glass through the JSON API: apply, approve, consent with base64
evidence, read the record through the grant, revoke; open the glass, see the alert, acknowledge it."""

from __future__ import annotations

import base64
from datetime import date

from tests.residents.factories import file_resident, id_number

API = "/api/v1"
NAME = "接口授权人"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _resident(db, actor_of):
    number = id_number(date(1964, 4, 4))
    record = file_resident(db, actor_of("cunyi"), name=NAME, born=date(1964, 4, 4), document_number=number)
    db.flush()
    return record, number


def _apply(client, headers, number: str, **changes):
    body = {
        "document_number": number,
        "name": NAME,
        "purpose": "转诊接收需了解病史",
        "parts": ["profile", "forms"],
        "duration_days": 3,
        "basis": "转诊单 ZZ-2026-07",
    } | changes
    return client.post(f"{API}/access/requests", json=body, headers=headers)


def test_a_grant_through_the_api_opens_the_record_until_it_is_revoked(client, db, actor_of, api_as):
    record, number = _resident(db, actor_of)
    yiyuan, dangan = api_as("yiyuan"), api_as("dangan")
    assert client.get(f"{API}/residents/{record.id}", headers=yiyuan).status_code == 404
    created = _apply(client, yiyuan, number)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "pending" and body["record_id"] is None and body["record_number"] is None
    request_id = body["id"]
    mine = client.get(f"{API}/access/requests/mine", headers=yiyuan).json()
    assert [r["id"] for r in mine["items"]] == [request_id]

    pending = client.get(f"{API}/access/requests", headers=dangan).json()
    assert request_id in {r["id"] for r in pending["items"]}
    assert client.post(f"{API}/access/requests/{request_id}/approve", headers=dangan).json()["status"] == "approved"
    bad = client.post(
        f"{API}/access/requests/{request_id}/consent",
        json={"consent_by_name": NAME, "relationship": "self", "method": "signature", "evidence_base64": "%%%"},
        headers=dangan,
    )
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "evidence_base64"
    consent = client.post(
        f"{API}/access/requests/{request_id}/consent",
        json={
            "consent_by_name": NAME,
            "relationship": "self",
            "method": "signature",
            "evidence_base64": base64.b64encode(PNG).decode(),
        },
        headers=dangan,
    )
    assert consent.status_code == 200, consent.text
    assert consent.json()["status"] == "active" and consent.json()["expires_at"]

    mine = client.get(f"{API}/access/requests/mine", headers=yiyuan).json()["items"][0]
    assert mine["record_id"] == str(record.id)
    assert client.get(f"{API}/residents/{record.id}", headers=yiyuan).status_code == 200

    revoked = client.post(f"{API}/access/requests/{request_id}/revoke", json={"reason": "转诊取消"}, headers=dangan)
    assert revoked.json()["status"] == "revoked"
    assert client.get(f"{API}/residents/{record.id}", headers=yiyuan).status_code == 404


def test_deciding_is_for_the_managing_institution_only(client, db, actor_of, api_as):
    _record, number = _resident(db, actor_of)
    request_id = _apply(client, api_as("yiyuan"), number).json()["id"]
    assert client.post(f"{API}/access/requests/{request_id}/approve", headers=api_as("yiyuan")).status_code == 403
    assert client.get(f"{API}/access/requests", headers=api_as("tongji")).status_code == 403
    rejected = client.post(
        f"{API}/access/requests/{request_id}/reject", json={"reason": "用途不明确"}, headers=api_as("jigou")
    )
    assert rejected.json()["status"] == "rejected"


def test_break_the_glass_through_the_api(client, db, actor_of, api_as):
    record, number = _resident(db, actor_of)
    yiyuan, dangan = api_as("yiyuan"), api_as("dangan")
    short = client.post(
        f"{API}/access/emergency", json={"document_number": number, "name": NAME, "reason": "急"}, headers=yiyuan
    )
    assert short.status_code == 422
    opened = client.post(
        f"{API}/access/emergency",
        json={"document_number": number, "name": NAME, "reason": "急诊昏迷需查病史"},
        headers=yiyuan,
    )
    assert opened.status_code == 201, opened.text
    emergency = opened.json()
    assert emergency["is_open"] and emergency["record_id"] == str(record.id)
    assert client.get(f"{API}/residents/{record.id}", headers=yiyuan).status_code == 200
    alerts = client.get(f"{API}/access/emergency/alerts", headers=dangan).json()
    assert emergency["id"] in {a["id"] for a in alerts["items"]}
    done = client.post(f"{API}/access/emergency/{emergency['id']}/acknowledge", headers=dangan)
    assert done.json()["acknowledged_by"] == "dangan"
    alerts = client.get(f"{API}/access/emergency/alerts", headers=dangan).json()
    assert emergency["id"] not in {a["id"] for a in alerts["items"]}
