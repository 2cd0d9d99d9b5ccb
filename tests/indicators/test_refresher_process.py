"""The server's indicator refresher runs in a process of its own, at a lower CPU priority than the server, takes
the marked villages and stops with the server."""

from __future__ import annotations

import os
import time
from pathlib import Path

from kangdang.ops.refresher import NICENESS, RefresherProcess
from tests.db.test_read_first import sqlite_file  # noqa: F401 - a fixture
from tests.indicators.test_refresher_turns import VILLAGES, _mark, _marks


def _niceness(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])  # the 19th field of the whole line


def test_the_refresher_process_refreshes_the_marked_villages_niced_and_stops(sqlite_file) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _path, _engine, factory, settings = sqlite_file
    _mark(factory, VILLAGES[:3])
    refresher = RefresherProcess(settings, 0.2)
    refresher.start()
    try:
        pid = refresher.process.pid
        assert pid is not None and pid != os.getpid()
        deadline = time.monotonic() + 60
        while _marks(factory) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _marks(factory) == []
        if Path(f"/proc/{pid}/stat").exists():  # Linux: the child runs below the server's priority
            assert _niceness(pid) == min(19, os.nice(0) + NICENESS)
    finally:
        refresher.stop()
    assert not refresher.process.is_alive()
