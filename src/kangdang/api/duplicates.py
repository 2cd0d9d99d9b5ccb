"""JSON routes for the duplicate worklist (records managers): scan, not a duplicate, merge and undo.

A merge moves every record and household membership to the surviving person and keeps the merged one as
a pointer; ``POST /duplicates/merges/{merge_id}/undo`` moves everything back.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.residents.duplicates import detect_duplicates, list_duplicate_candidates, mark_not_duplicate
from kangdang.residents.merge import merge_persons, unmerge_persons
from kangdang.residents.models import Person
from kangdang.residents.views import DuplicateCandidateOut, MergeOut, ScanOut

router = APIRouter(prefix="/duplicates", tags=["duplicates"], responses=ERROR_RESPONSES)


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survivor_id: uuid.UUID = Field(description="The person who stays")
    merged_id: uuid.UUID = Field(description="The duplicate: its records and memberships move to the survivor")
    candidate_id: uuid.UUID | None = Field(default=None, description="The worklist entry being settled, if any")


@router.get("", response_model=PageOut[DuplicateCandidateOut], summary="The duplicate worklist")
def list_(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    status: Annotated[Literal["open", "not_duplicate", "merged"], Query(description="Worklist status")] = "open",
) -> PageOut[DuplicateCandidateOut]:
    page = list_duplicate_candidates(session, actor, page=paging, status=status)
    return PageOut(
        items=[DuplicateCandidateOut.of(line.candidate, line.person, line.other) for line in page.items],
        total=page.total,
        page=page.page,
        size=page.size,
    )


@router.post("/scan", response_model=ScanOut, summary="Scan for likely duplicates and add new pairs to the worklist")
def scan(
    session: DbSession,
    actor: CurrentActor,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="Only residents living here")] = None,
) -> ScanOut:
    return ScanOut(added=detect_duplicates(session, actor, region_prefix=region))


@router.post("/{candidate_id}/not-duplicate", response_model=DuplicateCandidateOut, summary="Mark as not a duplicate")
def not_duplicate(candidate_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> DuplicateCandidateOut:
    candidate = mark_not_duplicate(session, actor, candidate_id)
    person = session.get_one(Person, candidate.person_id)
    other = session.get_one(Person, candidate.other_person_id)
    return DuplicateCandidateOut.of(candidate, person, other)


@router.post("/merge", response_model=MergeOut, summary="Merge a duplicate person into a survivor")
def merge(body: MergeRequest, session: DbSession, actor: CurrentActor) -> MergeOut:
    return MergeOut.of(
        merge_persons(
            session, actor, survivor_id=body.survivor_id, merged_id=body.merged_id, candidate_id=body.candidate_id
        )
    )


@router.post("/merges/{merge_id}/undo", response_model=MergeOut, summary="Undo a merge: everything moves back")
def undo(merge_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> MergeOut:
    return MergeOut.of(unmerge_persons(session, actor, merge_id))
