"""The audit log page (county managers, inspectors, system administrators)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from kangdang.access.audit import list_audit_events
from kangdang.core.pagination import PageRequest
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
}


@router.get("/audit")
def audit_page(request: Request, session: DbSession, actor: CurrentActor, action: str = "", page: int = 1) -> Response:
    result = list_audit_events(session, actor, page=PageRequest(page=page, size=50), action_prefix=action or None)
    return render(
        request,
        "audit/list.html",
        {
            "page_title": "审计日志",
            "page": result,
            "action": action,
            "action_labels": ACTION_LABELS,
            "base_url": f"/audit?action={action}" if action else "/audit",
        },
    )
