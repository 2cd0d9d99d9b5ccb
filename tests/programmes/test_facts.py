"""Programme facts for the indicators (REFERENCE.md §8), counted for a hand-built population of 新市镇 in the first
half of 2027. The demo county's own residents live in the same villages, so every figure is asserted as the exact
change from the figures before the population was filed."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kangdang.core.errors import InvalidInput
from kangdang.programmes.facts import FactRules, ProgrammeFacts, programme_facts
from kangdang.programmes.service import close_episode, enrol, update_episode
from kangdang.records.service import save_form
from tests.programmes.test_hypertension_episode import followup
from tests.records.forms.test_antenatal_first import EXAMPLE as ANTENATAL_FIRST
from tests.records.forms.test_child_check_preschool import check as preschool_check
from tests.records.forms.test_diabetes_followup import visit as diabetes_visit
from tests.records.forms.test_mental_followup import visit as mental_visit
from tests.records.forms.test_newborn_visit import visit as newborn_visit
from tests.records.forms.test_postpartum_visit import EXAMPLE as POSTPARTUM
from tests.records.forms.test_tb_first_visit import first_visit
from tests.records.forms.test_tb_followup import closing
from tests.residents.factories import MOGANSHAN_VILLAGE, XINSHI_VILLAGE, file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2027, 7, 5)
START, END = date(2027, 1, 1), date(2027, 6, 30)  # 181 days: floor(181 / 90) = 2 follow-ups per specification
TOWNSHIP = XINSHI_VILLAGE[:9]  # 新市镇
FILED = date(2026, 6, 1)


def iso(day: date) -> str:
    return day.isoformat()


class Population:
    """Files residents of 句城 (and one of 莫干山镇) with cunyi (cunyi2), enrols them and signs their forms."""

    def __init__(self, db: Any, actor_of: Any) -> None:
        self.db, self.cunyi, self.cunyi2 = db, actor_of("cunyi"), actor_of("cunyi2")

    def resident(self, name: str, born: date, sex: str = "1", *, outside: bool = False) -> Any:
        doctor = self.cunyi2 if outside else self.cunyi
        village = MOGANSHAN_VILLAGE if outside else XINSHI_VILLAGE
        return file_resident(self.db, doctor, name=name, born=born, sex=sex, village=village, filed_on=max(FILED, born))

    def enrol(self, record: Any, programme: str, on: date, **details: Any) -> Any:
        doctor = self.cunyi2 if record.village_code == MOGANSHAN_VILLAGE else self.cunyi
        return enrol(self.db, doctor, record.id, programme, enrolled_on=on, details=details or None)

    def sign(self, record: Any, code: str, answers: dict[str, Any]) -> Any:
        doctor = self.cunyi2 if record.village_code == MOGANSHAN_VILLAGE else self.cunyi
        return save_form(self.db, doctor, record.id, code, answers, sign=True)

    def hypertension(self, name: str, born: date, visits: list[tuple[date, int, int]], **kw: Any) -> Any:
        record = self.resident(name, born, **kw)
        self.enrol(record, "hypertension", date(2027, 1, 5))
        for day, sbp, dbp in visits:
            self.sign(record, "hypertension_followup", followup(day, sbp, dbp))
        return record

    def diabetes(self, name: str, born: date, visits: list[tuple[date, float]]) -> None:
        record = self.resident(name, born)
        self.enrol(record, "diabetes", date(2027, 1, 10))
        for day, glucose in visits:
            answers = diabetes_visit(visit_date=iso(day), fasting_glucose=glucose, hba1c=None, hba1c_date=None)
            self.sign(record, "diabetes_followup", answers)

    def mental(self, name: str, born: date, visits: list[date], on: date = date(2027, 1, 8)) -> Any:
        record = self.resident(name, born)
        episode = self.enrol(record, "mental", on)
        for day in visits:
            self.sign(record, "mental_followup", mental_visit(visit_date=iso(day), next_visit_date=None))
        return episode

    def tuberculosis(self, name: str, notified: date, first: date, stop: date, reason: str, taken: int) -> None:
        record = self.resident(name, date(1978, 4, 9))
        self.enrol(record, "tuberculosis", notified, notified_on=iso(notified), patient_type="1")
        visit = first_visit(
            visit_date=iso(first), next_visit_date=iso(first + timedelta(days=10)), pickup_date=iso(first)
        )
        self.sign(record, "tb_first_visit", visit)
        last = closing(visit_date=iso(stop), stop_date=iso(stop), stop_reason=reason, doses_required=120)
        self.sign(record, "tb_followup", last | {"doses_actual": taken})

    def pregnancy(self, name: str, lmp: date, first: date, weeks: int) -> Any:
        record = self.resident(name, date(1995, 3, 8), sex="2")
        episode = self.enrol(record, "maternal", first, lmp=iso(lmp))
        answers = ANTENATAL_FIRST | {"visit_date": iso(first), "lmp": iso(lmp), "gestational_weeks": weeks}
        self.sign(record, "antenatal_first", answers | {"gestational_days": 0, "next_visit_date": None})
        return record, episode

    def postpartum(self, record: Any, delivered: date, discharged: date, visit: date) -> None:
        answers = POSTPARTUM | {"visit_date": iso(visit), "delivery_date": iso(delivered)}
        self.sign(record, "postpartum_visit", answers | {"discharge_date": iso(discharged), "next_visit_date": None})


def facts(db: Any, region: str = TOWNSHIP, rules: FactRules | None = None) -> ProgrammeFacts:
    return programme_facts(db, region_code=region, start=START, end=END, rules=rules)


def change(before: ProgrammeFacts, after: ProgrammeFacts) -> dict[str, int]:
    old = asdict(before)
    return {key: value - old[key] for key, value in asdict(after).items() if value != old[key]}


@pytest.fixture
def population(db: Any, actor_of: Any, time_machine: Any) -> dict[str, ProgrammeFacts]:
    time_machine.move_to(datetime(2027, 7, 5, 9, 30, tzinfo=SHANGHAI), tick=False)
    regions = {"township": TOWNSHIP, "village": XINSHI_VILLAGE, "county": XINSHI_VILLAGE[:6]}
    before = {name: facts(db, code) for name, code in regions.items()}
    p = Population(db, actor_of)
    # hypertension: 甲 is 66 on 2 May, so 145/85 meets the 65+ target (150/90); 丁 is still 64 on 20 June
    # (65 on 1 July), so the same 145/85 misses the under-65 target (140/90); 丙 has one follow-up only;
    # 戊 is enrolled without a follow-up in the period
    p.hypertension("高甲", date(1960, 5, 10), [(date(2027, 2, 1), 150, 95), (date(2027, 5, 2), 145, 85)])
    p.hypertension("高乙", date(1970, 3, 3), [(date(2027, 3, 1), 135, 85), (date(2027, 6, 1), 145, 85)])
    p.hypertension("高丙", date(1975, 8, 8), [(date(2027, 4, 1), 128, 78)])
    p.hypertension("高丁", date(1962, 7, 1), [(date(2027, 2, 20), 130, 80), (date(2027, 6, 20), 145, 85)])
    p.hypertension("高戊", date(1968, 1, 1), [])
    # diabetes: 7.0 mmol/L is not below 7.0
    p.diabetes("糖甲", date(1965, 9, 9), [(date(2027, 2, 10), 8.2), (date(2027, 5, 10), 6.8)])
    p.diabetes("糖乙", date(1958, 2, 2), [(date(2027, 3, 15), 7.0)])
    # children on 30 June 2027: 6 (7 on 1 July) counts, 7 that day does not
    six = p.resident("童六岁", date(2020, 7, 1))
    p.sign(six, "child_check_preschool", preschool_check(visit_age="72", visit_date="2027-03-01"))
    seven = p.resident("童七岁", date(2020, 6, 30))
    p.sign(seven, "child_check_preschool", preschool_check(visit_age="72", visit_date="2027-02-01"))
    baby = p.resident("童新生", date(2027, 2, 10), sex="2")
    p.sign(baby, "newborn_visit", newborn_visit(visit_date="2027-02-17", next_visit_date="2027-03-12"))
    p.resident("童未访", date(2027, 5, 20))
    p.resident("童两岁", date(2025, 3, 1))
    # pregnancies: 孕甲 registered at 10 weeks, delivered (on the episode) 5 May, discharged 8 May, visited on
    # day 28 after discharge; 孕乙 registered at 20 weeks, delivery only on her postpartum form, visited on day 29;
    # 孕丙 is still pregnant
    first, episode = p.pregnancy("孕甲", date(2026, 7, 28), date(2026, 10, 6), 10)
    delivery = {"delivery_date": "2027-05-05", "discharge_date": "2027-05-08"}
    update_episode(p.db, p.cunyi, episode.id, details=delivery)
    p.postpartum(first, date(2027, 5, 5), date(2027, 5, 8), date(2027, 6, 5))
    second, _ = p.pregnancy("孕乙", date(2026, 8, 12), date(2026, 12, 30), 20)
    p.postpartum(second, date(2027, 5, 20), date(2027, 5, 22), date(2027, 6, 20))
    p.pregnancy("孕丙", date(2027, 1, 4), date(2027, 3, 1), 8)
    # the elderly: 65 or more in 2027 means born in 1962 or before (甲, 丁, 糖乙 and these two, not 1963)
    old = p.resident("老甲", date(1955, 4, 4))
    p.sign(old, "health_examination", _exam(date(2027, 4, 10)))
    p.sign(old, "elderly_tcm", _tcm(date(2027, 4, 10)))
    turning = p.resident("老乙", date(1962, 12, 31), sex="2")
    p.sign(turning, "health_examination", _exam(date(2027, 5, 5)))
    young = p.resident("未老", date(1963, 1, 1))
    p.sign(young, "health_examination", _exam(date(2027, 5, 6)))
    # severe mental disorders: 精乙 has one follow-up; 精丙 moved out in January (still registered in the period);
    # 精丁 left in December 2026
    p.mental("精甲", date(1980, 6, 1), [date(2027, 2, 10), date(2027, 5, 10)])
    p.mental("精乙", date(1985, 6, 1), [date(2027, 3, 10)])
    moved = p.mental("精丙", date(1982, 6, 1), [])
    close_episode(p.db, p.cunyi, moved.id, outcome="moved_out", closed_on=date(2027, 1, 20))
    left = p.mental("精丁", date(1983, 6, 1), [], on=date(2026, 12, 1))
    close_episode(p.db, p.cunyi, left.id, outcome="moved_out", closed_on=date(2026, 12, 20))
    # tuberculosis: 核甲 seen 3 days after notification and took 108 of 120 doses (90%); 核乙 seen after 4 days
    # and took 107 (89.2%); 核丙 seen the next day, died
    p.tuberculosis("核甲", date(2027, 2, 1), date(2027, 2, 4), date(2027, 5, 30), "1", 108)
    p.tuberculosis("核乙", date(2027, 3, 1), date(2027, 3, 5), date(2027, 6, 15), "1", 107)
    p.tuberculosis("核丙", date(2027, 4, 1), date(2027, 4, 2), date(2027, 5, 15), "2", 30)
    # outside 新市镇: a controlled hypertension patient of 莫干山镇, aged 70
    p.hypertension("外乡", date(1957, 1, 1), [(date(2027, 2, 1), 128, 80), (date(2027, 5, 1), 126, 78)], outside=True)
    p.db.flush()
    return {name: before[name] for name in regions} | {
        f"{name}_after": facts(db, code) for name, code in regions.items()
    }


def _exam(day: date) -> dict[str, Any]:
    return {
        "visit_date": iso(day),
        "symptoms": ["1"],
        "temperature": "36.5",
        "pulse": "72",
        "respiration": "18",
        "bp_left_sbp": "132",
        "bp_left_dbp": "80",
        "height": "160.0",
        "weight": "58.0",
        "waist": "82.0",
        "evaluation": "1",
    }


def _tcm(day: date) -> dict[str, Any]:
    return {f"q{n:02d}": "2" for n in range(1, 34)} | {"visit_date": iso(day)}


EXPECTED = {
    "hypertension_managed": 4,  # 甲 乙 丙 丁 (not 戊: no follow-up in the period)
    "hypertension_per_spec": 3,  # 甲 乙 丁: 2 follow-ups each
    "hypertension_controlled": 2,  # 甲 (145/85 at 66) and 丙 (128/78)
    "diabetes_managed": 2,
    "diabetes_per_spec": 1,
    "diabetes_controlled": 1,  # 6.8 yes, 7.0 no
    "children_0_6": 4,  # 六岁, 新生, 未访, 两岁 (not 七岁)
    "children_seen": 2,  # 六岁 (6岁 check), 新生 (newborn visit)
    "newborns": 2,
    "newborns_visited": 1,
    "deliveries": 2,
    "early_registration": 1,  # 孕甲 at 10 weeks (孕乙 at 20)
    "postpartum_visited_28d": 1,  # day 28 in, day 29 out
    "elderly_65": 5,  # 高甲 高丁 糖乙 老甲 老乙
    "elderly_managed": 2,  # 老甲 老乙 (未老 is 64 in 2027)
    "elderly_tcm": 1,
    "mental_registered": 3,  # 甲 乙 丙 (丁 closed before the period)
    "mental_per_spec": 1,
    "tb_notified": 3,
    "tb_first_visit_on_time": 2,  # within 3 days: 甲 (3 days) and 丙 (1 day)
    "tb_completed": 2,  # 甲 乙 (丙 died)
    "tb_regular": 1,  # 甲 108/120 = 90%; 乙 107/120 = 89.2%
}


def test_every_fact_counts_the_hand_built_population_exactly(population: dict[str, ProgrammeFacts]) -> None:
    assert population["township_after"].followups_required == 2
    assert change(population["township"], population["township_after"]) == EXPECTED


def test_the_region_is_a_code_prefix_and_residents_outside_it_are_not_counted(
    population: dict[str, ProgrammeFacts],
) -> None:
    # everyone of 新市镇 lives in 句城, so the village counts the same; the county adds 莫干山镇's patient (70)
    assert change(population["village"], population["village_after"]) == EXPECTED
    county = change(population["county"], population["county_after"])
    assert county == EXPECTED | {
        "hypertension_managed": 5,
        "hypertension_per_spec": 4,
        "hypertension_controlled": 3,
        "elderly_65": 6,
    }


def test_the_operational_rules_are_configurable(db: Any, population: dict[str, ProgrammeFacts]) -> None:
    # a province that ignores the 65+ target and asks for a follow-up every 60 days (3 in 181 days)
    strict_rules = replace(FactRules(), bp_target_elderly=(140, 90), followup_interval_days=60, postpartum_visit_days=7)
    usual, strict = population["township_after"], facts(db, rules=strict_rules)
    assert strict.followups_required == 3
    assert strict.hypertension_controlled == usual.hypertension_controlled - 1  # 甲's 145/85 at 66
    assert strict.hypertension_per_spec == usual.hypertension_per_spec - 3  # nobody has 3 follow-ups
    assert strict.postpartum_visited_28d == usual.postpartum_visited_28d - 1  # day 28 is not within 7 days


def test_a_bad_region_or_period_is_refused(db: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        programme_facts(db, region_code="33052x", start=END, end=START)
    assert {e.field for e in refused.value.errors} == {"region_code", "end"}
