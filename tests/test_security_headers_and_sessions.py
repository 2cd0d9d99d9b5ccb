"""Transport-level protection: security headers, the idle timeout of browser sessions, sign-in rate limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from fastapi.testclient import TestClient

from kangdang.app import create_app
from kangdang.core.clock import utcnow
from kangdang.core.ratelimit import SlidingWindowLimiter
from kangdang.db.engine import build_sessionmaker
from tests.conftest import DEMO_PASSWORD
from tests.helpers import login_through_form


def test_pages_and_the_api_carry_security_headers(client: Any, web_login: Any) -> None:
    browser = web_login("cunyi")
    for response in (browser.get("/residents"), client.get("/login"), client.get("/api/v1/forms")):
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self';" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
    assert browser.get("/residents").headers["cache-control"] == "no-store"


def test_a_browser_session_ends_after_the_idle_timeout(web_login: Any) -> None:
    browser = web_login("cunyi")
    assert browser.get("/residents", follow_redirects=False).status_code == 200
    with time_machine.travel(utcnow() + timedelta(minutes=20)):
        assert browser.get("/residents", follow_redirects=False).status_code == 200  # used: still alive
    with time_machine.travel(utcnow() + timedelta(minutes=20 + 31)):
        response = browser.get("/residents", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_too_many_sign_in_attempts_from_one_address_get_429(db: Any, settings: Any) -> None:
    limited = settings.model_copy(update={"login_attempts_per_minute": 3})
    factory = build_sessionmaker(db.connection(), limited, join_transaction_mode="create_savepoint")
    app = create_app(limited, session_factory=factory)
    client = TestClient(app)
    for _ in range(3):
        assert login_through_form(client, "cunyi", "wrong-password").status_code == 401
    blocked = login_through_form(client, "cunyi", DEMO_PASSWORD)
    assert blocked.status_code == 429 and "登录尝试过于频繁" in blocked.text
    api = client.post("/api/v1/auth/token", json={"username": "cunyi", "password": DEMO_PASSWORD})
    assert api.status_code == 429 and api.json()["error"]["code"] == "too_many_attempts"


def test_the_limiter_forgets_attempts_older_than_its_window() -> None:
    limiter = SlidingWindowLimiter(2, window=60)
    assert limiter.allow("a", now=0) and limiter.allow("a", now=1)
    assert not limiter.allow("a", now=59) and limiter.allow("b", now=59)
    assert limiter.allow("a", now=61)
