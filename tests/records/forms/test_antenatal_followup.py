"""第2～5次产前随访服务记录表: one visit per form, 孕周 against the visit, guidance list by visit."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.records.formkit import errors, fill

CODE = "antenatal_followup"
BIRTH = date(1998, 5, 20)

# 第3次 visit of 陈晓燕 (LMP 2026-06-07) on 2026-11-10: 156 days = 22 weeks + 2 days.
EXAMPLE: dict[str, Any] = {
    "visit_number": "3",
    "visit_date": "2026-11-10",
    "gestational_weeks": 22,
    "gestational_days": 2,
    "chief_complaint": "无不适，自觉胎动",
    "weight": "61.5",
    "fundal_height": "21.0",
    "abdominal_circumference": "86.0",
    "fetal_position": "头位",
    "fetal_heart_rate": 146,
    "sbp": 112,
    "dbp": 70,
    "hemoglobin": 116,
    "urine_protein": "-",
    "tests_other": "OGTT 待查",
    "classification": "1",
    "guidance_3": ["1", "2", "5"],
    "referral": "1",
    "next_visit_date": "2026-12-22",
    "doctor_name": "林美华",
}


def woman(answers: dict[str, Any], **kwargs: Any) -> Any:
    kwargs.setdefault("birth", BIRTH)
    kwargs.setdefault("sex", "2")
    return fill(CODE, answers, **kwargs)


def test_complete_third_visit_is_accepted_with_its_own_guidance_list() -> None:
    outcome = woman(EXAMPLE)
    assert outcome.errors == []
    a = outcome.answers
    assert a["visit_number"] == "3"
    assert a["gestational_weeks"] == 22
    assert a["guidance_3"] == ["1", "2", "5"]  # 生活方式, 营养, 自我监护
    assert a["visit_date"] == date(2026, 11, 10)


def test_third_visit_at_30_weeks_is_refused() -> None:
    outcome = woman({**EXAMPLE, "gestational_weeks": 30, "gestational_days": 0})
    assert errors(outcome) == {"gestational_weeks": "孕周：第3次产前随访应在孕21～24周，本次填写为孕30周"}


@pytest.mark.parametrize(
    ("number", "weeks", "fits"),
    [
        ("2", 16, True),
        ("2", 20, True),
        ("2", 15, False),
        ("2", 21, False),
        ("3", 21, True),
        ("3", 24, True),  # 24+6 is still "24 周" as printed
        ("3", 20, False),
        ("3", 25, False),
        ("4", 28, True),
        ("4", 36, True),
        ("4", 27, False),
        ("4", 37, False),
        ("5", 37, True),
        ("5", 40, True),
        ("5", 36, False),
        ("5", 41, False),
    ],
)
def test_weeks_must_fit_the_visit_inclusive(number: str, weeks: int, fits: bool) -> None:
    answers = {**EXAMPLE, "visit_number": number, "gestational_weeks": weeks, "gestational_days": 6}
    answers.pop("guidance_3")
    outcome = woman(answers)
    if fits:
        assert outcome.errors == []
    else:
        assert set(errors(outcome)) == {"gestational_weeks"}
        assert f"第{number}次产前随访应在孕" in errors(outcome)["gestational_weeks"]


def test_each_visit_keeps_only_its_own_guidance_list() -> None:
    answers = {**EXAMPLE, "visit_number": "2", "gestational_weeks": 18, "guidance_2": ["1", "4"]}
    outcome = woman(answers)
    assert outcome.errors == []
    assert outcome.answers["guidance_2"] == ["1", "4"]
    assert "guidance_3" not in outcome.answers  # the 3rd-visit list is disabled on a 2nd visit


def test_guidance_codes_differ_by_visit() -> None:
    # 第2次 has only 1–5; code 6 (母乳喂养 on the 3rd list) is not an option there
    answers = {**EXAMPLE, "visit_number": "2", "gestational_weeks": 18, "guidance_2": ["6"]}
    assert errors(woman(answers)) == {"guidance_2": "指导（第2次）：请从选项中选择"}
    # 第4～5次: 6 分娩准备, 8 其他 with its text
    answers = {
        **EXAMPLE,
        "visit_number": "5",
        "gestational_weeks": 38,
        "guidance_4_5": ["6", "7", "8"],
        "guidance_other": "临产征兆识别",
    }
    outcome = woman(answers)
    assert outcome.errors == []
    assert outcome.answers["guidance_4_5"] == ["6", "7", "8"]
    assert outcome.answers["guidance_other"] == "临产征兆识别"


def test_visit_number_is_required_and_limited_to_2_to_5() -> None:
    assert errors(woman({**EXAMPLE, "visit_number": None})) == {"visit_number": "随访次数：此项为必填项"}
    assert errors(woman({**EXAMPLE, "visit_number": "1"})) == {"visit_number": "随访次数：请从选项中选择"}


def test_a_man_is_refused() -> None:
    assert errors(woman(EXAMPLE, sex="1")) == {"visit_date": "(随访/督促)日期：这张表用于孕产妇，该居民性别不符合"}


def test_out_of_range_and_abnormal_classification_need_details() -> None:
    answers = {**EXAMPLE, "fetal_heart_rate": 250, "classification": "2", "referral": "2"}
    assert errors(woman(answers)) == {
        "fetal_heart_rate": "胎心率：应在 60～220次/分钟 之间",
        "classification_abnormal": "分类异常：此项为必填项",
        "referral_reason": "转诊原因：此项为必填项",
        "referral_institution": "机构及科室：此项为必填项",
    }
