"""Use cases of filled forms (服务记录): save a draft, sign, amend, mark in error, read, list, history.

Lifecycle: draft → completed (signed by its author; immutable from then on) → amended (a newer version,
linked, with a reason) or entered_in_error. Every save, signature, amendment and read is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.crypto import cipher_for
from kangdang.access.roles import Action
from kangdang.core.clock import today_local, utcnow
from kangdang.core.errors import Conflict, FieldError, InvalidInput, NotFound
from kangdang.core.ids import uuid7
from kangdang.records.bound import bound_values
from kangdang.records.catalogue import catalogue
from kangdang.records.context import FormContext, age_in_years
from kangdang.records.definition import FormDefinition
from kangdang.records.engine import Outcome, evaluate, to_json
from kangdang.records.events import form_changed
from kangdang.records.models import LIVE_STATUSES, ServiceRecord
from kangdang.records.sealing import seal, unseal
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.scope import ReadBasis, get_visible_record, read_record, visible_records

FORM_NOT_FOUND = "未找到该表单，或不在您的管辖范围内"
FILING_FORMS = ("cover", "personal_basic_info", "newborn_visit")


@dataclass(frozen=True)
class FormDraft:
    """What a new form opens with: defaults (today's date) and the values shown from the record."""

    form: FormDefinition
    answers: dict[str, Any]
    bound: dict[str, str]


def _form_for_filling(code: str) -> FormDefinition:
    return catalogue().form(code)


def _context(
    session: Session, record: HealthRecord, person: Person, form: FormDefinition, *, lineage_id: uuid.UUID | None
) -> FormContext:
    """The resident, the record, today and the same form's latest completed answers (another lineage)."""
    stmt = (
        select(ServiceRecord.answers)
        .where(
            ServiceRecord.person_id == person.id,
            ServiceRecord.form_code == form.code,
            ServiceRecord.status == "completed",
        )
        .order_by(ServiceRecord.service_date.desc(), ServiceRecord.created_at.desc())
        .limit(1)
    )
    if lineage_id is not None:
        stmt = stmt.where(ServiceRecord.lineage_id != lineage_id)
    previous = session.scalar(stmt)
    return FormContext(
        today=today_local(),
        birth_date=person.birth_date,
        sex=person.sex,
        filed_on=record.filed_on,
        previous=previous,
    )


def _raise_errors(outcome: Outcome) -> None:
    if outcome.errors:
        raise InvalidInput(f"表单有 {len(outcome.errors)} 处需要更正", errors=outcome.errors)


def _author_institution(actor: Actor, record: HealthRecord, action: Action) -> uuid.UUID | None:
    allowed = actor.institutions_with(action)
    if record.managing_institution_id in allowed:
        return record.managing_institution_id
    return min(allowed) if allowed else None


def _visible_form(session: Session, actor: Actor, service_record_id: uuid.UUID) -> ServiceRecord:
    row = session.scalar(
        select(ServiceRecord)
        .join(HealthRecord, HealthRecord.id == ServiceRecord.record_id)
        .where(ServiceRecord.id == service_record_id, visible_records(actor))
    )
    if row is None:
        raise NotFound(FORM_NOT_FOUND)
    return row


def _readable_form(session: Session, actor: Actor, service_record_id: uuid.UUID) -> tuple[ServiceRecord, ReadBasis]:
    """A form to READ: within the actor's jurisdiction, or through a grant that includes forms or an open
    emergency access (writes keep _visible_form)."""
    row = session.get(ServiceRecord, service_record_id)
    if row is None:
        raise NotFound(FORM_NOT_FOUND)
    try:
        _record, basis = read_record(session, actor, row.record_id, "forms")
    except NotFound:
        raise NotFound(FORM_NOT_FOUND) from None
    return row, basis


def _audit(session: Session, actor: Actor, action: str, row: ServiceRecord, **details: Any) -> None:
    record_event(
        session,
        actor,
        action,
        subject_type="person",
        subject_id=row.person_id,
        details={"form": row.form_code, "service_record_id": str(row.id), "version": row.version_no, **details},
    )


def new_form(session: Session, actor: Actor, record_id: uuid.UUID, form_code: str) -> FormDraft:
    """A blank form for this resident: today where the definition says so, and the record's values shown."""
    actor.require(Action.FORM_FILL)
    record = get_visible_record(session, actor, record_id)
    person = session.get_one(Person, record.person_id)
    form = _form_for_filling(form_code)
    today = today_local().isoformat()
    answers = {item.key: today for _, item in form.top_items() if item.default == "today"}
    if form.doctor_item:
        answers[form.doctor_item] = actor.name
    return FormDraft(form=form, answers=answers, bound=bound_values(session, record, person))


def preview_form(
    session: Session, actor: Actor, record_id: uuid.UUID, form_code: str, raw: Mapping[str, Any]
) -> Outcome:
    """Derived values and errors for answers being typed (nothing saved): the page shows them live."""
    actor.require(Action.FORM_FILL)
    record = get_visible_record(session, actor, record_id)
    person = session.get_one(Person, record.person_id)
    form = _form_for_filling(form_code)
    return evaluate(form, raw, _context(session, record, person, form, lineage_id=None), complete=False)


def save_form(
    session: Session,
    actor: Actor,
    record_id: uuid.UUID,
    form_code: str,
    raw: Mapping[str, Any],
    *,
    sign: bool,
    draft_id: uuid.UUID | None = None,
) -> ServiceRecord:
    """Save a new form (or change a draft) and, with ``sign``, complete it. Invalid input saves nothing."""
    actor.require(Action.FORM_FILL)
    record = get_visible_record(session, actor, record_id)
    if record.status != "active":
        raise Conflict("该档案已注销，不能再填写表单；如需补录请先恢复档案")
    form = _form_for_filling(form_code)
    person = session.get_one(Person, record.person_id)
    row: ServiceRecord | None = None
    if draft_id is not None:
        row = _visible_form(session, actor, draft_id)
        if row.record_id != record.id or row.form_code != form.code:
            raise NotFound(FORM_NOT_FOUND)
        if row.status != "draft":
            raise Conflict("该表单已签名，不能再修改；如需更正请填写修订")
    elif form.one_per_record:
        _check_only_one(session, record, form)
    context = _context(session, record, person, form, lineage_id=row.lineage_id if row else None)
    values = dict(raw)
    if sign and form.doctor_item:
        values[form.doctor_item] = actor.name
    outcome = evaluate(form, values, context, complete=sign)
    _raise_errors(outcome)
    service_date = outcome.service_date(form)
    if service_date is None:
        raise InvalidInput(errors=[FieldError(form.date_item, f"{_label(form, form.date_item)}：此项为必填项")])
    if row is None:
        new_id = uuid7()
        row = ServiceRecord(
            id=new_id,
            lineage_id=new_id,
            version_no=1,
            record_id=record.id,
            person_id=person.id,
            form_code=form.code,
            form_version=form.version,
            institution_id=_author_institution(actor, record, Action.FORM_FILL),
            author_id=None if actor.is_system else actor.user_id,
            author_name=actor.name,
        )
        session.add(row)
    row.service_date = service_date
    row.answers = seal(form, to_json(outcome.answers), cipher_for(session))
    row.status = "completed" if sign else "draft"
    if sign:
        _mark_signed(row, actor)
    session.flush()
    _audit(session, actor, "form.sign" if sign else "form.save_draft", row, service_date=service_date)
    if sign:
        _refresh_filing(session, record)
        form_changed(session, row)
    return row


def answers_of(session: Session, row: ServiceRecord) -> dict[str, Any]:
    """A form's answers as its readers see them (sealed phone numbers opened)."""
    return unseal(catalogue().form_at(row.form_code, row.form_version), row.answers, cipher_for(session))


def sign_form(session: Session, actor: Actor, service_record_id: uuid.UUID) -> ServiceRecord:
    """Complete a saved draft as it stands (checked in full first)."""
    actor.require(Action.FORM_FILL)
    row = _visible_form(session, actor, service_record_id)
    if row.status != "draft":
        raise Conflict("只有草稿可以签名")
    answers = answers_of(session, row)
    return save_form(session, actor, row.record_id, row.form_code, answers, sign=True, draft_id=row.id)


def amend_form(
    session: Session, actor: Actor, service_record_id: uuid.UUID, raw: Mapping[str, Any], *, reason: str
) -> ServiceRecord:
    """Correct a signed form: a new signed version linked to the old one, which is kept as it was."""
    actor.require(Action.FORM_AMEND)
    old = _visible_form(session, actor, service_record_id)
    if old.status != "completed":
        raise Conflict("只有已签名的最新版本可以修订")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(errors=[FieldError("reason", "修订原因：此项为必填项")])
    if len(reason) > 200:
        raise InvalidInput(errors=[FieldError("reason", "修订原因：最多 200 个字")])
    record = session.get_one(HealthRecord, old.record_id)
    person = session.get_one(Person, old.person_id)
    form = _form_for_filling(old.form_code)
    values = dict(raw)
    if form.doctor_item:
        values[form.doctor_item] = actor.name
    outcome = evaluate(form, values, _context(session, record, person, form, lineage_id=old.lineage_id), complete=True)
    _raise_errors(outcome)
    old.status = "amended"
    old.superseded_at = utcnow()
    session.flush()
    row = ServiceRecord(
        id=uuid7(),
        lineage_id=old.lineage_id,
        version_no=old.version_no + 1,
        amends_id=old.id,
        amendment_reason=reason,
        record_id=old.record_id,
        person_id=old.person_id,
        form_code=form.code,
        form_version=form.version,
        institution_id=_author_institution(actor, record, Action.FORM_AMEND),
        author_id=None if actor.is_system else actor.user_id,
        author_name=actor.name,
        service_date=outcome.service_date(form) or old.service_date,
        answers=seal(form, to_json(outcome.answers), cipher_for(session)),
        status="completed",
    )
    _mark_signed(row, actor)
    session.add(row)
    session.flush()
    _audit(session, actor, "form.amend", row, amends=str(old.id), reason=reason)
    _refresh_filing(session, record)
    form_changed(session, row)
    return row


def mark_entered_in_error(
    session: Session, actor: Actor, service_record_id: uuid.UUID, *, reason: str
) -> ServiceRecord:
    """Withdraw a form filled for the wrong resident or by mistake; it stays on file, marked."""
    actor.require(Action.FORM_VOID)
    row = _visible_form(session, actor, service_record_id)
    if row.status not in LIVE_STATUSES:
        raise Conflict("该表单已被修订或已作废")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(errors=[FieldError("reason", "作废原因：此项为必填项")])
    row.status = "entered_in_error"
    row.error_reason = reason[:500]
    row.error_at = utcnow()
    row.error_by = actor.login
    session.flush()
    _audit(session, actor, "form.void", row, reason=reason)
    _refresh_filing(session, session.get_one(HealthRecord, row.record_id))
    form_changed(session, row)
    return row


def get_form(
    session: Session, actor: Actor, service_record_id: uuid.UUID, *, purpose: str = "form.read"
) -> ServiceRecord:
    """One filled form (any version), audited as a read of the resident's record (or a print)."""
    actor.require(Action.RESIDENT_VIEW)
    row, basis = _readable_form(session, actor, service_record_id)
    _audit(session, actor, purpose, row, **basis.audit_details())
    return row


def list_forms(
    session: Session, actor: Actor, record_id: uuid.UUID, *, form_code: str | None = None, all_versions: bool = False
) -> list[ServiceRecord]:
    """The record's forms, newest service first: live versions (and entered-in-error ones, marked)."""
    actor.require(Action.RESIDENT_VIEW)
    record, _basis = read_record(session, actor, record_id, "forms")
    stmt = select(ServiceRecord).where(ServiceRecord.record_id == record.id)
    if form_code:
        stmt = stmt.where(ServiceRecord.form_code == form_code)
    if not all_versions:
        stmt = stmt.where(ServiceRecord.status != "amended")
    return list(session.scalars(stmt.order_by(ServiceRecord.service_date.desc(), ServiceRecord.created_at.desc())))


def form_versions(session: Session, actor: Actor, service_record_id: uuid.UUID) -> list[ServiceRecord]:
    """Every version of the form, oldest first."""
    actor.require(Action.RESIDENT_VIEW)
    row, _basis = _readable_form(session, actor, service_record_id)
    return list(
        session.scalars(
            select(ServiceRecord).where(ServiceRecord.lineage_id == row.lineage_id).order_by(ServiceRecord.version_no)
        )
    )


def bound_values_of(session: Session, row: ServiceRecord) -> dict[str, str]:
    """What a stored form shows from the resident's record (``bind:`` items)."""
    record = session.get_one(HealthRecord, row.record_id)
    return bound_values(session, record, session.get_one(Person, row.person_id))


def _check_only_one(session: Session, record: HealthRecord, form: FormDefinition) -> None:
    existing = session.scalar(
        select(ServiceRecord.id).where(
            ServiceRecord.record_id == record.id,
            ServiceRecord.form_code == form.code,
            ServiceRecord.status.in_(LIVE_STATUSES),
        )
    )
    if existing is not None:
        raise Conflict(f"该档案已有{form.title}；如需更正请修订已有的表单")


def _mark_signed(row: ServiceRecord, actor: Actor) -> None:
    row.signed_at = utcnow()
    row.signed_by_id = None if actor.is_system else actor.user_id
    row.signed_by_name = actor.name


def _label(form: FormDefinition, key: str) -> str:
    return next((item.label for _, item in form.top_items() if item.key == key), key)


def _refresh_filing(session: Session, record: HealthRecord) -> None:
    """建档: the cover and 个人基本信息表 completed; for a child under 7 the newborn visit form stands in."""
    done = dict(
        session.execute(
            select(ServiceRecord.form_code, ServiceRecord.signed_at).where(
                ServiceRecord.record_id == record.id,
                ServiceRecord.form_code.in_(FILING_FORMS),
                ServiceRecord.status == "completed",
            )
        ).all()
    )
    person = session.get_one(Person, record.person_id)
    child = age_in_years(person.birth_date, today_local()) < 7
    basics = "personal_basic_info" in done or (child and "newborn_visit" in done)
    if "cover" in done and basics:
        if record.filing_complete_on is None:
            record.filing_complete_on = today_local()
    else:
        record.filing_complete_on = None
    session.flush()


__all__ = [
    "FormDraft",
    "amend_form",
    "applicable_forms",
    "form_versions",
    "get_form",
    "list_forms",
    "mark_entered_in_error",
    "new_form",
    "preview_form",
    "save_form",
    "sign_form",
]


def applicable_forms(person: Person, on: date) -> list[FormDefinition]:
    """The forms that fit this resident today (age and sex), in catalogue order by category."""
    order = {"record": 0, "examination": 1, "programme": 2, "clinical": 3}
    days = (on - person.birth_date).days
    fitting = []
    for form in catalogue().forms.values():
        fits = form.applies_to
        if fits and (
            (fits.min_age_days is not None and days < fits.min_age_days)
            or (fits.max_age_days is not None and days >= fits.max_age_days)
            or (fits.sex and person.sex != fits.sex)
        ):
            continue
        fitting.append(form)
    return sorted(fitting, key=lambda f: (order[f.category], f.title))
