"""Episodes follow their resident: re-plan when a programme form is signed, amended or withdrawn; close the
episodes of a closed record (死亡 → 死亡, 迁出 → 迁出 …); move them, and their tasks' village and keeper, with a
record that changes village or institution."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.core.clock import today_local, utcnow
from kangdang.programmes.codes import ALL_PROGRAMME_FORMS
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.sync import refresh_people
from kangdang.records.events import on_form_change
from kangdang.records.models import ServiceRecord
from kangdang.residents.events import RecordEvent, on_record_event
from kangdang.residents.history import record_change
from kangdang.residents.models import HealthRecord

# 注销原因 (residents.codes.CLOSURE_REASONS) → episode outcome
CLOSURE_OUTCOMES = {"1": "died", "2": "moved_out", "3": "lost", "4": "refused", "9": "other"}


@on_form_change
def replan_after_form(session: Session, row: ServiceRecord) -> None:
    if row.form_code in ALL_PROGRAMME_FORMS:
        refresh_people(session, [row.person_id])


@on_record_event
def follow_the_record(session: Session, actor: Actor, event: RecordEvent) -> None:
    if event.kind == "handed_over":
        session.execute(
            update(Episode)
            .where(Episode.managing_institution_id == event.institution_id)
            .values(managing_institution_id=event.successor_id, updated_at=utcnow())
        )
        session.execute(
            update(CareTask)
            .where(CareTask.managing_institution_id == event.institution_id)
            .values(managing_institution_id=event.successor_id, updated_at=utcnow())
        )
        return
    record = session.get_one(HealthRecord, event.record_id)
    if event.kind == "moved":  # every task of the record, done ones too: they stay where the record is
        session.execute(
            update(CareTask)
            .where(CareTask.record_id == record.id)
            .values(
                village_code=record.village_code,
                managing_institution_id=record.managing_institution_id,
                updated_at=utcnow(),
            )
        )
    episodes = list(session.scalars(select(Episode).where(Episode.record_id == record.id, Episode.status == "active")))
    for episode in episodes:
        if event.kind == "closed":
            _close_with_record(session, actor, episode, record)
        else:
            changes = {
                "managing_institution_id": [str(episode.managing_institution_id), str(record.managing_institution_id)],
                "managing_doctor_id": [str(episode.managing_doctor_id), str(record.responsible_doctor_id)],
            }
            episode.managing_institution_id = record.managing_institution_id
            episode.managing_doctor_id = record.responsible_doctor_id
            record_change(
                session,
                actor,
                entity="programme_episode",
                entity_id=episode.id,
                action="programme.move",
                changes=changes,
                person_id=episode.person_id,
            )
    session.flush()


def _close_with_record(session: Session, actor: Actor, episode: Episode, record: HealthRecord) -> None:
    outcome = CLOSURE_OUTCOMES.get(record.closure_reason or "", "other")
    episode.status, episode.outcome, episode.outcome_note = "closed", outcome, "档案注销"
    episode.closed_on = record.closed_on or today_local()
    episode.closed_by = actor.login
    session.execute(
        update(CareTask)
        .where(CareTask.episode_id == episode.id, CareTask.status == "open")
        .values(status="cancelled", updated_at=utcnow())
    )
    record_change(
        session,
        actor,
        entity="programme_episode",
        entity_id=episode.id,
        action="programme.close",
        changes={"status": ["active", "closed"], "outcome": [None, outcome], "closed_on": [None, episode.closed_on]},
        person_id=episode.person_id,
    )
