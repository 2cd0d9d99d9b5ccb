"""Pages for likely duplicate residents: the worklist, marking a pair, merging (and undoing it), scanning."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.core.errors import InvalidInput
from kangdang.core.pagination import PageRequest
from kangdang.regions.service import region_names
from kangdang.residents.codes import DUPLICATE_STATUS
from kangdang.residents.duplicates import (
    CandidateLine,
    detect_duplicates,
    get_candidate,
    list_duplicate_candidates,
    mark_not_duplicate,
)
from kangdang.residents.merge import merge_persons, unmerge_persons
from kangdang.residents.models import HealthRecord, PersonMerge
from kangdang.residents.numbering import group_number
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values
from kangdang.web.resident_display import lookup_names

router = APIRouter(prefix="/duplicates")

SAVED_MESSAGES = {
    "not_duplicate": "已标记为不是同一人",
    "merged": "已合并；被合并的居民保留为指向保留者的记录，可撤销",
    "undone": "已撤销合并，两位居民恢复为各自的档案，该对重新列入待处理",
}


def _current_records(session: Session, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, HealthRecord]:
    """Each person's open record, else their latest one, in one query."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(HealthRecord)
        .where(HealthRecord.person_id.in_(ids))
        .order_by((HealthRecord.status == "active").desc(), HealthRecord.filed_on.desc(), HealthRecord.id)
    )
    found: dict[uuid.UUID, HealthRecord] = {}
    for record in rows:
        found.setdefault(record.person_id, record)
    return found


def _active_merges(session: Session, lines: list[CandidateLine]) -> dict[uuid.UUID, PersonMerge]:
    """The merge (not undone) behind each merged pair, by candidate id."""
    ids = {p for ln in lines for p in (ln.person.id, ln.other.id)}
    if not ids:
        return {}
    merges = session.scalars(
        select(PersonMerge)
        .where(PersonMerge.undone_at.is_(None), or_(PersonMerge.merged_id.in_(ids), PersonMerge.survivor_id.in_(ids)))
        .order_by(PersonMerge.merged_at.desc())
    )
    by_pair: dict[frozenset[uuid.UUID], PersonMerge] = {}
    for merge in merges:
        by_pair.setdefault(frozenset((merge.survivor_id, merge.merged_id)), merge)
    found = {ln.candidate.id: by_pair.get(frozenset((ln.person.id, ln.other.id))) for ln in lines}
    return {k: v for k, v in found.items() if v is not None}


def _worklist(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status: str,
    page: int = 1,
    notice: str | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    result = list_duplicate_candidates(session, actor, page=PageRequest(page=page, size=50), status=status)
    people = [p for ln in result.items for p in (ln.person, ln.other)]
    merges = _active_merges(session, result.items) if status == "merged" else {}
    logins = {ln.candidate.decided_by for ln in result.items} | {m.merged_by for m in merges.values()}
    return render(
        request,
        "duplicates/list.html",
        {
            "page_title": "疑似重复档案",
            "page": result,
            "status": status,
            "status_options": list(DUPLICATE_STATUS.items()),
            "records": _current_records(session, [p.id for p in people]),
            "village_names": region_names(session, [p.current_region_code for p in people]),
            "merges": merges,
            "staff": lookup_names(session, logins={x for x in logins if x}).logins,
            "group_number": group_number,
            "notice": notice,
            "errors": errors or {},
            "base_url": "/duplicates?" + urlencode({"status": status}),
        },
        status_code=status_code,
    )


@router.get("")
def duplicates_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    status: str = "open",
    page: int = 1,
    saved: str = "",
    scanned: int | None = None,
) -> Response:
    status = status if status in DUPLICATE_STATUS else "open"
    notice = SAVED_MESSAGES.get(saved)
    if scanned is not None:
        notice = f"扫描完成：新增 {max(scanned, 0)} 对疑似重复"
    return _worklist(request, session, actor, status=status, page=page, notice=notice)


@router.post("/scan", dependencies=[CsrfChecked])
def scan_submit(session: DbSession, actor: CurrentActor) -> Response:
    added = detect_duplicates(session, actor)
    return RedirectResponse(f"/duplicates?scanned={added}", status_code=303)


@router.post("/{candidate_id}/not-duplicate", dependencies=[CsrfChecked])
def not_duplicate_submit(
    request: Request, session: DbSession, actor: CurrentActor, candidate_id: uuid.UUID
) -> Response:
    try:
        mark_not_duplicate(session, actor, candidate_id)
    except InvalidInput as error:
        session.rollback()
        return _worklist(request, session, actor, status="open", errors=errors_of(error), status_code=422)
    return RedirectResponse("/duplicates?saved=not_duplicate", status_code=303)


# --- merging ---------------------------------------------------------------------------------------------


def _merge_context(session: Session, line: CandidateLine, values: dict[str, Any], errors: FormErrors) -> dict[str, Any]:
    records = _current_records(session, [line.person.id, line.other.id])
    people = [line.person, line.other]
    if not values.get("survivor_id"):
        # Suggest keeping the resident filed first (their record number is the one already in use longest).
        filed = [(records[p.id].filed_on if p.id in records else None, i) for i, p in enumerate(people)]
        first = min(filed, key=lambda pair: (pair[0] is None, pair[0], pair[1]))[1]
        values = values | {"survivor_id": str(people[first].id)}
    return {
        "page_title": "合并疑似重复的居民",
        "line": line,
        "people": people,
        "records": records,
        "village_names": region_names(session, [p.current_region_code for p in people]),
        "group_number": group_number,
        "values": values,
        "errors": errors,
    }


@router.get("/{candidate_id}/merge")
def merge_page(request: Request, session: DbSession, actor: CurrentActor, candidate_id: uuid.UUID) -> Response:
    line = get_candidate(session, actor, candidate_id)
    return render(request, "duplicates/merge.html", _merge_context(session, line, {}, {}))


@router.post("/{candidate_id}/merge", dependencies=[CsrfChecked])
async def merge_submit(request: Request, session: DbSession, actor: CurrentActor, candidate_id: uuid.UUID) -> Response:
    line = get_candidate(session, actor, candidate_id)
    values = form_values(await request.form())
    pair = {str(line.person.id): line.other.id, str(line.other.id): line.person.id}
    chosen = values.get("survivor_id", "")
    errors: FormErrors = {}
    if chosen not in pair:
        errors = {"__message__": "未合并", "survivor_id": "请选择要保留的居民"}
    else:
        try:
            merge_persons(
                session, actor, survivor_id=uuid.UUID(chosen), merged_id=pair[chosen], candidate_id=candidate_id
            )
            return RedirectResponse("/duplicates?status=merged&saved=merged", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
            line = get_candidate(session, actor, candidate_id)
    return render(request, "duplicates/merge.html", _merge_context(session, line, values, errors), status_code=422)


@router.post("/merges/{merge_id}/undo", dependencies=[CsrfChecked])
def undo_merge_submit(request: Request, session: DbSession, actor: CurrentActor, merge_id: uuid.UUID) -> Response:
    try:
        unmerge_persons(session, actor, merge_id)
    except InvalidInput as error:
        session.rollback()
        return _worklist(request, session, actor, status="merged", errors=errors_of(error), status_code=422)
    return RedirectResponse("/duplicates?saved=undone", status_code=303)
