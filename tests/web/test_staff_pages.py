"""Staff pages: the list, registering with Chinese field errors, the detail page, memberships, accounts."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import event, func, select

from kangdang.access.crypto import cipher_for
from kangdang.access.models import AuditEvent, User
from kangdang.core.clock import today_local, utcnow
from kangdang.core.idnumber import check_character
from kangdang.institutions.models import Institution, Membership, Practitioner
from tests.conftest import DEMO_PASSWORD
from tests.helpers import csrf_from, login_through_form, post_form


def _id_number(birth: str = "19600101", sequence: str = "123") -> str:
    first17 = f"330521{birth}{sequence}"
    return first17 + check_character(first17)


def _inst_id(db, code: str) -> str:
    return str(db.scalar(select(Institution.id).where(Institution.code == code)))


def _practitioner_of(db, login: str) -> uuid.UUID:
    return db.scalar(select(User.practitioner_id).where(User.login == login))


def _plain(db, practitioner_id: uuid.UUID) -> str:
    return cipher_for(db).decrypt(db.get(Practitioner, practitioner_id).id_number_cipher)


def _form(db, **changes: str) -> dict[str, str]:
    return {
        "name": "周建国",
        "id_number": _id_number(),
        "sex": "1",
        "phone": "13900000000",
        "qualification": "physician",
        "licence_no": "",
        "practice_scope": "",
        "institution_id": _inst_id(db, "330521102-01"),
        "role": "township_doctor",
        "valid_from": "",
    } | changes


def test_list_shows_masked_numbers_and_current_roles_in_a_few_queries(web_login, db, engine):
    client = web_login("jigou")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/staff")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    assert len(statements) <= 15, "one query for the memberships of the whole page, not one per row"
    assert page.text.count('<td><a href="/staff/') > 5
    dangan = db.get(Practitioner, _practitioner_of(db, "dangan"))
    assert dangan.id_number_masked in page.text and _plain(db, dangan.id) not in page.text
    assert "档案管理员@新市镇中心卫生院" in page.text
    assert "新增人员" in page.text
    assert "莫干山" not in page.text


def test_list_filters_by_name_institution_and_qualification(web_login, db):
    client = web_login("xianju")
    dangan = db.get(Practitioner, _practitioner_of(db, "dangan"))
    by_name = client.get("/staff", params={"q": dangan.name, "institution": _inst_id(db, "330521102-01")})
    assert dangan.id_number_masked in by_name.text
    other = client.get("/staff", params={"q": dangan.name, "qualification": "rural_doctor"})
    assert dangan.id_number_masked not in other.text
    assert client.get("/staff", params={"institution": "not-a-uuid", "qualification": "x"}).status_code == 200


def test_village_doctor_sees_no_management_buttons(web_login, db):
    client = web_login("cunyi")
    assert "新增人员" not in client.get("/staff").text
    detail = client.get(f"/staff/{_practitioner_of(db, 'cunyi')}")
    assert detail.status_code == 200
    for button in ("显示完整身份证号", "结束任职", "添加任职", "创建账号", "重置密码"):
        assert button not in detail.text
    assert client.get("/staff/new").status_code == 403
    assert client.get(f"/staff/{_practitioner_of(db, 'cunyi')}/edit").status_code == 403


def test_registering_shows_chinese_field_errors_and_saves_nothing(web_login, db):
    client = web_login("jigou")
    before = db.scalar(select(func.count()).select_from(Practitioner))
    number = _id_number()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    response = post_form(client, "/staff/new", _form(db, id_number=bad, role="county_manager"))
    assert response.status_code == 422
    assert "身份证号校验位不正确，请核对" in response.text
    assert "您不能授予“县卫健局管理员”角色" in response.text
    response = post_form(client, "/staff/new", _form(db, sex="2", name=""))
    assert response.status_code == 422
    assert 'id="e-name" class="field-error">此项' in response.text
    response = post_form(client, "/staff/new", _form(db, sex="2"))
    assert "性别与身份证号不一致" in response.text
    dangan_number = _plain(db, _practitioner_of(db, "dangan"))
    response = post_form(client, "/staff/new", _form(db, id_number=dangan_number))
    assert "该身份证号已登记" in response.text
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Practitioner)) == before


def test_registered_person_page_shows_only_the_masked_number_until_revealed(web_login, db):
    client = web_login("jigou")
    number = _id_number()
    created = post_form(client, "/staff/new", _form(db))
    assert created.status_code == 303
    url = created.headers["location"].split("?")[0]
    page = client.get(created.headers["location"])
    assert "已保存" in page.text and "周建国" in page.text
    assert 'name="csrf_token" value=""' not in page.text, "every form carries the session's CSRF token"
    assert page.text.count(f'value="{csrf_from(page.text)}"') >= 4  # logout, reveal, end membership, add, account
    assert number not in page.text and number[:6] + "********" + number[-4:] in page.text
    assert number not in client.get("/staff").text
    revealed = client.post(f"{url}/reveal", data={"csrf_token": csrf_from(page.text)})
    assert revealed.status_code == 200 and number in revealed.text
    assert revealed.headers["cache-control"] == "no-store"
    db.expire_all()
    assert db.scalar(
        select(AuditEvent).where(AuditEvent.action == "practitioner.reveal_id", AuditEvent.login == "jigou")
    )


def test_reveal_is_refused_to_non_managers(web_login, db):
    client = web_login("yisheng")
    url = f"/staff/{_practitioner_of(db, 'dangan')}"
    response = client.post(f"{url}/reveal", data={"csrf_token": csrf_from(client.get(url).text)})
    assert response.status_code == 403
    assert _plain(db, _practitioner_of(db, "dangan")) not in response.text


def test_posts_without_csrf_token_are_refused(web_login, db):
    client = web_login("jigou")
    url = f"/staff/{_practitioner_of(db, 'dangan')}/reveal"
    assert client.post(url, data={}).status_code == 403


def test_edit_page_saves_changes_and_shows_errors(web_login, db):
    client = web_login("jigou")
    url = f"/staff/{_practitioner_of(db, 'cunyi')}/edit"
    values = {"name": "", "phone": "abc", "qualification": "rural_doctor", "status": "active"}
    bad = post_form(client, url, values | {"licence_no": "", "practice_scope": ""})
    assert bad.status_code == 422 and 'id="e-name"' in bad.text and "格式不正确" in bad.text
    good = post_form(client, url, values | {"name": "沈乡医", "phone": "0572-8123456", "practice_scope": "全科"})
    assert good.status_code == 303
    assert "沈乡医" in client.get(good.headers["location"]).text


def test_ending_a_membership_on_the_page_keeps_it_in_the_history(web_login, db):
    client = web_login("jigou")
    cunyi_id = _practitioner_of(db, "cunyi")
    membership = db.scalar(select(Membership).where(Membership.practitioner_id == cunyi_id))
    url = f"/staff/{cunyi_id}"
    early = post_form(client, f"{url}/memberships/{membership.id}/end", {"valid_to": "2000-01-01"}, page_url=url)
    assert early.status_code == 422 and "结束日期不能早于开始日期" in early.text
    garbled = post_form(client, f"{url}/memberships/{membership.id}/end", {"valid_to": "2026-13-45"}, page_url=url)
    assert garbled.status_code == 422 and "请输入日期，格式为 YYYY-MM-DD" in garbled.text
    ended = post_form(client, f"{url}/memberships/{membership.id}/end", {"valid_to": ""}, page_url=url)
    assert ended.status_code == 303
    page = client.get(ended.headers["location"])
    assert "任职已结束" in page.text and "已结束" in page.text
    assert str(today_local() - timedelta(days=1)) in page.text
    db.expire_all()
    assert db.get(Membership, membership.id).valid_to == today_local() - timedelta(days=1)


def test_adding_a_membership_on_the_page_checks_the_role(web_login, db):
    client = web_login("jigou")
    url = f"/staff/{_practitioner_of(db, 'dangan')}"
    centre = _inst_id(db, "330521102-01")
    refused = post_form(client, f"{url}/memberships", {"institution_id": centre, "role": "system_admin"}, page_url=url)
    assert refused.status_code == 422 and "您不能授予“系统管理员”角色" in refused.text
    added = post_form(
        client,
        f"{url}/memberships",
        {"institution_id": centre, "role": "township_doctor", "valid_from": ""},
        page_url=url,
    )
    assert added.status_code == 303
    assert "乡镇/社区医生" in client.get(added.headers["location"]).text


def test_account_created_on_the_page_can_log_in(web_login, db):
    client = web_login("jigou")
    created = post_form(client, "/staff/new", _form(db))
    url = created.headers["location"].split("?")[0]
    page = client.get(url)
    assert "创建账号" in page.text
    weak = post_form(client, f"{url}/account", {"login": "Bad Login", "password": "x"}, page_url=url)
    assert weak.status_code == 422 and "格式不正确" in weak.text
    made = post_form(client, f"{url}/account", {"login": "zhoujg", "password": "Welcome2026"}, page_url=url)
    assert made.status_code == 303
    assert "zhoujg" in client.get(made.headers["location"]).text
    client.cookies.clear()
    assert login_through_form(client, "zhoujg", "Welcome2026").status_code == 303


def test_resetting_a_password_on_the_page_unlocks_a_locked_account(web_login, db, client):
    user = db.scalar(select(User).where(User.login == "cunyi"))
    user.locked_until = utcnow() + timedelta(minutes=15)
    db.flush()
    assert login_through_form(client, "cunyi", DEMO_PASSWORD).status_code == 423
    web_login("jigou")
    url = f"/staff/{_practitioner_of(db, 'cunyi')}"
    page = client.get(url)
    assert "已锁定" in page.text and "重置密码" in page.text
    mismatch = post_form(
        client, f"{url}/account/password", {"password": "Reset2026a", "confirm_password": "x"}, page_url=url
    )
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in mismatch.text
    reset = post_form(
        client, f"{url}/account/password", {"password": "Reset2026a", "confirm_password": "Reset2026a"}, page_url=url
    )
    assert reset.status_code == 303
    assert "密码已重置" in client.get(reset.headers["location"]).text
    client.cookies.clear()
    assert login_through_form(client, "cunyi", "Reset2026a").status_code == 303


def test_detail_page_never_prints_a_full_id_number_without_reveal(web_login, db):
    client = web_login("xianju")
    for login in ("cunyi", "dangan", "jigou"):
        practitioner_id = _practitioner_of(db, login)
        page = client.get(f"/staff/{practitioner_id}").text
        assert _plain(db, practitioner_id) not in page
        assert not re.search(r"\b\d{17}[\dX]\b", page)
