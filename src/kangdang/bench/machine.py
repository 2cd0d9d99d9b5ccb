"""The machine a benchmark ran on: CPU, cores, memory, OS, Python and database versions."""

from __future__ import annotations

import contextlib
import os
import platform
import sqlite3
import timeit
from pathlib import Path

from sqlalchemy import create_engine, text


def _first(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
            name, _, value = line.partition(":" if ":" in line else "=")
            if name.strip() == key:
                return value.strip().strip('"')
    except OSError:
        return None
    return None


def memory_text() -> str:
    total = _first("/proc/meminfo", "MemTotal")  # "24567892 kB"
    if total is None:
        return "unknown"
    return f"{int(total.split()[0]) / 1024 / 1024:.1f} GiB"


def postgres_version(admin_url: str) -> str:
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    except Exception as exc:  # reported, not fatal: the PostgreSQL runs will fail on their own
        return f"unavailable ({exc.__class__.__name__})"
    finally:
        engine.dispose()


SPEED_KEY = "CPU speed at {when} (ms per sum of 100,000 integers; lower is faster)"


def cpu_speed_ms() -> float:
    """A quick gauge of how fast this machine runs Python right now (best of five): a shared virtual machine's
    speed can change by half from one hour to the next, and every figure with it."""
    best = min(timeit.repeat("sum(range(100_000))", number=20, repeat=5)) / 20
    return round(best * 1000, 2)


def speed_line(when: str) -> tuple[str, str]:
    return SPEED_KEY.format(when=when), f"{cpu_speed_ms():.2f}"


def machine_info(*, postgres_admin_url: str | None) -> dict[str, str]:
    info = {
        "CPU": _first("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": str(os.cpu_count() or "unknown"),
        "RAM": memory_text(),
        "OS": _first("/etc/os-release", "PRETTY_NAME") or platform.platform(),
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
    }
    with contextlib.suppress(OSError):
        info["load average at start"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
    if postgres_admin_url is not None:
        info["PostgreSQL"] = postgres_version(postgres_admin_url)
    key, value = speed_line("start")
    info[key] = value
    return info
