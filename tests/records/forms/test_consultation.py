"""会诊记录表: reason, opinion, one row per consulting doctor and institution."""

from __future__ import annotations

from datetime import date

from tests.records.formkit import errors, fill

COMPLETE = {
    "reason": "2型糖尿病患者空腹血糖持续高于 10 mmol/L，调整用药效果不佳，请上级医院内分泌科会诊。",
    "opinion": "建议加用基础胰岛素（甘精胰岛素 10 U 睡前皮下注射），每三天根据空腹血糖调整；完善糖化血红蛋白检查。",
    "consultants": [
        {"institution": "绍兴市人民医院", "doctor": "陈志明"},
        {"institution": "柯桥区中医医院", "doctor": "周丽华"},
    ],
    "doctor_name": "王建国",
    "visit_date": "2026-11-18",
}


def test_complete_consultation_keeps_every_consultant_row() -> None:
    outcome = fill("consultation", COMPLETE)
    assert errors(outcome) == {}
    assert outcome.answers["consultants"] == COMPLETE["consultants"]
    assert outcome.answers["visit_date"] == date(2026, 11, 18)
    assert outcome.answers["doctor_name"] == "王建国"


def test_consultation_needs_at_least_one_consulting_doctor() -> None:
    outcome = fill("consultation", {**COMPLETE, "consultants": []})
    assert errors(outcome) == {"consultants": "会诊医生及其所在医疗卫生机构：此项为必填项"}


def test_blank_consultant_rows_are_ignored() -> None:
    rows = [COMPLETE["consultants"][0], {"institution": "", "doctor": " "}]
    outcome = fill("consultation", {**COMPLETE, "consultants": rows})
    assert errors(outcome) == {}
    assert outcome.answers["consultants"] == [{"institution": "绍兴市人民医院", "doctor": "陈志明"}]


def test_consultant_row_without_signature_is_refused() -> None:
    rows = [COMPLETE["consultants"][0], {"institution": "柯桥区中医医院"}]
    outcome = fill("consultation", {**COMPLETE, "consultants": rows})
    assert errors(outcome) == {
        "consultants.1.doctor": "会诊医生及其所在医疗卫生机构第 2 行的会诊医生签字：此项为必填项"
    }


def test_more_than_ten_consultants_is_refused() -> None:
    rows = [{"institution": f"第{n}医院", "doctor": f"医生{n}"} for n in range(11)]
    outcome = fill("consultation", {**COMPLETE, "consultants": rows})
    assert errors(outcome) == {"consultants": "会诊医生及其所在医疗卫生机构：最多填写 10 行"}


def test_consultation_without_reason_and_opinion_cannot_be_completed() -> None:
    answers = {k: v for k, v in COMPLETE.items() if k not in ("reason", "opinion")}
    assert errors(fill("consultation", answers)) == {
        "reason": "会诊原因：此项为必填项",
        "opinion": "会诊意见：此项为必填项",
    }


def test_consultation_before_filing_date_is_refused() -> None:
    outcome = fill("consultation", {**COMPLETE, "visit_date": "2017-12-31"}, filed_on=date(2018, 1, 10))
    assert errors(outcome) == {"visit_date": "会诊日期：不能早于建档日期（2018-01-10）"}


def test_unknown_column_in_a_consultant_row_is_reported() -> None:
    rows = [{"institution": "绍兴市人民医院", "doctor": "陈志明", "title": "主任医师"}]
    outcome = fill("consultation", {**COMPLETE, "consultants": rows})
    assert errors(outcome) == {"consultants.0": "会诊医生及其所在医疗卫生机构：第 1 行有未知的栏目：title"}
