"""肺结核: the first home visit within 72 hours of the notification, then follow-ups by phase and supervisor
until a visit records the end of treatment (REFERENCE.md §2.4.7, §8).

Family-supervised patients (督导人员 家属, and likewise 自服药 or 其他) are visited every 10 days in the
intensive phase and monthly in the continuation phase; patients supervised by a doctor are assessed
monthly. The supervisor is the one the latest visit records (the first visit's when a visit leaves it
out). The intensive phase is the first 2 months of treatment for a new patient (初治) and 3 months for a
retreated one (复治), counted from ``treatment_start`` (or the notification). The visit whose closing
block gives 停止治疗原因 closes the episode: 完成疗程, 死亡, 丢失 (lost) or 转入耐多药治疗.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from kangdang.programmes.schedule.chains import NextVisit, booked, followup_chain
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

FIRST_VISIT_DAYS = 3  # 72 hours
DOCTOR = "1"
RETREATED = "2"
STOP_OUTCOMES = {"1": "course_completed", "2": "died", "3": "lost", "4": "mdr"}


def _next(facts: EpisodeFacts, supervisor: str | None) -> Callable[[FormFact], NextVisit]:
    start = facts.detail_date("treatment_start") or facts.detail_date("notified_on") or facts.enrolled_on
    months = 3 if facts.details.get("patient_type") == RETREATED else 2
    intensive_until = add_months(start, months)

    def next_after(visit: FormFact) -> NextVisit:
        day = visit.service_date
        # each visit records the supervisor (督导人员) anew: a change of supervisor changes the interval
        if (visit.code("supervisor") or supervisor) != DOCTOR and day < intensive_until:
            due = booked(visit, day + timedelta(days=10))
            return NextVisit(window_before(due, 3, day + timedelta(days=1)), due, note="强化期家属督导：每10天随访1次")
        due = booked(visit, add_months(day, 1))
        return NextVisit(window_before(due, 7, day + timedelta(days=1)), due, note="每月随访1次")

    return next_after


def plan_tuberculosis(facts: EpisodeFacts, forms: Sequence[FormFact]) -> Plan:
    notified = facts.detail_date("notified_on") or facts.enrolled_on
    first = PlannedTask(
        key="first",
        title="肺结核第一次入户随访（72小时内）",
        form_code="tb_first_visit",
        opens_on=notified,
        due_on=notified + timedelta(days=FIRST_VISIT_DAYS),
    )
    first_visit = first_in(of_form(forms, "tb_first_visit", since=notified), set())
    tasks = [done(first, first_visit)]
    if first_visit is None:
        return Plan(tasks)
    visits = of_form(forms, "tb_followup", since=first_visit.service_date)
    stop = next((v for v in visits if v.code("stop_reason") in STOP_OUTCOMES), None)
    if stop is not None:
        visits = [v for v in visits if v.service_date <= stop.service_date]
    next_after = _next(facts, first_visit.code("supervisor"))
    start = FormFact(first_visit.id, "tb_first_visit", first_visit.service_date, first_visit.answers)
    chain_facts = EpisodeFacts(
        facts.programme, first_visit.service_date, facts.birth_date, facts.sex, facts.details, facts.other_programmes
    )
    following = followup_chain(
        chain_facts, [start, *visits], title="肺结核随访", form_code="tb_followup", next_after=next_after
    )
    # the chain's first task is the first visit itself (already planned above): keep the rest
    tasks += following[1:]
    if stop is None:
        return Plan(tasks)
    tasks = tasks[:-1]
    reason = STOP_OUTCOMES[str(stop.code("stop_reason"))]
    return Plan(tasks, Closing(stop.date_answer("stop_date") or stop.service_date, reason, "随访记录停止治疗"))
