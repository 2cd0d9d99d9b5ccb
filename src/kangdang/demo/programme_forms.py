"""Signed forms of the demo programmes: children's checks, the elderly's yearly health check and TCM service,
2-week rechecks of chronic patients, pregnancies, severe mental disorders and tuberculosis.

Each function returns service-record rows made the way ``demo.forms`` makes them (through the form engine,
so derived values and rules hold), for ``demo.programmes`` to insert in bulk. Dates are relative to today.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from kangdang.demo.forms import _Resident, _row
from kangdang.demo.people import gauss_in
from kangdang.records.catalogue import catalogue
from kangdang.records.context import add_months
from kangdang.records.derivations.child import COLUMNS

Row = dict[str, Any]
RECENT_DAYS = 400  # children's checks are written for the columns of about the last year


def fits(code: str, resident: _Resident, day: date) -> bool:
    """Whether the form is for someone of the resident's age on that day (the elderly forms: 65 or more)."""
    low = catalogue().form(code).applies_to
    return low is None or low.min_age_days is None or (day - resident.birth).days >= low.min_age_days


def _check_form(months: int) -> str:
    return "child_check_infant" if months < 12 else "child_check_toddler" if months < 36 else "child_check_preschool"


def _growth(rng: random.Random, months: int) -> tuple[float, float]:
    """A plausible weight (kg) and length or height (cm) for a child of this many months."""
    if months < 12:
        weight, length = 3.3 + 0.6 * months, 50 + 2.2 * months
    elif months < 36:
        weight, length = 9.5 + 0.2 * (months - 12), 75 + 0.75 * (months - 12)
    else:
        weight, length = 14 + 0.17 * (months - 36), 95 + 0.55 * (months - 36)
    return round(weight * rng.uniform(0.9, 1.1), 1), round(length * rng.uniform(0.97, 1.03), 1)


def child_rows(rng: random.Random, child: _Resident, today: date, *, share: float = 0.82) -> list[Row]:
    """The health checks of the last year, most of them done a little late. (No newborn home visits: the demo
    has few babies, and tests/test_personal_data_at_rest.py counts on the only newborn visit being its own.)"""
    rows: list[Row] = []
    since = max(child.filed_on, today - timedelta(days=RECENT_DAYS))
    for code in COLUMNS:
        months = int(code)
        opens = child.birth + timedelta(days=28) if months == 1 else add_months(child.birth, months)
        if not since <= opens < today or rng.random() >= share:
            continue
        day = min(opens + timedelta(days=rng.randrange(0, 3 if months == 1 else 20)), today)
        weight, length = _growth(rng, months)
        size = "height" if months >= 36 else "length"
        answers = {"visit_age": code, "visit_date": day.isoformat(), "weight": weight, size: length}
        rows.append(_row(child, _check_form(months), answers, today))
    return rows


def exam_row(rng: random.Random, resident: _Resident, day: date, today: date) -> Row:
    """A yearly health examination (健康体检表) with the items every examination records."""
    sbp = max(100, min(int(rng.gauss(134, 12)), 178))
    answers = {
        "visit_date": day.isoformat(),
        "symptoms": ["1"] if rng.random() < 0.7 else [rng.choice(("3", "13"))],
        "temperature": round(rng.uniform(36.2, 36.9), 1),
        "pulse": rng.randrange(62, 90),
        "respiration": rng.randrange(16, 21),
        "bp_left_sbp": sbp,
        "bp_left_dbp": max(60, min(int(rng.gauss(80, 8)), sbp - 30)),
        "height": gauss_in(rng, 158, 7, 138, 190),
        "weight": gauss_in(rng, 60, 8, 35, 120),
        "waist": gauss_in(rng, 84, 8, 55, 130),
        "evaluation": "1",
    }
    return _row(resident, "health_examination", answers, today)


def tcm_row(rng: random.Random, resident: _Resident, day: date, today: date) -> Row:
    """老年人中医药健康管理: the 33 questions, mostly 没有 or 很少."""
    answers: dict[str, Any] = {f"q{n:02d}": rng.choice("1112223") for n in range(1, 34)}
    return _row(resident, "elderly_tcm", answers | {"visit_date": day.isoformat()}, today)


def selfcare_row(rng: random.Random, resident: _Resident, day: date, today: date) -> Row:
    items = ("eating", "grooming", "dressing", "toileting", "activity")
    answers = {"visit_date": day.isoformat()} | {key: rng.choice(("1", "1", "1", "1", "3")) for key in items}
    return _row(resident, "elderly_selfcare", answers, today)


def recheck_row(
    rng: random.Random, resident: _Resident, code: str, last: dict[str, Any], day: date, today: date, *, met: bool
) -> Row:
    """The 2-week recheck after an unsatisfactory follow-up: the same patient and drugs, the new reading."""
    sbp = int(rng.gauss(126, 7)) if met else int(rng.gauss(152, 6))
    sbp = min(sbp, 136) if met else max(sbp, 142)
    answers: dict[str, Any] = {
        "visit_date": day.isoformat(),
        "visit_mode": "1",
        "symptoms": ["1"],
        "sbp": sbp,
        "dbp": min(int(rng.gauss(78, 5)), 86) if met or code == "diabetes_followup" else max(int(rng.gauss(92, 3)), 88),
        "weight": last.get("weight"),
        "height": last.get("height"),
        "medication_adherence": "1",
        "adverse_reaction": "1",
        "medicines": last.get("medicines"),
    }
    if code == "diabetes_followup":
        answers["fasting_glucose"] = round(rng.uniform(5.4, 6.8) if met else rng.uniform(7.3, 9.0), 1)
    return _row(resident, code, {k: v for k, v in answers.items() if v is not None}, today, last)


def antenatal_first_row(rng: random.Random, woman: _Resident, lmp: date, day: date, today: date) -> Row:
    """第1次产前检查 and 建册, with the weeks counted from the last menstrual period."""
    days = (day - lmp).days
    answers = {
        "visit_date": day.isoformat(),
        "gestational_weeks": days // 7,
        "gestational_days": days % 7,
        "gravidity": rng.choice((1, 1, 2, 2, 3)),
        "lmp": lmp.isoformat(),
        "past_history": ["1"],
        "family_history": ["1"],
        "sbp": rng.randrange(100, 126),
        "dbp": rng.randrange(62, 80),
        "height": gauss_in(rng, 160, 5, 140, 185),
        "weight": gauss_in(rng, 55, 6, 38, 100),
        "hemoglobin": rng.randrange(110, 135),
        "overall_assessment": "1",
        "guidance": ["1", "3", "5"],
        "referral": "1",
    }
    return _row(woman, "antenatal_first", answers, today)


def postpartum_row(woman: _Resident, delivered: date, discharged: date, day: date, today: date) -> Row:
    answers = {
        "visit_date": day.isoformat(),
        "delivery_date": delivered.isoformat(),
        "discharge_date": discharged.isoformat(),
        "temperature": 36.7,
        "sbp": 116,
        "dbp": 74,
        "breast": "1",
        "lochia": "1",
        "uterus": "1",
        "wound": "1",
        "classification": "1",
        "guidance": ["1", "4", "5"],
        "referral": "1",
    }
    return _row(woman, "postpartum_visit", answers, today)


MENTAL_STABLE = {
    "visit_mode": "2",
    "danger_level": "0",
    "insight": "1",
    "sleep": "1",
    "diet": "1",
    "self_care": "1",
    "housework": "2",
    "work": "2",
    "learning": "2",
    "social_contact": "2",
    "no_dangerous_behaviour": True,
    "locking": "1",
    "hospitalisation": "0",
    "lab_tests": "1",
    "medication_adherence": "1",
    "adverse_reaction": "1",
    "somatic_illness_serious": False,
    "treatment_effect": "2",
    "referral": False,
    "medicines": [{"name": "利培酮片", "period": "1", "times": 2, "dose": 2}],
    "medication_guidance": [{"name": "利培酮片", "period": "1", "times": 2, "dose": 2}],
    "rehabilitation": ["1", "4"],
}


def mental_rows(
    rng: random.Random, patient: _Resident, enrolled_on: date, visits: Iterable[date], today: date, *, unsettled: bool
) -> list[Row]:
    """The 个人信息补充表 on enrolment and the follow-ups; ``unsettled``: the last visit found the patient 基本稳定."""
    onset = max(patient.birth + timedelta(days=365 * 18), enrolled_on - timedelta(days=rng.randrange(1500, 4000)))
    onset = min(onset, enrolled_on - timedelta(days=60))  # diagnosed by the enrolment (a patient enrolled at 18)
    supplement = {
        "visit_date": enrolled_on.isoformat(),
        "consent": "1",
        "consent_signature": "家属",
        "consent_signed_on": enrolled_on.isoformat(),
        "onset_date": onset.isoformat(),
        "diagnosis": rng.choice(("精神分裂症", "双相情感障碍", "偏执性精神病")),
        "diagnosis_hospital": "湖州市第三人民医院",
        "diagnosis_date": (onset + timedelta(days=60)).isoformat(),
    }
    rows = [_row(patient, "mental_supplement", supplement, today)]
    days = sorted(visits)
    for number, day in enumerate(days, start=1):
        answers = MENTAL_STABLE | {"visit_date": day.isoformat()}
        if unsettled and number == len(days):
            answers |= {"insight": "2", "sleep": "3", "treatment_effect": "3"}
        rows.append(_row(patient, "mental_followup", answers, today))
    return rows


TB_EDUCATION = (
    "edu_record_card",
    "edu_method_storage",
    "edu_course",
    "edu_irregular_harm",
    "edu_adverse_handling",
    "edu_sputum_recheck",
    "edu_travel",
    "edu_habits",
    "edu_contacts",
)


def tb_rows(patient: _Resident, first: date, followups: Iterable[date], today: date) -> list[Row]:
    """The first home visit (supervised by the village doctor) and the monthly follow-ups since."""
    visit = {
        "visit_date": first.isoformat(),
        "visit_mode": "2",
        "patient_type": "1",
        "sputum": "1",
        "drug_resistance": "2",
        "symptoms": ["1", "2"],
        "regimen": "2HRZE/4HR",
        "usage": "1",
        "dosage_forms": ["1"],
        "supervisor": "1",
        "separate_room": "1",
        "ventilation": "1",
        "pickup_place": "德清县人民医院结核病门诊",
        **{key: "1" for key in TB_EDUCATION},
    }
    rows = [_row(patient, "tb_first_visit", visit, today)]
    for month, day in enumerate(sorted(followups), start=2):
        answers = {
            "visit_date": day.isoformat(),
            "treatment_month": month,
            "supervisor": "1",
            "visit_mode": "2",
            "symptoms": ["0"],
            "regimen": "2HRZE/4HR",
            "usage": "1",
            "missed_doses": 1,
            "adverse_reaction": "1",
            "complications": "1",
            "referral": "1",
        }
        rows.append(_row(patient, "tb_followup", answers, today))
    return rows
