"""老年人中医药健康管理服务记录表: constitution scores and judgements (REFERENCE.md §2.4.9), validation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kangdang.records.derivations.tcm import judge_balanced, judge_biased
from tests.records.formkit import errors, fill

CODE = "elderly_tcm"
KINDS = ("qixu", "yangxu", "yinxu", "tanshi", "shire", "xueyu", "qiyu", "tebing", "pinghe")


def questions(**overrides: str) -> dict[str, Any]:
    """All 33 questions answered "1" (没有), then the given ones changed."""
    answers: dict[str, Any] = {f"q{n:02d}": "1" for n in range(1, 34)}
    answers.update(overrides)
    return answers


def scores(answers: dict[str, Any]) -> dict[str, int]:
    return {kind: answers[f"{kind}_score"] for kind in KINDS}


# 张桂芳, 66, tires easily and is short of breath, feels the cold; filled in on 2026-11-20.
EXAMPLE: dict[str, Any] = {
    **questions(
        q01="2",
        q02="4",
        q03="3",
        q04="3",
        q05="1",
        q06="2",
        q07="2",
        q08="1",
        q09="2",
        q10="2",
        q11="3",
        q12="2",
        q13="3",
        q14="2",
        q15="1",
        q16="1",
        q17="1",
        q18="1",
        q19="1",
        q20="2",
        q21="2",
        q22="2",
        q23="1",
        q24="2",
        q25="1",
        q26="2",
        q27="1",
        q28="2",
        q29="2",
        q30="1",
        q31="1",
        q32="1",
        q33="1",
    ),
    "qixu_guidance": ["2", "4", "5"],
    "yangxu_guidance": ["2", "3", "6"],
    "yangxu_guidance_other": "艾灸关元穴",
    "visit_date": "2026-11-20",
    "doctor_name": "陈志华",
}

# Balanced: 平和 = q01 4 + (6−q02 2) 4 + (6−q04 1) 5 + (6−q05 1) 5 + (6−q13 2) 4 = 22.
# Others: 气虚 2+1+1+2 = 6; 阳虚 2+1+2+2 = 7; 阴虚 2+2+2+2 = 8; 痰湿 2+2+2+1 = 7; 湿热 4; 血瘀 1+2+1+1 = 5;
# 气郁 4; 特禀 2+1+1+1 = 5 — all ≤ 8.
BALANCED = questions(
    q01="4",
    q02="2",
    q09="2",
    q10="2",
    q11="2",
    q13="2",
    q14="2",
    q15="2",
    q16="2",
    q21="2",
    q22="2",
    q26="2",
    q28="2",
    q29="2",
    q31="2",
)


def test_complete_example_gives_qi_deficiency_yes_and_yang_deficiency_tending() -> None:
    outcome = fill(CODE, EXAMPLE)
    assert outcome.errors == []
    a = outcome.answers
    assert scores(a) == {
        "qixu": 12,  # q2 4 + q3 3 + q4 3 + q14 2
        "yangxu": 10,  # q11 3 + q12 2 + q13 3 + q29 2
        "yinxu": 7,  # q10 2 + q21 2 + q26 2 + q31 1
        "tanshi": 6,  # q9 2 + q16 1 + q28 2 + q32 1
        "shire": 4,  # q23 1 + q25 1 + q27 1 + q30 1
        "xueyu": 6,  # q19 1 + q22 2 + q24 2 + q33 1
        "qiyu": 6,  # q5 1 + q6 2 + q7 2 + q8 1
        "tebing": 5,  # q15 1 + q17 1 + q18 1 + q20 2
        "pinghe": 15,  # q1 2 + (6−4) + (6−3) + (6−1) + (6−3) = 2 + 2 + 3 + 5 + 3
    }
    assert a["qixu_result"] == "1"  # 12 ≥ 11 是
    assert a["yangxu_result"] == "2"  # 10 倾向是
    assert [a[f"{k}_result"] for k in KINDS[2:8]] == ["3"] * 6  # all ≤ 8 否
    assert a["pinghe_result"] == "3"  # 15 < 17 否
    assert a["constitution_types"] == ["1", "2"]  # 气虚质, 阳虚质
    assert a["qixu_guidance"] == ["2", "4", "5"]
    assert a["yangxu_guidance_other"] == "艾灸关元穴"
    assert a["visit_date"] == date(2026, 11, 20)


def test_balanced_constitution_yes_when_17_or_more_and_every_other_at_most_8() -> None:
    outcome = fill(CODE, {**BALANCED, "visit_date": "2026-11-20"})
    assert outcome.errors == []
    a = outcome.answers
    assert scores(a) == {
        "qixu": 6,
        "yangxu": 7,
        "yinxu": 8,
        "tanshi": 7,
        "shire": 4,
        "xueyu": 5,
        "qiyu": 4,
        "tebing": 5,
        "pinghe": 22,
    }
    assert a["yinxu_result"] == "3"  # 8: 否 (8 vs 9 boundary, lower side)
    assert a["pinghe_result"] == "1"
    assert a["constitution_types"] == ["9"]


def test_balanced_constitution_essentially_yes_when_another_scores_9() -> None:
    # q31 2 → 3: 阴虚 2 + 2 + 2 + 3 = 9 → 倾向是; 平和 still 22 and every other ≤ 10 → 基本是
    outcome = fill(CODE, {**BALANCED, "q31": "3", "visit_date": "2026-11-20"})
    assert outcome.errors == []
    a = outcome.answers
    assert (a["yinxu_score"], a["yinxu_result"]) == (9, "2")
    assert (a["pinghe_score"], a["pinghe_result"]) == (22, "2")
    assert a["constitution_types"] == ["3", "9"]  # 阴虚质 倾向是, 平和质 基本是


def test_balanced_constitution_no_when_another_scores_11() -> None:
    # q26 2 → 4, q31 2 → 3: 阴虚 2 + 2 + 4 + 3 = 11 → 是; 平和 22 but 11 > 10 → 否
    outcome = fill(CODE, {**BALANCED, "q26": "4", "q31": "3", "visit_date": "2026-11-20"})
    a = outcome.answers
    assert (a["yinxu_score"], a["yinxu_result"]) == (11, "1")
    assert (a["pinghe_score"], a["pinghe_result"]) == (22, "3")
    assert a["constitution_types"] == ["3"]


def test_biased_boundary_10_tending_11_yes() -> None:
    ten = fill(CODE, EXAMPLE).answers
    eleven = fill(CODE, {**EXAMPLE, "q29": "3"}).answers  # 阳虚 3 + 2 + 3 + 3 = 11
    assert (ten["yangxu_score"], ten["yangxu_result"]) == (10, "2")
    assert (eleven["yangxu_score"], eleven["yangxu_result"]) == (11, "1")


def test_balanced_boundary_16_no_17_yes() -> None:
    # q01 4 → 1, q02 2 → 4: 平和 1 + (6−4) + 5 + 5 + 4 = 17; 气虚 4 + 1 + 1 + 2 = 8
    seventeen = fill(CODE, {**BALANCED, "q01": "1", "q02": "4", "visit_date": "2026-11-20"}).answers
    assert (seventeen["pinghe_score"], seventeen["pinghe_result"], seventeen["qixu_score"]) == (17, "1", 8)
    # and q05 1 → 2: 平和 1 + 2 + 5 + (6−2) + 4 = 16; 气郁 2 + 1 + 1 + 1 = 5
    sixteen = fill(CODE, {**BALANCED, "q01": "1", "q02": "4", "q05": "2", "visit_date": "2026-11-20"}).answers
    assert (sixteen["pinghe_score"], sixteen["pinghe_result"]) == (16, "3")
    assert sixteen["constitution_types"] == []


@pytest.mark.parametrize(("score", "expected"), [(4, "3"), (8, "3"), (9, "2"), (10, "2"), (11, "1"), (20, "1")])
def test_biased_judgement_bands(score: int, expected: str) -> None:
    assert judge_biased(score) == expected


def test_balanced_judgement_rules() -> None:
    assert judge_balanced(17, [8] * 8) == "1"
    assert judge_balanced(17, [8] * 7 + [9]) == "2"
    assert judge_balanced(17, [10] * 8) == "2"
    assert judge_balanced(17, [8] * 7 + [11]) == "3"
    assert judge_balanced(16, [4] * 8) == "3"


def test_anchored_options_of_questions_9_14_17_28() -> None:
    outcome = fill(CODE, {**EXAMPLE, "q09": "5", "q14": "4", "q17": "5", "q28": "5"})
    assert outcome.errors == []
    a = outcome.answers
    assert a["qixu_score"] == 14  # 4 + 3 + 3 + q14 4
    assert a["tanshi_score"] == 12  # q9 5 + 1 + q28 5 + 1
    assert (a["tebing_score"], a["tebing_result"]) == (9, "2")  # 1 + q17 5 + 1 + 2 = 9 倾向是
    assert a["constitution_types"] == ["1", "2", "4", "8"]  # 气虚 是, 阳虚 倾向是, 痰湿 是, 特禀 倾向是


def test_draft_scores_only_constitutions_whose_items_are_all_answered() -> None:
    outcome = fill(CODE, {"q05": "3", "q06": "3", "q07": "3", "q08": "2", "q01": "3"}, complete=False)
    assert outcome.errors == []
    a = outcome.answers
    assert (a["qiyu_score"], a["qiyu_result"]) == (11, "1")  # 3 + 3 + 3 + 2
    assert "qixu_score" not in a and "pinghe_score" not in a
    assert "pinghe_result" not in a and "constitution_types" not in a


def test_other_guidance_needs_its_text_and_is_dropped_without_other() -> None:
    missing = fill(CODE, {**EXAMPLE, "yangxu_guidance_other": ""})
    assert errors(missing) == {"yangxu_guidance_other": "阳虚质其他保健指导：此项为必填项"}
    dropped = fill(CODE, {**EXAMPLE, "qixu_guidance_other": "按揉足三里"})
    assert dropped.errors == []
    assert "qixu_guidance_other" not in dropped.answers


def test_out_of_range_answer_and_missing_question_are_named() -> None:
    raw = {k: v for k, v in EXAMPLE.items() if k != "q33"}
    outcome = fill(CODE, {**raw, "q01": "6"})
    assert errors(outcome) == {
        "q01": "（1）您精力充沛吗？：请从选项中选择",
        "q33": "（33）您舌下静脉瘀紫或增粗吗？：此项为必填项",
    }


def test_service_date_required_and_not_in_future() -> None:
    assert errors(fill(CODE, {**EXAMPLE, "visit_date": ""})) == {"visit_date": "填表日期：此项为必填项"}
    assert errors(fill(CODE, {**EXAMPLE, "visit_date": "2026-12-01"})) == {"visit_date": "填表日期：不能晚于今天"}


def test_a_resident_under_65_is_refused() -> None:
    outcome = fill(CODE, EXAMPLE, birth=date(1962, 1, 1))  # 64 on 2026-11-20
    assert errors(outcome) == {"visit_date": "填表日期：这张表用于65岁及以上老年人，该居民在服务日期不符合"}
