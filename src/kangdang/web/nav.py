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
    if actor.can(Action.RECORD_TRANSFER):
        items.append(("档案迁移", "/transfers"))
    if actor.can(Action.DUPLICATE_MANAGE):
        items.append(("重复档案", "/duplicates"))
    items.append(("区划", "/regions"))
    if actor.can(Action.POPULATION_EDIT) or actor.has_role(Role.COUNTY_INSPECTOR):
        items.append(("人口数", "/population"))
    items.append(("机构", "/institutions"))
    items.append(("人员", "/staff"))
    if actor.can(Action.AUDIT_VIEW):
        items.append(("审计日志", "/audit"))
    return [NavItem(label, href, path == href if href == "/" else path.startswith(href)) for label, href in items]
