"""The tamper-evident audit chain: every audit event gets a position and a hash linking it to the previous one.

Events are inserted as they happen (``access.audit.record_event``); when the transaction commits, the
session's new events are chained in one short step: the chain head row is updated first (which locks it —
a row lock on PostgreSQL, the write lock on SQLite), then each event gets ``seq``, ``prev_hash`` and
``hash = sha256(prev_hash + canonical content)``. Requests therefore run concurrently and only their
commits queue, briefly. ``verify_chain`` recomputes everything and names the first altered, missing or
reordered event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kangdang.access.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
PENDING_KEY = "kangdang.audit.pending"


def content_hash(event: AuditEvent, prev_hash: str) -> str:
    at = event.at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    body = {
        "seq": event.seq,
        "id": str(event.id),
        "at": at,
        "user_id": str(event.user_id) if event.user_id else None,
        "login": event.login,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "client_ip": event.client_ip,
        "details": event.details,
    }
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def remember_pending(session: Session, event: AuditEvent) -> None:
    session.info.setdefault(PENDING_KEY, []).append(event)


def forget_pending(session: Session, *_args: Any) -> None:
    """After a rollback the session's events are gone with it: nothing left to chain."""
    session.info.pop(PENDING_KEY, None)


def chain_pending(session: Session) -> int:
    """Chain the events this session added (called just before commit). Returns how many were chained."""
    pending: list[AuditEvent] = [e for e in session.info.pop(PENDING_KEY, []) if e.seq is None and e in session]
    return _chain(session, pending)


def seal_unchained(session: Session) -> int:
    """Chain events that have none yet, oldest first (used once, when the chain was introduced)."""
    events = list(
        session.scalars(select(AuditEvent).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.at, AuditEvent.id))
    )
    return _chain(session, events)


def _chain(session: Session, pending: list[AuditEvent]) -> int:
    if not pending:
        return 0
    session.flush()
    if session.get(AuditChainHead, 1) is None:
        session.add(AuditChainHead(id=1, last_seq=0, last_hash=GENESIS))
        session.flush()
    # Claim the numbers first: this UPDATE takes the lock that orders concurrent commits.
    end = session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(last_seq=AuditChainHead.last_seq + len(pending))
        .returning(AuditChainHead.last_seq)
    ).scalar_one()
    head = session.execute(select(AuditChainHead.last_hash).where(AuditChainHead.id == 1)).scalar_one()
    seq, prev = int(end) - len(pending), head
    for event in sorted(pending, key=lambda e: (e.at, e.id)):
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = content_hash(event, prev)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=prev))
    session.flush()
    return len(pending)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None  # the first position where the chain no longer holds
    reason: str | None
    unchained: int  # events never chained (written outside the application)

    @property
    def intact(self) -> bool:
        return self.broken_seq is None and self.unchained == 0


def _events(session: Session, batch: int = 5_000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(
            session.scalars(select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch))
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq or last
        session.expunge_all()


def verify_chain(session: Session, *, progress: Any = None) -> ChainReport:
    """Recompute the chain from the first event; report the first altered, missing or reordered one."""
    expected_seq, prev, checked = 1, GENESIS, 0
    for event in _events(session):
        if event.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"第 {expected_seq} 条审计记录缺失（被删除或顺序被改动）", 0)
        if event.prev_hash != prev:
            return ChainReport(checked, event.seq, f"第 {event.seq} 条审计记录与前一条的链接被改动", 0)
        if content_hash(event, prev) != event.hash:
            return ChainReport(checked, event.seq, f"第 {event.seq} 条审计记录的内容被改动", 0)
        prev, expected_seq, checked = event.hash or "", expected_seq + 1, checked + 1
        if progress is not None:
            progress(1)
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return ChainReport(checked, checked + 1, f"链尾记录（第 {head.last_seq} 条）之后的审计记录缺失", 0)
    unchained = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))) or 0
    return ChainReport(checked, None, None, unchained)
