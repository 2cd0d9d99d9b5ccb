"""The home page: one per role — a village doctor's workplace, a township's offices, the county's overview."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from kangdang.access.audit import list_audit_events
from kangdang.access.roles import Action, Role
from kangdang.core.pagination import PageRequest
from kangdang.institutions.overview import county_overview, my_workplaces
from kangdang.institutions.service import list_institutions
from kangdang.institutions.staff import list_practitioners, memberships_of
from kangdang.regions.models import Region
from kangdang.residents.emergency import count_emergency_alerts
from kangdang.residents.grants import count_requests_to_decide
from kangdang.residents.overview import open_records_by_village
from kangdang.web.deps import CurrentActor, DbSession, render

router = APIRouter()

HOME_TITLES = {
    Role.AGGREGATE_VIEWER: "统计概览",
    Role.HOSPITAL_DOCTOR: "医院医生工作台",
    Role.VILLAGE_DOCTOR: "村医工作台",
    Role.TOWNSHIP_DOCTOR: "医生工作台",
    Role.RECORDS_MANAGER: "档案管理工作台",
    Role.INSTITUTION_ADMIN: "机构管理首页",
    Role.COUNTY_MANAGER: "县卫健局管理首页",
    Role.COUNTY_INSPECTOR: "县卫健局督导首页",
    Role.SYSTEM_ADMIN: "系统管理首页",
}


@router.get("/")
def home(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    role = actor.primary_role
    context: dict[str, object] = {
        "role": role.value if role else None,
        "page_title": HOME_TITLES.get(role, "首页") if role else "首页",
    }
    if not actor.memberships:
        return render(request, "home/no_role.html", context)
    counties = sorted({p[:6] for p in actor.scope.region_prefixes if len(p) >= 6})
    if counties:
        context["counties"] = [(session.get(Region, code), county_overview(session, actor, code)) for code in counties]
    context["workplaces"] = [w for w in my_workplaces(session, actor) if not counties]
    if actor.can(Action.RESIDENT_VIEW) and not counties:
        villages = [v.code for w in context["workplaces"] for v in w.villages]  # type: ignore[attr-defined]
        context["records_by_village"] = open_records_by_village(session, actor, villages)
    context["can_search_residents"] = actor.can(Action.RESIDENT_VIEW)
    context["can_register"] = actor.can(Action.RESIDENT_REGISTER)
    if actor.has_role(Role.RECORDS_MANAGER, Role.INSTITUTION_ADMIN, Role.TOWNSHIP_DOCTOR) and not counties:
        supervised = list_institutions(session, actor, page=PageRequest(size=200), status="active")
        own = {m.institution_id for m in actor.memberships}
        context["supervised"] = [i for i in supervised.items if i.supervisor_id in own]
    if actor.has_role(Role.VILLAGE_DOCTOR, Role.INSTITUTION_ADMIN) and not counties:
        own_ids = [m.institution_id for m in actor.memberships]
        colleagues = list_practitioners(session, actor, page=PageRequest(size=100), institution_id=own_ids[0])
        context["colleagues"] = colleagues.items
        context["colleague_memberships"] = memberships_of(session, actor, [p.id for p in colleagues.items])
    if actor.has_role(Role.RECORDS_MANAGER, Role.INSTITUTION_ADMIN) and actor.can(Action.ACCESS_DECIDE):
        context["access_alerts"] = {
            "emergency": count_emergency_alerts(session, actor),
            "pending": count_requests_to_decide(session, actor),
        }
    if actor.can(Action.AUDIT_VIEW) and actor.has_role(Role.SYSTEM_ADMIN, Role.COUNTY_INSPECTOR):
        context["recent_events"] = list_audit_events(session, actor, page=PageRequest(size=8)).items
    return render(request, "home/index.html", context)
