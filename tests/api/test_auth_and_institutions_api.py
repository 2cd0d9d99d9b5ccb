"""The JSON API: tokens, errors with field details, and institutions."""

from __future__ import annotations

from sqlalchemy import select

from kangdang.institutions.models import Institution


def test_token_with_a_wrong_password_is_refused_in_chinese(client):
    response = client.post("/api/v1/auth/token", json={"username": "xianju", "password": "wrong-1"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "用户名或密码错误"


def test_token_opens_the_api_and_me_tells_roles_and_scope(client, api_as):
    me = client.get("/api/v1/auth/me", headers=api_as("xianju")).json()
    assert me["roles"] == ["county_manager"]
    assert me["scope_region_prefixes"] == ["330521"]


def test_requests_without_a_token_get_401(client):
    response = client.get("/api/v1/institutions")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_malformed_json_gets_422_with_field_errors(client, api_as):
    headers = api_as("xianju") | {"Content-Type": "application/json"}
    response = client.post("/api/v1/institutions", content=b"{not json", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"]


def test_invalid_fields_get_422_with_chinese_messages(client, api_as):
    response = client.post("/api/v1/institutions", json={"code": "", "type": "hospital?"}, headers=api_as("xianju"))
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
    assert fields["name"] == "此项为必填项"
    assert fields["type"] == "请从列表中选择"
    assert "code" in fields and "region_code" in fields


def test_create_read_and_close_an_institution(client, api_as, db):
    headers = api_as("xianju")
    centre = db.scalar(select(Institution).where(Institution.code == "330521102-01"))
    created = client.post(
        "/api/v1/institutions",
        headers=headers,
        json={
            "code": "330521102-09",
            "name": "新市镇分院",
            "type": "township_general",
            "region_code": "330521102",
            "supervisor_id": str(centre.id),
            "catchment": ["330521102200"],
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["catchment"] == ["330521102200"] and body["type_label"] == "乡镇卫生院（一般）"
    closed = client.post(
        f"/api/v1/institutions/{body['id']}/close",
        headers=headers,
        json={
            "status": "merged",
            "closed_on": "2026-12-01",
            "successor_id": str(centre.id),
            "reason": "并入中心卫生院",
        },
    )
    assert closed.status_code == 200 and closed.json()["status"] == "merged"


def test_village_doctor_cannot_read_another_townships_institution(client, api_as, db):
    other = db.scalar(select(Institution).where(Institution.code == "330521115-01"))
    response = client.get(f"/api/v1/institutions/{other.id}", headers=api_as("cunyi"))
    assert response.status_code == 404


def test_openapi_document_is_served(client):
    assert client.get("/api/openapi.json").json()["info"]["title"] == "康档 kangdang API"
    assert client.get("/api/docs").status_code == 200
