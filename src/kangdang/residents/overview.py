"""Small counts for home pages: open records per village of the actor's own catchment (indexed counts)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.residents.models import HealthRecord
from kangdang.residents.scope import visible_records


def open_records_by_village(session: Session, actor: Actor, village_codes: Iterable[str]) -> dict[str, int]:
    """Active records per village (only villages the actor may see; answered from the village/status index)."""
    codes = sorted(set(village_codes))
    if not codes or not actor.can(Action.RESIDENT_VIEW):
        return {}
    rows = session.execute(
        select(HealthRecord.village_code, func.count())
        .where(HealthRecord.village_code.in_(codes), HealthRecord.status == "active", visible_records(actor))
        .group_by(HealthRecord.village_code)
    )
    return {code: count for code, count in rows}
