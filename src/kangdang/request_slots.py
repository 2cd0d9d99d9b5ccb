"""No more requests in flight than the server has worker threads, so a request holding a lock always gets one.

A synchronous route runs in steps, each handed to a worker thread of one shared pool (anyio's default thread
limiter, 40 threads): a synchronous dependency (the caller's identity), the route itself, the validation of its
answer. On SQLite the step that first writes takes the database's one write lock and keeps it until the request's
session commits, several steps later; every other writer waits for that lock inside a worker thread. With more
requests than threads, those waiters can hold every thread while the lock's holder waits for one to take its next
step: nothing moves until the waiters give up after the busy timeout, and their users get a 503.

Here a request waits for a slot before anything of it runs, in the event loop, holding no thread; there are as
many slots as worker threads. Each request in flight holds at most one thread at a time, so while the lock's
holder is between steps at most ``slots - 1`` threads are taken: the holder always finds one. On PostgreSQL the
cap changes nothing that matters (its connection pool is smaller than the thread pool) and bounds memory.
"""

from __future__ import annotations

import asyncio

from anyio.to_thread import current_default_thread_limiter
from starlette.types import ASGIApp, Receive, Scope, Send


class RequestSlots:
    """Pure ASGI middleware (no extra task per request, unlike Starlette's ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None

    def slots(self) -> asyncio.Semaphore:
        """One semaphore per event loop (a test client runs the app in a loop of its own), sized to that loop's
        thread pool when its first request arrives."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._loop = loop
            self._slots = asyncio.Semaphore(int(current_default_thread_limiter().total_tokens))
        return self._slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.slots():
            await self.app(scope, receive, send)
