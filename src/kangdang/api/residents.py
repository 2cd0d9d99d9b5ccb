"""JSON routes for residents and their health records: search, filing, the record, corrections, closure,
reopening and transfer requests.

The full document number never appears in a response, except from
``POST /residents/persons/{person_id}/reveal-document`` (care staff only, audited). Records are kept for
life: there is no DELETE.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from kangdang.api.audit import AuditEventOut
from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, ErrorOut, PageOut
from kangdang.api.transfers import transfer_out
from kangdang.residents.lifecycle import close_record, reopen_record, request_transfer
from kangdang.residents.schemas import (
    PersonUpdate,
    RecordClosure,
    RecordReopening,
    RecordUpdate,
    ResidentRegistration,
    TransferRequest,
)
from kangdang.residents.search import search_residents
from kangdang.residents.service import (
    get_record_view,
    record_access_log,
    register_resident,
    reveal_document_number,
    update_person,
    update_record,
)
from kangdang.residents.views import (
    DocumentNumberOut,
    PersonOut,
    RecordDetailOut,
    RecordOut,
    ResidentHitOut,
    TransferOut,
)

RESPONSES: dict[int | str, dict[str, object]] = ERROR_RESPONSES | {
    409: {
        "model": ErrorOut,
        "description": "Conflict; code likely_duplicates lists the candidates in fields — resend with "
        '"confirm_duplicates": true once checked',
    }
}

router = APIRouter(prefix="/residents", tags=["residents"], responses=RESPONSES)


@router.get("", response_model=PageOut[ResidentHitOut], summary="Search residents the caller may see")
def search(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="ID number, record number (20/17 digits or the last 8), household number, phone, "
            "name in characters, full pinyin or initials",
        ),
    ] = None,
    village: Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="Region code prefix")] = None,
    include_closed: Annotated[bool, Query(description="Also closed (注销) records")] = False,
) -> PageOut[ResidentHitOut]:
    page = search_residents(session, actor, query=q, page=paging, village_code=village, include_closed=include_closed)
    return PageOut(
        items=[ResidentHitOut(person=PersonOut.of(h.person), record=RecordOut.of(h.record)) for h in page.items],
        total=page.total,
        page=page.page,
        size=page.size,
    )


@router.post("", response_model=RecordDetailOut, status_code=201, summary="File a new resident (建档)")
def register(body: ResidentRegistration, session: DbSession, actor: CurrentActor) -> RecordDetailOut:
    record = register_resident(session, actor, body)
    return RecordDetailOut.of_view(get_record_view(session, actor, record.id))


@router.patch("/persons/{person_id}", response_model=PersonOut, summary="Correct a person's identity or contacts")
def patch_person(person_id: uuid.UUID, body: PersonUpdate, session: DbSession, actor: CurrentActor) -> PersonOut:
    return PersonOut.of(update_person(session, actor, person_id, body))


@router.post(
    "/persons/{person_id}/reveal-document",
    response_model=DocumentNumberOut,
    summary="The full document number (audited)",
)
def reveal_document(
    person_id: uuid.UUID, session: DbSession, actor: CurrentActor, response: Response
) -> DocumentNumberOut:
    response.headers["Cache-Control"] = "no-store"
    return DocumentNumberOut(document_number=reveal_document_number(session, actor, person_id))


@router.get("/{record_id}", response_model=RecordDetailOut, summary="One record with person, household, history")
def read(record_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> RecordDetailOut:
    return RecordDetailOut.of_view(get_record_view(session, actor, record_id))


@router.patch("/{record_id}", response_model=RecordOut, summary="Change the responsible doctor or paper location")
def patch_record(record_id: uuid.UUID, body: RecordUpdate, session: DbSession, actor: CurrentActor) -> RecordOut:
    return RecordOut.of(update_record(session, actor, record_id, body))


@router.post("/{record_id}/close", response_model=RecordOut, summary="Close a record (注销), with reason and date")
def close(record_id: uuid.UUID, body: RecordClosure, session: DbSession, actor: CurrentActor) -> RecordOut:
    return RecordOut.of(close_record(session, actor, record_id, body))


@router.post("/{record_id}/reopen", response_model=RecordOut, summary="Reopen a closed record")
def reopen(record_id: uuid.UUID, body: RecordReopening, session: DbSession, actor: CurrentActor) -> RecordOut:
    return RecordOut.of(reopen_record(session, actor, record_id, body))


@router.post(
    "/{record_id}/transfers",
    response_model=TransferOut,
    status_code=201,
    summary="Request a transfer to another institution (迁出申请)",
)
def request_transfer_(
    record_id: uuid.UUID, body: TransferRequest, session: DbSession, actor: CurrentActor
) -> TransferOut:
    return transfer_out(session, request_transfer(session, actor, record_id, body))


@router.get(
    "/{record_id}/access-log",
    response_model=PageOut[AuditEventOut],
    summary="Who looked at this record (opened, printed, revealed the document), newest first",
)
def access_log(record_id: uuid.UUID, session: DbSession, actor: CurrentActor, paging: Paging) -> PageOut[AuditEventOut]:
    page = record_access_log(session, actor, record_id, page=paging)
    return PageOut(
        items=[AuditEventOut.model_validate(e) for e in page.items], total=page.total, page=page.page, size=page.size
    )
