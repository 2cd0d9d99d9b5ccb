"""Pages for residents (居民档案): search, filing a new resident, the record page, corrections, the info card."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import InvalidInput
from kangdang.core.pagination import PageRequest
from kangdang.exchange.card_pdf import CardUnavailable, InfoCard, render_info_card
from kangdang.institutions.service import visible_institutions
from kangdang.records.card_facts import card_facts
from kangdang.records.catalogue import catalogue
from kangdang.records.service import applicable_forms, list_forms
from kangdang.regions.codes import Level
from kangdang.regions.models import Region
from kangdang.regions.service import region_choices
from kangdang.residents.codes import SEXES
from kangdang.residents.duplicates import LikelyDuplicates
from kangdang.residents.households import list_households
from kangdang.residents.models import HealthRecord
from kangdang.residents.numbering import group_number
from kangdang.residents.schemas import PersonUpdate, RecordUpdate, ResidentRegistration
from kangdang.residents.scope import get_visible_record, visible_records
from kangdang.residents.search import describe_query, search_residents
from kangdang.residents.service import (
    RecordView,
    get_record_view,
    register_resident,
    reveal_document_number,
    update_person,
    update_record,
)
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render
from kangdang.web.forms import FormErrors, errors_of, form_values, parse
from kangdang.web.programmes import programme_section
from kangdang.web.resident_display import age_on, care_staff_options, history_lines, lookup_names
from kangdang.web.service_records import STATUS_LABELS

router = APIRouter(prefix="/residents")

PAGE_SIZE = 30
HOUSEHOLD_MODES = {"new": "新建家庭（本人为户主）", "join": "加入已有家庭", "none": "暂不登记家庭"}
PERSON_FIELDS = (
    "document_type",
    "document_number",
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "contact_name",
    "contact_phone",
    "residence_type",
    "registered_region_code",
    "registered_address",
    "current_region_code",
    "current_address",
    "work_unit",
)
RECORD_FIELDS = ("responsible_doctor_id", "paper_location")
FILING_FIELDS = (*PERSON_FIELDS, *RECORD_FIELDS, "filed_on")
# Service field names that the forms show under another input.
FORM_FIELD = {"mother_id": "mother", "household_id": "household_number"}
SAVED_MESSAGES = {"filed": "建档成功", "1": "已保存"}
NO_STORE = {"Cache-Control": "no-store"}


# --- choices -------------------------------------------------------------------------------------------


def village_groups(session: Session, actor: Actor) -> list[tuple[str, list[tuple[str, str]]]]:
    """Villages in the actor's territory grouped by township, for drop-downs (two queries)."""
    villages = [r for r in region_choices(session, actor, min_level=Level.VILLAGE) if r.level == Level.VILLAGE]
    parents = {v.parent_code for v in villages if v.parent_code}
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(parents))).all())
    groups: dict[str, list[tuple[str, str]]] = {}
    for village in villages:
        groups.setdefault(village.parent_code or "", []).append((village.code, village.name))
    return [(names.get(code, code), items) for code, items in groups.items()]


def _default_village(actor: Actor, groups: list[tuple[str, list[tuple[str, str]]]]) -> str:
    codes = [code for _, items in groups for code, _ in items]
    own = [code for code in codes if code in actor.scope.village_codes]
    return (own or codes or [""])[0]


def doctor_options(session: Session, actor: Actor, keep: uuid.UUID | None = None) -> list[tuple[str, str]]:
    """Care staff with a current membership in a visible institution (one query); ``keep`` stays listed."""
    return care_staff_options(session, visible_institutions(actor), keep=keep, away="已不在岗")


def _rename(errors: FormErrors) -> FormErrors:
    return {FORM_FIELD.get(key, key): message for key, message in errors.items()}


# --- search --------------------------------------------------------------------------------------------


@router.get("")
def residents_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    q: str = "",
    village: str = "",
    closed: str = "",
    page: int = 1,
) -> Response:
    actor.require(Action.RESIDENT_VIEW)
    q = q.replace("\x00", "").strip()[:60]
    groups = village_groups(session, actor)
    if village not in {code for _, items in groups for code, _ in items}:
        village = ""
    include_closed = closed == "1"
    result = search_residents(
        session,
        actor,
        query=q or None,
        page=PageRequest(page=page, size=PAGE_SIZE),
        village_code=village or None,
        include_closed=include_closed,
    )
    codes = {hit.record.village_code for hit in result.items}
    filters = {"q": q, "village": village, "closed": "1" if include_closed else ""}
    context = {
        "page_title": "居民档案",
        "page": result,
        "filters": filters,
        "hint": describe_query(q) if q else "",
        "village_groups": groups,
        "village_names": lookup_names(session, regions=codes).regions,
        "base_url": "/residents?" + urlencode({k: v for k, v in filters.items() if v}),
        "can_register": actor.can(Action.RESIDENT_REGISTER),
        "can_import": actor.can(Action.RESIDENT_IMPORT),
        "age_on": age_on,
        "group_number": group_number,
    }
    headers = request.headers
    fragment = headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
    return render(request, "residents/_results.html" if fragment else "residents/list.html", context)


# --- filing --------------------------------------------------------------------------------------------


def _filing_context(
    session: Session,
    actor: Actor,
    values: dict[str, Any],
    errors: FormErrors,
    duplicates: list[dict[str, Any]] | None = None,
    hidden_duplicates: int = 0,
) -> dict[str, Any]:
    return {
        "page_title": "新建居民健康档案",
        "values": values,
        "errors": errors,
        "village_groups": village_groups(session, actor),
        "doctor_options": doctor_options(session, actor),
        "household_modes": list(HOUSEHOLD_MODES.items()),
        "duplicates": duplicates or [],
        "hidden_duplicates": hidden_duplicates,
    }


@router.get("/new")
def new_resident_page(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.RESIDENT_REGISTER)
    groups = village_groups(session, actor)
    doctors = {value for value, _ in doctor_options(session, actor)}
    own = str(actor.practitioner_id) if actor.practitioner_id else ""
    values = {
        "document_type": "01",
        "ethnicity": "01",
        "residence_type": "1",
        "current_region_code": _default_village(actor, groups),
        "responsible_doctor_id": own if own in doctors else "",
        "filed_on": today_local().isoformat(),
    }
    return render(request, "residents/new.html", _filing_context(session, actor, values, {}))


def _resolve_mother(session: Session, actor: Actor, text: str) -> tuple[uuid.UUID | None, str | None]:
    """The mother named by an ID number or record number, among the residents the actor may see."""
    text = text.strip()
    if not text:
        return None, None
    if not text.isascii() or not any(ch.isdigit() for ch in text):
        return None, "请输入母亲的身份证号或档案编号（不按姓名查找）"
    hits = search_residents(session, actor, query=text, page=PageRequest(page=1, size=5), include_closed=True)
    people = {hit.person.id for hit in hits.items}
    if not people:
        return None, "未找到母亲的档案：请输入母亲的身份证号或档案编号（须在您的管辖范围内）"
    if len(people) > 1:
        return None, "找到多位居民，请输入母亲完整的身份证号或档案编号"
    return people.pop(), None


def _resolve_household(session: Session, actor: Actor, number: str) -> tuple[uuid.UUID | None, str | None]:
    number = number.strip()
    if not number:
        return None, "请填写要加入的家庭编号"
    found = list_households(session, actor, page=PageRequest(page=1, size=5), query=number)
    for household, _head, _count in found.items:
        if household.household_number == number:
            return household.id, None
    return None, "未找到该家庭编号，或该家庭不在您的管辖范围内"


def _duplicate_lines(session: Session, actor: Actor, error: LikelyDuplicates) -> list[dict[str, Any]]:
    numbers = [hit.record_number for hit in error.hits if hit.visible and hit.record_number]
    ids = dict(
        session.execute(
            select(HealthRecord.record_number, HealthRecord.id).where(
                HealthRecord.record_number.in_(numbers), visible_records(actor)
            )
        ).all()
    )
    return [
        {
            "name": hit.person.name,
            "sex": SEXES.get(hit.person.sex, ""),
            "birth_date": hit.person.birth_date,
            "document": hit.person.document_masked,
            "record_number": group_number(hit.record_number) if hit.record_number else "—",
            "record_id": ids.get(hit.record_number or ""),
            "reason": hit.reason,
        }
        for hit in error.hits
        if hit.visible
    ]


def _service_errors(session: Session, actor: Actor, registration: ResidentRegistration) -> FormErrors:
    """What the service finds wrong with a form that has problems of its own, so that every problem shows at
    once; run in a savepoint that is always rolled back, so nothing is kept even when it finds nothing."""
    savepoint = session.begin_nested()
    try:
        register_resident(session, actor, registration)
    except InvalidInput as error:
        return _rename(errors_of(error))
    except LikelyDuplicates:
        return {}
    finally:
        savepoint.rollback()
    return {}


@router.post("/new", dependencies=[CsrfChecked])
async def create_resident_submit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.RESIDENT_REGISTER)
    values = form_values(await request.form())
    data: dict[str, Any] = {key: values.get(key, "") for key in FILING_FIELDS}
    problems: FormErrors = {}
    mode = values.get("household_mode", "")
    if mode not in HOUSEHOLD_MODES:
        problems["household_mode"] = "请选择家庭登记方式"
    data["new_household"] = mode == "new"
    if mode == "join":
        data["relationship"] = values.get("relationship", "")
        data["household_id"], message = _resolve_household(session, actor, values.get("household_number", ""))
        if message:
            problems["household_number"] = message
    data["mother_id"], message = _resolve_mother(session, actor, values.get("mother", ""))
    if message:
        problems["mother"] = message
    data["confirm_duplicates"] = values.get("confirm_duplicates") == "1"
    registration, errors = parse(ResidentRegistration, data)
    errors = {**_rename(errors), **problems}
    duplicates: list[dict[str, Any]] = []
    hidden = 0
    if registration is not None and problems:
        errors = {**_service_errors(session, actor, registration), **problems}
    elif registration is not None:
        try:
            record = register_resident(session, actor, registration)
            return RedirectResponse(f"/residents/{record.id}?saved=filed", status_code=303)
        except LikelyDuplicates as error:
            duplicates = _duplicate_lines(session, actor, error)
            hidden = sum(1 for hit in error.hits if not hit.visible)
            session.rollback()
            errors = {"__message__": error.message}
        except InvalidInput as error:
            session.rollback()
            errors = _rename(errors_of(error))
    errors.setdefault("__message__", "档案未保存，请更正以下问题")
    values.pop("confirm_duplicates", None)
    context = _filing_context(session, actor, values, errors, duplicates, hidden)
    return render(request, "residents/new.html", context, status_code=422)


# --- the record page -----------------------------------------------------------------------------------


def _record_ids(session: Session, actor: Actor, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The record to link to for each person (the open one if any), among records the actor may see."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(HealthRecord.person_id, HealthRecord.id, HealthRecord.status).where(
            HealthRecord.person_id.in_(person_ids), visible_records(actor)
        )
    )
    links: dict[uuid.UUID, uuid.UUID] = {}
    for person_id, record_id, status in rows:
        if person_id not in links or status == "active":
            links[person_id] = record_id
    return links


def _record_page(
    request: Request,
    session: Session,
    actor: Actor,
    record_id: uuid.UUID,
    *,
    revealed: str | None = None,
    saved: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    view = get_record_view(session, actor, record_id)
    record = view.record
    people = [line.person.id for line in view.members] + ([view.mother.id] if view.mother else [])
    names = lookup_names(
        session,
        regions={view.person.registered_region_code or ""}
        | {t.from_village_code for t in view.transfers}
        | {t.to_village_code for t in view.transfers},
        institutions={t.from_institution_id for t in view.transfers} | {t.to_institution_id for t in view.transfers},
    )
    own = view.basis.is_jurisdiction  # read through a grant or break-the-glass: read only, no actions
    active = own and record.status == "active"
    context = {
        "page_title": f"{view.person.name} · 居民健康档案",
        "basis": view.basis,
        "v": view,
        "names": names,
        "links": _record_ids(session, actor, people),
        "history": history_lines(session, view.history),
        "revealed": revealed,
        "saved_message": SAVED_MESSAGES.get(saved, ""),
        "group_number": group_number,
        "can_edit": own and actor.can(Action.RESIDENT_EDIT),
        "can_transfer": active and actor.can(Action.RECORD_TRANSFER),
        "can_close": active and actor.can(Action.RECORD_CLOSE),
        "can_reopen": own and record.status != "active" and actor.can(Action.RECORD_CLOSE),
        "services": list_forms(session, actor, record_id) if view.basis.covers("forms") else [],
        "form_menu": applicable_forms(view.person, today_local()) if active and actor.can(Action.FORM_FILL) else [],
        "form_titles": {code: form.title for code, form in catalogue().forms.items()},
        "form_status": STATUS_LABELS,
        **programme_section(session, actor, record, forms=view.basis.covers("forms"), own=active),
    }
    response = render(request, "residents/record.html", context)
    response.headers.update(headers or {})
    return response


@router.get("/{record_id}")
def record_page(
    request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID, saved: str = ""
) -> Response:
    return _record_page(request, session, actor, record_id, saved=saved)


@router.post("/{record_id}/reveal", dependencies=[CsrfChecked])
def reveal_submit(request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID) -> Response:
    get_visible_record(session, actor, record_id)  # a grant or break-the-glass reads; it never reveals or edits
    view = get_record_view(session, actor, record_id)
    number = reveal_document_number(session, actor, view.person.id)
    return _record_page(request, session, actor, record_id, revealed=number or "（无证件号码）", headers=NO_STORE)


# --- corrections ---------------------------------------------------------------------------------------


def _edit_context(
    session: Session, actor: Actor, view: RecordView, values: dict[str, Any], errors: FormErrors
) -> dict[str, Any]:
    return {
        "page_title": f"修改档案：{view.person.name}",
        "v": view,
        "values": values,
        "errors": errors,
        "village_groups": village_groups(session, actor),
        "doctor_options": doctor_options(session, actor, keep=view.record.responsible_doctor_id),
        "group_number": group_number,
    }


@router.get("/{record_id}/edit")
def edit_resident_page(request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID) -> Response:
    actor.require(Action.RESIDENT_EDIT)
    get_visible_record(session, actor, record_id)
    view = get_record_view(session, actor, record_id)
    values: dict[str, Any] = {key: getattr(view.person, key, None) or "" for key in PERSON_FIELDS}
    values.update({key: getattr(view.record, key) or "" for key in RECORD_FIELDS})
    values["document_type"] = view.person.document_type or "01"
    values = {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in values.items()}
    return render(request, "residents/edit.html", _edit_context(session, actor, view, values, {}))


@router.post("/{record_id}/edit", dependencies=[CsrfChecked])
async def edit_resident_submit(
    request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID
) -> Response:
    actor.require(Action.RESIDENT_EDIT)
    get_visible_record(session, actor, record_id)
    view = get_record_view(session, actor, record_id)
    submitted = form_values(await request.form())
    values = {key: submitted.get(key, "") for key in (*PERSON_FIELDS, *RECORD_FIELDS)}
    # Blank sex or birth date: read them from the ID number (the service asks for them for other documents).
    person_data: dict[str, Any] = {
        key: None if key in ("sex", "birth_date") and not values[key] else values[key] for key in PERSON_FIELDS
    }
    if not values["document_number"].strip():
        # A blank number keeps the one on file (it is never put into the page); so does its type.
        person_data.pop("document_number")
        if values["document_type"] == (view.person.document_type or "01"):
            person_data.pop("document_type")
    person, person_errors = parse(PersonUpdate, person_data)
    record, record_errors = parse(RecordUpdate, {key: values[key] for key in RECORD_FIELDS})
    errors = {**person_errors, **record_errors}
    if person is not None and record is not None and not errors:
        try:
            update_person(session, actor, view.person.id, person)
            update_record(session, actor, record_id, record)
            return RedirectResponse(f"/residents/{record_id}?saved=1", status_code=303)
        except InvalidInput as error:
            session.rollback()
            errors = errors_of(error)
            view = get_record_view(session, actor, record_id)
    errors.setdefault("__message__", "修改未保存，请更正以下问题")
    return render(request, "residents/edit.html", _edit_context(session, actor, view, values, errors), status_code=422)


# --- the info card -------------------------------------------------------------------------------------


def info_card_of(session: Session, view: RecordView) -> InfoCard:
    """The card's facts: the document number masked (never the full one on paper); blood groups, chronic
    conditions and allergies from the latest signed 个人基本信息表 (left blank, to fill by hand, before)."""
    person, doctor, institution = view.person, view.doctor, view.managing_institution
    facts = card_facts(session, person.id) if view.basis.covers("forms") else None  # a grant without forms
    return InfoCard(
        name=person.name,
        sex=SEXES.get(person.sex, "未说明的性别"),
        birth_date=person.birth_date,
        record_number=view.record.record_number,
        id_number=person.document_masked,
        abo_blood_type=facts.abo if facts else None,
        rh_blood_type=facts.rh if facts else None,
        chronic_conditions=facts.chronic_conditions if facts else None,
        allergies=facts.allergies if facts else None,
        address=f"{view.village.name}{person.current_address or ''}",
        phone=person.phone,
        emergency_contact=person.contact_name,
        emergency_phone=person.contact_phone,
        institution_name=institution.name,
        institution_phone=institution.phone,
        doctor_name=doctor.name if doctor else None,
        doctor_phone=doctor.phone if doctor else None,
        issued_on=today_local(),
    )


@router.get("/{record_id}/card.pdf")
def info_card_pdf(request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID) -> Response:
    view = get_record_view(session, actor, record_id)
    try:
        pdf = render_info_card(info_card_of(session, view))
    except CardUnavailable as error:
        context = {"status": 503, "message": error.message, "details": []}
        return render(request, "errors/error.html", context, status_code=503)
    record_event(
        session,
        actor,
        "record.print_card",
        subject_type="person",
        subject_id=view.person.id,
        details=view.basis.audit_details() or None,
    )
    number = view.record.record_number
    disposition = f"inline; filename=\"info-card-{number}.pdf\"; filename*=UTF-8''{quote(f'信息卡-{number}.pdf')}"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": disposition, "Cache-Control": "no-store"}
    )
