"""新生儿家庭访视记录表: a complete home visit, Apgar only after asphyxia, the newborn age window."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.records.formkit import errors, fill

BIRTH = date(2026, 11, 10)


def visit(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "father_name": "王建国",
        "father_occupation": "个体经营",
        "father_phone": "13905718822",
        "father_birth_date": "1993-04-02",
        "mother_name": "李秀英",
        "mother_occupation": "小学教师",
        "mother_phone": "13588016633",
        "mother_birth_date": "1995-09-18",
        "gestational_weeks": "39",
        "maternal_illness": "3",
        "delivery_institution": "临安区妇幼保健院",
        "birth_circumstances": ["1"],
        "asphyxia": "2",
        "apgar_1min": "7",
        "apgar_5min": "9",
        "malformation": "1",
        "hearing_screening": "1",
        "disease_screening": ["2"],
        "birth_weight": "3.26",
        "current_weight": "3.40",
        "birth_length": "50",
        "feeding_mode": "1",
        "feeds_per_day": "10",
        "vomiting": "1",
        "stool": "1",
        "stools_per_day": "4",
        "temperature": "36.8",
        "heart_rate": "142",
        "respiratory_rate": "44",
        "complexion": "2",
        "jaundice_site": ["2", "3"],
        "fontanelle_length": "1.5",
        "fontanelle_width": "1.5",
        "fontanelle": "1",
        "eyes": "1",
        "limb_movement": "1",
        "ears": "1",
        "neck_mass": "1",
        "nose": "1",
        "skin": ["1"],
        "mouth": "1",
        "anus": "1",
        "heart_lung": "1",
        "chest": "1",
        "abdomen": "1",
        "spine": "1",
        "genitals": "1",
        "umbilical_cord": ["1"],
        "referral": "1",
        "guidance": ["1", "3", "4"],
        "visit_date": "2026-11-17",
        "next_visit_place": "青山湖街道社区卫生服务中心",
        "next_visit_date": "2026-12-10",
        "doctor_name": "陈晓燕",
    }
    answers.update(changes)
    return answers


def complete(answers: dict[str, Any], birth: date = BIRTH) -> Any:
    return fill("newborn_visit", answers, birth=birth, sex="1", filed_on=birth)


def test_a_complete_home_visit_a_week_after_birth_has_no_errors() -> None:
    outcome = complete(visit())
    assert errors(outcome) == {}
    assert outcome.answers["visit_date"] == date(2026, 11, 17)
    assert outcome.answers["apgar_1min"] == 7
    assert outcome.answers["apgar_5min"] == 9
    assert outcome.answers["current_weight"] == 3.4
    assert outcome.answers["fontanelle_length"] == 1.5
    assert outcome.answers["jaundice_site"] == ["2", "3"]
    assert outcome.answers["father_birth_date"] == date(1993, 4, 2)  # parents are born before the child


def test_apgar_scores_are_dropped_when_there_was_no_asphyxia() -> None:
    outcome = complete(visit(asphyxia="1", apgar_unknown="是"))
    assert errors(outcome) == {}
    assert "apgar_1min" not in outcome.answers
    assert "apgar_5min" not in outcome.answers
    assert "apgar_unknown" not in outcome.answers


def test_apgar_unknown_is_kept_after_asphyxia() -> None:
    outcome = complete(visit(apgar_1min="", apgar_5min="", apgar_unknown="是"))
    assert errors(outcome) == {}
    assert outcome.answers["apgar_unknown"] is True


def test_apgar_above_ten_is_refused() -> None:
    assert errors(complete(visit(apgar_5min="11"))) == {"apgar_5min": "Apgar评分5分钟：应在 0～10分 之间"}


def test_the_last_day_of_the_newborn_window_is_day_27() -> None:
    # 2026-09-16 + 27 days = 2026-10-13 (14 days to 09-30, 13 more): still a newborn;
    # + 28 days = 2026-10-14 is the 满月 age, recorded on the 1岁以内 form
    assert errors(complete(visit(visit_date="2026-10-13"), birth=date(2026, 9, 16))) == {}
    late = complete(visit(visit_date="2026-10-14"), birth=date(2026, 9, 16))
    assert errors(late) == {"visit_date": "本次访视日期：这张表用于新生儿（出生28天内），该居民在服务日期不符合"}


def test_an_adult_is_refused() -> None:
    outcome = fill("newborn_visit", visit(), birth=date(1988, 6, 1))
    assert errors(outcome) == {"visit_date": "本次访视日期：这张表用于新生儿（出生28天内），该居民在服务日期不符合"}


def test_out_of_range_weight_and_temperature_are_refused() -> None:
    outcome = complete(visit(current_weight="34", temperature="45.2"))
    assert errors(outcome) == {
        "current_weight": "目前体重：应在 0.3～8kg 之间",
        "temperature": "体温：应在 34～42℃ 之间",
    }


def test_a_referral_needs_its_reason_and_institution() -> None:
    outcome = complete(visit(referral="2"))
    assert errors(outcome) == {
        "referral_reason": "转诊原因：此项为必填项",
        "referral_institution": "机构及科室：此项为必填项",
    }


def test_screening_not_done_cannot_be_ticked_with_a_finding() -> None:
    outcome = complete(visit(disease_screening=["1", "3"]))
    assert errors(outcome) == {"disease_screening": "新生儿疾病筛查：选了“未进行”就不能再选其他项"}


def test_other_metabolic_disease_needs_its_name() -> None:
    outcome = complete(visit(disease_screening=["5"]))
    assert errors(outcome) == {"disease_screening_other": "其他遗传代谢病名称：此项为必填项"}


def test_the_visit_date_and_current_weight_are_required() -> None:
    outcome = complete(visit(visit_date="", current_weight=""))
    assert errors(outcome) == {
        "visit_date": "本次访视日期：此项为必填项",
        "current_weight": "目前体重：此项为必填项",
    }


def test_the_next_visit_cannot_be_before_this_visit() -> None:
    outcome = complete(visit(next_visit_date="2026-11-15"))
    assert errors(outcome) == {"next_visit_date": "下次随访日期：不能早于本次访视日期"}
