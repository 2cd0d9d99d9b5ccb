"""JSON routes for forms: the definitions (and their FHIR Questionnaire) and filled forms (服务记录)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse

from kangdang.api.deps import CurrentActor, DbSession
from kangdang.api.schemas import ERROR_RESPONSES
from kangdang.exchange.questionnaire import questionnaire
from kangdang.records.catalogue import catalogue
from kangdang.records.models import ServiceRecord
from kangdang.records.service import (
    amend_form,
    answers_of,
    form_versions,
    get_form,
    list_forms,
    mark_entered_in_error,
    save_form,
    sign_form,
)
from kangdang.records.views import (
    Amendment,
    DraftUpdate,
    ErrorMark,
    FormSubmission,
    FormSummaryOut,
    ServiceRecordOut,
)

router = APIRouter(tags=["forms"], responses=ERROR_RESPONSES)


def _out(session: Session, row: ServiceRecord) -> ServiceRecordOut:
    return ServiceRecordOut.of(row, answers_of(session, row))


@router.get("/forms", response_model=list[FormSummaryOut], summary="The national forms this platform fills")
def list_definitions(actor: CurrentActor) -> list[FormSummaryOut]:
    return [FormSummaryOut.of(form) for form in catalogue().forms.values()]


@router.get("/forms/{code}", summary="One form definition: sections, items, options, rules")
def get_definition(code: str, actor: CurrentActor) -> dict[str, Any]:
    return catalogue().form(code).model_dump(mode="json", exclude_defaults=True)


@router.get(
    "/forms/{code}/questionnaire",
    summary="One form definition as a FHIR R4B Questionnaire",
    response_class=JSONResponse,
    responses={200: {"content": {"application/fhir+json": {}}}},
)
def get_questionnaire(code: str, actor: CurrentActor) -> JSONResponse:
    return JSONResponse(questionnaire(catalogue().form(code)), media_type="application/fhir+json")


@router.get(
    "/residents/{record_id}/forms",
    response_model=list[ServiceRecordOut],
    summary="A record's filled forms, newest first (amended versions with all_versions)",
)
def list_records(
    record_id: uuid.UUID,
    session: DbSession,
    actor: CurrentActor,
    form_code: Annotated[str | None, Query(max_length=40)] = None,
    all_versions: bool = False,
) -> list[ServiceRecordOut]:
    rows = list_forms(session, actor, record_id, form_code=form_code, all_versions=all_versions)
    return [_out(session, row) for row in rows]


@router.post(
    "/residents/{record_id}/forms",
    response_model=ServiceRecordOut,
    status_code=201,
    summary="Fill a form for a record: a draft, or signed at once (sign: true)",
)
def create_record(
    record_id: uuid.UUID, body: FormSubmission, session: DbSession, actor: CurrentActor
) -> ServiceRecordOut:
    row = save_form(session, actor, record_id, body.form_code, body.answers, sign=body.sign)
    return _out(session, row)


@router.get("/form-records/{form_id}", response_model=ServiceRecordOut, summary="One filled form (read is audited)")
def get_record(form_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> ServiceRecordOut:
    return _out(session, get_form(session, actor, form_id))


@router.put("/form-records/{form_id}", response_model=ServiceRecordOut, summary="Change a draft (and sign it)")
def update_draft(form_id: uuid.UUID, body: DraftUpdate, session: DbSession, actor: CurrentActor) -> ServiceRecordOut:
    row = get_form(session, actor, form_id)
    return _out(
        session, save_form(session, actor, row.record_id, row.form_code, body.answers, sign=body.sign, draft_id=row.id)
    )


@router.post("/form-records/{form_id}/sign", response_model=ServiceRecordOut, summary="Sign a draft as it stands")
def sign(form_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> ServiceRecordOut:
    return _out(session, sign_form(session, actor, form_id))


@router.post(
    "/form-records/{form_id}/amend",
    response_model=ServiceRecordOut,
    status_code=201,
    summary="Correct a signed form: a new signed version; the old one is kept",
)
def amend(form_id: uuid.UUID, body: Amendment, session: DbSession, actor: CurrentActor) -> ServiceRecordOut:
    return _out(session, amend_form(session, actor, form_id, body.answers, reason=body.reason))


@router.post(
    "/form-records/{form_id}/entered-in-error",
    response_model=ServiceRecordOut,
    summary="Mark a form entered in error (kept on file, marked)",
)
def entered_in_error(form_id: uuid.UUID, body: ErrorMark, session: DbSession, actor: CurrentActor) -> ServiceRecordOut:
    return _out(session, mark_entered_in_error(session, actor, form_id, reason=body.reason))


@router.get(
    "/form-records/{form_id}/versions",
    response_model=list[ServiceRecordOut],
    summary="Every version of a form, oldest first",
)
def versions(form_id: uuid.UUID, session: DbSession, actor: CurrentActor) -> list[ServiceRecordOut]:
    return [_out(session, row) for row in form_versions(session, actor, form_id)]
