"""More concurrent writers than worker threads on SQLite: every request is answered, none waits out the busy
timeout for a thread that lock waiters hold (``kangdang.request_slots``)."""

from __future__ import annotations

from pathlib import Path

import anyio
import anyio.to_thread
import httpx

from kangdang.app import create_app
from kangdang.db.engine import build_engine, build_sessionmaker
from kangdang.db.migrate import upgrade
from kangdang.demo.county import load_demo_structure
from kangdang.settings import Settings
from tests.conftest import DEMO_PASSWORD, throwaway_database

THREADS = 2  # the app's worker threads in this test
REQUESTS = 8  # signed-in writers at once, four times as many


def test_more_writers_than_threads_are_all_answered(tmp_path: Path) -> None:
    with throwaway_database("sqlite", tmp_path) as url:
        settings = Settings(environment="test", database_url=url, login_attempts_per_minute=1000)
        engine = build_engine(url)
        upgrade(engine)
        with build_sessionmaker(engine, settings)() as session:
            load_demo_structure(session)
            session.commit()
        engine.dispose()
        app = create_app(settings)  # the deployment's engine: SQLite's ten-second busy timeout

        async def run() -> list[int]:
            anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                tokens = []
                for _ in range(REQUESTS):
                    answer = await client.post(
                        "/api/v1/auth/token", json={"username": "yisheng", "password": DEMO_PASSWORD}
                    )
                    assert answer.status_code == 200, answer.text
                    tokens.append(answer.json()["access_token"])
                statuses: list[int] = []

                async def log_out(token: str) -> None:
                    # the caller's identity takes the write lock in one worker thread, the route needs another
                    answer = await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
                    statuses.append(answer.status_code)

                with anyio.fail_after(30):
                    async with anyio.create_task_group() as group:
                        for token in tokens:
                            group.start_soon(log_out, token)
                return statuses

        with anyio.from_thread.start_blocking_portal() as portal:  # a loop of its own, as a server has
            statuses = portal.call(run)
        assert statuses == [204] * REQUESTS
