"""How errors look on pages: a Chinese message, the same layout, the right status; htmx gets a fragment."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from kangdang.core.errors import DomainError, NotAuthenticated
from kangdang.core.validation import field_errors
from kangdang.web.deps import CsrfFailed, LoginRequired, login_url, render

log = logging.getLogger("kangdang.web")

HTTP_MESSAGES = {
    404: "页面不存在",
    405: "不支持该操作",
    413: "上传的文件太大",
}


def web_error_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, LoginRequired | NotAuthenticated):
        target = login_url(exc.next_url if isinstance(exc, LoginRequired) else request.url.path)
        if request.headers.get("hx-request") == "true":
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if isinstance(exc, CsrfFailed):
        return _page(request, 403, "页面已过期或表单来源无效，请刷新页面后重试")
    if isinstance(exc, DomainError):
        return _page(request, exc.status_code, exc.message, [e.message for e in exc.errors])
    if isinstance(exc, RequestValidationError):
        return _page(request, 400, "请求参数有误", [f"{e.field}：{e.message}" for e in field_errors(exc.errors())])
    if isinstance(exc, StarletteHTTPException):
        return _page(request, exc.status_code, HTTP_MESSAGES.get(exc.status_code, "请求无法完成"))
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _page(request, 500, "系统内部错误，已记录，请稍后重试或联系管理员")


def _page(request: Request, status: int, message: str, details: list[str] | None = None) -> Response:
    template = "errors/fragment.html" if request.headers.get("hx-request") == "true" else "errors/error.html"
    response = render(
        request, template, {"status": status, "message": message, "details": details or []}, status_code=status
    )
    if request.headers.get("hx-request") == "true":
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
    return response
