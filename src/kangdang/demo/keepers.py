"""The demo records manager (dangan) has a passed records-management training and is the responsible records
manager (档案管理责任人) of 新市镇中心卫生院. Idempotent: a second run changes nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.access.actor import system_actor
from kangdang.access.models import User
from kangdang.institutions.keepers import designate_keeper
from kangdang.institutions.models import Institution
from kangdang.institutions.models_training import RecordsKeeper, TrainingRecord
from kangdang.institutions.training import TrainingCreate, add_training

KEEPER_LOGIN = "dangan"
KEEPER_INSTITUTION = "330521102-01"  # 新市镇中心卫生院
DEMO_TRAINING = TrainingCreate(
    course="居民健康档案管理培训",
    held_on=date(2025, 3, 14),
    hours=16,
    score=92.5,
    passed=True,
    organiser="德清县卫生健康局",
    certificate_no="DQWJ-2025-031",
)
KEEPER_SINCE = date(2025, 4, 1)


def load_demo_keepers(session: Session) -> None:
    actor = system_actor()
    practitioner_id = session.scalar(select(User.practitioner_id).where(User.login == KEEPER_LOGIN))
    institution_id = session.scalar(select(Institution.id).where(Institution.code == KEEPER_INSTITUTION))
    if practitioner_id is None or institution_id is None:
        return
    trained = session.scalar(
        select(TrainingRecord.id).where(
            TrainingRecord.practitioner_id == practitioner_id, TrainingRecord.course == DEMO_TRAINING.course
        )
    )
    if trained is None:
        add_training(session, actor, practitioner_id, DEMO_TRAINING)
    designated = session.scalar(
        select(RecordsKeeper.id).where(
            RecordsKeeper.institution_id == institution_id, RecordsKeeper.practitioner_id == practitioner_id
        )
    )
    if designated is None:
        designate_keeper(session, actor, institution_id, practitioner_id=practitioner_id, valid_from=KEEPER_SINCE)
    session.flush()
