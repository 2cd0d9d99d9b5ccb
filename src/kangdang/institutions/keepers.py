"""Use cases for responsible records managers (档案管理责任人, seed 003 §.(1)).

Each institution names one or more of its current staff as responsible for its records; only someone with a
passed, not withdrawn training record may be named. A designation ends with a reason and stays on file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import today_local, utcnow
from kangdang.core.errors import ErrorCollector, FieldError, InvalidInput, NotFound, PermissionDenied
from kangdang.institutions.actors import current
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.institutions.models_training import RecordsKeeper, TrainingRecord
from kangdang.institutions.service import managed_institutions, visible_institutions
from kangdang.institutions.training import REASON_MAX, latest_passed_training

NO_TRAINING = "该人员没有合格的档案管理培训记录，不能指定为档案管理责任人"


@dataclass(frozen=True)
class KeeperView:
    keeper: RecordsKeeper
    practitioner: Practitioner
    training: TrainingRecord | None  # latest passed, not withdrawn training

    @property
    def is_current(self) -> bool:
        return self.keeper.valid_to is None or self.keeper.valid_to >= today_local()


@dataclass(frozen=True)
class Candidate:
    practitioner: Practitioner
    training: TrainingRecord | None

    @property
    def eligible(self) -> bool:
        return self.training is not None


# --- scope ---------------------------------------------------------------------------------------------


def _visible_institution(session: Session, actor: Actor, institution_id: uuid.UUID) -> Institution:
    institution = session.scalar(
        select(Institution).where(Institution.id == institution_id, visible_institutions(actor))
    )
    if institution is None:
        raise NotFound("未找到该机构，或您无权查看")
    return institution


def may_designate(session: Session, actor: Actor, institution_id: uuid.UUID) -> bool:
    if not actor.can(Action.KEEPER_DESIGNATE):
        return False
    return (
        session.scalar(
            select(Institution.id).where(
                Institution.id == institution_id,
                Institution.status == "active",
                managed_institutions(actor, Action.KEEPER_DESIGNATE),
            )
        )
        is not None
    )


def _require_designating(session: Session, actor: Actor, institution_id: uuid.UUID) -> Institution:
    actor.require(Action.KEEPER_DESIGNATE)
    institution = _visible_institution(session, actor, institution_id)
    if not may_designate(session, actor, institution.id):
        raise PermissionDenied("您无权指定该机构的档案管理责任人")
    return institution


# --- queries -------------------------------------------------------------------------------------------


def list_keepers(
    session: Session, actor: Actor, institution_id: uuid.UUID, *, include_ended: bool = False
) -> list[KeeperView]:
    """The institution's records keepers (current ones; with ``include_ended`` the history too)."""
    actor.require(Action.STAFF_VIEW)  # names of staff: never for an aggregate-only viewer
    institution = _visible_institution(session, actor, institution_id)
    stmt = (
        select(RecordsKeeper, Practitioner)
        .join(Practitioner, Practitioner.id == RecordsKeeper.practitioner_id)
        .where(RecordsKeeper.institution_id == institution.id)
        .order_by(RecordsKeeper.valid_to.is_not(None), RecordsKeeper.valid_from.desc(), Practitioner.name)
    )
    if not include_ended:
        stmt = stmt.where(current(RecordsKeeper.valid_from, RecordsKeeper.valid_to, today_local()))
    rows = session.execute(stmt).all()
    trainings = latest_passed_training(session, [p.id for _k, p in rows])
    return [KeeperView(keeper=k, practitioner=p, training=trainings.get(p.id)) for k, p in rows]


def keeper_candidates(session: Session, actor: Actor, institution_id: uuid.UUID) -> list[Candidate]:
    """The institution's current staff, each with their latest passed training (for the designation form)."""
    institution = _require_designating(session, actor, institution_id)
    practitioners = list(
        session.scalars(
            select(Practitioner)
            .where(Practitioner.id.in_(_current_staff(institution.id)), Practitioner.status == "active")
            .order_by(Practitioner.name, Practitioner.id)
        )
    )
    trainings = latest_passed_training(session, [p.id for p in practitioners])
    return [Candidate(practitioner=p, training=trainings.get(p.id)) for p in practitioners]


def _current_staff(institution_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(Membership.practitioner_id).where(
        Membership.institution_id == institution_id,
        current(Membership.valid_from, Membership.valid_to, today_local()),
    )


# --- changes -------------------------------------------------------------------------------------------


def designate_keeper(
    session: Session,
    actor: Actor,
    institution_id: uuid.UUID,
    *,
    practitioner_id: uuid.UUID,
    valid_from: date | None = None,
) -> RecordsKeeper:
    """Name a current member of staff with a passed training as a responsible records manager."""
    institution = _require_designating(session, actor, institution_id)
    on_staff = session.scalar(
        select(Practitioner).where(
            Practitioner.id == practitioner_id,
            Practitioner.status == "active",
            Practitioner.id.in_(_current_staff(institution.id)),
        )
    )
    if on_staff is None:
        message = "该人员不是本机构的在岗人员"
        raise InvalidInput(message, errors=[FieldError("practitioner_id", message)])
    training = latest_passed_training(session, [on_staff.id]).get(on_staff.id)
    if training is None:
        raise InvalidInput(NO_TRAINING, errors=[FieldError("practitioner_id", NO_TRAINING)])
    start = valid_from or today_local()
    if start > today_local():
        raise InvalidInput("开始日期不能晚于今天", errors=[FieldError("valid_from", "开始日期不能晚于今天")])
    open_already = session.scalar(
        select(RecordsKeeper.id).where(
            RecordsKeeper.institution_id == institution.id,
            RecordsKeeper.practitioner_id == on_staff.id,
            RecordsKeeper.valid_to.is_(None),
        )
    )
    if open_already is not None:
        message = "该人员已是本机构的档案管理责任人"
        raise InvalidInput(message, errors=[FieldError("practitioner_id", message)])
    keeper = RecordsKeeper(
        institution_id=institution.id,
        practitioner_id=on_staff.id,
        training_id=training.id,
        valid_from=start,
        designated_by=actor.login,
        designated_at=utcnow(),
    )
    session.add(keeper)
    session.flush()
    record_event(
        session,
        actor,
        "keeper.designate",
        subject_type="institution",
        subject_id=institution.id,
        details={
            "keeper_id": keeper.id,
            "practitioner_id": on_staff.id,
            "training_id": training.id,
            "valid_from": keeper.valid_from,
        },
    )
    return keeper


def end_keeper(
    session: Session,
    actor: Actor,
    keeper_id: uuid.UUID,
    *,
    reason: str,
    institution_id: uuid.UUID | None = None,
) -> RecordsKeeper:
    """End a designation now (its last day was yesterday); the row stays as history with the reason."""
    actor.require(Action.KEEPER_DESIGNATE)
    keeper = session.scalar(
        select(RecordsKeeper)
        .join(Institution, Institution.id == RecordsKeeper.institution_id)
        .where(RecordsKeeper.id == keeper_id, visible_institutions(actor))
    )
    if keeper is None or (institution_id is not None and keeper.institution_id != institution_id):
        raise NotFound("未找到该档案管理责任人，或您无权查看")
    _require_designating(session, actor, keeper.institution_id)
    reason = reason.strip()
    errors = ErrorCollector()
    if not reason:
        errors.add("reason", "请填写结束原因")
    elif len(reason) > REASON_MAX:
        errors.add("reason", f"最多 {REASON_MAX} 个字符")
    if keeper.valid_to is not None:
        errors.add("reason", "该指定已结束")
    errors.raise_if_any("档案管理责任人未结束")
    keeper.valid_to = max(today_local(), keeper.valid_from) - timedelta(days=1)
    keeper.reason_ended = reason
    keeper.ended_by = actor.login
    keeper.ended_at = utcnow()
    record_event(
        session,
        actor,
        "keeper.end",
        subject_type="institution",
        subject_id=keeper.institution_id,
        details={"keeper_id": keeper.id, "practitioner_id": keeper.practitioner_id, "reason": reason},
    )
    session.flush()
    return keeper
