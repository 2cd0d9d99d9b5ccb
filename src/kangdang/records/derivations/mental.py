"""严重精神障碍患者随访服务记录表: 本次随访分类 (不稳定/基本稳定/稳定) and the suggested next visit.

严重精神障碍患者管理服务规范 (2017, REFERENCE.md §2.4.6):

- 不稳定: 危险性评估 3–5 级, or 自知力缺失, or a severe adverse drug reaction, or a serious somatic
  illness → refer at once, follow up within 2 weeks. The paper form records adverse reactions only
  as 无/有 and has no somatic-illness item, so the two severity judgements are the extension items
  ``adverse_reaction_severe`` and ``somatic_illness_serious`` ticked by the doctor (an adverse
  reaction that is not marked severe does not by itself change the category).
- 基本稳定: 危险性评估 1–2 级, or any current symptom, or 自知力不全, or any 社会功能 item 较差 →
  adjust and observe for 2 weeks.
- 稳定: otherwise (0 级, no symptoms, full insight, social functioning fair or good) → 3 months.

Nothing is derived when the danger level is missing (a lost or dead patient's visit).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kangdang.records.context import Answers, FormContext, add_months

UNSTABLE, BASICALLY_STABLE, STABLE = "1", "2", "3"
NO_INSIGHT, PARTIAL_INSIGHT = "3", "2"
POOR = "3"  # 社会功能 较差
SOCIAL_FUNCTION = ("self_care", "housework", "work", "learning", "social_contact")
OBSERVE_DAYS = 14  # 不稳定 and 基本稳定: follow up within 2 weeks
STABLE_MONTHS = 3


def classify(answers: Answers) -> str | None:
    """本次随访分类 code from the danger level, symptoms, insight, social function and severity flags."""
    level_code = answers.get("danger_level")
    if level_code is None:
        return None
    level = int(level_code)
    insight = answers.get("insight")
    if (
        level >= 3
        or insight == NO_INSIGHT
        or answers.get("adverse_reaction_severe") is True
        or answers.get("somatic_illness_serious") is True
    ):
        return UNSTABLE
    poor_function = any(answers.get(key) == POOR for key in SOCIAL_FUNCTION)
    if level >= 1 or answers.get("current_symptoms") or insight == PARTIAL_INSIGHT or poor_function:
        return BASICALLY_STABLE
    return STABLE


def next_visit(category: str, visit: date) -> date:
    """不稳定, 基本稳定: in 2 weeks; 稳定: in 3 months."""
    if category == STABLE:
        return add_months(visit, STABLE_MONTHS)
    return visit + timedelta(days=OBSERVE_DAYS)


def derive(answers: Answers, context: FormContext) -> dict[str, Any]:
    category = classify(answers)
    if category is None:
        return {}
    visit = answers.get("visit_date")
    suggested = next_visit(category, visit) if isinstance(visit, date) else None
    return {"classification": category, "suggested_next_visit": suggested}


RULES = {"mental_followup": derive}
