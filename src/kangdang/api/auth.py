"""Tokens for API clients, the caller's identity, and password change."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kangdang.access.auth import change_password, log_in, log_out
from kangdang.api.deps import CurrentActor, DbSession, client_ip
from kangdang.api.errors import error_body
from kangdang.api.schemas import ERROR_RESPONSES
from kangdang.core.errors import TooManyAttempts

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime


class MembershipOut(BaseModel):
    institution_id: uuid.UUID
    institution_name: str
    role: str
    role_label: str


class MeOut(BaseModel):
    user_id: uuid.UUID
    login: str
    name: str
    practitioner_id: uuid.UUID | None
    roles: list[str]
    memberships: list[MembershipOut]
    scope_region_prefixes: list[str]
    scope_village_count: int


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


@router.post("/token", response_model=TokenOut, summary="Exchange a user name and password for a bearer token")
def issue_token(body: TokenRequest, request: Request, session: DbSession) -> TokenOut | JSONResponse:
    if not request.app.state.login_limiter.allow(client_ip(request) or "unknown"):
        raise TooManyAttempts()
    outcome = log_in(session, login=body.username, password=body.password, kind="api", client_ip=client_ip(request))
    if outcome.error is not None:
        # Returned, not raised: the failure counter and the audit event must be committed.
        return JSONResponse(
            error_body(outcome.error.code, outcome.error.message),
            status_code=outcome.error.status_code,
            headers={"WWW-Authenticate": "Bearer"},
        )
    assert outcome.token is not None and outcome.user_session is not None
    return TokenOut(access_token=outcome.token, expires_at=outcome.user_session.expires_at)


@router.post("/logout", status_code=204, summary="Revoke the token in use")
def revoke_token(session: DbSession, actor: CurrentActor) -> None:
    log_out(session, actor)


@router.get("/me", response_model=MeOut, summary="The caller: roles, memberships and scope")
def me(actor: CurrentActor) -> MeOut:
    return MeOut(
        user_id=actor.user_id,
        login=actor.login,
        name=actor.name,
        practitioner_id=actor.practitioner_id,
        roles=sorted(r.value for r in actor.roles),
        memberships=[
            MembershipOut(
                institution_id=m.institution_id,
                institution_name=m.institution_name,
                role=m.role.value,
                role_label=m.role.label,
            )
            for m in actor.memberships
        ],
        scope_region_prefixes=list(actor.scope.region_prefixes),
        scope_village_count=len(actor.scope.village_codes),
    )


@router.post("/password", status_code=204, summary="Change the caller's password (other tokens are revoked)")
def password(body: PasswordChange, session: DbSession, actor: CurrentActor) -> None:
    change_password(session, actor, current_password=body.current_password, new_password=body.new_password)
