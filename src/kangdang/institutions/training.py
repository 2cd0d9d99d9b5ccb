"""Use cases for staff training records (培训记录): kept with the practitioner, never deleted.

A wrong entry is withdrawn with a reason and stays on file. Whoever manages the practitioner's current
institution (an institution admin, a records manager, a county manager) records training; anyone who may see
the practitioner sees the list.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import today_local, utcnow
from kangdang.core.errors import ErrorCollector, NotFound, PermissionDenied
from kangdang.institutions.actors import current
from kangdang.institutions.models import Institution, Membership
from kangdang.institutions.models_training import TrainingRecord
from kangdang.institutions.service import managed_institutions
from kangdang.institutions.staff import _get_visible

# --- input ---------------------------------------------------------------------------------------------


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _one_decimal(value: float | None) -> float | None:
    if value is not None and round(value, 1) != value:
        raise ValueError("最多保留一位小数")
    return value


class TrainingCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    course: str = Field(min_length=1, max_length=100, description="课程名称")
    held_on: date = Field(description="培训日期（不能晚于今天）")
    hours: float | None = Field(default=None, gt=0, le=1000, description="学时")
    score: float | None = Field(default=None, ge=0, le=100, description="成绩，0–100，一位小数；只记合格与否时留空")
    passed: bool = Field(description="是否合格")
    organiser: str = Field(min_length=1, max_length=100, description="组织单位")
    certificate_no: str | None = Field(default=None, max_length=50, description="证书编号")

    _blank = field_validator("hours", "score", "certificate_no", mode="before")(_blank_to_none)
    _decimals = field_validator("hours", "score")(_one_decimal)


REASON_MAX = 200


class Reason(BaseModel):
    """Why a training entry is withdrawn, or a designation ends."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    reason: str = Field(min_length=1, max_length=REASON_MAX, description="原因")


# --- scope ---------------------------------------------------------------------------------------------


def may_manage_training(session: Session, actor: Actor, practitioner_id: uuid.UUID) -> bool:
    """Whether the actor manages an institution where the practitioner currently works."""
    if not actor.can(Action.TRAINING_MANAGE):
        return False
    if actor.scope.everything:
        return True
    found = session.scalar(
        select(
            exists(
                select(Membership.id)
                .join(Institution, Institution.id == Membership.institution_id)
                .where(
                    Membership.practitioner_id == practitioner_id,
                    current(Membership.valid_from, Membership.valid_to, today_local()),
                    managed_institutions(actor, Action.TRAINING_MANAGE),
                )
            )
        )
    )
    return bool(found)


def _require_manageable(session: Session, actor: Actor, practitioner_id: uuid.UUID) -> uuid.UUID:
    actor.require(Action.TRAINING_MANAGE)
    practitioner = _get_visible(session, actor, practitioner_id)
    if not may_manage_training(session, actor, practitioner.id):
        raise PermissionDenied("您无权管理该人员的培训记录")
    return practitioner.id


# --- queries -------------------------------------------------------------------------------------------


def list_training(session: Session, actor: Actor, practitioner_id: uuid.UUID) -> list[TrainingRecord]:
    """A practitioner's training, newest first, withdrawn entries included (marked)."""
    actor.require(Action.STAFF_VIEW)
    practitioner = _get_visible(session, actor, practitioner_id)
    return list(
        session.scalars(
            select(TrainingRecord)
            .where(TrainingRecord.practitioner_id == practitioner.id)
            .order_by(TrainingRecord.held_on.desc(), TrainingRecord.recorded_at.desc())
        )
    )


def latest_passed_training(session: Session, practitioner_ids: list[uuid.UUID]) -> dict[uuid.UUID, TrainingRecord]:
    """Each practitioner's most recent passed, not withdrawn training (callers have checked visibility)."""
    result: dict[uuid.UUID, TrainingRecord] = {}
    if not practitioner_ids:
        return result
    rows = session.scalars(
        select(TrainingRecord)
        .where(
            TrainingRecord.practitioner_id.in_(practitioner_ids),
            TrainingRecord.passed.is_(True),
            TrainingRecord.status == "valid",
        )
        .order_by(TrainingRecord.held_on.desc(), TrainingRecord.recorded_at.desc())
    )
    for row in rows:
        result.setdefault(row.practitioner_id, row)
    return result


# --- changes -------------------------------------------------------------------------------------------


def add_training(session: Session, actor: Actor, practitioner_id: uuid.UUID, data: TrainingCreate) -> TrainingRecord:
    pid = _require_manageable(session, actor, practitioner_id)
    errors = ErrorCollector()
    if data.held_on > today_local():
        errors.add("held_on", "培训日期不能晚于今天")
    errors.raise_if_any("培训记录未保存")
    training = TrainingRecord(
        practitioner_id=pid,
        course=data.course,
        held_on=data.held_on,
        hours=data.hours,
        score=data.score,
        passed=data.passed,
        organiser=data.organiser,
        certificate_no=data.certificate_no,
        recorded_by=actor.login,
        recorded_at=utcnow(),
        status="valid",
    )
    session.add(training)
    session.flush()
    details = data.model_dump(mode="json") | {"training_id": training.id}
    record_event(session, actor, "training.create", subject_type="practitioner", subject_id=pid, details=details)
    return training


def withdraw_training(
    session: Session,
    actor: Actor,
    training_id: uuid.UUID,
    *,
    reason: str,
    practitioner_id: uuid.UUID | None = None,
) -> TrainingRecord:
    """Mark a wrong entry withdrawn (撤销); it stays on file with who, when and why."""
    actor.require(Action.TRAINING_MANAGE)
    training = session.get(TrainingRecord, training_id)
    if training is None or (practitioner_id is not None and training.practitioner_id != practitioner_id):
        raise NotFound("未找到该培训记录，或您无权查看")
    try:
        _require_manageable(session, actor, training.practitioner_id)
    except NotFound:
        raise NotFound("未找到该培训记录，或您无权查看") from None
    reason = reason.strip()
    errors = ErrorCollector()
    if not reason:
        errors.add("reason", "请填写撤销原因")
    elif len(reason) > REASON_MAX:
        errors.add("reason", f"最多 {REASON_MAX} 个字符")
    if training.status != "valid":
        errors.add("reason", "该培训记录已撤销")
    errors.raise_if_any("培训记录未撤销")
    training.status = "withdrawn"
    training.withdrawn_at = utcnow()
    training.withdrawn_by = actor.login
    training.withdrawal_reason = reason
    details = {"training_id": training.id, "reason": reason}
    record_event(
        session,
        actor,
        "training.withdraw",
        subject_type="practitioner",
        subject_id=training.practitioner_id,
        details=details,
    )
    session.flush()
    return training
