"""0～6岁儿童: the newborn home visit, the 满月 check and the health checks to the 7th birthday.

From the 2017 service specification (REFERENCE.md §2.4.1–2.4.2, §8) and the forms' filling notes:

- 新生儿家庭访视 within a week of discharge from hospital (of birth when born at home), and while the
  child is a newborn (the 新生儿家庭访视记录表 is for the first 28 days);
- 满月 at 28–30 days ("满月：出生后28～30天");
- 3, 6, 8, 12, 18, 24 and 30 months, each in the month after that age ("3月龄：满3月至3月29天");
- 3, 4, 5 and 6 years, each in the year after that birthday ("3岁：满3周岁至3周岁11个月29天").

A check no longer counts once the next one opens (the 6岁 one at the 7th birthday, when the episode
closes). The columns and their month codes are those of the forms (``records.derivations.child``): one
filled form is one column, chosen in ``visit_age``, and it does the task of that column whatever its date.
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
from kangdang.records.context import add_months
from kangdang.records.derivations.child import COLUMNS, MONTH_VISIT_MIN_DAYS

NEWBORN_VISIT_DAYS = 7  # 出院后1周内
NEWBORN_DAYS = 28  # the newborn period (新生儿期): the home-visit form is for the first 28 days
MONTH_VISIT_MAX_DAYS = 30  # 满月：出生后28～30天
FIRST_YEARLY_MONTHS = 36  # from 3岁 on a check is due within the year after the birthday, before within the month
AGE_OUT_MONTHS = 84  # the 7th birthday ends the programme

CHECK_FORMS = ("child_check_infant", "child_check_toddler", "child_check_preschool")
MONTHS = [int(code) for code in COLUMNS]  # 1 (满月), 3, 6, 8, 12, 18, 24, 30, 36, 48, 60, 72


def check_form(months: int) -> str:
    """The form that has the column: 满月–8月龄, 12–30月龄, 3–6岁."""
    if months < 12:
        return "child_check_infant"
    if months < FIRST_YEARLY_MONTHS:
        return "child_check_toddler"
    return "child_check_preschool"


def check_window(birth: date, months: int) -> tuple[date, date]:
    """The days a check is meant for: its first and its last (due) day."""
    if months == 1:
        return birth + timedelta(days=MONTH_VISIT_MIN_DAYS), birth + timedelta(days=MONTH_VISIT_MAX_DAYS)
    span = 12 if months >= FIRST_YEARLY_MONTHS else 1
    return add_months(birth, months), add_months(birth, months + span) - timedelta(days=1)


def column(code: str) -> Callable[[FormFact], bool]:
    """Whether a check form was filled in this column (its 月龄/年龄 item)."""
    return lambda form: form.code("visit_age") == code


def plan_child(facts: EpisodeFacts, forms: Sequence[FormFact]) -> Plan:
    birth = facts.birth_date
    aged_out = add_months(birth, AGE_OUT_MONTHS)
    discharge = facts.detail_date("discharge_date") or birth
    newborn = PlannedTask(
        key="newborn",
        title="新生儿家庭访视",
        form_code="newborn_visit",
        opens_on=discharge,
        due_on=discharge + timedelta(days=NEWBORN_VISIT_DAYS),
        expires_on=birth + timedelta(days=NEWBORN_DAYS),
    )
    tasks = [done(newborn, first_in(of_form(forms, "newborn_visit"), set()))]
    checks = of_form(forms, *CHECK_FORMS)
    claimed: set[uuid.UUID] = set()
    for index, months in enumerate(MONTHS):
        code = str(months)
        opens, due = check_window(birth, months)
        following = MONTHS[index + 1] if index + 1 < len(MONTHS) else None
        expires = check_window(birth, following)[0] if following is not None else aged_out
        task = PlannedTask(
            key=f"check:{code}",
            title=f"{COLUMNS[code].label}健康检查",
            form_code=check_form(months),
            opens_on=opens,
            due_on=due,
            expires_on=expires,
            preset={"visit_age": code},
        )
        tasks.append(done(task, first_in(checks, claimed, where=column(code))))
    # a visit whose time had passed before the child was enrolled is not asked for
    planned = [t for t in tasks if t.status == "done" or t.expires_on is None or t.expires_on > facts.enrolled_on]
    return Plan(planned, Closing(aged_out, "aged_out", "年满7岁"))
