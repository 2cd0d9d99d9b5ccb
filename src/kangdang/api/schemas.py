"""Shapes shared by API routes: the page envelope and the error body (for the OpenAPI document)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int


class FieldErrorOut(BaseModel):
    field: str
    message: str
    row: int | None = None


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldErrorOut]


class ErrorOut(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Not authenticated"},
    403: {"model": ErrorOut, "description": "Not permitted"},
    404: {"model": ErrorOut, "description": "Not found (or outside the caller's jurisdiction)"},
    422: {"model": ErrorOut, "description": "Invalid input, with field errors"},
}
