"""The server under test: ``kangdang serve`` as a subprocess on a free port, in the production environment (so
the in-app indicator refresher runs, as in a real deployment), with its memory read from /proc."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from kangdang.bench.prepare import bench_environment, kangdang_command

START_TIMEOUT_SECONDS = 120
# 50 simulated users sign in from one address within a minute (twice: a token and a page session).
LOGIN_ATTEMPTS_PER_MINUTE = "10000"  # the setting's maximum


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proc_status_mb(pid: int, field: str) -> float | None:
    """A memory line of /proc/<pid>/status (VmRSS: now, VmHWM: peak) in MB; None where there is no /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024  # kB → MB (MiB)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from one pass over /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    return children


def _tree_mb(pid: int, field: str) -> float | None:
    """``field`` of the process and all its descendants, summed; None where there is no /proc."""
    if proc_status_mb(pid, field) is None:
        return None
    children, total, waiting = _children_by_parent(), 0.0, [pid]
    while waiting:
        current = waiting.pop()
        total += proc_status_mb(current, field) or 0.0
        waiting.extend(children.get(current, ()))
    return total


class Server:
    def __init__(self, database_url: str, *, log: Path) -> None:
        self.database_url = database_url
        self.log = log
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[str] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise ServerError("server not started")
        return self._process.pid

    def rss_mb(self) -> float | None:
        """The server's resident memory with its child processes' (the indicator refresher)."""
        return _tree_mb(self.pid, "VmRSS")

    def peak_rss_mb(self) -> float | None:
        """The sum of each process's own high-water mark (an upper bound of the tree's peak)."""
        return _tree_mb(self.pid, "VmHWM")

    def start(self) -> None:
        self._log_file = self.log.open("a", encoding="utf-8")
        self._log_file.write(f"\n$ kangdang serve --port {self.port}\n")
        self._log_file.flush()
        env = bench_environment(self.database_url, KANGDANG_LOGIN_ATTEMPTS_PER_MINUTE=LOGIN_ATTEMPTS_PER_MINUTE)
        self._process = subprocess.Popen(  # noqa: S603 - our own command
            kangdang_command("serve", "--host", "127.0.0.1", "--port", str(self.port)),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerError(f"kangdang serve exited with {self._process.returncode} (log: {self.log})")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise ServerError(f"kangdang serve did not answer /healthz within {START_TIMEOUT_SECONDS} s (log: {self.log})")

    def stop(self) -> None:
        """Stop the server this object started (SIGINT: uvicorn's graceful shutdown; then SIGKILL)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
