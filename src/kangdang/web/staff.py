"""Pages for staff (filled in by the staff slice)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
