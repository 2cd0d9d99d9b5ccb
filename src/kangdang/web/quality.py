"""The quality worklist page (档案质控): the records to fix, with the reasons and a link to the record."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from kangdang.core.pagination import PageRequest
from kangdang.indicators.quality import FAULTY, quality_counts, quality_worklist
from kangdang.regions.service import region_names
from kangdang.web.deps import CurrentActor, DbSession, render

router = APIRouter()


@router.get("/quality")
def quality_page(
    request: Request, session: DbSession, actor: CurrentActor, status: str = "", village: str = "", page: int = 1
) -> Response:
    chosen = status if status in FAULTY else None
    place = village if village.isdigit() and len(village) == 12 else None
    counts = quality_counts(session, actor, village=place)
    result = quality_worklist(
        session, actor, status=chosen, village=place, page=PageRequest(page=max(page, 1), size=30)
    )
    names = region_names(session, [item.village_code for item in result.items])
    return render(
        request,
        "quality/list.html",
        {"result": result, "counts": counts, "status": chosen or "", "village": place or "", "names": names},
    )
