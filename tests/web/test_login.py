"""Login, lockout, logout and password change through the pages."""

from __future__ import annotations

from sqlalchemy import select

from kangdang.access.models import AuditEvent, User
from tests.conftest import DEMO_PASSWORD
from tests.helpers import csrf_from, login_through_form, post_form


def test_wrong_password_shows_a_chinese_message_and_is_audited(client, db):
    response = login_through_form(client, "cunyi", "wrong-password-1")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    db.expire_all()
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "login.failure", AuditEvent.login == "cunyi")
    ).all()
    assert len(events) == 1


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, db, settings):
    for _ in range(settings.login_max_failures):
        login_through_form(client, "cunyi", "wrong-password-1")
    response = login_through_form(client, "cunyi", DEMO_PASSWORD)
    assert response.status_code == 423
    assert "锁定" in response.text
    db.expire_all()
    user = db.scalar(select(User).where(User.login == "cunyi"))
    assert user is not None and user.locked_until is not None


def test_login_without_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"username": "cunyi", "password": DEMO_PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert "页面已过期" in response.text


def test_pages_redirect_to_login_and_back(client):
    response = client.get("/institutions?q=卫生", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    response = login_through_form(client, "dangan", DEMO_PASSWORD, next_url="/institutions")
    assert response.headers["location"] == "/institutions"


def test_login_never_redirects_off_site(client):
    response = login_through_form(client, "dangan", DEMO_PASSWORD, next_url="//evil.example/")
    assert response.headers["location"] == "/"


def test_logout_ends_the_session(web_login):
    client = web_login("dangan")
    home = client.get("/")
    response = client.post("/logout", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_password_change_checks_the_current_password_and_the_rules(web_login):
    client = web_login("yisheng")
    bad = post_form(
        client, "/account/password", {"current_password": "nope", "new_password": "short", "confirm_password": "short"}
    )
    assert bad.status_code == 422
    assert "当前密码不正确" in bad.text and "至少" in bad.text
    good = post_form(
        client,
        "/account/password",
        {
            "current_password": DEMO_PASSWORD,
            "new_password": "NewPass2027",
            "confirm_password": "NewPass2027",
        },
    )
    assert good.status_code == 200 and "密码已修改" in good.text
    client.cookies.clear()
    assert login_through_form(client, "yisheng", "NewPass2027").status_code == 303
