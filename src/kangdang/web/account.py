"""Login, logout and password change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.auth import change_password, log_in, log_out
from kangdang.core.errors import InvalidInput, TooManyAttempts
from kangdang.web.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    CurrentActor,
    DbSession,
    client_ip,
    new_csrf_cookie_value,
    optional_actor,
    render,
)
from kangdang.web.forms import errors_of

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, actor: Annotated[Actor | None, Depends(optional_actor)], next: str = "/") -> Response:
    if actor is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    token = request.cookies.get(CSRF_COOKIE) or new_csrf_cookie_value()
    request.state.csrf_token = token
    response = render(request, "account/login.html", {"next": _safe_next(next), "values": {}, "error": None})
    _set_csrf_cookie(request, response, token)
    return response


def _set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    secure = request.app.state.settings.cookie_secure
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")


@router.post("/login", dependencies=[CsrfChecked])
def login_submit(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    if not username.strip() or not password:
        return render(
            request,
            "account/login.html",
            {"next": _safe_next(next), "values": {"username": username}, "error": "请输入用户名和密码"},
            status_code=400,
        )
    if not request.app.state.login_limiter.allow(client_ip(request) or "unknown"):
        raise TooManyAttempts()
    outcome = log_in(session, login=username, password=password, kind="web", client_ip=client_ip(request))
    if outcome.error is not None:
        # Render (not raise) so the failure count and the audit event are committed with the request.
        return render(
            request,
            "account/login.html",
            {"next": _safe_next(next), "values": {"username": username}, "error": outcome.error.message},
            status_code=outcome.error.status_code,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        outcome.token or "",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_hours * 3600,
        path="/",
    )
    _set_csrf_cookie(request, response, new_csrf_cookie_value())
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(session: DbSession, actor: CurrentActor) -> Response:
    log_out(session, actor)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password")
def password_page(request: Request, actor: CurrentActor) -> Response:
    return render(request, "account/password.html", {"errors": {}, "done": False, "page_title": "修改密码"})


@router.post("/account/password", dependencies=[CsrfChecked])
def password_submit(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    confirm_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors = {"__message__": "密码未修改", "confirm_password": "两次输入的新密码不一致"}
    else:
        try:
            change_password(session, actor, current_password=current_password, new_password=new_password)
        except InvalidInput as error:
            errors = errors_of(error)
    if errors:
        return render(
            request,
            "account/password.html",
            {"errors": errors, "done": False, "page_title": "修改密码"},
            status_code=422,
        )
    return render(request, "account/password.html", {"errors": {}, "done": True, "page_title": "修改密码"})
