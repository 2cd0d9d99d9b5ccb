"""JSON routes for staff training records (培训记录) and responsible records managers (档案管理责任人)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kangdang.api.deps import CurrentActor, DbSession
from kangdang.api.schemas import ERROR_RESPONSES
from kangdang.institutions.keepers import KeeperView, designate_keeper, end_keeper, list_keepers
from kangdang.institutions.models import Practitioner
from kangdang.institutions.models_training import RecordsKeeper, TrainingRecord
from kangdang.institutions.training import (
    Reason,
    TrainingCreate,
    add_training,
    latest_passed_training,
    list_training,
    withdraw_training,
)

router = APIRouter(tags=["keepers"], responses=ERROR_RESPONSES)


class TrainingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    practitioner_id: uuid.UUID
    course: str
    held_on: date
    hours: float | None
    score: float | None
    passed: bool
    organiser: str
    certificate_no: str | None
    recorded_by: str
    recorded_at: datetime
    status: str = Field(description="valid | withdrawn")
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None


class KeeperDesignation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    practitioner_id: uuid.UUID = Field(description="A current member of the institution's staff with a passed training")
    valid_from: date | None = Field(default=None, description="Default: today; not in the future")


class KeeperOut(BaseModel):
    id: uuid.UUID
    institution_id: uuid.UUID
    practitioner_id: uuid.UUID
    practitioner_name: str
    valid_from: date
    valid_to: date | None
    designated_by: str
    designated_at: datetime
    reason_ended: str | None
    latest_training: TrainingOut | None = Field(description="Latest passed, not withdrawn training")


def _keeper_out(keeper: RecordsKeeper, practitioner: Practitioner, training: TrainingRecord | None) -> KeeperOut:
    return KeeperOut(
        id=keeper.id,
        institution_id=keeper.institution_id,
        practitioner_id=keeper.practitioner_id,
        practitioner_name=practitioner.name,
        valid_from=keeper.valid_from,
        valid_to=keeper.valid_to,
        designated_by=keeper.designated_by,
        designated_at=keeper.designated_at,
        reason_ended=keeper.reason_ended,
        latest_training=TrainingOut.model_validate(training) if training else None,
    )


def _view_out(view: KeeperView) -> KeeperOut:
    return _keeper_out(view.keeper, view.practitioner, view.training)


@router.get(
    "/practitioners/{practitioner_id}/training",
    response_model=list[TrainingOut],
    summary="A practitioner's training records, newest first (withdrawn ones included)",
)
def list_training_(practitioner_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> list[TrainingOut]:
    return [TrainingOut.model_validate(t) for t in list_training(session, actor, practitioner_id)]


@router.post(
    "/practitioners/{practitioner_id}/training",
    response_model=TrainingOut,
    status_code=201,
    summary="Record a training (course, date, score, pass)",
)
def add_training_(
    practitioner_id: uuid.UUID, body: TrainingCreate, session: DbSession, actor: CurrentActor
) -> TrainingOut:
    return TrainingOut.model_validate(add_training(session, actor, practitioner_id, body))


@router.post(
    "/practitioners/{practitioner_id}/training/{training_id}/withdraw",
    response_model=TrainingOut,
    summary="Withdraw a wrong training entry, with a reason (it stays on file)",
)
def withdraw_training_(
    practitioner_id: uuid.UUID, training_id: uuid.UUID, body: Reason, session: DbSession, actor: CurrentActor
) -> TrainingOut:
    training = withdraw_training(session, actor, training_id, reason=body.reason, practitioner_id=practitioner_id)
    return TrainingOut.model_validate(training)


@router.get(
    "/institutions/{institution_id}/keepers",
    response_model=list[KeeperOut],
    summary="An institution's responsible records managers (current; with history=true also ended ones)",
)
def list_keepers_(
    institution_id: uuid.UUID, session: DbSession, actor: CurrentActor, history: bool = False
) -> list[KeeperOut]:
    return [_view_out(v) for v in list_keepers(session, actor, institution_id, include_ended=history)]


@router.post(
    "/institutions/{institution_id}/keepers",
    response_model=KeeperOut,
    status_code=201,
    summary="Designate a responsible records manager (needs a passed training)",
)
def designate_keeper_(
    institution_id: uuid.UUID, body: KeeperDesignation, session: DbSession, actor: CurrentActor
) -> KeeperOut:
    keeper = designate_keeper(
        session, actor, institution_id, practitioner_id=body.practitioner_id, valid_from=body.valid_from
    )
    return _out_of(session, keeper)


@router.post(
    "/institutions/{institution_id}/keepers/{keeper_id}/end",
    response_model=KeeperOut,
    summary="End a designation, with a reason (the row is kept as history)",
)
def end_keeper_(
    institution_id: uuid.UUID, keeper_id: uuid.UUID, body: Reason, session: DbSession, actor: CurrentActor
) -> KeeperOut:
    keeper = end_keeper(session, actor, keeper_id, reason=body.reason, institution_id=institution_id)
    return _out_of(session, keeper)


def _out_of(session: DbSession, keeper: RecordsKeeper) -> KeeperOut:
    practitioner = session.get_one(Practitioner, keeper.practitioner_id)
    training = latest_passed_training(session, [practitioner.id]).get(practitioner.id)
    return _keeper_out(keeper, practitioner, training)
