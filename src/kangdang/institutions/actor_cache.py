"""The acting user's roles and scope, kept briefly between their requests.

Building an actor takes four queries (practitioner, memberships, supervised institutions, catchment villages)
on every request, more than a lookup by ID number itself. The server keeps each user's actor for
``TTL_SECONDS`` of the same day. What is checked on every request stays uncached: the session or token (signed
out, expired, revoked) and whether the account is active (``access.auth.resolve_session``). Any change this
process flushes to a membership, catchment, institution, practitioner or account drops every kept actor at
once; a change made by another process is seen within ``TTL_SECONDS``.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from kangdang.access.actor import Actor
from kangdang.access.models import User
from kangdang.core.clock import today_local
from kangdang.institutions.actors import load_actor
from kangdang.institutions.models import Catchment, Institution, Membership, Practitioner

TTL_SECONDS = 30.0
_SOURCES = (Membership, Catchment, Institution, Practitioner, User)


class _Generation:
    """Bumped whenever what an actor is built from changes in this process; kept actors of older ones are void."""

    value = 0

    @classmethod
    def bump(cls) -> None:
        cls.value += 1


@dataclass(frozen=True)
class _Kept:
    actor: Actor
    day: date
    at: float
    generation: int


class ActorCache:
    """One per application (``app.state.actors``)."""

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._kept: dict[uuid.UUID, _Kept] = {}
        self._lock = threading.Lock()

    def actor(
        self, session: Session, user: User, *, session_id: uuid.UUID | None = None, client_ip: str | None = None
    ) -> Actor:
        today, now, generation = today_local(), time.monotonic(), _Generation.value
        kept = self._kept.get(user.id)
        if kept and kept.day == today and kept.generation == generation and now - kept.at < self.ttl:
            return replace(kept.actor, session_id=session_id, client_ip=client_ip)
        actor = load_actor(session, user, session_id=session_id, client_ip=client_ip)
        with self._lock:
            self._kept[user.id] = _Kept(actor, today, now, generation)
        return actor


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: Any) -> None:
    if any(isinstance(obj, _SOURCES) for obj in chain(session.new, session.dirty, session.deleted)):
        _Generation.bump()


@event.listens_for(Session, "do_orm_execute")
def _bulk_change(state: ORMExecuteState) -> None:
    writes = state.is_update or state.is_delete or state.is_insert
    if writes and state.bind_mapper is not None and state.bind_mapper.class_ in _SOURCES:
        _Generation.bump()


@event.listens_for(Session, "after_rollback")
def _after_rollback(_session: Session) -> None:
    _Generation.bump()  # an actor may have been built from changes now undone
