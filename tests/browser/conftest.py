"""Browser tests: a real server on a free port (SQLite with the demo county) and Debian's Chromium.

Outside CI a missing Chromium skips these tests; under CI=true it fails them.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("KANGDANG_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(os.environ.get("KANGDANG_TEST_ARTIFACTS", "test-artifacts"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by uvicorn in a thread, on a fresh SQLite database with the demo county."""
    import uvicorn

    from kangdang.app import create_app
    from kangdang.db.engine import build_engine, build_sessionmaker
    from kangdang.db.migrate import upgrade
    from kangdang.demo.county import load_demo_county
    from kangdang.settings import Settings

    path = tmp_path_factory.mktemp("browser") / "kangdang.sqlite3"
    settings = Settings(environment="test", database_url=f"sqlite:///{path}")
    engine = build_engine(settings.database_url)
    upgrade(engine)
    factory = build_sessionmaker(engine, settings)
    with factory() as session:
        load_demo_county(session)
        session.commit()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, session_factory=factory), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "live server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if IN_CI:
            pytest.fail(message + " — required under CI=true", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1366, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]
    return target
