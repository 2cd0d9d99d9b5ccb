"""Preparing one database for a run: a fresh SQLite file or PostgreSQL database, migrated with
``kangdang db upgrade`` and filled by the data step (``kangdang demo generate``, or ``kangdang demo load`` where
the generator is not available), each as a subprocess with ``KANGDANG_DATABASE_URL`` set; the data step is timed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from kangdang.demo.county import COUNTY_CODE
from kangdang.settings import Settings

# One fixed key for the data step, the server and the in-process steps: identity numbers are encrypted with it.
BENCH_SECRET_KEY = "kangdang-bench-only-secret-key-not-for-real-data-2026"  # noqa: S105 - a benchmark's key
DATA_STEPS = ("auto", "generate", "load")
DATA_STEP_TIMEOUT_SECONDS = 4 * 3600


class PrepareError(RuntimeError):
    pass


def kangdang_command(*args: str) -> list[str]:
    """The ``kangdang`` command run by this interpreter (works without the console script on PATH)."""
    return [sys.executable, "-c", "from kangdang.cli import main; main()", *args]


def bench_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of every subprocess: none of the caller's KANGDANG_ settings leak in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KANGDANG_")}
    env.update(
        KANGDANG_DATABASE_URL=database_url,
        KANGDANG_SECRET_KEY=BENCH_SECRET_KEY,
        KANGDANG_ENVIRONMENT="production",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def bench_settings(database_url: str) -> Settings:
    """The settings the in-process steps use (the same database and key as the subprocesses)."""
    return Settings(environment="production", database_url=database_url, secret_key=BENCH_SECRET_KEY)


def generator_available() -> bool:
    """True once ``kangdang demo generate`` is listed by ``kangdang demo --help``."""
    done = subprocess.run(  # noqa: S603 - our own command
        kangdang_command("demo", "--help"),
        capture_output=True,
        text=True,
        env={**bench_environment("sqlite:///:memory:"), "COLUMNS": "200", "TERM": "dumb"},
        timeout=120,
        check=False,
    )
    return re.search(r"^[\W_]*generate\s", done.stdout, flags=re.MULTILINE) is not None


def data_command(step: str, *, residents: int, seed: int) -> list[str]:
    if step == "generate":
        return ["demo", "generate", "--residents", str(residents), "--seed", str(seed)]
    return ["demo", "load"]


# After the data step, the county's figures are computed, as a county in use has them (else the server's
# refresher would recompute every village while the operations are being timed). Timed apart from the data step,
# whose wall time is the generation figure.
FIGURES_COMMAND = ["indicators", "refresh", "--full", "--county", COUNTY_CODE]


def resolve_data_step(choice: str) -> str:
    if choice not in DATA_STEPS:
        raise ValueError(f"data step must be one of {', '.join(DATA_STEPS)}")
    if choice != "auto":
        return choice
    return "generate" if generator_available() else "load"


def postgres_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def bench_database_name(size: int) -> str:
    return f"kangdang_bench_{size}"


def fresh_database(database: str, size: int, *, workdir: Path, postgres_admin_url: str) -> str:
    """An empty database for this size (an old one of the same name is dropped); returns its URL."""
    if database == "sqlite":
        workdir.mkdir(parents=True, exist_ok=True)
        path = (workdir / f"bench-{size}.sqlite3").resolve()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if database != "postgresql":
        raise PrepareError(f"unknown database {database!r} (sqlite or postgresql)")
    name = bench_database_name(size)
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise PrepareError(f"cannot create PostgreSQL database {name} via {_safe(postgres_admin_url)}: {exc}") from exc
    finally:
        admin.dispose()
    return postgres_url(postgres_admin_url, name)


def drop_database(database_url: str, *, postgres_admin_url: str) -> None:
    if database_url.startswith("sqlite"):
        return
    name = make_url(database_url).database
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class Prepared:
    database: str
    url: str
    data_step: str  # the command line of the data step, for the report
    generation_seconds: float
    upgrade_seconds: float
    figures_seconds: float  # FIGURES_COMMAND, after the data step


def run_kangdang(args: list[str], *, database_url: str, log: Path, timeout: float) -> float:
    """Run a kangdang command against the database; returns its wall time. Output goes to ``log``."""
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ kangdang {' '.join(args)}\n")
        out.flush()
        try:
            done = subprocess.run(  # noqa: S603 - our own command
                kangdang_command(*args),
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**bench_environment(database_url), "COLUMNS": "120"},
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PrepareError(f"kangdang {' '.join(args)} took longer than {timeout:.0f} s (log: {log})") from None
    if done.returncode != 0:
        tail = " / ".join(log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:])
        raise PrepareError(f"kangdang {' '.join(args)} exited {done.returncode}: {tail} (log: {log})")
    return time.perf_counter() - started


def prepare(
    database: str, size: int, *, seed: int, step: str, workdir: Path, postgres_admin_url: str, log: Path
) -> Prepared:
    url = fresh_database(database, size, workdir=workdir, postgres_admin_url=postgres_admin_url)
    upgrade_seconds = run_kangdang(["db", "upgrade"], database_url=url, log=log, timeout=600)
    args = data_command(step, residents=size, seed=seed)
    seconds = run_kangdang(args, database_url=url, log=log, timeout=DATA_STEP_TIMEOUT_SECONDS)
    figures_seconds = run_kangdang(FIGURES_COMMAND, database_url=url, log=log, timeout=DATA_STEP_TIMEOUT_SECONDS)
    return Prepared(
        database=database,
        url=url,
        data_step="kangdang " + " ".join(args),
        generation_seconds=seconds,
        upgrade_seconds=upgrade_seconds,
        figures_seconds=figures_seconds,
    )
