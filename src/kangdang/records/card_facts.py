"""What the 居民健康档案信息卡 needs from the forms: blood groups, chronic conditions and drug allergies, read
from the resident's latest signed 个人基本信息表."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.records.catalogue import catalogue
from kangdang.records.models import ServiceRecord

NONE_CODE = "1"  # "1 无" in the disease and allergy lists
DETAIL_CODES = {"6", "12", "13"}  # 恶性肿瘤, 职业病, 其他: the row's 具体名称 is more telling than the label


@dataclass(frozen=True)
class CardFacts:
    abo: str | None  # e.g. "A型"; None when unknown
    rh: str | None  # "Rh阴性" / "Rh阳性"; None when unknown
    chronic_conditions: list[str]  # [] = recorded as none
    allergies: list[str]


def card_facts(session: Session, person_id: uuid.UUID) -> CardFacts | None:
    """None until a 个人基本信息表 is signed (the card's boxes then stay empty, to fill in by hand)."""
    answers = session.scalar(
        select(ServiceRecord.answers)
        .where(
            ServiceRecord.person_id == person_id,
            ServiceRecord.form_code == "personal_basic_info",
            ServiceRecord.status == "completed",
        )
        .order_by(ServiceRecord.service_date.desc())
        .limit(1)
    )
    if answers is None:
        return None
    cat = catalogue()
    abo = cat.value_sets["basic_blood_abo"].label_of(str(answers.get("blood_abo", "")))
    rh = cat.value_sets["basic_blood_rh"].label_of(str(answers.get("blood_rh", "")))
    diseases = cat.value_sets["basic_past_disease"]
    chronic: list[str] = []
    for row in answers.get("past_diseases") or []:
        code = str(row.get("disease", ""))
        if code and code != NONE_CODE:
            detail = (row.get("detail") or "").strip()
            chronic.append(detail if code in DETAIL_CODES and detail else diseases.label_of(code) or code)
    allergy_set = cat.value_sets["basic_drug_allergy"]
    allergies = [
        (answers.get("drug_allergy_other") or "其他") if code == "5" else allergy_set.label_of(code) or code
        for code in answers.get("drug_allergy") or []
        if code != NONE_CODE
    ]
    return CardFacts(
        abo=None if abo in (None, "不详") else abo,
        rh=None if rh in (None, "不详") else f"Rh{rh}",
        chronic_conditions=chronic,
        allergies=allergies,
    )
