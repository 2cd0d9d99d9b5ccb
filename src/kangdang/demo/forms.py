"""Signed forms for the demo county, so that record pages have a timeline and the figures something to count.

Most records get their 封面 and 个人基本信息表 (filed, 建档完整); about a quarter of residents aged 35 and
over have hypertension and a tenth diabetes, with quarterly follow-ups over the past year; some of the
elderly have a self-care assessment. Every form goes through the form engine (so derived values and the
rules hold) and is written in bulk. Deterministic, and skipped when demo forms are already there.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from kangdang.core.clock import LOCAL_ZONE, today_local, utcnow
from kangdang.core.ids import uuid7
from kangdang.demo.people import gauss_in
from kangdang.institutions.models import Practitioner
from kangdang.records.catalogue import catalogue
from kangdang.records.context import FormContext, age_in_years
from kangdang.records.engine import evaluate, to_json
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import HealthRecord, Person

COUNTY_CODE = "330521"
DRUGS_HTN = ("苯磺酸氨氯地平片", "缬沙坦胶囊", "厄贝沙坦片", "硝苯地平缓释片", "吲达帕胺片")
DRUGS_DM = ("盐酸二甲双胍片", "格列美脲片", "阿卡波糖片")


@dataclass
class _Resident:
    record_id: uuid.UUID
    person_id: uuid.UUID
    birth: date
    sex: str
    filed_on: date
    institution_id: uuid.UUID
    doctor: str
    village_code: str


def load_demo_forms(session: Session) -> int:
    """Write the demo forms once; returns how many were written (0 when they exist already)."""
    if session.scalar(select(func.count()).select_from(ServiceRecord)):
        return 0
    rng = random.Random(2017)
    today = today_local()
    residents = [
        _Resident(rid, pid, birth, sex, filed_on, inst, doctor or "演示医生", village)
        for rid, pid, birth, sex, filed_on, inst, doctor, village in session.execute(
            select(
                HealthRecord.id,
                Person.id,
                Person.birth_date,
                Person.sex,
                HealthRecord.filed_on,
                HealthRecord.managing_institution_id,
                Practitioner.name,
                HealthRecord.village_code,
            )
            .join(Person, Person.id == HealthRecord.person_id)
            .outerjoin(Practitioner, Practitioner.id == HealthRecord.responsible_doctor_id)
            .where(HealthRecord.status == "active", HealthRecord.village_code.startswith(COUNTY_CODE))
            .order_by(HealthRecord.record_number)
        )
    ]
    rows: list[dict[str, Any]] = []
    filed: list[uuid.UUID] = []
    for resident in residents:
        age = age_in_years(resident.birth, today)
        hypertension = age >= 35 and rng.random() < 0.25
        diabetes = age >= 35 and rng.random() < 0.10
        if age_in_years(resident.birth, resident.filed_on) >= 7 and rng.random() < 0.85:
            rows.append(_row(resident, "cover", {"visit_date": resident.filed_on.isoformat()}, today))
            rows.append(_row(resident, "personal_basic_info", _basic(rng, resident, hypertension, diabetes), today))
            filed.append(resident.record_id)
        if hypertension:
            rows += _followups(rng, resident, "hypertension_followup", today)
        if diabetes:
            rows += _followups(rng, resident, "diabetes_followup", today)
        if age >= 66 and rng.random() < 0.6:
            visit = max(resident.filed_on, today - timedelta(days=rng.randrange(20, 300)))
            answers = {"visit_date": visit.isoformat()} | {
                key: rng.choice(("1", "1", "1", "1", "3"))
                for key in ("eating", "grooming", "dressing", "toileting", "activity")
            }
            rows.append(_row(resident, "elderly_selfcare", answers, today))
    if rows:
        session.execute(insert(ServiceRecord), rows)
    for start in range(0, len(filed), 500):
        session.execute(
            update(HealthRecord)
            .where(HealthRecord.id.in_(filed[start : start + 500]))
            .values(filing_complete_on=HealthRecord.filed_on)
        )
    session.flush()
    return len(rows)


def _row(
    resident: _Resident, code: str, raw: dict[str, Any], today: date, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    form = catalogue().form(code)
    if form.doctor_item:
        raw = raw | {form.doctor_item: resident.doctor}
    context = FormContext(
        today=today, birth_date=resident.birth, sex=resident.sex, filed_on=resident.filed_on, previous=previous
    )
    outcome = evaluate(form, raw, context, complete=True)
    if outcome.errors:  # the generator is wrong, not the data: fail loudly
        raise ValueError(f"demo {code}: {outcome.errors}")
    new_id = uuid7()
    now = utcnow()
    day = outcome.service_date(form)
    # signed at the end of the service day, as a doctor entering the day's visits would (the quality rules flag
    # entries made long after the service)
    signed = min(now, _end_of_service_day(day)) if day else now
    return {
        "id": new_id,
        "lineage_id": new_id,
        "version_no": 1,
        "record_id": resident.record_id,
        "person_id": resident.person_id,
        "form_code": code,
        "form_version": form.version,
        "service_date": day,
        "institution_id": resident.institution_id,
        "author_id": None,
        "author_name": resident.doctor,
        "status": "completed",
        "answers": to_json(outcome.answers),
        "signed_at": signed,
        "signed_by_id": None,
        "signed_by_name": resident.doctor,
        "created_at": now,
        "updated_at": now,
    }


@lru_cache(maxsize=4096)
def _end_of_service_day(day: date) -> datetime:
    """17:30 local time on the day, in UTC (a county's forms share a few thousand days; compared with ``utcnow``
    without a time-zone conversion)."""
    return datetime.combine(day, time(17, 30), LOCAL_ZONE).astimezone(UTC)


def _basic(rng: random.Random, resident: _Resident, hypertension: bool, diabetes: bool) -> dict[str, Any]:
    diseases = []
    if hypertension:
        diseases.append({"disease": "2", "diagnosed": f"{rng.randrange(2008, 2024)}-{rng.randrange(1, 13):02d}"})
    if diabetes:
        diseases.append({"disease": "3", "diagnosed": f"{rng.randrange(2010, 2024)}-{rng.randrange(1, 13):02d}"})
    born = resident.birth.year
    diseases = [d for d in diseases if int(d["diagnosed"][:4]) > born + 18] or [{"disease": "1"}]
    return {
        "visit_date": resident.filed_on.isoformat(),
        "blood_abo": rng.choice(("1", "2", "3", "3", "4", "5")),
        "blood_rh": rng.choice(("2", "2", "2", "3")),
        "education": rng.choice(("6", "7", "7", "8", "8", "3")),
        "occupation": rng.choice(("4", "4", "3", "5", "8")),
        "marital_status": rng.choice(("2", "2", "2", "1", "3")),
        "payment_method": [rng.choice(("2", "3", "1"))],
        "drug_allergy": ["1"] if rng.random() < 0.9 else ["2"],
        "exposure": ["1"],
        "past_diseases": diseases,
        "surgery": "1",
        "trauma": "1",
        "transfusion": "1",
        "family_father": ["2"] if rng.random() < 0.2 else ["1"],
        "family_mother": ["1"],
        "family_siblings": ["1"],
        "family_children": ["1"],
        "hereditary_disease": "1",
        "disability": ["1"],
        "kitchen_ventilation": rng.choice(("2", "3", "1")),
        "fuel": rng.choice(("1", "3", "5")),
        "water": "1",
        "toilet": rng.choice(("1", "3")),
        "livestock": "1",
    }


def _followups(rng: random.Random, resident: _Resident, code: str, today: date) -> list[dict[str, Any]]:
    """Quarterly visits over the past year (some missed), each classified against the previous one."""
    rows: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for days_ago in (350, 260, 170, 80):
        visit = today - timedelta(days=days_ago + rng.randrange(-10, 10))
        if visit < resident.filed_on or rng.random() < 0.12:
            continue
        sbp = int(rng.gauss(138, 14))
        answers: dict[str, Any] = {
            "visit_date": visit.isoformat(),
            "visit_mode": rng.choice(("1", "1", "2", "3")),
            "symptoms": ["1"],
            "sbp": max(95, min(sbp, 200)),
            "dbp": max(55, min(int(rng.gauss(84, 9)), sbp - 20)),
            "weight": gauss_in(rng, 64, 9, 38, 120),
            "height": gauss_in(rng, 162, 7, 140, 190),
            "medication_adherence": rng.choice(("1", "1", "1", "2")),
            "adverse_reaction": "1",
            "medicines": [
                {
                    "name": rng.choice(DRUGS_HTN if code == "hypertension_followup" else DRUGS_DM),
                    "times_per_day": 1,
                    "dose": 5 if code == "hypertension_followup" else 500,
                }
            ],
        }
        if code == "diabetes_followup":
            answers["fasting_glucose"] = round(max(4.2, rng.gauss(7.0, 1.4)), 1)
        row = _row(resident, code, answers, today, previous)
        rows.append(row)
        previous = row["answers"]
    return rows
