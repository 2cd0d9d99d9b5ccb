"""The quality worklist (质控): the records of one's jurisdiction that fail the automatic quality rules, with the
reasons, for records managers and doctors to fix. Each record's status is kept by the indicator refresh
(``RecordQuality``); fixing a record (amending its 个人基本信息表) marks its village and the next refresh clears it
from the list and updates the qualified rate (合格率)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.core.pagination import Page, PageRequest
from kangdang.indicators.models import RecordQuality
from kangdang.indicators.quality_rules import STATUS_LABELS
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.scope import visible_records

FAULTY = ("invalid", "defective")


@dataclass(frozen=True)
class QualityItem:
    record_id: uuid.UUID
    record_number: str
    name: str
    sex: str
    birth_date: date
    village_code: str
    status: str
    status_label: str
    reasons: list[dict[str, Any]]
    checked_on: date


def quality_counts(session: Session, actor: Actor, *, village: str | None = None) -> dict[str, int]:
    """How many of the actor's records are in each quality status."""
    actor.require(Action.QUALITY_VIEW)
    stmt = (
        select(RecordQuality.status, func.count())
        .join(HealthRecord, HealthRecord.id == RecordQuality.record_id)
        .where(visible_records(actor), HealthRecord.status == "active")
        .group_by(RecordQuality.status)
    )
    if village:
        stmt = stmt.where(RecordQuality.village_code == village)
    found = {status: int(count) for status, count in session.execute(stmt)}
    return {status: found.get(status, 0) for status in ("ok", *FAULTY)}


def quality_worklist(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    village: str | None = None,
    page: PageRequest | None = None,
) -> Page[QualityItem]:
    """The actor's records that fail the quality rules (invalid first), with their reasons; audited."""
    actor.require(Action.QUALITY_VIEW)
    if status is not None and status not in FAULTY:
        raise InvalidInput(errors=[FieldError("status", "质控状态：请选择无效档案或有缺陷")])
    if village is not None and not (village.isdigit() and len(village) == 12):
        raise InvalidInput(errors=[FieldError("village", "村/居委会：请选择一个村")])
    request = page or PageRequest()
    where = [
        visible_records(actor),
        HealthRecord.status == "active",
        RecordQuality.status.in_([status] if status else FAULTY),
    ]
    if village:
        where.append(RecordQuality.village_code == village)
    base = (
        select(RecordQuality, HealthRecord.record_number, Person.name, Person.sex, Person.birth_date)
        .join(HealthRecord, HealthRecord.id == RecordQuality.record_id)
        .join(Person, Person.id == RecordQuality.person_id)
        .where(*where)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(RecordQuality.status.desc(), RecordQuality.village_code, HealthRecord.record_number)
        .offset(request.offset)
        .limit(request.size)
    ).all()
    items = [
        QualityItem(
            record_id=quality.record_id,
            record_number=number,
            name=name,
            sex=sex,
            birth_date=born,
            village_code=quality.village_code,
            status=quality.status,
            status_label=STATUS_LABELS[quality.status],
            reasons=list(quality.reasons or []),
            checked_on=quality.checked_on,
        )
        for quality, number, name, sex, born in rows
    ]
    record_event(
        session,
        actor,
        "quality.view",
        details={"status": status, "village": village, "page": request.page, "shown": len(items)},
    )
    return Page(items=items, total=total, page=request.page, size=request.size)
