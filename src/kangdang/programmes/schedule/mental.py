"""严重精神障碍: the 个人信息补充表 on enrolment, then follow-ups by stability, and the yearly health check.

From the 2017 service specification (REFERENCE.md §2.4.6, §8), as the follow-up form derives it
(``records.derivations.mental``): 不稳定 → refer at once, follow up within 2 weeks; 基本稳定 → adjust and
observe for 2 weeks; 稳定 → next visit in 3 months. After a visit where the patient was lost (失访) the
next attempt is due within a month; a visit recording the patient's death closes the episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from kangdang.programmes.schedule.chains import NextVisit, annual_exam, booked, followup_chain
from kangdang.programmes.schedule.types import (
    Closing,
    EpisodeFacts,
    FormFact,
    Plan,
    PlannedTask,
    done,
    first_in,
    of_form,
    window_before,
)
from kangdang.records.context import add_months

SUPPLEMENT_DAYS = 14
UNSTABLE, BASICALLY_STABLE, STABLE = "1", "2", "3"
LOST_RETRY_MONTHS = 1


def next_after(visit: FormFact) -> NextVisit:
    day = visit.service_date
    category = visit.code("classification")
    if category == STABLE:
        due = booked(visit, add_months(day, 3))
        return NextVisit(window_before(due, 14, day + timedelta(days=1)), due)
    if category == UNSTABLE:
        due = booked(visit, day + timedelta(days=14))
        return NextVisit(day + timedelta(days=1), due, "referral", "不稳定：建议立即转诊，2周内随访")
    if category == BASICALLY_STABLE:
        due = booked(visit, day + timedelta(days=14))
        return NextVisit(day + timedelta(days=1), due, "recheck", "基本稳定：调整治疗，观察2周后随访")
    due = booked(visit, add_months(day, LOST_RETRY_MONTHS))
    return NextVisit(day + timedelta(days=1), due, "routine", "上次随访未见到患者，1个月内再次随访")


def plan_mental(facts: EpisodeFacts, forms: Sequence[FormFact]) -> Plan:
    supplement = PlannedTask(
        key="supplement",
        title="严重精神障碍患者个人信息补充表",
        form_code="mental_supplement",
        opens_on=facts.enrolled_on,
        due_on=facts.enrolled_on + timedelta(days=SUPPLEMENT_DAYS),
    )
    supplement = done(supplement, first_in(of_form(forms, "mental_supplement"), set()))
    visits = of_form(forms, "mental_followup")
    death = next((v for v in visits if v.service_date >= facts.enrolled_on and _dead(v)), None)
    if death is not None:
        visits = [v for v in visits if v.service_date <= death.service_date]
    tasks = followup_chain(facts, visits, title="严重精神障碍随访", form_code="mental_followup", next_after=next_after)
    closing = None
    if death is not None:
        tasks = tasks[:-1]  # no visit after death
        closing = Closing(death.date_answer("death_date") or death.service_date, "died", "随访记录患者死亡")
    return Plan([supplement, *tasks, *([] if closing else annual_exam(facts, forms))], closing)


def _dead(visit: FormFact) -> bool:
    return visit.date_answer("death_date") is not None or visit.answers.get("death_cause") not in (None, "")
