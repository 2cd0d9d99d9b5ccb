"""老年人生活自理能力评估表: per-item scores, total and grade (REFERENCE.md §2.4.8), validation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kangdang.records.catalogue import catalogue
from kangdang.records.derivations.selfcare import grade
from tests.records.formkit import errors, fill

CODE = "elderly_selfcare"

# 王秀兰, born 1960-03-15 (formkit default), assessed on 2026-11-20 at 66: bathes with help, needs help
# with part of dressing, occasional incontinence, walks with a stick.
EXAMPLE: dict[str, Any] = {
    "eating": "1",  # 独立完成 = 0
    "grooming": "2",  # 能独立地洗头…；洗澡需要协助 = 1
    "dressing": "3",  # 需要协助，在适当的时间内完成部分穿衣 = 3
    "toileting": "2",  # 偶尔失禁… = 1
    "activity": "2",  # 借助较小的外力或辅助装置… = 1
    "visit_date": "2026-11-20",
    "doctor_name": "李建国",
}


def answers(eating: str, grooming: str, dressing: str, toileting: str, activity: str) -> dict[str, Any]:
    return {
        "eating": eating,
        "grooming": grooming,
        "dressing": dressing,
        "toileting": toileting,
        "activity": activity,
        "visit_date": "2026-11-20",
    }


def test_complete_example_scores_each_item_and_grades_mildly_dependent() -> None:
    outcome = fill(CODE, EXAMPLE)
    assert outcome.errors == []
    a = outcome.answers
    assert (a["eating_score"], a["grooming_score"], a["dressing_score"]) == (0, 1, 3)
    assert (a["toileting_score"], a["activity_score"]) == (1, 1)
    assert a["total_score"] == 6  # 0 + 1 + 3 + 1 + 1
    assert a["grade"] == "2"  # 4–8 轻度依赖
    assert a["visit_date"] == date(2026, 11, 20)


@pytest.mark.parametrize(
    ("levels", "total", "expected_grade"),
    [
        (("1", "1", "1", "1", "1"), 0, "1"),  # all independent: 0 → 可自理
        (("3", "1", "1", "1", "1"), 3, "1"),  # 进餐 3 → 3 可自理 (top of band)
        (("3", "2", "1", "1", "1"), 4, "2"),  # 进餐 3 + 梳洗 1 = 4 → 轻度依赖
        (("1", "1", "3", "3", "1"), 8, "2"),  # 穿衣 3 + 如厕 5 = 8 → 轻度依赖 (top)
        (("3", "3", "3", "1", "1"), 9, "3"),  # 3 + 3 + 3 = 9 → 中度依赖
        (("1", "4", "1", "4", "2"), 18, "3"),  # 梳洗 7 + 如厕 10 + 活动 1 = 18 → 中度依赖 (top)
        (("3", "2", "1", "4", "3"), 19, "4"),  # 3 + 1 + 10 + 5 = 19 → 不能自理
        (("4", "4", "4", "4", "4"), 37, "4"),  # 5 + 7 + 5 + 10 + 10 = 37, the maximum
    ],
)
def test_score_band_boundaries(levels: tuple[str, ...], total: int, expected_grade: str) -> None:
    outcome = fill(CODE, answers(*levels))
    assert outcome.errors == []
    assert outcome.answers["total_score"] == total
    assert outcome.answers["grade"] == expected_grade


def test_grade_function_at_every_band_edge() -> None:
    assert [grade(t) for t in (0, 3, 4, 8, 9, 18, 19, 37)] == ["1", "1", "2", "2", "3", "3", "4", "4"]


def test_grade_labels_are_the_four_printed_on_the_health_examination_form() -> None:
    options = catalogue().value_sets["elderly_selfcare_grade"].options
    assert [(o.code, o.label) for o in options] == [
        ("1", "可自理（0～3分）"),
        ("2", "轻度依赖（4～8分）"),
        ("3", "中度依赖（9～18分）"),
        ("4", "不能自理（≥19分）"),
    ]


def test_eating_and_dressing_have_no_mild_dependence_option() -> None:
    outcome = fill(CODE, {**EXAMPLE, "eating": "2", "dressing": "2"})
    assert errors(outcome) == {"eating": "进餐：请从选项中选择", "dressing": "穿衣：请从选项中选择"}


def test_draft_gives_item_scores_but_no_total_until_all_five_are_answered() -> None:
    outcome = fill(CODE, {"eating": "4", "toileting": "3"}, complete=False)
    assert outcome.errors == []
    assert outcome.answers["eating_score"] == 5
    assert outcome.answers["toileting_score"] == 5
    assert "total_score" not in outcome.answers
    assert "grade" not in outcome.answers


def test_completing_without_an_item_names_it() -> None:
    raw = {k: v for k, v in EXAMPLE.items() if k not in ("activity", "visit_date")}
    assert errors(fill(CODE, raw)) == {"activity": "活动：此项为必填项", "visit_date": "评估日期：此项为必填项"}


def test_a_typed_in_total_is_ignored_and_recomputed() -> None:
    outcome = fill(CODE, {**EXAMPLE, "total_score": 0, "grade": "1"})
    assert outcome.errors == []
    assert (outcome.answers["total_score"], outcome.answers["grade"]) == (6, "2")


def test_unknown_code_and_future_date_are_rejected() -> None:
    outcome = fill(CODE, {**EXAMPLE, "grooming": "5", "visit_date": "2026-11-23"})
    assert errors(outcome) == {"grooming": "梳洗：请从选项中选择", "visit_date": "评估日期：不能晚于今天"}


def test_form_opens_on_the_65th_birthday() -> None:
    # born 1960-03-15: 2025-03-15 is 65 × 365 + 16 leap days (1964…2024) = 23741 days later
    on_birthday = fill(CODE, {**EXAMPLE, "visit_date": "2025-03-15"})
    assert on_birthday.errors == []
    day_before = fill(CODE, {**EXAMPLE, "visit_date": "2025-03-14"})
    assert errors(day_before) == {"visit_date": "评估日期：这张表用于65岁及以上老年人，该居民在服务日期不符合"}


def test_a_younger_resident_is_refused() -> None:
    outcome = fill(CODE, EXAMPLE, birth=date(1970, 6, 1))
    assert errors(outcome) == {"visit_date": "评估日期：这张表用于65岁及以上老年人，该居民在服务日期不符合"}
