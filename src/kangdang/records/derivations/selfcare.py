"""老年人生活自理能力评估表: per-item scores, the total and the self-care grade (REFERENCE.md §2.4.8).

Each of the five items is answered with the level code as printed ("1" 可自理 … "4" 不能自理; 进餐 and
穿衣 print "—" for 轻度依赖, so they have no "2"). The code is not the score: the score of each level is
the printed 判断评分 below. Total 0–3 可自理, 4–8 轻度依赖, 9–18 中度依赖, ≥19 不能自理 (max 37).
"""

from __future__ import annotations

from typing import Any

from kangdang.records.context import Answers, FormContext

# item key → {level code: printed score}
SCORES: dict[str, dict[str, int]] = {
    "eating": {"1": 0, "3": 3, "4": 5},
    "grooming": {"1": 0, "2": 1, "3": 3, "4": 7},
    "dressing": {"1": 0, "3": 3, "4": 5},
    "toileting": {"1": 0, "2": 1, "3": 5, "4": 10},
    "activity": {"1": 0, "2": 1, "3": 5, "4": 10},
}

# (lowest total of the band, grade code of elderly_selfcare_grade), highest band first
GRADES: tuple[tuple[int, str], ...] = ((19, "4"), (9, "3"), (4, "2"), (0, "1"))


def grade(total: int) -> str:
    """自理能力等级: 1 可自理 (0–3), 2 轻度依赖 (4–8), 3 中度依赖 (9–18), 4 不能自理 (≥19)."""
    return next(code for lowest, code in GRADES if total >= lowest)


def derive(answers: Answers, context: FormContext) -> dict[str, Any]:
    """Each answered item's score; the total and the grade only when all five items are answered."""
    out: dict[str, Any] = {}
    for key, table in SCORES.items():
        code = answers.get(key)
        if isinstance(code, str) and code in table:
            out[f"{key}_score"] = table[code]
    scores = [out.get(f"{key}_score") for key in SCORES]
    if all(isinstance(s, int) for s in scores):
        total = sum(s for s in scores if isinstance(s, int))
        out["total_score"] = total
        out["grade"] = grade(total)
    return out


RULES = {"elderly_selfcare": derive}
