"""老年人中医药健康管理服务记录表: constitution scores and judgements (REFERENCE.md §2.4.9).

Each of the 33 questions is answered 1–5; the code is the raw score. A constitution's score is the
sum of its four items (平和质: five items, 2, 4, 5 and 13 reverse-scored as 6 − x). Biased
constitutions: ≥ 11 是, 9–10 倾向是, ≤ 8 否. 平和质: ≥ 17 with every other constitution ≤ 8 → 是;
≥ 17 with every other ≤ 10 → 基本是; otherwise 否. 体质类型 lists the biased constitutions judged 是
or 倾向是, and 平和质 when it is 是 or 基本是.
"""

from __future__ import annotations

from typing import Any

from kangdang.records.context import Answers, FormContext

# constitution key → (体质类型 option code, question numbers); paper column order
BIASED: dict[str, tuple[str, tuple[int, ...]]] = {
    "qixu": ("1", (2, 3, 4, 14)),  # 气虚质
    "yangxu": ("2", (11, 12, 13, 29)),  # 阳虚质
    "yinxu": ("3", (10, 21, 26, 31)),  # 阴虚质
    "tanshi": ("4", (9, 16, 28, 32)),  # 痰湿质
    "shire": ("5", (23, 25, 27, 30)),  # 湿热质
    "xueyu": ("6", (19, 22, 24, 33)),  # 血瘀质
    "qiyu": ("7", (5, 6, 7, 8)),  # 气郁质
    "tebing": ("8", (15, 17, 18, 20)),  # 特禀质
}
BALANCED_CODE = "9"  # 平和质
BALANCED_ITEMS: tuple[int, ...] = (1, 2, 4, 5, 13)
BALANCED_REVERSED: frozenset[int] = frozenset({2, 4, 5, 13})

QUESTION_KEYS: dict[int, str] = {number: f"q{number:02d}" for number in range(1, 34)}  # 1 → "q01"
RAW_SCORES: dict[str, int] = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}  # answer code → raw score

YES, TENDING, NO = "1", "2", "3"  # elderly_tcm_judgement
BALANCED_YES, BALANCED_MOSTLY, BALANCED_NO = "1", "2", "3"  # elderly_tcm_balanced_judgement


def item_score(answers: Answers, number: int) -> int | None:
    """The raw score (1–5) of question ``number`` (key q01…q33), None when unanswered."""
    key = QUESTION_KEYS.get(number) if type(number) is int else None
    code = answers.get(key or f"q{number:02d}")
    return RAW_SCORES.get(code) if isinstance(code, str) else None


def constitution_score(answers: Answers, items: tuple[int, ...], reversed_items: frozenset[int]) -> int | None:
    """Sum of the items (reverse-scored ones as 6 − x); None unless every item is answered."""
    total = 0
    for number in items:
        score = item_score(answers, number)
        if score is None:
            return None
        total += 6 - score if number in reversed_items else score
    return total


def judge_biased(score: int) -> str:
    """≥ 11 是, 9–10 倾向是, ≤ 8 否."""
    return YES if score >= 11 else TENDING if score >= 9 else NO


def judge_balanced(score: int, others: list[int]) -> str:
    """≥ 17 and all others ≤ 8 → 是; ≥ 17 and all others ≤ 10 → 基本是; otherwise 否."""
    if score >= 17 and all(s <= 8 for s in others):
        return BALANCED_YES
    if score >= 17 and all(s <= 10 for s in others):
        return BALANCED_MOSTLY
    return BALANCED_NO


def derive(answers: Answers, context: FormContext) -> dict[str, Any]:
    """Scores and judgements of every constitution whose items are answered; 体质类型 when all are."""
    out: dict[str, Any] = {}
    biased: dict[str, int] = {}
    for key, (_, items) in BIASED.items():
        score = constitution_score(answers, items, frozenset())
        if score is not None:
            biased[key] = score
            out[f"{key}_score"] = score
            out[f"{key}_result"] = judge_biased(score)
    balanced = constitution_score(answers, BALANCED_ITEMS, BALANCED_REVERSED)
    if balanced is not None:
        out["pinghe_score"] = balanced
    if balanced is None or len(biased) < len(BIASED):
        return out
    balanced_result = judge_balanced(balanced, list(biased.values()))
    out["pinghe_result"] = balanced_result
    types = [code for key, (code, _) in BIASED.items() if out[f"{key}_result"] in (YES, TENDING)]
    if balanced_result in (BALANCED_YES, BALANCED_MOSTLY):
        types.append(BALANCED_CODE)
    out["constitution_types"] = types
    return out


RULES = {"elderly_tcm": derive}
