"""65岁及以上老年人 schedule (pure planner): three yearly series — the health check (健康体检), the
self-care assessment (生活自理能力评估) and the TCM service (中医药健康管理) — with dates worked out by hand.

Enrolment on Tuesday 2 March 2027; 12 months before is 2 March 2026.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from kangdang.programmes.schedule import EpisodeFacts, FormFact, plan
from kangdang.programmes.schedule.types import PlannedTask

ENROLLED = date(2027, 3, 2)
SERIES = {"exam": "health_examination", "selfcare": "elderly_selfcare", "tcm": "elderly_tcm"}


def facts(enrolled: date = ENROLLED) -> EpisodeFacts:
    return EpisodeFacts("elderly", enrolled, date(1958, 8, 8), "2")


def form(code: str, day: date) -> FormFact:
    return FormFact(uuid.uuid4(), code, day, {"visit_date": day.isoformat()})


def task(tasks: list[PlannedTask], key: str) -> PlannedTask:
    [found] = [t for t in tasks if t.key == key]
    return found


def dates(t: PlannedTask) -> tuple[date, date]:
    return t.opens_on, t.due_on


def test_each_yearly_service_is_first_due_within_three_months_of_enrolment() -> None:
    tasks = plan(facts(), []).tasks
    assert [(t.key, t.title, t.form_code) for t in tasks] == [
        ("exam:1", "年度健康体检", "health_examination"),
        ("selfcare:1", "老年人生活自理能力评估", "elderly_selfcare"),
        ("tcm:1", "老年人中医药健康管理", "elderly_tcm"),
    ]
    # 2 March + 90 days = 31 May
    assert {dates(t) for t in tasks} == {(date(2027, 3, 2), date(2027, 5, 31))}


@pytest.mark.parametrize(
    ("done", "opens", "due"),
    [
        (date(2026, 6, 15), date(2027, 5, 16), date(2027, 6, 15)),  # anniversary 15 June, shown 30 days before
        (date(2026, 9, 30), date(2027, 8, 31), date(2027, 9, 30)),
        (date(2026, 3, 20), date(2027, 3, 2), date(2027, 3, 20)),  # the window opens no earlier than enrolment
        (date(2026, 3, 2), date(2027, 3, 2), date(2027, 5, 31)),  # exactly 12 months before: too old, 90 days
        (date(2025, 12, 1), date(2027, 3, 2), date(2027, 5, 31)),
    ],
)
@pytest.mark.parametrize("key", sorted(SERIES))
def test_a_service_in_the_year_before_enrolment_sets_the_first_at_its_anniversary(
    key: str, done: date, opens: date, due: date
) -> None:
    earlier = form(SERIES[key], done)
    first = task(plan(facts(), [earlier]).tasks, f"{key}:1")
    assert dates(first) == (opens, due)
    assert first.done_form_id is None


def test_later_services_are_due_a_year_after_the_last_one() -> None:
    selfcare = form("elderly_selfcare", date(2027, 4, 20))
    tcm = form("elderly_tcm", date(2027, 5, 31))
    tasks = plan(facts(), [selfcare, tcm]).tasks
    assert task(tasks, "selfcare:1").done_form_id == selfcare.id
    assert task(tasks, "tcm:1").done_form_id == tcm.id
    assert task(tasks, "exam:1").status == "open"  # a TCM or self-care form is not the health check
    # 20 April 2028, shown from 21 March 2028 (2028 is a leap year: 30 days back crosses 29 February)
    assert dates(task(tasks, "selfcare:2")) == (date(2028, 3, 21), date(2028, 4, 20))
    assert dates(task(tasks, "tcm:2")) == (date(2028, 5, 1), date(2028, 5, 31))


def test_a_service_on_29_february_is_next_due_on_28_february() -> None:
    checked = form("health_examination", date(2028, 2, 29))
    tasks = plan(facts(date(2028, 1, 10)), [checked]).tasks
    assert task(tasks, "exam:1").done_on == date(2028, 2, 29)
    assert dates(task(tasks, "exam:2")) == (date(2029, 1, 29), date(2029, 2, 28))


def test_a_service_before_enrolment_and_one_after_it() -> None:
    before = form("elderly_tcm", date(2026, 6, 15))
    after = form("elderly_tcm", date(2027, 6, 1))
    tasks = [t for t in plan(facts(), [before, after]).tasks if t.form_code == "elderly_tcm"]
    assert [(t.key, t.opens_on, t.due_on, t.done_on) for t in tasks] == [
        ("tcm:1", date(2027, 5, 16), date(2027, 6, 15), date(2027, 6, 1)),
        ("tcm:2", date(2028, 5, 2), date(2028, 6, 1), None),
    ]


def test_a_year_missed_expires_and_this_years_service_takes_its_place() -> None:
    """Enrolled 1 Jan 2024, planned on 22 Nov 2026. 1 Jan 2024 + 90 days = 31 Mar 2024 (2024 is a leap year);
    each year's service expires when the next year's window opens: 31 Mar 2025 − 30 days = 1 Mar 2025."""
    enrolled, today = date(2024, 1, 1), date(2026, 11, 22)
    rolling = EpisodeFacts("elderly", enrolled, date(1950, 8, 8), "2", as_of=today)
    tcm = [t for t in plan(rolling, []).tasks if t.form_code == "elderly_tcm"]
    assert [(t.key, t.opens_on, t.due_on, t.expires_on, t.status) for t in tcm] == [
        ("tcm:1", date(2024, 1, 1), date(2024, 3, 31), date(2025, 3, 1), "open"),
        ("tcm:2", date(2025, 3, 1), date(2025, 3, 31), date(2026, 3, 1), "open"),
        ("tcm:3", date(2026, 3, 1), date(2026, 3, 31), date(2027, 3, 1), "open"),  # this year's: overdue, not expired
    ]
    # without a day to plan for, the series stops at the first service not done
    assert [
        t.key
        for t in plan(EpisodeFacts("elderly", enrolled, date(1950, 8, 8), "2"), []).tasks
        if t.form_code == "elderly_tcm"
    ] == ["tcm:1"]
    # a service done on 10 June 2025 does the 2025 one (before it expired on 1 Mar 2026): next due 10 June 2026
    done_2025 = form("elderly_tcm", date(2025, 6, 10))
    tcm = [t for t in plan(rolling, [done_2025]).tasks if t.form_code == "elderly_tcm"]
    assert [(t.key, t.due_on, t.status) for t in tcm] == [
        ("tcm:1", date(2024, 3, 31), "open"),
        ("tcm:2", date(2025, 3, 31), "done"),
        ("tcm:3", date(2026, 6, 10), "open"),
    ]
    assert tcm[2].opens_on == date(2026, 5, 11)  # 10 June − 30 days
