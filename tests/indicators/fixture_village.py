"""A small fixture area worked out by hand: a new village of 新市镇 (330521102990, urban, 常住人口 10 in 2027)
whose only residents are the six below, filed by the township doctor between December 2026 and February 2027.

- A 甲, 1950 ♂: cover + basic form; hypertension; follow-ups 20 Jan 150/95, 1 Mar 135/85 → filed, e-filed,
  qualified, used; HTN managed, per spec, controlled; elderly without exam or TCM service.
- B 乙, 1980 ♀: cover only → counted nowhere (basic form missing: not filed, invalid).
- C 丙, 1985 ♂: cover + basic form, 3 basic items emptied afterwards (as by a legacy import) → filed, e-filed;
  invalid (3 empty items).
- D 丁, 1990 ♂: cover + basic form on 1 Dec 2026; a hypertension follow-up on 5 Dec 2026, not enrolled → filed,
  e-filed, qualified; used only in the rolling 12-month window.
- E 戊, born 15 Jan 2027 ♂: the record only → newborn and child 0–6 not visited; qualified (a child files the
  newborn visit, not the basic form).
- F 己, 1960 ♀: cover + basic form; hypertension; follow-up 10 Feb 152/94 → filed, e-filed, qualified, used;
  HTN per spec, not controlled; elderly without exam or TCM service.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from kangdang.institutions.models import Catchment, Institution
from kangdang.programmes.service import enrol
from kangdang.records.models import ServiceRecord
from kangdang.records.service import save_form
from kangdang.regions.models import Region, RegionPopulation
from tests.programmes.test_hypertension_episode import followup
from tests.records.test_service import personal_basic_info
from tests.residents.factories import file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
VILLAGE = "330521102990"
TOWNSHIP = "330521102"
TODAY = date(2027, 3, 10)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI)


def basic(day: date) -> dict[str, Any]:
    return personal_basic_info() | {"visit_date": day.isoformat()}


def build_village(db: Any, actor_of: Any, time_machine: Any) -> dict[str, Any]:
    """Create the village and its six residents; leaves the clock on 10 March 2027."""
    time_machine.move_to(at(date(2026, 12, 1)), tick=False)
    db.add(
        Region(code=VILLAGE, name="测试社区", level=5, parent_code=TOWNSHIP, area_type="urban", class_is_derived=True)
    )
    db.add(RegionPopulation(region_code=VILLAGE, year=2027, resident_population=10, source="测试"))
    centre = db.scalar(select(Institution).where(Institution.name == "新市镇中心卫生院"))
    db.add(Catchment(institution_id=centre.id, region_code=VILLAGE, valid_from=date(2026, 11, 22)))
    db.flush()
    doctor = actor_of("yisheng")

    def file(name: str, born: date, sex: str, day: date) -> Any:
        time_machine.move_to(at(day), tick=False)
        return file_resident(db, doctor, name=name, born=born, sex=sex, village=VILLAGE)

    def sign(record: Any, code: str, answers: dict[str, Any], day: date) -> Any:
        time_machine.move_to(at(day), tick=False)
        return save_form(db, doctor, record.id, code, answers, sign=True)

    people: dict[str, Any] = {}
    people["D"] = d = file("丁测试", date(1990, 4, 2), "1", date(2026, 12, 1))
    sign(d, "cover", {"visit_date": "2026-12-01"}, date(2026, 12, 1))
    sign(d, "personal_basic_info", basic(date(2026, 12, 1)), date(2026, 12, 1))
    sign(d, "hypertension_followup", followup(date(2026, 12, 5), 150, 95), date(2026, 12, 5))

    people["A"] = a = file("甲测试", date(1950, 5, 1), "1", date(2027, 1, 5))
    sign(a, "cover", {"visit_date": "2027-01-05"}, date(2027, 1, 5))
    sign(a, "personal_basic_info", basic(date(2027, 1, 5)), date(2027, 1, 5))
    enrol(db, doctor, a.id, "hypertension")
    sign(a, "hypertension_followup", followup(date(2027, 1, 20), 150, 95), date(2027, 1, 20))
    sign(a, "hypertension_followup", followup(date(2027, 3, 1), 135, 85), date(2027, 3, 1))

    people["B"] = b = file("乙测试", date(1980, 6, 3), "2", date(2027, 1, 6))
    sign(b, "cover", {"visit_date": "2027-01-06"}, date(2027, 1, 6))

    people["C"] = c = file("丙测试", date(1985, 7, 4), "1", date(2027, 1, 7))
    sign(c, "cover", {"visit_date": "2027-01-07"}, date(2027, 1, 7))
    form = sign(c, "personal_basic_info", basic(date(2027, 1, 7)), date(2027, 1, 7))
    emptied = {k: v for k, v in form.answers.items() if k not in ("blood_abo", "education", "occupation")}
    db.execute(update(ServiceRecord).where(ServiceRecord.id == form.id).values(answers=emptied))

    people["F"] = f = file("己测试", date(1960, 8, 5), "2", date(2027, 1, 8))
    sign(f, "cover", {"visit_date": "2027-01-08"}, date(2027, 1, 8))
    sign(f, "personal_basic_info", basic(date(2027, 1, 8)), date(2027, 1, 8))
    enrol(db, doctor, f.id, "hypertension")
    sign(f, "hypertension_followup", followup(date(2027, 2, 10), 152, 94), date(2027, 2, 10))

    people["E"] = file("戊测试", date(2027, 1, 15), "1", date(2027, 2, 1))
    time_machine.move_to(at(TODAY), tick=False)
    db.expire_all()
    return people


# (numerator, denominator) of the village in 2027Q1 as of 10 March 2027, worked out by hand from the table above.
EXPECTED_ROLLING = {
    "filing_rate": (4, 10),  # A C D F of a population of 10
    "e_filing_rate": (4, 10),
    "qualified_rate": (4, 6),  # A D E F; B and C invalid
    "usage_rate": (3, 6),  # A D F: D's December follow-up is within 12 months
    "newborn_visit_rate": (0, 1),  # E
    "child_management_rate": (0, 1),  # E
    "early_registration_rate": (0, 0),
    "postpartum_visit_rate": (0, 0),
    "elderly_management_rate": (0, 2),  # A (76) and F (65 or more in 2027), no health examination
    "elderly_tcm_rate": (0, 2),
    "hypertension_standard_rate": (2, 2),  # 69 days in the period → 1 follow-up required; A has 2, F 1
    "hypertension_control_rate": (1, 2),  # A 135/85 met; F 152/94 did not
    "diabetes_standard_rate": (0, 0),
    "diabetes_control_rate": (0, 0),
    "mental_standard_rate": (0, 0),
    "tuberculosis_management_rate": (0, 0),
    "tuberculosis_regular_rate": (0, 0),
}
EXPECTED_CALENDAR = EXPECTED_ROLLING | {"usage_rate": (2, 6)}  # D's 2026 follow-up is outside the year
