"""肺结核患者随访服务记录表: the close-out counts (全程管理情况) must be consistent.

肺结核患者健康管理服务规范 (2017, REFERENCE.md §2.4.7), 结案评估: 实际访视次数 cannot exceed 应访视
患者次数 and 实际服药次数 cannot exceed 应服药次数 (服药率 = 实际 ÷ 应服药次数 is at most 100%).
The generic ``less_than`` check is strict, so equality (every dose taken) needs this validation.
"""

from __future__ import annotations

from kangdang.records.context import Answers, FormContext

PAIRS = (
    ("visits_actual", "visits_required", "不能多于应访视患者次数"),
    ("doses_actual", "doses_required", "不能多于应服药次数"),
)


def closing_counts(answers: Answers, context: FormContext) -> list[tuple[str, str]]:
    """[(item key, message)] for each actual count above its required count."""
    problems = []
    for actual_key, required_key, message in PAIRS:
        actual, required = answers.get(actual_key), answers.get(required_key)
        if actual is not None and required is not None and actual > required:
            problems.append((actual_key, message))
    return problems


VALIDATIONS = {"tb_followup": closing_counts}
