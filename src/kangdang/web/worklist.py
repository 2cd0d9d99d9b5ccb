"""The worklist page (随访任务): a doctor's due and overdue follow-ups with one click to the right form, the
counts by village and doctor for a centre or the county, and the day's home-visit list (入户随访清单) as a PDF."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from kangdang.access.actor import Actor
from kangdang.access.roles import Action, Role
from kangdang.core.clock import LOCAL_ZONE, today_local, utcnow
from kangdang.core.pagination import PageRequest
from kangdang.exchange.card_pdf import CardUnavailable
from kangdang.exchange.visit_list_pdf import VisitListHeader, render_visit_list_pdf
from kangdang.institutions.types import InstitutionType
from kangdang.programmes.codes import PROGRAMME_LABELS, URGENCY_LABELS, Programme
from kangdang.programmes.visit_list import home_visit_list, months_between
from kangdang.programmes.worklist import STATES, SummaryRow, WorkFilter, worklist, worklist_counts, worklist_summary
from kangdang.web.deps import CurrentActor, DbSession, render
from kangdang.web.programme_display import STATE_TEXT
from kangdang.web.resident_display import age_on, lookup_names
from kangdang.web.residents import doctor_options, village_groups

router = APIRouter()

PAGE_SIZE = 30
NO_STORE = {"Cache-Control": "no-store"}
# Who sees the counts by village and doctor: staff of a township or community centre, and county roles.
CENTRE_TYPES = frozenset(
    {InstitutionType.TOWNSHIP_CENTRAL, InstitutionType.TOWNSHIP_GENERAL, InstitutionType.COMMUNITY_CENTRE}
)
COUNTY_ROLES = (Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR, Role.SYSTEM_ADMIN)
EMPTY = {
    "overdue": "没有已逾期的随访任务",
    "due": "本周没有应随访的任务",
    "upcoming": "近30天内没有即将到期的随访任务",
    "": "没有待办的随访任务",
}


def sees_summary(actor: Actor) -> bool:
    return actor.has_role(*COUNTY_ROLES) or any(m.institution_type in CENTRE_TYPES for m in actor.memberships)


def _filters(state: str, programme: str, village: str, doctor: str) -> tuple[WorkFilter, dict[str, str]]:
    """The query's filters, checked (anything else is ignored), and the same as URL parameters."""
    state = state if state in STATES else ""
    programme = programme if programme in {p.value for p in Programme} else ""
    village = village if village.isdigit() and len(village) <= 12 else ""
    try:
        doctor_id = uuid.UUID(doctor) if doctor else None
    except ValueError:
        doctor_id = None
    params = {"state": state, "programme": programme, "village": village, "doctor": str(doctor_id or "")}
    work = WorkFilter(
        programme=programme or None, village_code=village or None, doctor_id=doctor_id, state=state or None
    )
    return work, {k: v for k, v in params.items() if v}


def url(params: dict[str, str], **changes: str) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v}
    return "/worklist" + (f"?{urlencode(merged)}" if merged else "")


def age_text(birth: date, today: date) -> str:
    years = age_on(birth, today)
    return f"{months_between(birth, today)} 月龄" if years < 1 else f"{years} 岁"


def _totals(rows: list[SummaryRow], key: str) -> list[dict[str, Any]]:
    """Summary rows added up by village (``key="village"``) or by managing doctor."""
    totals: dict[Any, dict[str, Any]] = {}
    for row in rows:
        ident = row.village_code if key == "village" else row.doctor_id
        name = row.village_name if key == "village" else (row.doctor_name or "未指定责任医生")
        line = totals.setdefault(ident, {"id": str(ident or ""), "name": name, "counts": dict.fromkeys(STATES, 0)})
        for state in STATES:
            line["counts"][state] += row.count(state)
    return sorted(
        totals.values(), key=lambda line: (line["id"] == "", line["id"] if key == "village" else line["name"])
    )


@router.get("/worklist")
def worklist_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    state: str = "",
    programme: str = "",
    village: str = "",
    doctor: str = "",
    page: int = 1,
) -> Response:
    actor.require(Action.WORKLIST_VIEW)
    today = today_local()
    filters, params = _filters(state, programme, village, doctor)
    where = WorkFilter(village_code=filters.village_code, doctor_id=filters.doctor_id)
    counts = worklist_counts(session, actor, today=today, filters=where)
    states = [filters.state] if filters.state else list(STATES)
    state_counts = {
        s: sum(c.get(s, 0) for p, c in counts.items() if not filters.programme or p == filters.programme)
        for s in STATES
    }
    programme_counts = {p.value: sum(counts.get(p.value, {}).get(s, 0) for s in states) for p in Programme}
    result = worklist(session, actor, today=today, filters=filters, page=PageRequest(page=page, size=PAGE_SIZE))
    summary = None
    if sees_summary(actor):
        rows = worklist_summary(
            session,
            actor,
            today=today,
            filters=WorkFilter(programme=filters.programme, village_code=filters.village_code),
        )
        summary = {"villages": _totals(rows, "village"), "doctors": _totals(rows, "doctor")}
    doctors = (
        [(line["id"], line["name"]) for line in summary["doctors"] if line["id"]]
        if summary
        else doctor_options(session, actor)
    )
    if params.get("doctor") and params["doctor"] not in {value for value, _ in doctors}:
        doctors.append(
            (
                params["doctor"],
                lookup_names(session, practitioners=[params["doctor"]]).practitioners.get(params["doctor"], "所选医生"),
            )
        )
    context = {
        "page_title": "随访任务",
        "page": result,
        "params": params,
        "filters": filters,
        "state_counts": state_counts,
        "all_count": sum(state_counts.values()),
        "programme_counts": programme_counts,
        "programmes": [(p.value, PROGRAMME_LABELS[p]) for p in Programme],
        "programme_labels": {p.value: PROGRAMME_LABELS[p] for p in Programme},
        "summary": summary,
        "village_groups": village_groups(session, actor),
        "doctor_choices": doctors,
        "state_text": STATE_TEXT,
        "urgency": URGENCY_LABELS,
        "empty": EMPTY[params.get("state", "")],
        "url": url,
        "base_url": url(params),
        "age_text": age_text,
        "can_fill": actor.can(Action.FORM_FILL),
    }
    response = render(request, "worklist/list.html", context)
    response.headers.update(NO_STORE)
    return response


def _scope_text(session: Session, filters: WorkFilter) -> str:
    names = lookup_names(
        session,
        regions=[filters.village_code] if filters.village_code else [],
        practitioners=[filters.doctor_id] if filters.doctor_id else [],
    )
    parts = []
    if filters.village_code:
        parts.append(names.regions.get(filters.village_code, filters.village_code))
    if filters.programme:
        parts.append(PROGRAMME_LABELS[Programme(filters.programme)])
    if filters.doctor_id:
        parts.append("责任医生 " + names.practitioners.get(str(filters.doctor_id), ""))
    if filters.state:
        parts.append(STATE_TEXT[filters.state])
    return " · ".join(parts)


@router.get("/worklist/visit-list.pdf")
def visit_list_pdf(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    day: date | None = None,
    state: str = "",
    programme: str = "",
    village: str = "",
    doctor: str = "",
) -> Response:
    actor.require(Action.WORKLIST_VIEW)
    filters, _params = _filters(state, programme, village, doctor)
    day = day or today_local()
    rows = home_visit_list(session, actor, day=day, filters=filters)
    header = VisitListHeader(
        day=day,
        doctor=actor.name,
        institution=actor.memberships[0].institution_name if actor.memberships else "",
        printed_at=utcnow().astimezone(LOCAL_ZONE),
        scope=_scope_text(session, filters),
    )
    try:
        pdf = render_visit_list_pdf(header, rows)
    except CardUnavailable as error:
        context = {"status": 503, "message": error.message, "details": []}
        return render(request, "errors/error.html", context, status_code=503)
    name = f"visit-list-{day.isoformat()}.pdf"
    disposition = f"inline; filename=\"{name}\"; filename*=UTF-8''{quote(f'入户随访清单-{day.isoformat()}.pdf')}"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": disposition, "Cache-Control": "no-store"}
    )
