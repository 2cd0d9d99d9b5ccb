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
    from kangdang.web import indicator_reports

    router.include_router(indicator_reports.router)
    from kangdang.web import supervision

    router.include_router(supervision.router)
    from kangdang.web import appraisal, indicator_settings

    router.include_router(appraisal.router)
    router.include_router(indicator_settings.router)
    from kangdang.web import indicators

    router.include_router(indicators.router)
    from kangdang.web import quality

    router.include_router(quality.router)
    from kangdang.web import indicator_runs

    router.include_router(indicator_runs.router)
    return router
