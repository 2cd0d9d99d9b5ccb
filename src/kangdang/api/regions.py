"""JSON routes for regions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
