"""The audit search (审计查询) scoped to the searcher: county roles see the county's trail; an institution
administrator sees what the staff of their institution (and the village offices it supervises) did, and
everything done to a resident whose record they can see, looked up by record number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.models import AuditEvent, User
from kangdang.access.roles import Action
from kangdang.core.clock import LOCAL_ZONE, today_local
from kangdang.core.errors import NotFound
from kangdang.core.pagination import Page, PageRequest, paginate
from kangdang.institutions.actors import current
from kangdang.institutions.models import Institution, Membership
from kangdang.residents.models import HealthRecord
from kangdang.residents.scope import visible_records


@dataclass(frozen=True)
class AuditQuery:
    action_prefix: str | None = None
    login: str | None = None
    record_number: str | None = None  # events about this resident (any of their record's numbers)
    since: date | None = None  # China dates, inclusive
    until: date | None = None


def _staff_users(actor: Actor, on: date) -> Select[Any]:
    """Accounts of people currently working in the actor's institutions or the offices they supervise."""
    own = [m.institution_id for m in actor.memberships]
    supervised = select(Institution.id).where(Institution.supervisor_id.in_(own))
    return (
        select(User.id)
        .join(Membership, Membership.practitioner_id == User.practitioner_id)
        .where(
            or_(Membership.institution_id.in_(own), Membership.institution_id.in_(supervised)),
            current(Membership.valid_from, Membership.valid_to, on),
        )
    )


def search_audit(session: Session, actor: Actor, query: AuditQuery, *, page: PageRequest) -> Page[AuditEvent]:
    actor.require(Action.AUDIT_VIEW)
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    county_wide = actor.scope.everything or bool(actor.scope.region_prefixes)
    if query.record_number:
        record = session.scalar(
            select(HealthRecord).where(
                HealthRecord.record_number == query.record_number.strip(), visible_records(actor)
            )
        )
        if record is None:
            raise NotFound("未找到该档案编号，或不在您的管辖范围内")
        stmt = stmt.where(AuditEvent.subject_type == "person", AuditEvent.subject_id == str(record.person_id))
    elif not county_wide:
        stmt = stmt.where(AuditEvent.user_id.in_(_staff_users(actor, today_local())))
    if query.action_prefix:
        stmt = stmt.where(AuditEvent.action.startswith(query.action_prefix, autoescape=True))
    if query.login:
        stmt = stmt.where(AuditEvent.login == query.login.strip())
    if query.since:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(query.since, time(), LOCAL_ZONE))
    if query.until:
        stmt = stmt.where(AuditEvent.at < datetime.combine(query.until + timedelta(days=1), time(), LOCAL_ZONE))
    return paginate(session, stmt, page)
