"""How errors look in the JSON API: ``{"error": {"code", "message", "fields": [{"field", "message"}]}}``."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kangdang.core.errors import DomainError, FieldError
from kangdang.core.validation import field_errors

log = logging.getLogger("kangdang.api")


def error_body(code: str, message: str, fields: list[FieldError] | None = None) -> dict[str, object]:
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": [
                {"field": f.field, "message": f.message} | ({"row": f.row} if f.row is not None else {})
                for f in fields or []
            ],
        }
    }


def api_error_response(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DomainError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(error_body(exc.code, exc.message, exc.errors), status_code=exc.status_code, headers=headers)
    if isinstance(exc, RequestValidationError):
        return JSONResponse(
            error_body(
                "invalid_input", "请求数据有误", field_errors(exc.errors(), skip_prefix=("body", "query", "path"))
            ),
            status_code=422,
        )
    if isinstance(exc, StarletteHTTPException):
        messages = {404: "资源不存在", 405: "不支持该方法"}
        return JSONResponse(
            error_body(f"http_{exc.status_code}", messages.get(exc.status_code, str(exc.detail))),
            status_code=exc.status_code,
        )
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "系统内部错误，已记录"), status_code=500)
