"""The JSON API under /api/v1. One module per area; errors mapped once in api.errors."""

from __future__ import annotations

from fastapi import APIRouter


def build_api_router() -> APIRouter:
    from kangdang.api import (
        access_requests,
        audit,
        auth,
        duplicates,
        forms,
        households,
        institutions,
        keepers,
        programmes,
        regions,
        residents,
        staff,
        transfers,
        worklist,
    )

    router = APIRouter()
    for module in (
        auth,
        residents,
        forms,
        programmes,
        worklist,
        households,
        transfers,
        duplicates,
        regions,
        institutions,
        staff,
        keepers,
        access_requests,
        audit,
    ):
        router.include_router(module.router)
    from kangdang.api import indicators

    router.include_router(indicators.router)
    from kangdang.api import supervision

    router.include_router(supervision.router)
    from kangdang.api import appraisal, indicator_settings

    router.include_router(appraisal.router)
    router.include_router(indicator_settings.router)
    from kangdang.api import quality

    router.include_router(quality.router)
    return router
