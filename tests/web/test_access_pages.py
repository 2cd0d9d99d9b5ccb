"""Pages for reading outside one's jurisdiction: the application, the decision, consent with an uploaded scan or
a drawn signature, the record page through a grant, revocation, break-the-glass and its alert."""

from __future__ import annotations

import base64
import re
from datetime import date

from sqlalchemy import select

from kangdang.residents.models_access import AccessRequest
from tests.helpers import csrf_from, post_form
from tests.residents.factories import file_resident, id_number

NAME = "网页授权人"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def _resident(db, actor_of):
    number = id_number(date(1962, 8, 8))
    record = file_resident(db, actor_of("cunyi"), name=NAME, born=date(1962, 8, 8), document_number=number)
    db.flush()
    return record, number


def _apply(client, number: str, **changes):
    data = {
        "document_number": number,
        "name": NAME,
        "purpose": "住院治疗需了解既往病史",
        "parts": ["profile", "forms"],
        "duration_days": "5",
        "basis": "入院记录 2026-118",
    } | changes
    return post_form(client, "/access/apply", data, page_url="/access")


def _request(db, record_id) -> AccessRequest:
    db.expire_all()
    return db.scalars(
        select(AccessRequest).where(AccessRequest.record_id == record_id).order_by(AccessRequest.requested_at.desc())
    ).first()


def test_apply_approve_consent_with_a_scan_then_the_record_opens_until_revoked(db, actor_of, web_login):
    record, number = _resident(db, actor_of)
    client = web_login("yiyuan")
    assert client.get(f"/residents/{record.id}").status_code == 404
    response = _apply(client, number)
    assert response.status_code == 303 and response.headers["location"] == "/access?saved=applied"
    page = client.get("/access").text
    assert "待审批" in page and NAME in page and f"/residents/{record.id}" not in page
    request = _request(db, record.id)

    client = web_login("dangan")
    worklist = client.get("/access/requests").text
    assert f'data-request="{request.id}"' in worklist and "住院治疗需了解既往病史" in worklist
    assert (
        post_form(client, f"/access/requests/{request.id}/approve", {}, page_url="/access/requests").status_code == 303
    )
    consent_page = client.get(f"/access/requests/{request.id}/consent")
    assert consent_page.status_code == 200 and "data-signature-pad" in consent_page.text
    response = client.post(
        f"/access/requests/{request.id}/consent",
        data={
            "consent_by_name": NAME,
            "relationship": "self",
            "method": "scan",
            "csrf_token": csrf_from(consent_page.text),
        },
        files={"evidence": ("同意书.png", PNG, "application/octet-stream")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:800]
    assert _request(db, record.id).status == "active"
    evidence = client.get(f"/access/requests/{request.id}/evidence")
    assert evidence.content == PNG and evidence.headers["content-type"] == "image/png"

    client = web_login("yiyuan")
    mine = client.get("/access").text
    assert f'href="/residents/{record.id}"' in mine
    page = client.get(f"/residents/{record.id}")
    assert page.status_code == 200
    assert "经授权查阅" in page.text and NAME in page.text
    assert "/edit" not in page.text and "access-log-link" not in page.text
    assert client.get(f"/residents/{record.id}/edit").status_code in (403, 404)  # no write through a grant

    client = web_login("dangan")
    log = client.get(f"/residents/{record.id}/access-log").text
    assert "经授权查阅" in log and "yiyuan" in log
    revoke = post_form(
        client, f"/access/requests/{request.id}/revoke", {"reason": "治疗结束"}, page_url="/access/requests"
    )
    assert revoke.status_code == 303

    client = web_login("yiyuan")
    assert client.get(f"/residents/{record.id}").status_code == 404
    assert "已撤销" in client.get("/access").text


def test_a_drawn_signature_travels_as_a_png_data_url(db, actor_of, web_login):
    record, number = _resident(db, actor_of)
    client = web_login("yiyuan")
    _apply(client, number, parts=["profile"])
    request = _request(db, record.id)
    client = web_login("jigou")
    post_form(client, f"/access/requests/{request.id}/approve", {}, page_url="/access/requests")
    page_url = f"/access/requests/{request.id}/consent"
    missing = post_form(client, page_url, {"consent_by_name": NAME, "relationship": "self", "method": "signature"})
    assert missing.status_code == 422 and "请居民在签名框内签名" in missing.text
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    done = post_form(
        client,
        page_url,
        {
            "consent_by_name": "王父",
            "relationship": "guardian",
            "guardian_relationship": "父亲",
            "method": "signature",
            "signature": data_url,
        },
    )
    assert done.status_code == 303
    granted = _request(db, record.id)
    assert granted.consent_evidence == PNG and granted.consent_relationship == "监护人（父亲）"
    client = web_login("yiyuan")
    page = client.get(f"/residents/{record.id}").text
    assert "本授权不含服务记录表单" in page


def test_the_application_form_answers_a_wrong_name_neutrally_and_keeps_the_number_off_the_page(db, actor_of, web_login):
    _record, number = _resident(db, actor_of)
    client = web_login("yiyuan")
    response = _apply(client, number, name="不是他")
    assert response.status_code == 422
    assert "未找到与证件号码和姓名相符的档案" in response.text
    assert number not in response.text
    missing = _apply(client, number, parts=[])
    assert missing.status_code == 422 and "请至少选择一项查阅内容" in missing.text


def test_break_glass_opens_the_record_with_a_banner_and_alerts_the_managing_institution(db, actor_of, web_login):
    record, number = _resident(db, actor_of)
    client = web_login("yiyuan")
    short = post_form(
        client,
        "/access/break-glass",
        {"bg_document_number": number, "bg_name": NAME, "bg_reason": "急"},
        page_url="/access",
    )
    assert short.status_code == 422 and "紧急查阅未开启" in short.text
    response = post_form(
        client,
        "/access/break-glass",
        {"bg_document_number": number, "bg_name": NAME, "bg_reason": "急诊抢救，需查过敏史"},
        page_url="/access",
    )
    assert response.status_code == 303 and response.headers["location"] == f"/residents/{record.id}"
    page = client.get(f"/residents/{record.id}").text
    assert re.search(r"紧急查阅：.*至 \d\d:\d\d（北京时间）", page)

    client = web_login("dangan")
    home = client.get("/").text
    count = re.search(r'data-testid="emergency-alert-count">(\d+)<', home)
    assert count and int(count.group(1)) >= 1
    worklist = client.get("/access/requests").text
    assert "急诊抢救，需查过敏史" in worklist
    emergency_id = re.search(r'data-emergency="([0-9a-f-]{36})"', worklist).group(1)
    log = client.get(f"/residents/{record.id}/access-log").text
    assert "紧急查阅" in log and "急诊抢救，需查过敏史" in log
    ack = post_form(client, f"/access/emergency/{emergency_id}/acknowledge", {}, page_url="/access/requests")
    assert ack.status_code == 303
    assert f'data-emergency="{emergency_id}"' not in client.get("/access/requests").text

    client = web_login("admin")
    audit = client.get("/audit?action=access").text
    assert 'data-testid="break-glass-event"' in audit and "紧急查阅" in audit


def test_the_pages_refuse_those_without_the_permission(db, actor_of, web_login):
    client = web_login("tongji")
    assert client.get("/access").status_code == 403
    assert client.get("/access/requests").status_code == 403
    client = web_login("yiyuan")
    assert client.get("/access/requests").status_code == 403


def test_a_grant_holder_with_a_care_role_gets_no_edit_page_and_no_full_id_number(db, actor_of, web_login):
    from kangdang.residents.grants import (
        AccessApplication,
        ConsentDetails,
        apply_for_access,
        approve_request,
        record_consent,
    )

    record, number = _resident(db, actor_of)
    application = AccessApplication(
        document_number=number, name=NAME, purpose="家庭医生签约随访", parts=["profile"], duration_days=3, basis="签约"
    )
    request = apply_for_access(db, actor_of("cunyi2"), application)
    approve_request(db, actor_of("dangan"), request.id)
    consent = ConsentDetails(consent_by_name=NAME, relationship="self", method="scan")
    record_consent(db, actor_of("dangan"), request.id, consent, PNG)
    db.flush()
    client = web_login("cunyi2")
    page = client.get(f"/residents/{record.id}").text
    assert "经授权查阅" in page and "显示完整证件号" not in page and "/forms/new" not in page
    assert client.get(f"/residents/{record.id}/edit").status_code == 404
    reveal = post_form(client, f"/residents/{record.id}/reveal", {}, page_url=f"/residents/{record.id}")
    assert reveal.status_code == 404 and number not in reveal.text
    assert client.get(f"/residents/{record.id}/access-log").status_code == 404
    assert client.get(f"/residents/{record.id}/forms/new?form=hypertension_followup").status_code == 404
