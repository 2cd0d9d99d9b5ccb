"""The audit log page (county managers, inspectors, system administrators)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from kangdang.core.errors import NotFound
from kangdang.core.pagination import PageRequest
from kangdang.residents.audit_search import AuditQuery, search_audit
from kangdang.web.deps import CurrentActor, DbSession, render

router = APIRouter()

ACTION_LABELS = {
    "login.web": "登录（网页）",
    "login.api": "获取 API 令牌",
    "login.failure": "登录失败",
    "login.lockout": "账号锁定",
    "login.locked": "锁定期间尝试登录",
    "login.inactive": "停用账号尝试登录",
    "logout": "退出",
    "password.change": "修改密码",
    "password.reset": "重置密码",
    "region.import": "导入区划",
    "region.classify": "设置城乡分类",
    "population.set": "录入人口数",
    "institution.create": "新建机构",
    "institution.update": "修改机构",
    "institution.merged": "合并机构",
    "institution.closed": "撤销机构",
    "practitioner.create": "新增人员",
    "practitioner.update": "修改人员",
    "practitioner.reveal_id": "查看完整身份证号",
    "membership.create": "新增任职",
    "membership.end": "结束任职",
    "user.create": "创建账号",
    "access.apply": "申请查阅档案",
    "access.approve": "批准查阅申请",
    "access.reject": "不批准查阅申请",
    "access.consent": "登记居民同意",
    "access.consent_view": "查看同意书",
    "access.revoke": "撤销查阅授权",
    "access.withdraw": "登记居民撤回同意",
    "access.break_glass": "紧急查阅（开启）",
    "access.acknowledge": "确认知悉紧急查阅",
}


def is_break_glass(action: str, details: dict[str, object] | None) -> bool:
    """An emergency opening, or a read through one: these stand out in the log."""
    return action == "access.break_glass" or (details or {}).get("via") == "break_glass"


@router.get("/audit")
def audit_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    action: str = "",
    login: str = "",
    record_number: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    filters = {"action": action, "login": login, "record_number": record_number, "since": since, "until": until}
    error = None
    try:
        query = AuditQuery(
            action_prefix=action or None,
            login=login or None,
            record_number=record_number or None,
            since=date.fromisoformat(since) if since else None,
            until=date.fromisoformat(until) if until else None,
        )
    except ValueError:
        query, error = AuditQuery(action_prefix=action or None), "日期格式应为 年-月-日"
    try:
        result = search_audit(session, actor, query, page=PageRequest(page=page, size=50))
    except NotFound as missing:
        result, error = search_audit(session, actor, AuditQuery(), page=PageRequest(page=1, size=50)), missing.message
    return render(
        request,
        "audit/list.html",
        {
            "page_title": "审计日志",
            "page": result,
            "action": action,
            "filters": filters,
            "filter_error": error,
            "action_labels": ACTION_LABELS,
            "is_break_glass": is_break_glass,
            "county_wide": actor.scope.everything or bool(actor.scope.region_prefixes),
            "base_url": "/audit?" + urlencode({k: v for k, v in filters.items() if v}),
        },
    )
