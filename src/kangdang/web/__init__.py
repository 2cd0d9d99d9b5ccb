"""Server-rendered Simplified-Chinese pages (Jinja2 + htmx). One module per area."""

from __future__ import annotations

from fastapi import APIRouter


def build_web_router() -> APIRouter:
    from kangdang.web import account, audit, home, institutions, regions, staff

    router = APIRouter(include_in_schema=False)
    for module in (account, home, regions, institutions, staff, audit):
        router.include_router(module.router)
    return router
