"""Building the acting user from their account: roles and scope follow from current memberships."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from kangdang.access.actor import Actor, ActorMembership, Scope
from kangdang.access.models import User
from kangdang.access.roles import Role
from kangdang.core.clock import today_local
from kangdang.institutions.models import Catchment, Institution, Membership, Practitioner


def current(
    column_from: InstrumentedAttribute[date], column_to: InstrumentedAttribute[date | None], on: date
) -> ColumnElement[bool]:
    """A validity window that includes ``on``."""
    return and_(column_from <= on, or_(column_to.is_(None), column_to >= on))


def load_actor(
    session: Session, user: User, *, session_id: uuid.UUID | None = None, client_ip: str | None = None
) -> Actor:
    today = today_local()
    practitioner = session.get(Practitioner, user.practitioner_id)
    rows = session.execute(
        select(Membership.role, Institution)
        .join(Institution, Institution.id == Membership.institution_id)
        .where(
            Membership.practitioner_id == user.practitioner_id,
            current(Membership.valid_from, Membership.valid_to, today),
            Institution.status == "active",
        )
        .order_by(Institution.code, Membership.role)
    ).all()
    memberships = tuple(
        ActorMembership(institution_id=inst.id, institution_name=inst.name, institution_type=inst.type, role=Role(role))
        for role, inst in rows
    )
    return Actor(
        user_id=user.id,
        login=user.login,
        name=practitioner.name if practitioner else user.login,
        practitioner_id=user.practitioner_id,
        memberships=memberships,
        scope=_scope(session, [(Role(role), inst) for role, inst in rows], today),
        client_ip=client_ip,
        session_id=session_id,
    )


def _scope(session: Session, memberships: list[tuple[Role, Institution]], today: date) -> Scope:
    if any(role is Role.SYSTEM_ADMIN for role, _ in memberships):
        # Sees everything; the prefixes name the home territory (where lists and pickers start).
        home = sorted({inst.region_code for role, inst in memberships if role is Role.SYSTEM_ADMIN})
        return Scope(everything=True, region_prefixes=tuple(home))
    prefixes = sorted({inst.region_code for role, inst in memberships if role.is_county_role})
    own = {inst.id for role, inst in memberships if not role.is_county_role}
    if not own:
        return Scope(region_prefixes=tuple(prefixes))
    supervised = set(
        session.scalars(
            select(Institution.id).where(Institution.supervisor_id.in_(own), Institution.status == "active")
        )
    )
    supervisors = {
        inst.supervisor_id for role, inst in memberships if not role.is_county_role and inst.supervisor_id is not None
    }
    villages = set(
        session.scalars(
            select(Catchment.region_code).where(
                Catchment.institution_id.in_(own | supervised), current(Catchment.valid_from, Catchment.valid_to, today)
            )
        )
    )
    return Scope(
        region_prefixes=tuple(prefixes),
        village_codes=frozenset(villages),
        institution_ids=frozenset(own | supervised | supervisors),
    )
