"""What a schedule is computed from and what it yields; pure data, no database.

A planner gets one episode (``EpisodeFacts``) and the resident's signed programme forms (``FormFact``,
oldest first) and returns a ``Plan``: every task of the episode so far — done ones with the form that did
them, open ones with their window — and, when a form or the calendar ends the episode, its ``Closing``.
Planners never look at today's date: what is overdue is decided when a list is shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class EpisodeFacts:
    programme: str
    enrolled_on: date
    birth_date: date
    sex: str
    details: dict[str, Any] = field(default_factory=dict)
    # the resident's other active programmes (the yearly health check is planned by one of them only)
    other_programmes: frozenset[str] = frozenset()
    # the day the plan is made for: yearly services roll over to this year's (never read from the clock)
    as_of: date | None = None

    def detail_date(self, key: str) -> date | None:
        return parse_date(self.details.get(key))


@dataclass(frozen=True)
class FormFact:
    """A signed (completed) form of the resident: answers as stored (dates as ISO text)."""

    id: uuid.UUID
    form_code: str
    service_date: date
    answers: dict[str, Any]

    def date_answer(self, key: str) -> date | None:
        return parse_date(self.answers.get(key))

    def code(self, key: str) -> str | None:
        value = self.answers.get(key)
        return None if value is None else str(value)


@dataclass(frozen=True)
class PlannedTask:
    key: str
    title: str
    form_code: str
    opens_on: date
    due_on: date
    expires_on: date | None = None
    urgency: str = "routine"
    note: str | None = None
    preset: dict[str, Any] = field(default_factory=dict)
    done_form_id: uuid.UUID | None = None
    done_on: date | None = None

    @property
    def status(self) -> str:
        return "done" if self.done_form_id is not None else "open"

    def status_on(self, today: date) -> str:
        """As stored on ``today``: a task whose window closed without its visit is "expired" (已过期, a missed
        visit), so that the open ones — what a worklist reads — are only those that can still be done."""
        if self.status == "open" and self.expires_on is not None and self.expires_on <= today:
            return "expired"
        return self.status


@dataclass(frozen=True)
class Closing:
    on: date
    outcome: str
    note: str | None = None


@dataclass(frozen=True)
class Plan:
    tasks: list[PlannedTask]
    closing: Closing | None = None


Planner = Callable[[EpisodeFacts, Sequence[FormFact]], Plan]


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def of_form(forms: Iterable[FormFact], *codes: str, since: date | None = None) -> list[FormFact]:
    """The forms of these codes (on or after ``since``), oldest first."""
    return [f for f in forms if f.form_code in codes and (since is None or f.service_date >= since)]


def first_in(
    forms: Sequence[FormFact],
    claimed: set[uuid.UUID],
    *,
    on_or_after: date | None = None,
    before: date | None = None,
    where: Callable[[FormFact], bool] | None = None,
) -> FormFact | None:
    """The oldest unclaimed form in the range that passes ``where``; it is then claimed."""
    for form in forms:
        if form.id in claimed:
            continue
        if on_or_after is not None and form.service_date < on_or_after:
            continue
        if before is not None and form.service_date >= before:
            continue
        if where is not None and not where(form):
            continue
        claimed.add(form.id)
        return form
    return None


def done(task: PlannedTask, form: FormFact | None) -> PlannedTask:
    """The task, marked done by the form (unchanged when there is none)."""
    if form is None:
        return task
    # a copy with the two fields set, made as ``copy.copy`` makes one: ``dataclasses.replace`` would run the
    # frozen class's ``__init__`` again, at six times the cost (a county's plans mark millions of tasks done)
    marked = object.__new__(PlannedTask)
    marked.__dict__.update(task.__dict__, done_form_id=form.id, done_on=form.service_date)
    return marked


def window_before(due: date, days: int, floor: date) -> date:
    """The day a window of ``days`` before ``due`` opens, but not before ``floor``."""
    return max(due - timedelta(days=days), min(floor, due))
