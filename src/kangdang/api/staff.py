"""JSON routes for staff."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
