"""高血压患者随访服务记录表: blood-pressure target by age and the follow-up classification."""

from __future__ import annotations

from typing import Any

from kangdang.records.context import Answers, FormContext, age_in_years
from kangdang.records.derivations.followup import bp_emergency, classify


def bp_target(age: int | None) -> tuple[int, int]:
    """Below 140/90 mmHg; for patients aged 65 and over below 150/90 (2017 specification)."""
    return (150, 90) if age is not None and age >= 65 else (140, 90)


def derive(answers: Answers, context: FormContext) -> dict[str, Any]:
    sbp, dbp = answers.get("sbp"), answers.get("dbp")
    if sbp is None or dbp is None:
        return {}
    visit = answers.get("visit_date")
    age = age_in_years(context.birth_date, visit) if context.birth_date and visit else None
    target_sbp, target_dbp = bp_target(age)
    controlled = sbp < target_sbp and dbp < target_dbp
    return classify(controlled, answers, context, bp_emergency(answers))


RULES = {"hypertension_followup": derive}
