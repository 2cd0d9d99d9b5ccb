"""The navigation bar, by what the actor may do."""

from __future__ import annotations

from dataclasses import dataclass

from kangdang.access.actor import Actor
from kangdang.access.roles import Action, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    active: bool


def navigation(actor: Actor, path: str) -> list[NavItem]:
    items: list[tuple[str, str]] = [("首页", "/")]
    if actor.can(Action.RESIDENT_VIEW):
        items.append(("居民档案", "/residents"))
        items.append(("家庭", "/households"))
    if actor.can(Action.WORKLIST_VIEW):
        items.append(("随访任务", "/worklist"))
    if actor.can(Action.RECORD_TRANSFER):
        items.append(("档案迁移", "/transfers"))
    if actor.can(Action.DUPLICATE_MANAGE):
        items.append(("重复档案", "/duplicates"))
    if actor.can(Action.ACCESS_APPLY) or actor.can(Action.BREAK_GLASS):
        items.append(("查阅申请", "/access"))
    if actor.can(Action.ACCESS_DECIDE):
        items.append(("查阅审批", "/access/requests"))
    if actor.can(Action.QUALITY_VIEW) and not actor.has_role(Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR):
        items.append(("档案质控", "/quality"))
    if actor.can(Action.INDICATOR_VIEW):
        items.append(("工作指标", "/indicators"))
    if actor.can(Action.INSPECTION_VIEW):
        items.append(("督导检查", "/supervision"))
    if actor.can(Action.APPRAISAL_VIEW):
        items.append(("绩效考核", "/appraisal"))
    items.append(("区划", "/regions"))
    if actor.can(Action.POPULATION_EDIT) or actor.has_role(Role.COUNTY_INSPECTOR):
        items.append(("人口数", "/population"))
    items.append(("机构", "/institutions"))
    if actor.can(Action.STAFF_VIEW):
        items.append(("人员", "/staff"))
    if actor.can(Action.AUDIT_VIEW):
        items.append(("审计日志", "/audit"))
    return [NavItem(label, href, _current(path, href)) for label, href in items]


def _current(path: str, href: str) -> bool:
    if href in ("/", "/access"):
        return path == href
    return path.startswith(href)
