"""孕产妇: one episode per pregnancy — 建册 and the first antenatal check, four antenatal follow-ups, the
postpartum home visit and the 42-day check, which closes the episode.

From the 2017 孕产妇健康管理服务规范 (REFERENCE.md §2.4.3, §8), with the weeks printed on the forms
(``records.derivations.maternal``):

- 第1次产前检查 and 建册 before 13 weeks (早孕建册率 counts "孕13周之前");
- 第2～5次产前随访 at 16–20, 21–24, 28–36 and 37–40 weeks (inclusive: 孕20+6周 is still 20 weeks);
- 产后访视 3–7 days after discharge from hospital (after the delivery when born at home);
- 产后42天健康检查 from the 42nd day after the delivery; 处理“结案” ends the episode.

Weeks are counted from the last menstrual period (末次月经). Until the delivery is recorded (on the
episode, or on a postpartum form) it is taken as the expected date of delivery, LMP + 280 days (预产期).
A visit no longer counts once the next one opens, and no antenatal one counts after a recorded delivery.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from kangdang.programmes.schedule.types import (
    Closing,
    EpisodeFacts,
    FormFact,
    Plan,
    PlannedTask,
    done,
    first_in,
    of_form,
)
from kangdang.records.derivations.maternal import EARLY_REGISTRATION_WEEKS, VISIT_WEEKS

PREGNANCY_DAYS = 280  # 预产期 = 末次月经 + 280 days
LATEST_DELIVERY_WEEKS = 42  # the 5th visit counts until the delivery, at the latest 42 weeks (post-term)
POSTPARTUM_VISIT_FROM_DAYS = 3  # 产后访视：出院后3～7天
POSTPARTUM_VISIT_DAYS = 7
POSTPARTUM_CHECK_DAYS = 42  # 产后42天健康检查
POSTPARTUM_CHECK_WINDOW_DAYS = 14  # … due within two weeks of day 42 (by day 56)
CLOSED = "1"  # 处理：1 结案, 2 转诊
POSTPARTUM_FORMS = ("postpartum_visit", "postpartum_42day")
ESTIMATED_NOTE = "按预产期推算"


def _delivery(facts: EpisodeFacts, forms: Sequence[FormFact], lmp: date) -> tuple[date, date, bool]:
    """The delivery and discharge dates, and whether they are recorded (False: from the 预产期)."""
    postpartum = of_form(forms, *POSTPARTUM_FORMS)
    delivered = facts.detail_date("delivery_date") or next(
        (d for f in postpartum if (d := f.date_answer("delivery_date")) is not None), None
    )
    if delivered is None:
        estimated = lmp + timedelta(days=PREGNANCY_DAYS)
        return estimated, estimated, False
    discharged = facts.detail_date("discharge_date") or next(
        (d for f in postpartum if (d := f.date_answer("discharge_date")) is not None), None
    )
    return delivered, discharged or delivered, True


def _week(lmp: date, weeks: int) -> date:
    return lmp + timedelta(weeks=weeks)


def visit_number(number: str) -> Callable[[FormFact], bool]:
    """Whether an antenatal follow-up form records this visit (第2～5次)."""
    return lambda form: form.code("visit_number") == number


def antenatal_tasks(
    lmp: date, enrolled_on: date, forms: Sequence[FormFact], *, delivered: date | None, latest: date
) -> list[PlannedTask]:
    """第1次产前检查 and 第2～5次产前随访; ``delivered`` when recorded, ``latest`` ends the 5th visit."""
    first_due = _week(lmp, EARLY_REGISTRATION_WEEKS) - timedelta(days=1)
    first = PlannedTask(
        key="antenatal:1",
        title=f"第1次产前检查（孕{EARLY_REGISTRATION_WEEKS}周前建册）",
        form_code="antenatal_first",
        opens_on=min(max(lmp, enrolled_on), first_due),
        due_on=first_due,
        expires_on=delivered,
    )
    tasks = [done(first, first_in(of_form(forms, "antenatal_first"), set()))]
    followups = of_form(forms, "antenatal_followup")
    claimed: set[uuid.UUID] = set()
    numbers = list(VISIT_WEEKS)
    for index, number in enumerate(numbers):
        low, high = VISIT_WEEKS[number]
        following = numbers[index + 1] if index + 1 < len(numbers) else None
        expires = _week(lmp, VISIT_WEEKS[following][0]) if following else latest
        if delivered is not None:
            expires = min(expires, delivered)
        task = PlannedTask(
            key=f"antenatal:{number}",
            title=f"第{number}次产前随访（孕{low}～{high}周）",
            form_code="antenatal_followup",
            opens_on=_week(lmp, low),
            due_on=_week(lmp, high + 1) - timedelta(days=1),
            expires_on=expires,
            preset={"visit_number": number},
        )
        visit = first_in(followups, claimed, where=visit_number(number))
        if visit is None and delivered is not None and task.opens_on >= delivered:
            continue  # delivered before this visit's weeks: there is nothing left to do
        tasks.append(done(task, visit))
    return tasks


def plan_maternal(facts: EpisodeFacts, forms: Sequence[FormFact]) -> Plan:
    lmp = facts.detail_date("lmp")
    assert lmp is not None, "a pregnancy episode always has its LMP (enrolment derives it from the weeks)"
    forms = [f for f in forms if f.service_date >= lmp]
    delivery, discharge, recorded = _delivery(facts, forms, lmp)
    latest = delivery if recorded else _week(lmp, LATEST_DELIVERY_WEEKS)
    tasks = antenatal_tasks(lmp, facts.enrolled_on, forms, delivered=delivery if recorded else None, latest=latest)
    note = None if recorded else ESTIMATED_NOTE
    visit = PlannedTask(
        key="postpartum",
        title="产后访视（出院后3～7天）",
        form_code="postpartum_visit",
        opens_on=discharge + timedelta(days=POSTPARTUM_VISIT_FROM_DAYS),
        due_on=discharge + timedelta(days=POSTPARTUM_VISIT_DAYS),
        expires_on=delivery + timedelta(days=POSTPARTUM_CHECK_DAYS),
        note=note,
    )
    check = PlannedTask(
        key="postpartum:42",
        title="产后42天健康检查",
        form_code="postpartum_42day",
        opens_on=delivery + timedelta(days=POSTPARTUM_CHECK_DAYS),
        due_on=delivery + timedelta(days=POSTPARTUM_CHECK_DAYS + POSTPARTUM_CHECK_WINDOW_DAYS),
        note=note,
    )
    checks = of_form(forms, "postpartum_42day")
    tasks += [
        done(visit, first_in(of_form(forms, "postpartum_visit"), set())),
        done(check, first_in(checks, set())),
    ]
    # a visit whose time had passed before the woman was enrolled is not asked for
    tasks = [t for t in tasks if t.status == "done" or t.expires_on is None or t.expires_on > facts.enrolled_on]
    closed = next((f for f in checks if f.code("disposal") == CLOSED), None)
    if closed is None:
        return Plan(tasks)
    return Plan(tasks, Closing(closed.service_date, "completed", "产后42天健康检查后结案"))
