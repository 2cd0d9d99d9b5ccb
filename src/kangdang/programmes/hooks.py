"""Re-plan a resident's programme tasks when one of their programme forms is signed, amended or withdrawn."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kangdang.programmes.codes import ALL_PROGRAMME_FORMS
from kangdang.programmes.sync import refresh_people
from kangdang.records.events import on_form_change
from kangdang.records.models import ServiceRecord


@on_form_change
def replan_after_form(session: Session, row: ServiceRecord) -> None:
    if row.form_code in ALL_PROGRAMME_FORMS:
        refresh_people(session, [row.person_id])
