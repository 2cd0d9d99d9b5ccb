"""Schedules that repeat: a follow-up chain (each visit sets the next due date) and a yearly series."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from kangdang.programmes.schedule.types import EpisodeFacts, FormFact, PlannedTask, done, window_before
from kangdang.records.context import add_months

FIRST_VISIT_DAYS = 14  # a newly enrolled patient is seen within 2 weeks of enrolment
YEARLY_FIRST_DAYS = 90  # the first yearly service after enrolment falls within 3 months
YEARLY_WINDOW_DAYS = 30  # a yearly service shows as due from a month before its anniversary
MAX_YEARS = 120  # a bound on the yearly series (a lifetime)


@dataclass(frozen=True)
class NextVisit:
    """When the next visit is due after a form, how pressing it is and why."""

    opens_on: date
    due_on: date
    urgency: str = "routine"
    note: str | None = None


def booked(form: FormFact, rule_due: date) -> date:
    """The doctor's 下次随访日期 when it is earlier than the rule's latest date (never later)."""
    written = form.date_answer("next_visit_date")
    if written is not None and form.service_date < written < rule_due:
        return written
    return rule_due


def followup_chain(
    facts: EpisodeFacts,
    visits: Sequence[FormFact],
    *,
    title: str,
    form_code: str,
    next_after: Callable[[FormFact], NextVisit],
    key: str = "followup",
    first_note: str = "纳入管理后首次随访",
) -> list[PlannedTask]:
    """Tasks ``key:1``, ``key:2``, …: each done by the next visit form, each next one set by the last visit.

    The first is due within two weeks of enrolment, unless a visit before enrolment already set a later date.
    """
    before = [v for v in visits if v.service_date < facts.enrolled_on]
    after = [v for v in visits if v.service_date >= facts.enrolled_on]
    first = NextVisit(facts.enrolled_on, facts.enrolled_on + timedelta(days=FIRST_VISIT_DAYS), note=first_note)
    if before:
        carried = next_after(before[-1])
        if carried.due_on >= first.due_on:
            first = NextVisit(max(carried.opens_on, facts.enrolled_on), carried.due_on, carried.urgency, carried.note)
    tasks: list[PlannedTask] = []
    upcoming = first
    for number, visit in enumerate([*after, None], start=1):
        task = PlannedTask(
            key=f"{key}:{number}",
            title=title,
            form_code=form_code,
            opens_on=min(upcoming.opens_on, upcoming.due_on),
            due_on=upcoming.due_on,
            urgency=upcoming.urgency,
            note=upcoming.note,
        )
        tasks.append(done(task, visit))
        if visit is not None:
            upcoming = next_after(visit)
    return tasks


def yearly_series(
    facts: EpisodeFacts, forms: Sequence[FormFact], *, key: str, title: str, form_code: str
) -> list[PlannedTask]:
    """A service once a year: the first within 3 months of enrolment (or a year after one done in the year
    before enrolment), then a year after each one done; due from a month before.

    A year's service that was not done expires when the next year's window opens, and the next year's task
    takes its place — up to the day the plan is made for (``facts.as_of``; without it the series stops at the
    first task not done). So a resident missed for years shows one task, this year's, not one overdue since.
    """
    mine = [f for f in forms if f.form_code == form_code]
    recent = [f for f in mine if add_months(facts.enrolled_on, -12) < f.service_date < facts.enrolled_on]
    if recent:
        due = add_months(recent[-1].service_date, 12)
        opens = window_before(due, YEARLY_WINDOW_DAYS, facts.enrolled_on)
    else:
        opens, due = facts.enrolled_on, facts.enrolled_on + timedelta(days=YEARLY_FIRST_DAYS)
    tasks: list[PlannedTask] = []
    pending = [f for f in mine if f.service_date >= facts.enrolled_on]
    for number in range(1, MAX_YEARS + 1):
        expires = add_months(due, 12) - timedelta(days=YEARLY_WINDOW_DAYS)
        form = pending.pop(0) if pending and pending[0].service_date < expires else None
        task = PlannedTask(
            key=f"{key}:{number}", title=title, form_code=form_code, opens_on=opens, due_on=due, expires_on=expires
        )
        tasks.append(done(task, form))
        if form is not None:
            due = add_months(form.service_date, 12)
            opens = due - timedelta(days=YEARLY_WINDOW_DAYS)
        elif facts.as_of is not None and expires <= facts.as_of:
            opens, due = expires, add_months(due, 12)
        else:
            break
    return tasks


# The yearly health check (健康体检) of a resident in several programmes is planned once, by the first of these.
ANNUAL_EXAM_ORDER = ("elderly", "hypertension", "diabetes", "mental")


def plans_annual_exam(facts: EpisodeFacts) -> bool:
    if facts.programme not in ANNUAL_EXAM_ORDER:
        return False
    higher = ANNUAL_EXAM_ORDER[: ANNUAL_EXAM_ORDER.index(facts.programme)]
    return not any(p in facts.other_programmes for p in higher)


def annual_exam(facts: EpisodeFacts, forms: Sequence[FormFact]) -> list[PlannedTask]:
    if not plans_annual_exam(facts):
        return []
    return yearly_series(facts, forms, key="exam", title="年度健康体检", form_code="health_examination")
