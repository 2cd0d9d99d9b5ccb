"""Values a form shows from the resident's record instead of storing them (``bind:`` items).

Identity lives in one place (the person index); forms show it. The identity number is shown masked.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.institutions.models import Institution, Practitioner
from kangdang.regions.models import Region
from kangdang.residents.codes import ETHNICITIES, RESIDENCE_TYPES, SEXES
from kangdang.residents.models import HealthRecord, Person


def bound_values(session: Session, record: HealthRecord, person: Person) -> dict[str, str]:
    regions = {
        r.code: r
        for r in session.scalars(
            select(Region).where(
                Region.code.in_({c for c in (record.village_code, person.registered_region_code) if c})
            )
        )
    }
    village = regions.get(record.village_code)
    township = session.get(Region, village.parent_code) if village and village.parent_code else None
    institutions = {
        i.id: i.name
        for i in session.scalars(
            select(Institution).where(
                Institution.id.in_({record.managing_institution_id, record.filing_institution_id})
            )
        )
    }
    doctor = session.get(Practitioner, record.responsible_doctor_id) if record.responsible_doctor_id else None
    place = f"{township.name if township else ''}{village.name if village else ''}"
    registered = regions.get(person.registered_region_code or "")
    return {
        "person.name": person.name,
        "person.sex": SEXES.get(person.sex, person.sex),
        "person.birth_date": person.birth_date.isoformat(),
        "person.id_number": person.document_masked or "",
        "person.phone": person.phone or "",
        "person.contact_name": person.contact_name or "",
        "person.contact_phone": person.contact_phone or "",
        "person.residence_type": RESIDENCE_TYPES.get(person.residence_type, person.residence_type),
        "person.ethnicity": ETHNICITIES.get(person.ethnicity, person.ethnicity),
        "person.work_unit": person.work_unit or "",
        "person.current_address": f"{place}{person.current_address or ''}",
        "person.registered_address": f"{registered.name if registered else ''}{person.registered_address or ''}",
        "record.number": record.record_number,
        "record.short_number": record.short_number,
        "record.township": township.name if township else "",
        "record.village": village.name if village else "",
        "record.filing_institution": institutions.get(record.filing_institution_id, ""),
        "record.filed_by": record.filed_by_name or "",
        "record.doctor": doctor.name if doctor else "",
        "record.filed_on": record.filed_on.isoformat(),
        "record.managing_institution": institutions.get(record.managing_institution_id, ""),
    }
