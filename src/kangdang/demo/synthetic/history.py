"""Five years of one resident's services (pure): the forms a county's doctors would have signed, following the
national schedules with realistic gaps, and the programme episodes they belong to.

Every form goes through the form engine (``demo.forms._row``), so derived values and rules hold as on the pages.
One resident's history draws from its own random stream, seeded by the county seed and the ID number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kangdang.demo import programme_forms as made
from kangdang.demo.forms import DRUGS_DM, DRUGS_HTN, _basic, _Resident, _row
from kangdang.demo.people import gauss_in
from kangdang.demo.synthetic.population import Conditions
from kangdang.programmes.codes import Programme
from kangdang.records.catalogue import catalogue
from kangdang.records.context import add_months, age_in_days, age_in_years
from kangdang.records.derivations.child import COLUMNS

Row = dict[str, Any]
YEARS = 5
FILED_WITH_BASIC = 0.9  # adults whose 个人基本信息表 was entered at filing (the rest: 建档不完整)
VISIT_KEPT = 0.88  # a scheduled follow-up that took place
YEARLY_EXAM = 0.75  # an elderly resident's yearly health check in a given year


@dataclass
class Episode:
    programme: Programme
    enrolled_on: date
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class History:
    forms: list[Row] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    filing_complete_on: date | None = None


def history(resident: _Resident, conditions: Conditions, *, seed: int, id_number: str, today: date) -> History:
    """The resident's forms and episodes from filing (or five years ago) to ``today``."""
    rng = random.Random(f"{seed}:{id_number}:history")
    start = max(resident.filed_on, add_months(today, -12 * YEARS))
    found = History()
    _filing(rng, resident, today, found)
    if resident.birth > add_months(today, -84):
        _child(rng, resident, today, found)
    if age_in_years(resident.birth, today) >= 65 or today.year - resident.birth.year >= 65:
        _elderly(rng, resident, start, today, found)
    for diagnosed, code, programme in (
        (conditions.hypertension, "hypertension_followup", Programme.HYPERTENSION),
        (conditions.diabetes, "diabetes_followup", Programme.DIABETES),
    ):
        if diagnosed is not None and diagnosed <= today:
            on = max(diagnosed, resident.filed_on, add_months(resident.birth, 35 * 12))
            found.episodes.append(Episode(programme, on))
            _chronic(rng, resident, code, max(on, start), today, found)
    if conditions.mental is not None:
        on = max(conditions.mental, resident.filed_on)
        found.episodes.append(Episode(Programme.MENTAL, on))
        visits = _quarterly(rng, max(on, start) + timedelta(days=20), today)
        found.forms += made.mental_rows(rng, resident, on, visits, today, unsettled=rng.random() < 0.1)
    if conditions.tuberculosis is not None and conditions.tuberculosis >= resident.filed_on:
        _tuberculosis(rng, resident, conditions.tuberculosis, today, found)
    if conditions.pregnancy_lmp is not None:
        _pregnancy(rng, resident, conditions.pregnancy_lmp, today, found)
    return found


def _filing(rng: random.Random, resident: _Resident, today: date, found: History) -> None:
    """封面 at filing, then the 个人基本信息表 (adults) — or, for a baby, the newborn home visit."""
    filed = resident.filed_on
    found.forms.append(_row(resident, "cover", {"visit_date": filed.isoformat()}, today))
    basic = catalogue().form("personal_basic_info").applies_to
    if basic and not basic.admits_age(age_in_days(resident.birth, filed)):
        return  # under 7 (the form's own bound, in days): the newborn visit (``_child``) completes the filing
    if rng.random() < FILED_WITH_BASIC:
        found.forms.append(_row(resident, "personal_basic_info", _basic(rng, resident, False, False), today))
        found.filing_complete_on = filed


def _child(rng: random.Random, child: _Resident, today: date, found: History) -> None:
    """0～6岁儿童: the newborn home visit and the checks of each column that fell due, most of them done."""
    enrolled = max(child.birth, child.filed_on)
    discharged = child.birth + timedelta(days=rng.randrange(1, 5))
    details = {"discharge_date": discharged} if discharged <= today else {}
    found.episodes.append(Episode(Programme.CHILD, enrolled, details))
    visit = max(discharged + timedelta(days=rng.randrange(2, 8)), child.filed_on)
    newborn = (visit - child.birth).days < 28
    if newborn and child.birth >= add_months(today, -12 * YEARS) and visit < today and rng.random() < 0.9:
        found.forms.append(_row(child, "newborn_visit", _newborn(rng, child, visit), today))
        found.filing_complete_on = max(visit, child.filed_on)
    for code in COLUMNS:
        months = int(code)
        opens = child.birth + timedelta(days=28) if months == 1 else add_months(child.birth, months)
        if not child.filed_on <= opens < today or opens < add_months(today, -12 * YEARS) or rng.random() >= 0.87:
            continue
        day = min(opens + timedelta(days=rng.randrange(0, 3 if months == 1 else 25)), today)
        weight, length = made._growth(rng, months)
        size = "height" if months >= 36 else "length"
        answers = {"visit_age": code, "visit_date": day.isoformat(), "weight": weight, size: length}
        found.forms.append(_row(child, made._check_form(months), answers, today))


def _newborn(rng: random.Random, child: _Resident, day: date) -> Row:
    return {
        "visit_date": day.isoformat(),
        "birth_weight": gauss_in(rng, 3.3, 0.4, 1.8, 5.0, 2),
        "current_weight": gauss_in(rng, 3.5, 0.4, 2.0, 5.5, 2),
        "referral": "1",
    }


def _elderly(rng: random.Random, resident: _Resident, start: date, today: date, found: History) -> None:
    """老年人: a health check most years (with the self-care assessment), and the TCM service."""
    enrolled = max(resident.filed_on, date(resident.birth.year + 65, 1, 1))
    found.episodes.append(Episode(Programme.ELDERLY, enrolled))
    for year in range(start.year, today.year + 1):
        day = date(year, rng.randrange(3, 11), rng.randrange(1, 28))
        if not (enrolled <= day < today and day >= start) or rng.random() >= YEARLY_EXAM:
            continue
        found.forms.append(made.exam_row(rng, resident, day, today))
        if made.fits("elderly_selfcare", resident, day) and rng.random() < 0.9:
            found.forms.append(made.selfcare_row(rng, resident, day, today))
        if made.fits("elderly_tcm", resident, day) and rng.random() < 0.7:
            found.forms.append(made.tcm_row(rng, resident, day, today))


def _quarterly(rng: random.Random, first: date, today: date) -> list[date]:
    """Visit days about every three months from ``first``, some missed, and now and then a lapse of months."""
    days, day = [], first
    while day < today:
        if rng.random() < 0.03:
            day += timedelta(days=rng.randrange(150, 330))  # moved away for work, in hospital, refused
            continue
        if rng.random() < VISIT_KEPT:
            days.append(day)
        day += timedelta(days=rng.randrange(80, 100))
    return [d for d in days if d < today]


def _chronic(rng: random.Random, patient: _Resident, code: str, first: date, today: date, found: History) -> None:
    """Quarterly follow-ups, each classified against the previous one; a controlled patient mostly stays so.
    An unsatisfactory visit is mostly rechecked within two weeks."""
    controlled = rng.random() < 0.68
    drug = rng.choice(DRUGS_HTN if code == "hypertension_followup" else DRUGS_DM)
    height, weight = gauss_in(rng, 162, 7, 140, 190), gauss_in(rng, 64, 9, 40, 115)
    previous: dict[str, Any] | None = None
    for day in _quarterly(rng, first + timedelta(days=rng.randrange(0, 14)), today):
        good = rng.random() < (0.85 if controlled else 0.3)
        sbp = int(rng.gauss(127, 7)) if good else int(rng.gauss(152, 9))
        answers: dict[str, Any] = {
            "visit_date": day.isoformat(),
            "visit_mode": rng.choice(("1", "1", "2", "3")),
            "symptoms": ["1"],
            "sbp": max(95, min(sbp, 200)),
            "dbp": max(55, min(int(rng.gauss(78 if good else 92, 5)), sbp - 25)),
            "weight": round(weight + rng.gauss(0, 1), 1),
            "height": height,
            "medication_adherence": rng.choice(("1", "1", "1", "2")),
            "adverse_reaction": "1",
            "medicines": [{"name": drug, "times_per_day": 1, "dose": 5 if code == "hypertension_followup" else 500}],
        }
        if code == "diabetes_followup":
            answers["fasting_glucose"] = round(rng.uniform(5.2, 6.9) if good else rng.uniform(7.2, 10.5), 1)
        row = _row(patient, code, answers, today, previous)
        found.forms.append(row)
        previous = row["answers"]
        recheck = day + timedelta(days=rng.randrange(7, 14))
        if previous.get("management_action") not in (None, "1") and recheck < today and rng.random() < 0.7:
            met = rng.random() < 0.8
            row = made.recheck_row(rng, patient, code, previous, recheck, today, met=met)
            found.forms.append(row)
            previous = row["answers"]


def _tuberculosis(rng: random.Random, patient: _Resident, notified: date, today: date, found: History) -> None:
    """A six-month course: the first home visit within days (mostly), then monthly follow-ups."""
    found.episodes.append(Episode(Programme.TUBERCULOSIS, notified, {"notified_on": notified, "patient_type": "1"}))
    first = notified + timedelta(days=rng.choice((1, 1, 2, 3, 3, 5, 9)))
    if first >= today:
        return
    monthly = [first + timedelta(days=30 * month) for month in range(1, 6)]
    found.forms += made.tb_rows(patient, first, [d for d in monthly if d < today], today)


def _pregnancy(rng: random.Random, woman: _Resident, lmp: date, today: date, found: History) -> None:
    """孕产妇: 建册 with the first antenatal check (mostly before 13 weeks), the later checks, the delivery at
    about 39 weeks, the postpartum visit within a week of discharge and the 42-day check."""
    booked = lmp + timedelta(weeks=rng.choice((7, 8, 9, 10, 11, 11, 12, 12, 14, 16)), days=rng.randrange(0, 6))
    if woman.filed_on > booked + timedelta(weeks=6) or booked >= today:
        return  # booked elsewhere, before she came to live here (or not yet)
    booked = max(booked, woman.filed_on)
    delivered = lmp + timedelta(weeks=39, days=rng.randrange(-10, 8))
    discharged = delivered + timedelta(days=rng.randrange(2, 6))
    done = discharged < today
    details: dict[str, Any] = {"lmp": lmp}
    if done:
        details |= {"delivery_date": delivered, "discharge_date": discharged}
    found.episodes.append(Episode(Programme.MATERNAL, booked, details))
    found.forms.append(made.antenatal_first_row(rng, woman, lmp, booked, today))
    for number, week in (("2", 18), ("3", 23), ("4", 32), ("5", 38)):
        day = lmp + timedelta(weeks=week, days=rng.randrange(0, 6))
        if day <= booked or day >= min(today, delivered) or rng.random() >= 0.85:
            continue
        found.forms.append(_row(woman, "antenatal_followup", _antenatal(rng, number, lmp, day), today))
    if not done:
        return
    visit = discharged + timedelta(days=rng.randrange(2, 8))
    if visit < today and rng.random() < 0.86:
        found.forms.append(made.postpartum_row(woman, delivered, discharged, visit, today))
    check = delivered + timedelta(days=42 + rng.randrange(0, 10))
    if check < today and rng.random() < 0.8:
        found.forms.append(_row(woman, "postpartum_42day", _postpartum_42(rng, delivered, check), today))


def _antenatal(rng: random.Random, number: str, lmp: date, day: date) -> Row:
    return {
        "visit_number": number,
        "visit_date": day.isoformat(),
        "gestational_weeks": (day - lmp).days // 7,
        "sbp": rng.randrange(100, 128),
        "dbp": rng.randrange(62, 82),
        "classification": "1",
    }


def _postpartum_42(rng: random.Random, delivered: date, day: date) -> Row:
    return {
        "visit_date": day.isoformat(),
        "delivery_date": delivered.isoformat(),
        "sbp": rng.randrange(100, 128),
        "dbp": rng.randrange(62, 82),
        "classification": "1",
        "disposal": "1",
    }
