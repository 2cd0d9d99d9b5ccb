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
    return router
