"""Small helpers for transport tests: CSRF tokens from pages, form login."""

from __future__ import annotations

import re
from typing import Any

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_from(html: str) -> str:
    """The page's CSRF token; every form on the page must carry the same, non-empty one."""
    tokens = set(CSRF_RE.findall(html))
    assert tokens, "page has no CSRF token"
    assert "" not in tokens, "a form on the page has an empty CSRF token"
    assert len(tokens) == 1, "forms on the page carry different CSRF tokens"
    return tokens.pop()


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
