"""Who looked at a resident's record: the access log a resident may be shown (查阅记录)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from kangdang.core.pagination import PageRequest
from kangdang.institutions.models import Practitioner
from kangdang.residents.numbering import group_number
from kangdang.residents.service import record_access_log
from kangdang.web.deps import CurrentActor, DbSession, render

router = APIRouter()

ACCESS_LABELS = {
    "record.read": "查阅档案",
    "record.print_card": "打印信息卡",
    "person.reveal_document": "查看完整证件号",
    "form.read": "查阅表单",
    "form.print": "打印表单",
    "access.break_glass": "开启紧急查阅",
}
# reads from outside the jurisdiction: through a consented grant, or break-the-glass
VIA_LABELS = {"grant": "经授权查阅", "break_glass": "紧急查阅"}


def access_label(action: str, details: dict[str, Any] | None) -> tuple[str, str | None]:
    """What the resident is shown for one event, and the kind of access from outside (for a badge)."""
    details = details or {}
    label = ACCESS_LABELS.get(action, action)
    if action == "access.break_glass":
        return f"{label}：{details.get('reason', '')}", VIA_LABELS["break_glass"]
    via = VIA_LABELS.get(str(details.get("via", "")))
    return label, via


@router.get("/residents/{record_id}/access-log")
def access_log_page(
    request: Request, session: DbSession, actor: CurrentActor, record_id: uuid.UUID, page: int = 1
) -> Response:
    from kangdang.access.models import User
    from kangdang.residents.models import HealthRecord, Person

    result = record_access_log(session, actor, record_id, page=PageRequest(page=page, size=50))
    record = session.get_one(HealthRecord, record_id)
    person = session.get_one(Person, record.person_id)
    user_ids = {e.user_id for e in result.items if e.user_id}
    names = (
        dict(
            session.execute(
                select(User.id, Practitioner.name)
                .join(Practitioner, Practitioner.id == User.practitioner_id)
                .where(User.id.in_(user_ids))
            ).all()
        )
        if user_ids
        else {}
    )
    return render(
        request,
        "residents/access_log.html",
        {
            "page_title": f"查阅记录：{person.name}",
            "page": result,
            "person": person,
            "record": record,
            "record_number": group_number(record.record_number),
            "names": names,
            "labels_access": ACCESS_LABELS,
            "event_labels": {e.id: access_label(e.action, e.details) for e in result.items},
            "base_url": f"/residents/{record_id}/access-log",
        },
    )
