"""Who else needs to know when a record is closed, moves to another institution, or an institution hands all
its records to a successor. Layers above residents (programmes: episodes follow their record) subscribe
here; listeners run in the same transaction as the change."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from kangdang.access.actor import Actor


@dataclass(frozen=True)
class RecordEvent:
    kind: Literal["closed", "moved", "handed_over"]
    record_id: uuid.UUID | None = None  # closed, moved
    institution_id: uuid.UUID | None = None  # handed_over: the closing institution
    successor_id: uuid.UUID | None = None  # handed_over: the institution taking its records


RecordListener = Callable[[Session, Actor, RecordEvent], None]

_listeners: list[RecordListener] = []


def on_record_event(listener: RecordListener) -> RecordListener:
    """Subscribe (idempotent); usable as a decorator."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def publish(session: Session, actor: Actor, event: RecordEvent) -> None:
    for listener in list(_listeners):
        listener(session, actor, event)
