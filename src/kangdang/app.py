"""The application factory: pages at /, the JSON API at /api/v1, health at /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from kangdang import __version__
from kangdang.core.ratelimit import SlidingWindowLimiter
from kangdang.institutions.actor_cache import ActorCache
from kangdang.request_slots import RequestSlots
from kangdang.security_headers import SecurityHeaders
from kangdang.settings import Settings

STATIC_DIR = Path(__file__).parent / "web" / "static"
BUSY_RETRY_SECONDS = 2  # Retry-After on a 503 when the database was too busy to give a request its turn


def create_app(settings: Settings | None = None, *, session_factory: sessionmaker[Session] | None = None) -> FastAPI:
    """Build the app. Nothing connects here: the engine opens connections on the first request."""
    from kangdang.api import build_api_router
    from kangdang.db.engine import build_engine, build_sessionmaker
    from kangdang.web import build_web_router

    settings = settings or Settings()
    if session_factory is None:
        session_factory = build_sessionmaker(build_engine(settings.database_url, echo=settings.sql_echo), settings)
    app = FastAPI(
        lifespan=_refresher_lifespan(settings),
        title="康档 kangdang API",
        version=__version__,
        description="城乡居民健康档案平台 JSON API. Authenticate with `POST /api/v1/auth/token`, "
        "then send `Authorization: Bearer <token>`.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.login_limiter = SlidingWindowLimiter(settings.login_attempts_per_minute, 60.0)
    app.state.actors = ActorCache()  # each user's roles and scope, kept briefly between requests
    app.add_middleware(SecurityHeaders, hsts=settings.cookie_secure)
    app.add_middleware(RequestSlots)  # outermost: a request waits for its slot before anything runs
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(build_api_router(), prefix="/api/v1")
    app.include_router(build_web_router())
    _install_error_handlers(app)

    @app.get("/healthz", tags=["health"], summary="Liveness and database status")
    def healthz() -> JSONResponse:
        from kangdang.db.migrate import head_revision

        try:
            with session_factory() as session:
                revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            database = {"status": "ok", "revision": revision, "head": head_revision()}
            status = 200 if revision == database["head"] else 503
            if status != 200:
                database["status"] = "needs_upgrade"
        except Exception as exc:
            database, status = {"status": "unavailable", "error": exc.__class__.__name__}, 503
        return JSONResponse(
            {"status": "ok" if status == 200 else "degraded", "version": __version__, "database": database},
            status_code=status,
        )

    return app


def _refresher_lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Run the indicator refresher, in a process of its own, while the app serves (not in tests, which refresh
    explicitly)."""
    from contextlib import asynccontextmanager

    from kangdang.ops.refresher import RefresherProcess

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        refresher = None
        if settings.environment != "test" and settings.indicator_refresh_seconds > 0:
            refresher = RefresherProcess(settings, settings.indicator_refresh_seconds)
            refresher.start()
        yield
        if refresher is not None:
            refresher.stop()

    return lifespan


def _install_error_handlers(app: FastAPI) -> None:
    """One handler per error kind, answering in the transport the path belongs to."""
    from fastapi.exceptions import RequestValidationError
    from sqlalchemy.exc import DataError
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.requests import Request
    from starlette.responses import Response

    from kangdang.api.errors import api_error_response
    from kangdang.core.errors import Busy, DomainError, InvalidInput
    from kangdang.db.engine import is_busy
    from kangdang.web.deps import CsrfFailed, LoginRequired
    from kangdang.web.errors import web_error_response

    def dispatch(request: Request, exc: Exception) -> Response:
        if isinstance(exc, DataError):
            # The database refused a value (a NUL character, a number out of range): bad input, not a bug.
            exc = InvalidInput("输入含有无法保存的字符，或数值超出范围")
        elif is_busy(exc):
            exc = Busy()  # waited too long for a lock: nothing was saved, the same request can be sent again
        response: Response = (
            api_error_response(request, exc)
            if request.url.path.startswith("/api/")
            else web_error_response(request, exc)
        )
        if isinstance(exc, Busy):
            response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return response

    kinds = (
        DomainError,
        DataError,
        RequestValidationError,
        StarletteHTTPException,
        LoginRequired,
        CsrfFailed,
        Exception,
    )
    for kind in kinds:
        app.add_exception_handler(kind, dispatch)
