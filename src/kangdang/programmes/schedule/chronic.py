"""高血压 and 2型糖尿病: at least four face-to-face follow-ups a year, rescheduled by each visit's result.

From the 2017 service specifications (REFERENCE.md §2.4.4–2.4.5, §8), as the follow-up form derives it
(``records.derivations.followup``): 控制满意 → next visit within 3 months; the first 控制不满意 or an
adverse drug reaction → recheck within 2 weeks; two 控制不满意 in a row, an adverse reaction hard to
control or a new or worse complication → referral, and an active follow-up within 2 weeks; danger signs
→ 紧急转诊, follow-up within 2 weeks. A next-visit date written by the doctor that is earlier counts.
Plus the yearly health check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from kangdang.programmes.schedule.chains import NextVisit, annual_exam, booked, followup_chain
from kangdang.programmes.schedule.types import EpisodeFacts, FormFact, Plan, of_form, window_before
from kangdang.records.context import add_months

ROUTINE_MONTHS = 3
RECHECK_DAYS = 14
ROUTINE_WINDOW_DAYS = 14  # a quarterly visit shows as due two weeks before its date

URGENCY = {"1": "routine", "2": "recheck", "3": "referral", "4": "emergency"}
NOTES = {
    ("2", "2"): "第1次控制不满意：调整用药，2周内随访",
    ("2", "3"): "药物不良反应：调整用药，2周内随访",
    ("3", "2"): "连续两次控制不满意：建议转诊，2周内主动随访",
    ("3", "3"): "药物不良反应难以控制：建议转诊，2周内主动随访",
    ("3", "4"): "出现新的并发症或原有并发症加重：建议转诊，2周内主动随访",
}
EMERGENCY_NOTE = "紧急转诊：2周内随访"


def next_after(visit: FormFact) -> NextVisit:
    """The next follow-up after this one, from its 下一步管理措施 (derived when it was signed)."""
    action = visit.code("management_action") or "1"
    day = visit.service_date
    if action == "1":
        due = booked(visit, add_months(day, ROUTINE_MONTHS))
        return NextVisit(window_before(due, ROUTINE_WINDOW_DAYS, day + timedelta(days=1)), due)
    due = booked(visit, day + timedelta(days=RECHECK_DAYS))
    category = visit.code("classification") or "2"
    note = EMERGENCY_NOTE if action == "4" else NOTES.get((action, category), "2周内随访")
    return NextVisit(day + timedelta(days=1), due, URGENCY.get(action, "recheck"), note)


def _plan(facts: EpisodeFacts, forms: Sequence[FormFact], form_code: str, title: str) -> Plan:
    visits = of_form(forms, form_code)
    tasks = followup_chain(facts, visits, title=title, form_code=form_code, next_after=next_after)
    return Plan([*tasks, *annual_exam(facts, forms)])


def plan_hypertension(facts: EpisodeFacts, forms: Sequence[FormFact]) -> Plan:
    return _plan(facts, forms, "hypertension_followup", "高血压随访")


def plan_diabetes(facts: EpisodeFacts, forms: Sequence[FormFact]) -> Plan:
    return _plan(facts, forms, "diabetes_followup", "糖尿病随访")
