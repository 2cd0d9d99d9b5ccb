"""Pages for regions (filled in by the regions slice)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
