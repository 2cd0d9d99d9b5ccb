"""JSON routes for record transfers between institutions (迁出申请 → 待确认 → 已确认 / 已退回).

A transfer is requested on the record: ``POST /residents/{record_id}/transfers``. The receiving side lists
its incoming requests here and confirms or returns them; the sending side may withdraw a pending one.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query
from sqlalchemy.orm import Session

from kangdang.api.deps import CurrentActor, DbSession, Paging
from kangdang.api.schemas import ERROR_RESPONSES, PageOut
from kangdang.institutions.models import Institution
from kangdang.residents.lifecycle import cancel_transfer, confirm_transfer, list_transfers, return_transfer
from kangdang.residents.models import HealthRecord, Person, RecordTransfer
from kangdang.residents.schemas import TransferDecision
from kangdang.residents.views import TransferOut

router = APIRouter(prefix="/transfers", tags=["transfers"], responses=ERROR_RESPONSES)

TransferStatusFilter = Literal["pending", "confirmed", "returned", "cancelled", "all"]


def transfer_out(session: Session, transfer: RecordTransfer) -> TransferOut:
    """The transfer with the names a client shows (rows the service has just loaded or changed)."""
    record = session.get_one(HealthRecord, transfer.record_id)
    person = session.get_one(Person, record.person_id)
    return TransferOut.of(
        transfer,
        record_number=record.record_number,
        person_name=person.name,
        from_institution_name=session.get_one(Institution, transfer.from_institution_id).name,
        to_institution_name=session.get_one(Institution, transfer.to_institution_id).name,
    )


@router.get("", response_model=PageOut[TransferOut], summary="Incoming transfers to decide, or outgoing ones")
def list_(
    session: DbSession,
    actor: CurrentActor,
    paging: Paging,
    direction: Annotated[
        Literal["incoming", "outgoing"], Query(description="incoming: addressed to the caller; outgoing: sent")
    ] = "incoming",
    status: Annotated[TransferStatusFilter, Query(description="Status to list; all for every status")] = "pending",
) -> PageOut[TransferOut]:
    page = list_transfers(session, actor, direction=direction, page=paging, status=None if status == "all" else status)
    return PageOut(
        items=[TransferOut.of_line(line) for line in page.items], total=page.total, page=page.page, size=page.size
    )


@router.post(
    "/{transfer_id}/confirm",
    response_model=TransferOut,
    summary="Accept a transfer: the record moves here, keeping its number and history",
)
def confirm(
    transfer_id: uuid.UUID,
    session: DbSession,
    actor: CurrentActor,
    body: Annotated[TransferDecision | None, Body()] = None,
) -> TransferOut:
    return transfer_out(session, confirm_transfer(session, actor, transfer_id, body))


@router.post("/{transfer_id}/return", response_model=TransferOut, summary="Return a transfer, with the reason")
def return_(transfer_id: uuid.UUID, body: TransferDecision, session: DbSession, actor: CurrentActor) -> TransferOut:
    return transfer_out(session, return_transfer(session, actor, transfer_id, body))


@router.post("/{transfer_id}/cancel", response_model=TransferOut, summary="Withdraw a pending transfer request")
def cancel(transfer_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> TransferOut:
    return transfer_out(session, cancel_transfer(session, actor, transfer_id))
