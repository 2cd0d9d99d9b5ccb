"""What every API route needs: the request's unit of work and the actor behind the bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.auth import resolve_session
from kangdang.core.errors import NotAuthenticated
from kangdang.core.pagination import MAX_PAGE_SIZE, PageRequest
from kangdang.db.uow import READ_METHODS, transaction

bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/token")


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed when the route returns (before the response is sent)."""
    with transaction(request.app.state.session_factory, reads_first=request.method in READ_METHODS) as session:
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_actor(
    request: Request, session: DbSession, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("缺少访问令牌：请先调用 POST /api/v1/auth/token")
    found = resolve_session(session, credentials.credentials, kind="api")
    if found is None:
        raise NotAuthenticated("访问令牌无效或已过期")
    user, token = found
    return request.app.state.actors.actor(session, user, session_id=token.id, client_ip=client_ip(request))


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def page_request(  # async: pure, so FastAPI need not hand it to a worker thread
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")] = 50,
) -> PageRequest:
    return PageRequest(page=page, size=size)


Paging = Annotated[PageRequest, Depends(page_request)]
