"""Logging in and out, sessions and bearer tokens, lockout, and passwords."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.models import User, UserSession
from kangdang.access.passwords import hash_password, needs_rehash, password_problem, verify_password
from kangdang.core.clock import utcnow
from kangdang.core.errors import AccountLocked, DomainError, FieldError, InvalidInput, NotAuthenticated
from kangdang.db.engine import settings_of

WRONG_CREDENTIALS = "用户名或密码错误"
SESSION_KINDS = ("web", "api")
IDLE_RESOLUTION = timedelta(minutes=1)  # how often a live browser session records that it was used


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt. A failure still has writes (counters, audit) to commit."""

    user: User | None = None
    token: str | None = None
    user_session: UserSession | None = None
    error: DomainError | None = None

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error


def log_in(session: Session, *, login: str, password: str, kind: str, client_ip: str | None = None) -> LoginOutcome:
    """Check a login name and password; on success open a session (web) or issue a token (api).

    Failures are counted; ``login_max_failures`` in a row lock the account for ``login_lockout_minutes``.
    The caller commits whatever the outcome, then raises ``outcome.error`` if there is one.
    """
    if kind not in SESSION_KINDS:
        raise ValueError(kind)
    settings = settings_of(session)
    login = login.strip()
    now = utcnow()
    user = session.scalar(select(User).where(User.login == login)) if login else None

    if user is not None and user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        record_event(session, None, "login.locked", login=login, user_id=user.id, client_ip=client_ip)
        return LoginOutcome(error=AccountLocked(f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试"))

    if user is None or not verify_password(user.password_hash if user else None, password):
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
                user.failed_logins = 0
                record_event(session, None, "login.lockout", login=login, user_id=user.id, client_ip=client_ip)
        record_event(
            session,
            None,
            "login.failure",
            login=login[:64] or None,
            user_id=user.id if user else None,
            client_ip=client_ip,
        )
        session.flush()
        if user is not None and user.locked_until is not None and user.locked_until > now:
            return LoginOutcome(
                error=AccountLocked(f"登录失败次数过多，账号已锁定 {settings.login_lockout_minutes} 分钟，请稍后再试")
            )
        return LoginOutcome(error=NotAuthenticated(WRONG_CREDENTIALS))

    if not user.is_active:
        record_event(session, None, "login.inactive", login=login, user_id=user.id, client_ip=client_ip)
        return LoginOutcome(error=NotAuthenticated("该账号已停用，请联系机构管理员"))

    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token, user_session = open_session(session, user, kind=kind, client_ip=client_ip)
    record_event(session, None, f"login.{kind}", login=user.login, user_id=user.id, client_ip=client_ip)
    session.flush()
    return LoginOutcome(user=user, token=token, user_session=user_session)


def open_session(session: Session, user: User, *, kind: str, client_ip: str | None = None) -> tuple[str, UserSession]:
    settings = settings_of(session)
    hours = settings.session_hours if kind == "web" else settings.token_hours
    raw = secrets.token_urlsafe(32)
    user_session = UserSession(
        token_hash=_token_hash(raw),
        user_id=user.id,
        kind=kind,
        csrf_token=secrets.token_urlsafe(32) if kind == "web" else None,
        expires_at=utcnow() + timedelta(hours=hours),
        client_ip=client_ip,
    )
    session.add(user_session)
    session.flush()
    return raw, user_session


def resolve_session(session: Session, raw_token: str, *, kind: str) -> tuple[User, UserSession] | None:
    """The live session or token behind a raw value, or None (unknown, expired, revoked, inactive)."""
    if not raw_token:
        return None
    row = session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _token_hash(raw_token), UserSession.kind == kind)
    ).first()
    if row is None:
        return None
    user, user_session = row
    now = utcnow()
    if user_session.revoked_at is not None or user_session.expires_at <= now or not user.is_active:
        return None
    if kind == "web":
        idle = timedelta(minutes=settings_of(session).idle_minutes)
        seen = user_session.last_seen_at or user_session.created_at
        if now - seen > idle:
            user_session.revoked_at = now  # idle too long: the next request must sign in again
            session.flush()
            return None
        if now - seen > IDLE_RESOLUTION:  # one small write a minute at most, not one per request
            user_session.last_seen_at = now
            session.flush()
    return user, user_session


def log_out(session: Session, actor: Actor) -> None:
    if actor.session_id is not None:
        session.execute(
            update(UserSession)
            .where(UserSession.id == actor.session_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    record_event(session, actor, "logout")


def change_password(session: Session, actor: Actor, *, current_password: str, new_password: str) -> None:
    """The actor changes their own password; their other sessions and tokens are revoked."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotAuthenticated()
    errors: list[FieldError] = []
    if not verify_password(user.password_hash, current_password):
        errors.append(FieldError("current_password", "当前密码不正确"))
    problem = password_problem(new_password, settings_of(session).password_min_length)
    if problem:
        errors.append(FieldError("new_password", problem))
    elif new_password == current_password:
        errors.append(FieldError("new_password", "新密码不能与当前密码相同"))
    if errors:
        raise InvalidInput("密码未修改", errors=errors)
    _store_password(session, user, new_password, keep_session=actor.session_id)
    record_event(session, actor, "password.change", subject_type="user", subject_id=user.id)


def reset_password(session: Session, actor: Actor | None, *, login: str, new_password: str) -> User:
    """Set a user's password (administrators, or the CLI with no actor); unlocks the account."""
    user = session.scalar(select(User).where(User.login == login.strip()))
    if user is None:
        raise InvalidInput(errors=[FieldError("login", f"用户“{login}”不存在")])
    problem = password_problem(new_password, settings_of(session).password_min_length)
    if problem:
        raise InvalidInput(errors=[FieldError("password", problem)])
    _store_password(session, user, new_password, keep_session=None)
    user.failed_logins = 0
    user.locked_until = None
    record_event(
        session, actor, "password.reset", subject_type="user", subject_id=user.id, login=None if actor else "system"
    )
    return user


def _store_password(session: Session, user: User, password: str, *, keep_session: object) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    stmt = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep_session is not None:
        stmt = stmt.where(UserSession.id != keep_session)
    session.execute(stmt.values(revoked_at=utcnow()))
    session.flush()
