"""个人基本信息表: every 2017 field, the 7-year age floor, value sets of the 2017 and 2011 editions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kangdang.records import legacy
from kangdang.records.catalogue import catalogue
from kangdang.records.definition import ValueSet
from tests.records.formkit import errors, fill

COMPLETE: dict[str, Any] = {
    "blood_abo": "1",
    "blood_rh": "2",
    "education": "7",
    "occupation": "4",
    "marital_status": "2",
    "payment_method": ["8", "3"],
    "payment_other": "城乡居民大病保险",
    "drug_allergy": ["2", "5"],
    "drug_allergy_other": "头孢类",
    "exposure": ["1"],
    "past_diseases": [
        {"disease": "2", "diagnosed": "2016-5"},
        {"disease": "3", "diagnosed": "2023-09"},
        {"disease": "6", "diagnosed": "2021-03", "detail": "结肠癌"},
    ],
    "surgery": "2",
    "surgeries": [{"name": "结肠癌根治术", "date": "2021-04-12"}],
    "trauma": "1",
    "transfusion": "2",
    "transfusions": [{"reason": "结肠癌手术术中失血", "date": "2021-04-12"}],
    "family_father": ["2", "7"],
    "family_mother": ["3"],
    "family_siblings": ["2"],
    "family_children": ["1"],
    "hereditary_disease": "1",
    "disability": ["1"],
    "kitchen_ventilation": "2",
    "fuel": "1",
    "water": "1",
    "toilet": "1",
    "livestock": "1",
    "visit_date": "2026-11-20",
    "doctor_name": "王建国",
}


def without(*keys: str) -> dict[str, Any]:
    return {k: v for k, v in COMPLETE.items() if k not in keys}


def test_complete_basic_information_of_a_farmer_is_accepted() -> None:
    outcome = fill("personal_basic_info", COMPLETE, birth=date(1960, 3, 15), sex="1")
    assert errors(outcome) == {}
    assert outcome.answers == {
        **COMPLETE,
        "payment_method": ["3", "8"],  # codes are kept in the printed order
        "past_diseases": [
            {"disease": "2", "diagnosed": "2016-05"},  # 年月 normalised to two-digit months
            {"disease": "3", "diagnosed": "2023-09"},
            {"disease": "6", "diagnosed": "2021-03", "detail": "结肠癌"},
        ],
        "surgeries": [{"name": "结肠癌根治术", "date": date(2021, 4, 12)}],
        "transfusions": [{"reason": "结肠癌手术术中失血", "date": date(2021, 4, 12)}],
        "visit_date": date(2026, 11, 20),
    }


def test_identity_fields_are_shown_from_the_record_and_never_stored() -> None:
    form = catalogue().form("personal_basic_info")
    assert {i.label: i.bind for i in form.items() if i.bind} == {
        "姓名": "person.name",
        "编号": "record.short_number",
        "性别": "person.sex",
        "出生日期": "person.birth_date",
        "身份证号": "person.id_number",
        "工作单位": "person.work_unit",
        "本人电话": "person.phone",
        "联系人姓名": "person.contact_name",
        "联系人电话": "person.contact_phone",
        "常住类型": "person.residence_type",
        "民族": "person.ethnicity",
    }
    outcome = fill("personal_basic_info", {**COMPLETE, "name": "赵德明", "id_number": "330621196003150012"})
    assert "name" not in outcome.answers and "id_number" not in outcome.answers


def test_form_is_filled_once_per_record_and_signed_by_the_filling_doctor() -> None:
    form = catalogue().form("personal_basic_info")
    assert form.one_per_record is True
    assert form.doctor_item == "doctor_name"
    extensions = {i.key for i in form.items() if i.extension}
    assert extensions == {"visit_date", "doctor_name"}


# --- who fills it: 0–6 year olds do not (7 years = 2557 days counting the leap days) ---


CHILD: dict[str, Any] = without("surgeries", "transfusions") | {
    "education": "8",
    "occupation": "8",
    "marital_status": "1",
    "past_diseases": [{"disease": "1"}],
    "surgery": "1",
    "transfusion": "1",
    "family_children": [],
}


def test_child_of_four_is_refused() -> None:
    outcome = fill("personal_basic_info", CHILD, birth=date(2022, 6, 1))
    assert errors(outcome) == {"visit_date": "填表日期：这张表用于7岁及以上居民，该居民在服务日期不符合"}


def test_child_on_the_seventh_birthday_is_accepted() -> None:
    # 2019-11-20 → 2026-11-20: 7 × 365 + 2 leap days (2020-02-29, 2024-02-29) = 2557 days = min_age_days
    outcome = fill("personal_basic_info", CHILD, birth=date(2019, 11, 20))
    assert errors(outcome) == {}


def test_child_the_day_before_the_seventh_birthday_is_refused() -> None:
    # 2019-11-21 → 2026-11-20: 2557 − 1 = 2556 days < 2557
    outcome = fill("personal_basic_info", CHILD, birth=date(2019, 11, 21))
    assert errors(outcome) == {"visit_date": "填表日期：这张表用于7岁及以上居民，该居民在服务日期不符合"}


def test_draft_for_a_child_is_not_refused_until_completed() -> None:
    assert errors(fill("personal_basic_info", CHILD, birth=date(2022, 6, 1), complete=False)) == {}


# --- required items, codes and companions ---


def test_missing_blood_group_and_past_history_cannot_be_completed() -> None:
    outcome = fill("personal_basic_info", without("blood_abo", "past_diseases", "surgery"))
    assert errors(outcome) == {
        "blood_abo": "ABO血型：此项为必填项",
        "past_diseases": "疾病：此项为必填项",
        "surgery": "手术：此项为必填项",
    }


def test_siblings_children_and_living_environment_may_be_left_blank() -> None:
    outcome = fill(
        "personal_basic_info",
        without("family_siblings", "family_children", "kitchen_ventilation", "fuel", "water", "toilet", "livestock"),
    )
    assert errors(outcome) == {}


def test_education_code_not_on_the_2017_form_is_refused() -> None:
    outcome = fill("personal_basic_info", {**COMPLETE, "education": "11"})
    assert errors(outcome) == {"education": "文化程度：请从选项中选择"}


def test_past_disease_code_not_on_the_form_is_refused() -> None:
    rows = [{"disease": "14", "diagnosed": "2016-05"}]
    outcome = fill("personal_basic_info", {**COMPLETE, "past_diseases": rows})
    assert errors(outcome) == {"past_diseases.0.disease": "疾病第 1 行的疾病种类：请从选项中选择"}


def test_past_disease_row_without_the_disease_is_refused() -> None:
    rows = [{"disease": "2", "diagnosed": "2016-05"}, {"diagnosed": "2020-01", "detail": "痛风"}]
    outcome = fill("personal_basic_info", {**COMPLETE, "past_diseases": rows})
    assert errors(outcome) == {"past_diseases.1.disease": "疾病第 2 行的疾病种类：此项为必填项"}


def test_diagnosis_month_must_be_a_real_month() -> None:
    rows = [{"disease": "2", "diagnosed": "2016-13"}]
    outcome = fill("personal_basic_info", {**COMPLETE, "past_diseases": rows})
    assert errors(outcome) == {"past_diseases.0.diagnosed": "疾病第 1 行的确诊时间：年月格式应为 年-月，例如 2019-06"}


def test_none_cannot_be_ticked_with_a_drug() -> None:
    outcome = fill("personal_basic_info", {**COMPLETE, "drug_allergy": ["1", "2"]})
    assert errors(outcome) == {"drug_allergy": "药物过敏史：选了“无”就不能再选其他项"}


def test_no_disability_cannot_be_ticked_with_a_disability() -> None:
    outcome = fill("personal_basic_info", {**COMPLETE, "disability": ["5", "1"]})
    assert errors(outcome) == {"disability": "残疾情况：选了“无残疾”就不能再选其他项"}


@pytest.mark.parametrize(
    ("answers", "key", "message"),
    [
        ({"payment_method": ["3", "8"]}, "payment_other", "其他支付方式：此项为必填项"),
        ({"drug_allergy": ["5"]}, "drug_allergy_other", "其他过敏药物：此项为必填项"),
        ({"family_father": ["12"]}, "family_father_other", "父亲其他疾病：此项为必填项"),
        ({"family_children": ["2", "12"]}, "family_children_other", "子女其他疾病：此项为必填项"),
        ({"hereditary_disease": "2"}, "hereditary_disease_name", "疾病名称：此项为必填项"),
        ({"disability": ["8"]}, "disability_other", "其他残疾说明：此项为必填项"),
        ({"trauma": "2"}, "traumas", "外伤名称及时间：此项为必填项"),
    ],
)
def test_other_or_present_needs_its_details(answers: dict[str, Any], key: str, message: str) -> None:
    # start from a form without any "其他" ticked, then tick the one under test
    plain = without("payment_other", "drug_allergy_other") | {"payment_method": ["3"], "drug_allergy": ["2"]}
    assert errors(fill("personal_basic_info", plain)) == {}
    assert errors(fill("personal_basic_info", plain | answers)) == {key: message}


def test_details_of_an_option_not_chosen_are_dropped() -> None:
    raw = {**COMPLETE, "payment_method": ["3"], "hereditary_disease": "1", "hereditary_disease_name": "血友病"}
    outcome = fill("personal_basic_info", raw)
    assert errors(outcome) == {}
    assert "payment_other" not in outcome.answers
    assert "hereditary_disease_name" not in outcome.answers


def test_operation_rows_are_dropped_when_none_is_ticked() -> None:
    outcome = fill("personal_basic_info", {**COMPLETE, "surgery": "1"})
    assert errors(outcome) == {}
    assert "surgeries" not in outcome.answers


def test_operation_before_birth_is_refused() -> None:
    rows = [{"name": "阑尾切除术", "date": "1958-07-01"}]
    outcome = fill("personal_basic_info", {**COMPLETE, "surgeries": rows}, birth=date(1960, 3, 15))
    assert errors(outcome) == {"surgeries.0.date": "手术名称及时间第 1 行的时间：不能早于出生日期（1960-03-15）"}


def test_transfusion_in_the_future_is_refused() -> None:
    rows = [{"reason": "贫血", "date": "2027-01-01"}]
    outcome = fill("personal_basic_info", {**COMPLETE, "transfusions": rows})
    assert errors(outcome) == {"transfusions.0.date": "输血原因及时间第 1 行的时间：不能晚于今天"}


def test_filling_date_may_precede_the_records_filing_date() -> None:
    # a record-category form: the basic information is usually filled on the filing day or just before it
    outcome = fill("personal_basic_info", {**COMPLETE, "visit_date": "2018-01-09"}, filed_on=date(2018, 1, 10))
    assert errors(outcome) == {}


# --- value sets: 2017 codes and the 2011 edition mapped by meaning ---


def value_set(code: str) -> ValueSet:
    return catalogue().value_sets[code]


def current_code(code: str, edition: str, old: str) -> str:
    """The 2017 code meaning the same as ``old`` of ``edition`` (through the label, never the number)."""
    return legacy.current_code(value_set(code), edition, old)


def test_a_2011_form_is_upgraded_by_meaning() -> None:
    form = catalogue().form("personal_basic_info")
    saved_2011 = {"blood_rh": "1", "education": "4", "past_diseases": [{"disease": "8", "diagnosed": "2010-03"}]}
    assert legacy.upgrade_answers(form, saved_2011, "2011") == {
        "blood_rh": "2",  # 2011 "RH阴性：否" is Rh positive
        "education": "6",  # 高中/技校/中专 → 高中
        "past_diseases": [{"disease": "8", "diagnosed": "2010-03"}],  # 重性精神疾病 → 严重精神障碍
    }


def test_2011_rh_negative_question_maps_by_meaning() -> None:
    # 2011 asked "RH阴性？": 1 否 → Rh positive (2017 code 2), 2 是 → Rh negative (2017 code 1)
    assert {old: current_code("basic_blood_rh", "2011", old) for old in ("1", "2", "3")} == {
        "1": "2",
        "2": "1",
        "3": "3",
    }


def test_2011_education_codes_map_to_2017_labels() -> None:
    mapped = {old: current_code("basic_education", "2011", old) for old in ("1", "2", "3", "4", "5", "6")}
    assert mapped == {"1": "9", "2": "8", "3": "7", "4": "6", "5": "3", "6": "10"}


@pytest.mark.parametrize("code", ["basic_past_disease", "basic_family_disease"])
def test_2011_severe_mental_illness_maps_to_severe_mental_disorder(code: str) -> None:
    assert current_code(code, "2011", "8") == "8"
    assert value_set(code).label_of("8") == "严重精神障碍"


def test_every_previous_option_maps_to_a_current_label() -> None:
    for code, vs in catalogue().value_sets.items():
        if not code.startswith("basic_"):
            continue
        labels = {o.label for o in vs.options}
        for edition, options in vs.previous.items():
            for option in options:
                assert (option.maps_to or option.label) in labels, (code, edition, option.code)


def test_code_lists_are_the_2017_form_lists() -> None:
    assert [o.code for o in value_set("basic_past_disease").options] == [str(n) for n in range(1, 14)]
    assert [o.code for o in value_set("basic_family_disease").options] == [str(n) for n in range(1, 13)]
    assert [o.code for o in value_set("basic_occupation").options] == [str(n) for n in range(0, 9)]
    assert value_set("basic_family_disease").label_of("11") == "先天畸形"
    assert value_set("basic_past_disease").label_of("12") == "职业病"
    assert (value_set("basic_marital_status").standard or "").startswith("GB/T 2261.2")
    assert (value_set("basic_blood_abo").standard or "").startswith("WS 364 CV04.50.005")
