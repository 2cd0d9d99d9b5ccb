"""Pages for key-population programmes (重点人群健康管理): the resident page's section, enrolment (纳入管理),
the episode page with its tasks and history, and the edit and close forms."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import Conflict, InvalidInput
from kangdang.institutions.models import Institution
from kangdang.programmes.codes import MANUAL_OUTCOMES, OUTCOME_LABELS, URGENCY_LABELS, Programme
from kangdang.programmes.enrolment import ineligible
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.service import (
    EpisodeView,
    close_episode,
    enrol,
    get_episode,
    record_programmes,
    update_episode,
)
from kangdang.programmes.suggestions import suggest_programmes
from kangdang.programmes.worklist import task_state
from kangdang.records.catalogue import catalogue
from kangdang.residents.models import HealthRecord, Person, ResidentChange
from kangdang.residents.numbering import group_number
from kangdang.residents.scope import get_visible_record, visible_records
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values
from kangdang.web.programme_display import (
    DETAIL_LABELS,
    PATIENT_TYPES,
    STATE_TEXT,
    episode_history,
    fact_lines,
)
from kangdang.web.resident_display import age_on, care_staff_options

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store"}
ENROL_FIELDS: dict[Programme, tuple[str, ...]] = {
    Programme.MATERNAL: ("lmp", "gestational_weeks", "gestational_days"),
    Programme.TUBERCULOSIS: ("notified_on", "treatment_start", "patient_type"),
    Programme.CHILD: ("discharge_date",),
}
EDIT_FIELDS: dict[Programme, tuple[str, ...]] = {
    Programme.MATERNAL: ("lmp", "delivery_date", "discharge_date"),
    Programme.TUBERCULOSIS: ("notified_on", "treatment_start", "patient_type"),
    Programme.CHILD: ("discharge_date",),
}
SAVED = {"enrolled": "已纳入管理", "updated": "管理信息已保存", "closed": "已结案"}


def _require_manage(actor: CurrentActor) -> None:
    """Runs before the form body is read (and before the CSRF check reads it)."""
    actor.require(Action.PROGRAMME_MANAGE)


Manager = Depends(_require_manage)


def doctor_choices(session: Session, institution_id: uuid.UUID, keep: uuid.UUID | None = None) -> list[tuple[str, str]]:
    """Care staff of the managing institution and of the village clinics it supervises (one query)."""
    where = and_(
        Institution.status == "active",
        or_(Institution.id == institution_id, Institution.supervisor_id == institution_id),
    )
    return care_staff_options(session, where, keep=keep, away="不在本机构")


def _page(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200) -> Response:
    response = render(request, template, context, status_code=status_code)
    response.headers.update(NO_STORE)  # residents' personal data stays out of shared caches
    return response


def _programme(code: str) -> Programme | None:
    try:
        return Programme(code)
    except ValueError:
        return None


def _doctor_id(values: dict[str, str], errors: FormErrors) -> uuid.UUID | None:
    raw = values.get("managing_doctor_id", "").strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        errors["managing_doctor_id"] = "责任医生：请选择在职的医务人员"
        return None


def _day(values: dict[str, str], key: str, label: str, errors: FormErrors) -> date | None:
    raw = values.get(key, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[key] = f"{label}：请填写正确的日期，如 2026-03-01"
        return None


# --- the resident page's section ----------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeLine:
    view: EpisodeView
    task: CareTask | None  # the next open task
    state: str | None  # its state today

    @classmethod
    def of(cls, view: EpisodeView, today: date) -> EpisodeLine:
        task = next((t for t in view.tasks if t.status == "open"), None)
        return cls(view, task, task_state(task.opens_on, task.due_on, task.expires_on, today) if task else None)


def programme_section(
    session: Session, actor: Actor, record: HealthRecord, *, forms: bool, own: bool
) -> dict[str, Any]:
    """What templates/programmes/_resident_section.html needs: episodes with their next task, suggestions.

    ``forms``: the read covers the forms (a grant without forms shows no programmes); ``own``: the record is
    in the actor's jurisdiction and open, so that enrolment is offered.
    """
    if not forms:
        return {"programme_section": None}
    today = today_local()
    episodes = [EpisodeLine.of(view, today) for view in record_programmes(session, actor, record.id, audit=False)]
    can_enrol = own and actor.can(Action.PROGRAMME_MANAGE)
    active = {line.view.episode.programme for line in episodes if line.view.episode.status == "active"}
    person = session.get_one(Person, record.person_id)
    return {
        "programme_section": {
            "episodes": episodes,
            "suggestions": suggest_programmes(session, actor, record.id, today=today) if can_enrol else [],
            "choices": [
                (p.value, p.label)
                for p in Programme
                if can_enrol and p.value not in active and not ineligible(p, person.birth_date, person.sex, today)
            ],
            "can_enrol": can_enrol,
            "can_fill": own and actor.can(Action.FORM_FILL),
            "state_text": STATE_TEXT,
            "outcomes": OUTCOME_LABELS,
            "urgency": URGENCY_LABELS,
        }
    }


# --- enrolment ----------------------------------------------------------------------------------------


def _enrol_context(
    session: Session, record: HealthRecord, programme: Programme, values: dict[str, Any], errors: FormErrors
) -> dict[str, Any]:
    person = session.get_one(Person, record.person_id)
    return {
        "page_title": f"纳入{programme.label}健康管理：{person.name}",
        "record": record,
        "person": person,
        "age": age_on(person.birth_date),
        "programme": programme,
        "fields": ENROL_FIELDS.get(programme, ()),
        "detail_labels": DETAIL_LABELS,
        "patient_types": PATIENT_TYPES,
        "doctor_options": doctor_choices(session, record.managing_institution_id),
        "values": values,
        "errors": errors,
        "group_number": group_number,
    }


@router.get("/residents/{record_id}/programmes/new", dependencies=[Manager])
def enrol_page(
    request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID, programme: str = ""
) -> Response:
    record = get_visible_record(session, actor, record_id)
    kind = _programme(programme)
    if kind is None:
        raise InvalidInput("请选择要纳入的管理项目")
    options = {value for value, _ in doctor_choices(session, record.managing_institution_id)}
    default = next(
        (str(d) for d in (record.responsible_doctor_id, actor.practitioner_id) if d and str(d) in options), ""
    )
    values = {"enrolled_on": today_local().isoformat(), "managing_doctor_id": default, "patient_type": "1"}
    return _page(request, "programmes/enrol.html", _enrol_context(session, record, kind, values, {}))


@router.post("/residents/{record_id}/programmes/new", dependencies=[Manager, CsrfChecked])
async def enrol_submit(
    request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID, programme: str = ""
) -> Response:
    record = get_visible_record(session, actor, record_id)
    kind = _programme(programme)
    if kind is None:
        raise InvalidInput("请选择要纳入的管理项目")
    values = form_values(await request.form())
    errors: FormErrors = {}
    day = _day(values, "enrolled_on", "纳入管理日期", errors)
    doctor = _doctor_id(values, errors)
    details = {key: values.get(key, "") for key in ENROL_FIELDS.get(kind, ())}
    if not errors:
        try:
            episode = enrol(
                session, actor, record_id, kind.value, enrolled_on=day, details=details, managing_doctor_id=doctor
            )
            return RedirectResponse(f"/programmes/episodes/{episode.id}?saved=enrolled", status_code=303)
        except InvalidInput as error:
            errors = errors_of(error)
        except Conflict as error:
            errors = {"__message__": error.message}
    errors.setdefault("__message__", "未纳入管理，请更正以下问题")
    context = _enrol_context(session, record, kind, values, errors)
    return _page(request, "programmes/enrol.html", context, status_code=422)


# --- the episode page ---------------------------------------------------------------------------------


def _episode_page(
    request: Request, session: Session, actor: Actor, episode_id: uuid.UUID, *, status_code: int = 200, **extra: Any
) -> Response:
    view = get_episode(session, actor, episode_id)
    episode = view.episode
    record = session.get_one(HealthRecord, episode.record_id)
    person = session.get_one(Person, episode.person_id)
    own = session.scalar(select(HealthRecord.id).where(HealthRecord.id == record.id, visible_records(actor)))
    manage = own is not None and episode.status == "active" and actor.can(Action.PROGRAMME_MANAGE)
    today = today_local()
    context: dict[str, Any] = {
        "page_title": f"{view.programme.label}健康管理：{person.name}",
        "v": view,
        "episode": episode,
        "record": record,
        "person": person,
        "age": age_on(person.birth_date),
        "facts": fact_lines(episode.details or {}),
        "tasks": [(task, task_state(task.opens_on, task.due_on, task.expires_on, today)) for task in view.tasks],
        "history": episode_history(session, _history_rows(session, episode)),
        "form_titles": {code: form.title for code, form in catalogue().forms.items()},
        "state_text": STATE_TEXT,
        "urgency": URGENCY_LABELS,
        "outcome_text": OUTCOME_LABELS.get(episode.outcome or "", episode.outcome or ""),
        "can_manage": manage,
        "can_fill": own is not None and episode.status == "active" and actor.can(Action.FORM_FILL),
        "saved": SAVED.get(str(request.query_params.get("saved", "")), ""),
        "group_number": group_number,
        "edit_values": _edit_values(view),
        "edit_errors": {},
        "close_values": {"closed_on": today.isoformat()},
        "close_errors": {},
    }
    if manage:
        context.update(
            edit_fields=EDIT_FIELDS.get(view.programme, ()),
            detail_labels=DETAIL_LABELS,
            patient_types=PATIENT_TYPES,
            doctor_options=doctor_choices(session, record.managing_institution_id, keep=episode.managing_doctor_id),
            outcome_options=[(code, OUTCOME_LABELS[code]) for code in MANUAL_OUTCOMES[view.programme]],
        )
    context.update(extra)
    return _page(request, "programmes/episode.html", context, status_code=status_code)


def _edit_values(view: EpisodeView) -> dict[str, str]:
    values = {key: str(value) for key, value in (view.episode.details or {}).items()}
    values["managing_doctor_id"] = str(view.episode.managing_doctor_id or "")
    return values


def _history_rows(session: Session, episode: Episode) -> list[ResidentChange]:
    """The episode's changes (enrolment, edits, close), newest first — by the person's index."""
    return list(
        session.scalars(
            select(ResidentChange)
            .where(
                ResidentChange.person_id == episode.person_id,
                ResidentChange.entity_id == str(episode.id),
                ResidentChange.action.startswith("programme."),
            )
            .order_by(ResidentChange.at.desc(), ResidentChange.id.desc())
        )
    )


@router.get("/programmes/episodes/{episode_id}")
def episode_page(request: Request, session: DbSession, actor: CurrentActor, episode_id: uuid.UUID) -> Response:
    return _episode_page(request, session, actor, episode_id)


@router.post("/programmes/episodes/{episode_id}/edit", dependencies=[Manager, CsrfChecked])
async def edit_episode_submit(
    request: Request, session: DbSession, actor: CurrentActor, episode_id: uuid.UUID
) -> Response:
    values = form_values(await request.form())
    errors: FormErrors = {}
    doctor = _doctor_id(values, errors)
    episode = session.get(Episode, episode_id)
    fields = EDIT_FIELDS.get(Programme(episode.programme), ()) if episode else ()
    details = {key: values.get(key, "") for key in fields}
    if not errors:
        try:
            update_episode(session, actor, episode_id, details=details or None, managing_doctor_id=doctor)
            return RedirectResponse(f"/programmes/episodes/{episode_id}?saved=updated", status_code=303)
        except InvalidInput as error:
            errors = errors_of(error)
    errors.setdefault("__message__", "修改未保存，请更正以下问题")
    return _episode_page(request, session, actor, episode_id, status_code=422, edit_values=values, edit_errors=errors)


@router.post("/programmes/episodes/{episode_id}/close", dependencies=[Manager, CsrfChecked])
async def close_episode_submit(
    request: Request, session: DbSession, actor: CurrentActor, episode_id: uuid.UUID
) -> Response:
    values = form_values(await request.form())
    errors: FormErrors = {}
    day = _day(values, "closed_on", "结案日期", errors)
    if not values.get("outcome"):
        errors["outcome"] = "结案原因：请选择转归"
    if not errors:
        try:
            close_episode(
                session, actor, episode_id, outcome=values["outcome"], note=values.get("outcome_note"), closed_on=day
            )
            return RedirectResponse(f"/programmes/episodes/{episode_id}?saved=closed", status_code=303)
        except InvalidInput as error:
            errors = errors_of(error)
    errors.setdefault("__message__", "未结案，请更正以下问题")
    return _episode_page(request, session, actor, episode_id, status_code=422, close_values=values, close_errors=errors)
