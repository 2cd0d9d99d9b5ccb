"""Use cases of programme episodes: enrol, edit, close, read. Every change keeps history and re-plans tasks."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import Conflict, FieldError, InvalidInput, NotFound
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.programmes.codes import MANUAL_OUTCOMES, OUTCOME_LABELS, Programme
from kangdang.programmes.enrolment import check_details, ineligible
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.sync import refresh_people
from kangdang.residents.history import diff, record_change
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.scope import get_visible_record, read_record, visible_records

EPISODE_NOT_FOUND = "未找到该管理记录，或不在您的管辖范围内"


@dataclass(frozen=True)
class EpisodeView:
    episode: Episode
    tasks: list[CareTask]
    doctor_name: str | None
    institution_name: str

    @property
    def programme(self) -> Programme:
        return Programme(self.episode.programme)


def _programme(code: str) -> Programme:
    try:
        return Programme(code)
    except ValueError:
        raise InvalidInput(errors=[FieldError("programme", "管理项目：请选择有效的项目")]) from None


def _doctor(session: Session, doctor_id: uuid.UUID | None, institution_id: uuid.UUID) -> uuid.UUID | None:
    """A managing doctor must be on the current staff of the managing institution, of a clinic it supervises
    or of the centre that supervises it."""
    if doctor_id is None:
        return None
    today = today_local()
    institution = session.get_one(Institution, institution_id)
    allowed = select(Institution.id).where(
        or_(
            Institution.id == institution_id,
            Institution.supervisor_id == institution_id,
            Institution.id == institution.supervisor_id,
        )
    )
    found = session.scalar(
        select(Practitioner.id)
        .join(Membership, Membership.practitioner_id == Practitioner.id)
        .where(
            Practitioner.id == doctor_id,
            Practitioner.status == "active",
            Membership.institution_id.in_(allowed),
            Membership.valid_from <= today,
            or_(Membership.valid_to.is_(None), Membership.valid_to >= today),
        )
        .limit(1)
    )
    if found is None:
        message = "责任医生：请选择本机构或其所辖村卫生室在职的医务人员"
        raise InvalidInput(message, errors=[FieldError("managing_doctor_id", message)])
    return found


def _enrolled_on(value: date | None, person: Person, today: date) -> date:
    day = value or today
    if day > today:
        raise InvalidInput(errors=[FieldError("enrolled_on", "纳入管理日期：不能晚于今天")])
    if day < person.birth_date:
        raise InvalidInput(errors=[FieldError("enrolled_on", "纳入管理日期：不能早于出生日期")])
    return day


def enrol(
    session: Session,
    actor: Actor,
    record_id: uuid.UUID,
    programme: str,
    *,
    enrolled_on: date | None = None,
    details: Mapping[str, Any] | None = None,
    managing_doctor_id: uuid.UUID | None = None,
) -> Episode:
    """Start an episode for the resident; its first tasks are planned at once."""
    actor.require(Action.PROGRAMME_MANAGE)
    record = get_visible_record(session, actor, record_id)
    if record.status != "active":
        raise Conflict("该档案已注销，不能纳入管理")
    kind = _programme(programme)
    person = session.get_one(Person, record.person_id)
    today = today_local()
    day = _enrolled_on(enrolled_on, person, today)
    reason = ineligible(kind, person.birth_date, person.sex, day)
    if reason:
        raise InvalidInput(reason, errors=[FieldError("programme", reason)])
    facts = check_details(kind, details or {}, birth_date=person.birth_date, enrolled_on=day, today=today)
    if _active(session, person.id, kind) is not None:
        raise Conflict(f"该居民已在{kind.label}健康管理中")
    doctor = (
        _doctor(session, managing_doctor_id, record.managing_institution_id)
        or record.responsible_doctor_id
        or actor.practitioner_id
    )
    episode = Episode(
        person_id=person.id,
        record_id=record.id,
        programme=kind.value,
        status="active",
        enrolled_on=day,
        enrolled_by=actor.login,
        managing_institution_id=record.managing_institution_id,
        managing_doctor_id=doctor,
        details=facts,
    )
    session.add(episode)
    session.flush()
    record_change(
        session,
        actor,
        entity="programme_episode",
        entity_id=episode.id,
        action="programme.enrol",
        changes={
            "programme": [None, kind.value],
            "enrolled_on": [None, day],
            **{key: [None, value] for key, value in facts.items()},
        },
        person_id=person.id,
    )
    refresh_people(session, [person.id], actor=actor)
    return episode


def _active(session: Session, person_id: uuid.UUID, programme: Programme) -> Episode | None:
    return session.scalar(
        select(Episode).where(
            Episode.person_id == person_id, Episode.programme == programme.value, Episode.status == "active"
        )
    )


def _visible_episode(session: Session, actor: Actor, episode_id: uuid.UUID) -> Episode:
    episode = session.scalar(
        select(Episode)
        .join(HealthRecord, HealthRecord.id == Episode.record_id)
        .where(Episode.id == episode_id, visible_records(actor))
    )
    if episode is None:
        raise NotFound(EPISODE_NOT_FOUND)
    return episode


def update_episode(
    session: Session,
    actor: Actor,
    episode_id: uuid.UUID,
    *,
    details: Mapping[str, Any] | None = None,
    managing_doctor_id: uuid.UUID | None = None,
) -> Episode:
    """Correct the episode's facts (e.g. record the delivery) or hand it to another doctor; tasks re-planned."""
    actor.require(Action.PROGRAMME_MANAGE)
    episode = _visible_episode(session, actor, episode_id)
    if episode.status != "active":
        raise Conflict("该管理已结案，不能再修改")
    person = session.get_one(Person, episode.person_id)
    values: dict[str, Any] = {}
    if details is not None:
        merged = {**episode.details, **{k: v for k, v in details.items()}}
        values["details"] = check_details(
            Programme(episode.programme),
            merged,
            birth_date=person.birth_date,
            enrolled_on=episode.enrolled_on,
            today=today_local(),
        )
    if managing_doctor_id is not None:
        values["managing_doctor_id"] = _doctor(session, managing_doctor_id, episode.managing_institution_id)
    changes = diff(episode, values)
    if not changes:
        return episode
    for key, value in values.items():
        setattr(episode, key, value)
    session.flush()
    record_change(
        session,
        actor,
        entity="programme_episode",
        entity_id=episode.id,
        action="programme.update",
        changes=changes,
        person_id=episode.person_id,
    )
    refresh_people(session, [episode.person_id], actor=actor)
    return episode


def close_episode(
    session: Session,
    actor: Actor,
    episode_id: uuid.UUID,
    *,
    outcome: str,
    note: str | None = None,
    closed_on: date | None = None,
) -> Episode:
    """End the episode with an outcome (转归); its open tasks are cancelled. The episode stays on file."""
    actor.require(Action.PROGRAMME_MANAGE)
    episode = _visible_episode(session, actor, episode_id)
    if episode.status != "active":
        raise Conflict("该管理已结案")
    programme = Programme(episode.programme)
    if outcome not in MANUAL_OUTCOMES[programme]:
        raise InvalidInput(errors=[FieldError("outcome", "结案原因：请选择有效的转归")])
    today = today_local()
    day = closed_on or today
    if day > today or day < episode.enrolled_on:
        raise InvalidInput(errors=[FieldError("closed_on", "结案日期：应在纳入管理日期与今天之间")])
    note = (note or "").strip() or None
    if outcome == "other" and not note:
        raise InvalidInput(errors=[FieldError("outcome_note", "说明：结案原因为“其他”时请说明")])
    if note and len(note) > 200:
        raise InvalidInput(errors=[FieldError("outcome_note", "说明：最多 200 个字")])
    episode.status = "closed"
    episode.outcome = outcome
    episode.outcome_note = note
    episode.closed_on = day
    episode.closed_by = actor.login
    for task in session.scalars(select(CareTask).where(CareTask.episode_id == episode.id, CareTask.status == "open")):
        task.status = "cancelled"
    session.flush()
    record_change(
        session,
        actor,
        entity="programme_episode",
        entity_id=episode.id,
        action="programme.close",
        changes={"status": ["active", "closed"], "outcome": [None, outcome], "closed_on": [None, day]},
        person_id=episode.person_id,
    )
    return episode


def _views(session: Session, episodes: list[Episode]) -> list[EpisodeView]:
    if not episodes:
        return []
    tasks: dict[uuid.UUID, list[CareTask]] = {e.id: [] for e in episodes}
    for task in session.scalars(
        select(CareTask)
        .where(CareTask.episode_id.in_(tasks), CareTask.status != "cancelled")
        .order_by(CareTask.opens_on, CareTask.key)
    ):
        tasks[task.episode_id].append(task)
    doctors = dict(
        session.execute(
            select(Practitioner.id, Practitioner.name).where(
                Practitioner.id.in_({e.managing_doctor_id for e in episodes if e.managing_doctor_id})
            )
        ).all()
    )
    institutions = dict(
        session.execute(
            select(Institution.id, Institution.name).where(
                Institution.id.in_({e.managing_institution_id for e in episodes})
            )
        ).all()
    )
    return [
        EpisodeView(
            e,
            tasks[e.id],
            doctors.get(e.managing_doctor_id) if e.managing_doctor_id else None,
            institutions.get(e.managing_institution_id, ""),
        )
        for e in episodes
    ]


def record_programmes(session: Session, actor: Actor, record_id: uuid.UUID, *, audit: bool = True) -> list[EpisodeView]:
    """The resident's episodes, active first then newest (read through jurisdiction or a forms grant); audited
    unless the caller already audits the read (the record page)."""
    actor.require(Action.RESIDENT_VIEW)
    record, basis = read_record(session, actor, record_id, "forms")
    if audit:
        record_event(
            session,
            actor,
            "programme.list",
            subject_type="person",
            subject_id=record.person_id,
            details=basis.audit_details(),
        )
    episodes = list(
        session.scalars(
            select(Episode)
            .where(Episode.person_id == record.person_id)
            .order_by(Episode.status, Episode.enrolled_on.desc())
        )
    )
    return _views(session, episodes)


def get_episode(session: Session, actor: Actor, episode_id: uuid.UUID) -> EpisodeView:
    """One episode with its tasks, audited as a read of the resident's record."""
    actor.require(Action.RESIDENT_VIEW)
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise NotFound(EPISODE_NOT_FOUND)
    try:
        _record, basis = read_record(session, actor, episode.record_id, "forms")
    except NotFound:
        raise NotFound(EPISODE_NOT_FOUND) from None
    record_event(
        session,
        actor,
        "programme.read",
        subject_type="person",
        subject_id=episode.person_id,
        details={"episode_id": str(episode.id), "programme": episode.programme, **basis.audit_details()},
    )
    return _views(session, [episode])[0]


def task_for_form(session: Session, actor: Actor, task_id: uuid.UUID, record_id: uuid.UUID) -> CareTask:
    """The task a form is started from (its preset opens the form), if it is one of the actor's residents'."""
    actor.require(Action.FORM_FILL)
    task = session.scalar(
        select(CareTask)
        .join(HealthRecord, HealthRecord.id == CareTask.record_id)
        .where(CareTask.id == task_id, CareTask.record_id == record_id, visible_records(actor))
    )
    if task is None:
        raise NotFound("未找到该随访任务，或不在您的管辖范围内")
    return task


def outcome_label(code: str | None) -> str:
    return OUTCOME_LABELS.get(code or "", code or "")
