"""JSON routes for programme episodes (重点人群健康管理): a resident's episodes and suggestions, enrolment,
changes and closing (转归). Tasks are planned by the service; these routes only carry them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter

from kangdang.api.deps import CurrentActor, DbSession
from kangdang.api.programme_schemas import EnrolmentIn, EpisodeClosure, EpisodeOut, EpisodeUpdate, SuggestionOut
from kangdang.api.schemas import ERROR_RESPONSES, ErrorOut
from kangdang.core.clock import today_local
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.programmes.service import close_episode, enrol, get_episode, record_programmes, update_episode
from kangdang.programmes.suggestions import suggest_programmes

RESPONSES: dict[int | str, dict[str, object]] = ERROR_RESPONSES | {
    409: {"model": ErrorOut, "description": "Conflict: already in the programme, the episode is closed, …"}
}

router = APIRouter(tags=["programmes"], responses=RESPONSES)


@contextmanager
def _fields_renamed(names: dict[str, str]) -> Iterator[None]:
    """Name field errors after the body's fields where the service calls them otherwise."""
    try:
        yield
    except InvalidInput as exc:
        exc.errors = [FieldError(names.get(e.field, e.field), e.message, e.row) for e in exc.errors]
        raise


@router.get(
    "/residents/{record_id}/programmes",
    response_model=list[EpisodeOut],
    summary="A resident's programme episodes with their tasks, active first then newest",
)
def list_episodes(record_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> list[EpisodeOut]:
    today = today_local()
    return [EpisodeOut.of(view, today) for view in record_programmes(session, actor, record_id)]


@router.get(
    "/residents/{record_id}/programme-suggestions",
    response_model=list[SuggestionOut],
    summary="Programmes the resident's record suggests enrolling in, with the reason",
)
def suggestions(record_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> list[SuggestionOut]:
    return [
        SuggestionOut(programme=s.programme.value, programme_label=s.programme.label, reason=s.reason)
        for s in suggest_programmes(session, actor, record_id)
    ]


@router.post(
    "/residents/{record_id}/programmes",
    response_model=EpisodeOut,
    status_code=201,
    summary="Enrol a resident in a programme: the episode with its first tasks",
)
def enrol_(record_id: uuid.UUID, body: EnrolmentIn, session: DbSession, actor: CurrentActor) -> EpisodeOut:
    episode = enrol(
        session,
        actor,
        record_id,
        body.programme.value,
        enrolled_on=body.enrolled_on,
        details=body.details,
        managing_doctor_id=body.managing_doctor_id,
    )
    return EpisodeOut.of(get_episode(session, actor, episode.id), today_local())


@router.get(
    "/programmes/episodes/{episode_id}",
    response_model=EpisodeOut,
    summary="One programme episode with its tasks (read is audited)",
)
def read_episode(episode_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> EpisodeOut:
    return EpisodeOut.of(get_episode(session, actor, episode_id), today_local())


@router.patch(
    "/programmes/episodes/{episode_id}",
    response_model=EpisodeOut,
    summary="Correct an episode's facts or hand it to another doctor (tasks are re-planned)",
)
def patch_episode(episode_id: uuid.UUID, body: EpisodeUpdate, session: DbSession, actor: CurrentActor) -> EpisodeOut:
    update_episode(session, actor, episode_id, details=body.details, managing_doctor_id=body.managing_doctor_id)
    return EpisodeOut.of(get_episode(session, actor, episode_id), today_local())


@router.post(
    "/programmes/episodes/{episode_id}/close",
    response_model=EpisodeOut,
    summary="Close an episode with its outcome (转归); open tasks are cancelled, the episode stays on file",
)
def close(episode_id: uuid.UUID, body: EpisodeClosure, session: DbSession, actor: CurrentActor) -> EpisodeOut:
    with _fields_renamed({"outcome_note": "note"}):
        close_episode(session, actor, episode_id, outcome=body.outcome, note=body.note, closed_on=body.closed_on)
    return EpisodeOut.of(get_episode(session, actor, episode_id), today_local())
