"""Server-rendered Simplified-Chinese pages (Jinja2 + htmx). One module per area."""

from __future__ import annotations

from fastapi import APIRouter


def build_web_router() -> APIRouter:
    from kangdang.web import (
        access_requests,
        account,
        audit,
        duplicates,
        home,
        households,
        institutions,
        keepers,
        programmes,
        regions,
        resident_access,
        resident_import,
        residents,
        service_records,
        staff,
        transfers,
        worklist,
    )

    router = APIRouter(include_in_schema=False)
    modules = (
        account,
        home,
        resident_access,
        resident_import,  # before residents: /residents/import must not be read as /residents/{record_id}
        residents,
        service_records,
        programmes,
        worklist,
        households,
        transfers,
        duplicates,
        regions,
        institutions,
        staff,
        keepers,
        audit,
        access_requests,
    )
    for module in modules:
        router.include_router(module.router)
    return router
