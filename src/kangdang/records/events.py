"""Who else needs to know when a form is signed, amended or withdrawn.

Layers above records (programmes: tasks and episodes) subscribe here, so that records never imports them;
listeners run inside the same transaction as the change, and an error in one rolls the change back.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from kangdang.records.models import ServiceRecord

FormListener = Callable[[Session, ServiceRecord], None]

_listeners: list[FormListener] = []


def on_form_change(listener: FormListener) -> FormListener:
    """Subscribe (idempotent); usable as a decorator."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def form_changed(session: Session, row: ServiceRecord) -> None:
    """Tell every listener that this form was signed, amended or withdrawn (after the change is flushed)."""
    for listener in list(_listeners):
        listener(session, row)
