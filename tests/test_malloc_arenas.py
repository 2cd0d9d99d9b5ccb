"""The server caps glibc's malloc arenas (``ops.malloc_arenas``), for itself and the processes it starts."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from kangdang import cli

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the cap is glibc's")

PROBE = (
    "import os; from kangdang.ops.malloc_arenas import limit_malloc_arenas;"
    " print(limit_malloc_arenas(), os.environ.get('MALLOC_ARENA_MAX'))"
)


def _probe(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", PROBE], env=base | env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_cap_is_set_for_this_process_and_passed_on() -> None:
    assert _probe() == "True 2"


def test_an_operators_own_setting_is_kept_and_a_wrong_one_ignored() -> None:
    assert _probe(MALLOC_ARENA_MAX="4") == "True 4"
    assert _probe(MALLOC_ARENA_MAX="many") == "False many"


def test_serve_caps_the_arenas_before_the_server_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    seen: list[str | None] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **_k: seen.append(os.environ.get("MALLOC_ARENA_MAX")))
    result = CliRunner().invoke(cli.app, ["serve", "--port", "8999"])
    assert result.exit_code == 0, result.output
    assert seen == ["2"]
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
