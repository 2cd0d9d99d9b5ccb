"""The server keeps each user's actor briefly: the next request builds it with no query, a membership change is
seen at once, and a kept actor expires."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from kangdang.access.models import User
from kangdang.core.clock import today_local
from kangdang.institutions.actor_cache import ActorCache
from kangdang.institutions.models import Membership


def _user(db: Session, login: str) -> User:
    user = db.scalar(select(User).where(User.login == login))
    assert user is not None
    return user


def _queries(db: Session, work: Any) -> tuple[Any, int]:
    seen: list[str] = []
    connection = db.connection()

    def count(*_args: Any) -> None:
        seen.append("q")

    event.listen(connection, "before_cursor_execute", count)
    try:
        return work(), len(seen)
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_the_second_request_builds_the_actor_without_a_query(db: Session) -> None:
    cache, user = ActorCache(), _user(db, "yisheng")
    first, built = _queries(db, lambda: cache.actor(db, user, client_ip="10.0.0.1"))
    again, reused = _queries(db, lambda: cache.actor(db, user, client_ip="10.0.0.2"))
    assert built >= 3 and reused == 0
    assert again.client_ip == "10.0.0.2"
    assert (again.memberships, again.scope, again.name) == (first.memberships, first.scope, first.name)


def test_a_membership_ended_is_seen_by_the_next_request(db: Session) -> None:
    cache, user = ActorCache(), _user(db, "yisheng")
    assert cache.actor(db, user).memberships
    db.execute(
        update(Membership)
        .where(Membership.practitioner_id == user.practitioner_id)
        .values(valid_to=today_local() - timedelta(days=1))
    )
    assert cache.actor(db, user).memberships == ()


def test_a_membership_changed_through_the_orm_is_seen_too(db: Session) -> None:
    cache, user = ActorCache(), _user(db, "yisheng")
    assert cache.actor(db, user).memberships
    for membership in db.scalars(select(Membership).where(Membership.practitioner_id == user.practitioner_id)):
        membership.valid_to = today_local() - timedelta(days=1)
    db.flush()
    assert cache.actor(db, user).memberships == ()


def test_a_kept_actor_expires(db: Session) -> None:
    cache, user = ActorCache(ttl=0.0), _user(db, "yisheng")
    cache.actor(db, user)
    _, queries = _queries(db, lambda: cache.actor(db, user))
    assert queries >= 3
