"""2型糖尿病患者随访服务记录表: fasting-glucose target, danger signs and the follow-up classification.

2型糖尿病患者健康管理服务规范 (2017, REFERENCE.md §2.4.5): 控制满意 when fasting blood glucose is
below 7.0 mmol/L (with no adverse drug reaction and no new or worse complication); 紧急转诊 when
FBG ≥ 16.7 or ≤ 3.9 mmol/L, SBP ≥ 180 and/or DBP ≥ 110 mmHg, persistent tachycardia above
100/min, or other danger signs ticked by the doctor. The category, next step and next date come from
the rules shared with hypertension (``followup.classify``).
"""

from __future__ import annotations

from typing import Any

from kangdang.records.context import Answers, FormContext
from kangdang.records.derivations.followup import bp_emergency, classify

FBG_TARGET = 7.0  # mmol/L, 控制满意 below it
FBG_HIGH = 16.7  # mmol/L, at or above: 紧急转诊
FBG_LOW = 3.9  # mmol/L, at or below: 紧急转诊 (hypoglycaemia)
HEART_RATE_HIGH = 100  # 次/分钟, above it: 紧急转诊


def glucose_controlled(fbg: float) -> bool:
    """控制满意 target: fasting blood glucose < 7.0 mmol/L."""
    return fbg < FBG_TARGET


def glucose_emergency(fbg: float) -> bool:
    """FBG ≥ 16.7 mmol/L or ≤ 3.9 mmol/L."""
    return fbg >= FBG_HIGH or fbg <= FBG_LOW


def emergency(answers: Answers) -> bool:
    """Any danger sign: glucose, blood pressure (or ticked danger signs), or heart rate > 100/min."""
    fbg = answers.get("fasting_glucose")
    heart_rate = answers.get("heart_rate")
    return (
        (fbg is not None and glucose_emergency(fbg))
        or bp_emergency(answers)
        or (heart_rate is not None and heart_rate > HEART_RATE_HIGH)
    )


def derive(answers: Answers, context: FormContext) -> dict[str, Any]:
    fbg = answers.get("fasting_glucose")
    if fbg is None:
        return {}
    return classify(glucose_controlled(fbg), answers, context, emergency(answers))


RULES = {"diabetes_followup": derive}
