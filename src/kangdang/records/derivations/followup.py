"""Shared rules of the chronic-disease follow-up forms (高血压, 2型糖尿病): classification, next step, next date.

From the 2017 service specifications (REFERENCE.md §2.4.4–2.4.5): 控制满意 when the target is met
with no adverse drug reaction and no new or worse complication → routine visit in 3 months; the first
控制不满意 or an adverse reaction → adjust and re-visit within 2 weeks; two 控制不满意 in a row, an
adverse reaction again, or a new or worse complication → refer and follow up within 2 weeks; danger
signs → 紧急转诊, follow up within 2 weeks.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kangdang.records.context import Answers, FormContext, add_months

SATISFIED, UNSATISFIED, ADVERSE, COMPLICATION = "1", "2", "3", "4"
# 下一步管理措施 (post-2019 local extension field, codes as printed there)
ROUTINE, RECHECK_2W, REFER_2W, EMERGENCY = "1", "2", "3", "4"
ADVERSE_YES = "2"


def classify(controlled: bool, answers: Answers, context: FormContext, emergency: bool) -> dict[str, Any]:
    """此次随访分类, 下一步管理措施 and 建议下次随访日期 from whether the target was met this time."""
    previous = context.previous or {}
    adverse = answers.get("adverse_reaction") == ADVERSE_YES
    if answers.get("complication_new_or_worse") is True:
        category = COMPLICATION
    elif adverse:
        category = ADVERSE
    elif not controlled:
        category = UNSATISFIED
    else:
        category = SATISFIED
    if emergency:
        action = EMERGENCY
    elif category == SATISFIED:
        action = ROUTINE
    elif category == COMPLICATION:
        action = REFER_2W
    elif category == ADVERSE:
        action = REFER_2W if previous.get("adverse_reaction") == ADVERSE_YES else RECHECK_2W
    else:
        action = REFER_2W if previous.get("classification") == UNSATISFIED else RECHECK_2W
    visit = answers.get("visit_date")
    next_visit: date | None = None
    if isinstance(visit, date):
        next_visit = add_months(visit, 3) if action == ROUTINE else visit + timedelta(days=14)
    return {"classification": category, "management_action": action, "suggested_next_visit": next_visit}


def bp_emergency(answers: Answers) -> bool:
    """SBP ≥ 180 and/or DBP ≥ 110 mmHg, or danger signs ticked by the doctor."""
    sbp, dbp = answers.get("sbp"), answers.get("dbp")
    high = (sbp is not None and sbp >= 180) or (dbp is not None and dbp >= 110)
    return high or answers.get("emergency_signs") is True
