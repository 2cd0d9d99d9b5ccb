"""The staff JSON API: what the transport adds — status codes, error bodies, and never the full ID number."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from kangdang.access.crypto import cipher_for
from kangdang.access.models import AuditEvent, User
from kangdang.core.clock import today_local
from kangdang.core.idnumber import check_character
from kangdang.institutions.models import Institution, Membership, Practitioner

API = "/api/v1/practitioners"


def _id_number(birth: str = "19600101", sequence: str = "123") -> str:
    first17 = f"330521{birth}{sequence}"
    return first17 + check_character(first17)


def _inst_id(db, code: str) -> str:
    return str(db.scalar(select(Institution.id).where(Institution.code == code)))


def _practitioner_of(db, login: str) -> uuid.UUID:
    return db.scalar(select(User.practitioner_id).where(User.login == login))


def _cunyi_office(db) -> str:
    membership = db.scalar(select(Membership).where(Membership.practitioner_id == _practitioner_of(db, "cunyi")))
    return str(membership.institution_id)


def _body(db, **changes: object) -> dict[str, object]:
    return {
        "name": "沈乡医",
        "id_number": _id_number(),
        "sex": "1",
        "qualification": "rural_doctor",
        "institution_id": _cunyi_office(db),
        "role": "village_doctor",
    } | changes


def test_requests_without_a_token_get_401(client):
    for method, url in (("get", API), ("post", API), ("post", f"{API}/{uuid.uuid4()}/reveal-id")):
        response = client.request(method, url, json={})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_malformed_json_gets_422_with_fields(client, api_as):
    headers = api_as("jigou") | {"Content-Type": "application/json"}
    response = client.post(API, content=b'{"name": "x",', headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["message"] == "请求体不是有效的 JSON"


def test_bad_fields_get_422_with_chinese_messages(client, api_as, db):
    headers = api_as("jigou")
    response = client.post(
        API, json={"sex": "3", "qualification": "witch", "role": "boss", "extra": 1}, headers=headers
    )
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
    assert fields["name"] == "此项为必填项"
    assert fields["sex"] == fields["qualification"] == fields["role"] == "请从列表中选择"
    assert fields["extra"] == "不支持的字段"
    number = _id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    domain = client.post(API, json=_body(db, id_number=wrong, sex="2"), headers=headers)
    assert domain.status_code == 422
    fields = {f["field"]: f["message"] for f in domain.json()["error"]["fields"]}
    assert fields == {"id_number": "身份证号校验位不正确，请核对"}
    dangan = db.get(Practitioner, _practitioner_of(db, "dangan"))
    taken = cipher_for(db).decrypt(dangan.id_number_cipher)
    dup = client.post(API, json=_body(db, id_number=taken, sex=dangan.sex), headers=headers)
    assert dup.status_code == 422
    assert dup.json()["error"]["fields"] == [{"field": "id_number", "message": f"该身份证号已登记（{dangan.name}）"}]


def test_the_full_id_number_is_returned_only_by_reveal_and_reveal_is_audited(client, api_as, db):
    headers = api_as("jigou")
    number = _id_number()
    created = client.post(API, json=_body(db), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    pid = body["id"]
    assert body["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert body["memberships"][0]["role_label"] == "村医" and body["account_login"] is None
    responses = [
        created,
        client.get(f"{API}/{pid}", headers=headers),
        client.get(API, params={"q": "沈乡医"}, headers=headers),
        client.patch(f"{API}/{pid}", json={"phone": "0572-8123456", "practice_scope": "全科"}, headers=headers),
    ]
    assert all(r.status_code in (200, 201) for r in responses)
    assert all(number not in r.text for r in responses)
    assert responses[2].json()["total"] == 1 and responses[3].json()["practice_scope"] == "全科"
    refused = client.post(f"{API}/{pid}/reveal-id", headers=api_as("cunyi"))
    assert refused.status_code == 403 and number not in refused.text
    revealed = client.post(f"{API}/{pid}/reveal-id", headers=headers)
    assert revealed.status_code == 200 and revealed.json() == {"id_number": number}
    assert revealed.headers["cache-control"] == "no-store"
    db.expire_all()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "practitioner.reveal_id"))
    assert event.subject_id == pid and event.login == "jigou"


def test_memberships_end_and_keep_their_history(client, api_as, db):
    headers = api_as("jigou")
    dangan = _practitioner_of(db, "dangan")
    centre = _inst_id(db, "330521102-01")
    added = client.post(
        f"{API}/{dangan}/memberships", json={"institution_id": centre, "role": "township_doctor"}, headers=headers
    )
    assert added.status_code == 201 and added.json()["role_label"] == "乡镇/社区医生"
    mid = added.json()["id"]
    wrong_person = client.post(f"{API}/{_practitioner_of(db, 'cunyi')}/memberships/{mid}/end", headers=headers)
    assert wrong_person.status_code == 404
    ended = client.post(f"{API}/{dangan}/memberships/{mid}/end", headers=headers)
    assert ended.status_code == 200
    assert ended.json()["valid_to"] == str(today_local() - timedelta(days=1))
    again = client.post(f"{API}/{dangan}/memberships/{mid}/end", json={"valid_to": None}, headers=headers)
    assert again.status_code == 422 and again.json()["error"]["fields"][0]["message"] == "该任职已结束"
    detail = client.get(f"{API}/{dangan}", headers=headers).json()
    assert mid in [m["id"] for m in detail["memberships"]]


def test_account_creation_and_password_reset(client, api_as, db):
    headers = api_as("jigou")
    pid = client.post(API, json=_body(db), headers=headers).json()["id"]
    weak = client.post(f"{API}/{pid}/account", json={"login": "shenxy", "password": "abc"}, headers=headers)
    assert weak.status_code == 422 and weak.json()["error"]["fields"][0]["field"] == "password"
    made = client.post(f"{API}/{pid}/account", json={"login": "shenxy", "password": "Welcome2026"}, headers=headers)
    assert made.status_code == 201 and made.json() == {"login": "shenxy", "is_active": True, "locked": False}
    assert client.get("/api/v1/auth/me", headers=api_as("shenxy", "Welcome2026")).json()["roles"] == ["village_doctor"]
    reset = client.post(f"{API}/{pid}/account/password", json={"password": "Reset2026a"}, headers=headers)
    assert reset.status_code == 200 and reset.json()["locked"] is False
    assert client.post("/api/v1/auth/token", json={"username": "shenxy", "password": "Reset2026a"}).status_code == 200
    no_account = client.post(
        f"{API}/{_practitioner_of(db, 'dangan')}/account/password", json={"password": "x"}, headers=api_as("cunyi")
    )
    assert no_account.status_code == 403
