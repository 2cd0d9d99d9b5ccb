"""Small helpers for transport tests: CSRF tokens from pages, form login."""

from __future__ import annotations

import re
from typing import Any

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login_through_form(client: Any, login: str, password: str, next_url: str = "/") -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": login, "password": password, "next": next_url, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


def post_form(client: Any, url: str, data: dict[str, Any], *, page_url: str | None = None) -> Any:
    """Post a form the way a browser does: take the CSRF token from the page the form is on."""
    page = client.get(page_url or url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.text)}, follow_redirects=False)
