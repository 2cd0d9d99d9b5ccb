"""What every page needs: the request's unit of work, the signed-in actor, CSRF checks, templates."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.responses import Response

from kangdang.access.actor import Actor
from kangdang.access.auth import resolve_session
from kangdang.access.crypto import mask_phone
from kangdang.core.clock import to_local, today_local
from kangdang.db.uow import READ_METHODS, transaction
from kangdang.web import labels
from kangdang.web.nav import navigation

SESSION_COOKIE = "kd_session"
CSRF_COOKIE = "kd_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(labels=labels.GLOBALS)
templates.env.filters["masked_phone"] = mask_phone  # lists and read-only views show 138****5678
templates.env.filters["local"] = lambda value, fmt="%Y-%m-%d %H:%M": to_local(value).strftime(fmt) if value else ""  # type: ignore[union-attr]


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class CsrfFailed(Exception):
    pass


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed when the route returns (before the response is sent)."""
    with transaction(request.app.state.session_factory, reads_first=request.method in READ_METHODS) as session:
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def optional_actor(request: Request, session: DbSession) -> Actor | None:
    raw = request.cookies.get(SESSION_COOKIE, "")
    found = resolve_session(session, raw, kind="web") if raw else None
    if found is None:
        return None
    user, user_session = found
    actor: Actor = request.app.state.actors.actor(
        session, user, session_id=user_session.id, client_ip=client_ip(request)
    )
    request.state.actor = actor
    request.state.csrf_token = user_session.csrf_token
    return actor


def current_actor(request: Request, actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def verify_csrf(request: Request, _actor: Annotated[Actor | None, Depends(optional_actor)]) -> None:
    """Every state-changing form carries the session's CSRF token (field or htmx header).

    Signed in, the token is the session's; on the login form it is the ``kd_csrf`` cookie's.
    """
    expected = getattr(request.state, "csrf_token", None) or request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfFailed()


CsrfChecked = Depends(verify_csrf)


def login_url(next_url: str) -> str:
    return f"/login?next={quote(next_url, safe='')}"


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> Response:
    actor: Actor | None = getattr(request.state, "actor", None)
    base: dict[str, Any] = {
        "actor": actor,
        "nav": navigation(actor, request.url.path) if actor else [],
        "csrf_token": getattr(request.state, "csrf_token", None) or request.cookies.get(CSRF_COOKIE, ""),
        "today": today_local(),
        "is_htmx": request.headers.get("hx-request") == "true",
    }
    base.update(context or {})
    return templates.TemplateResponse(request, template, base, status_code=status_code)


def new_csrf_cookie_value() -> str:
    return secrets.token_urlsafe(32)
