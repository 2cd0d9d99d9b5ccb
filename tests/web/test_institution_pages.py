"""Institution pages: list scoped to the user, create with Chinese field errors, edit, close."""

from __future__ import annotations

from sqlalchemy import select

from kangdang.institutions.models import Institution
from tests.helpers import post_form


def _id(db, code: str) -> str:
    return str(db.scalar(select(Institution.id).where(Institution.code == code)))


def test_village_doctor_lists_only_institutions_of_their_township(web_login):
    client = web_login("cunyi")
    page = client.get("/institutions")
    assert page.status_code == 200
    assert "句城卫生室" in page.text and "新市镇中心卫生院" in page.text
    assert "莫干山" not in page.text and "新建机构" not in page.text


def test_another_townships_institution_page_is_not_found(web_login, db):
    client = web_login("cunyi")
    response = client.get(f"/institutions/{_id(db, '330521115-01')}")
    assert response.status_code == 404
    assert "未找到该机构" in response.text


def test_create_form_shows_chinese_errors_and_saves_nothing(web_login, db):
    client = web_login("xianju")
    before = db.scalar(select(Institution.id).order_by(Institution.id.desc()))
    response = post_form(client, "/institutions/new", {"code": "", "name": "", "type": "", "region_code": "330521102"})
    assert response.status_code == 422
    assert "此项为必填项" in response.text
    db.expire_all()
    assert db.scalar(select(Institution.id).order_by(Institution.id.desc())) == before


def test_county_manager_creates_edits_and_merges_an_institution(web_login, db):
    client = web_login("xianju")
    centre = _id(db, "330521102-01")
    created = post_form(
        client,
        "/institutions/new",
        {
            "code": "330521102-08",
            "name": "新市镇第二卫生院",
            "type": "township_general",
            "region_code": "330521102",
            "supervisor_id": centre,
            "catchment": ["330521102200", "330521102201"],
        },
    )
    assert created.status_code == 303
    location = created.headers["location"].split("?")[0]
    page = client.get(location)
    assert "新市镇第二卫生院" in page.text and "服务范围（2 个村/居委会）" in page.text
    edited = post_form(
        client,
        f"{location}/edit",
        {
            "name": "新市镇第二卫生院（分院）",
            "type": "township_general",
            "supervisor_id": centre,
            "catchment": ["330521102200"],
        },
        page_url=f"{location}/edit",
    )
    assert edited.status_code == 303
    assert "服务范围（1 个村/居委会）" in client.get(location).text
    bad = post_form(
        client,
        f"{location}/close",
        {"status": "merged", "closed_on": "", "successor_id": "", "reason": ""},
        page_url=location,
    )
    assert bad.status_code == 422 and "此项为必填项" in bad.text
    merged = post_form(
        client,
        f"{location}/close",
        {"status": "merged", "closed_on": "2026-12-01", "successor_id": centre, "reason": "并入中心卫生院"},
        page_url=location,
    )
    assert merged.status_code == 303
    assert "已合并" in client.get(location).text


def test_posting_without_the_csrf_token_is_refused(web_login):
    client = web_login("xianju")
    response = client.post("/institutions/new", data={"code": "X"}, follow_redirects=False)
    assert response.status_code == 403


def test_village_doctor_cannot_open_the_create_form(web_login):
    client = web_login("cunyi")
    response = client.get("/institutions/new")
    assert response.status_code == 403 and "没有执行此操作的权限" in response.text


def test_audit_page_shows_logins_for_the_inspector_but_not_for_a_village_doctor(web_login, client):
    web_login("cunyi")
    assert client.get("/audit").status_code == 403
    client.cookies.clear()
    web_login("ducha")
    page = client.get("/audit?action=login")
    assert page.status_code == 200 and "登录（网页）" in page.text and "cunyi" in page.text
