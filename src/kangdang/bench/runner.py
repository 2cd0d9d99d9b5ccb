"""One benchmark run: for each database × size, prepare the data, start the server, measure over HTTP, under
load and in-process, measure the SQL floors, then write the JSON and Markdown reports."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from kangdang.bench.figures import FLOORED, SPECS, Figure
from kangdang.bench.floors import measure_floors
from kangdang.bench.http_ops import run_single_operations, warmup_count
from kangdang.bench.inprocess import bulk_import, incremental_refresh, quality_check, recompute
from kangdang.bench.load import load_figures, run_load
from kangdang.bench.machine import machine_info, speed_line
from kangdang.bench.picks import fresh_people, pick
from kangdang.bench.prepare import (
    FIGURES_COMMAND,
    bench_database_name,
    bench_settings,
    data_command,
    drop_database,
    postgres_url,
    prepare,
    resolve_data_step,
)
from kangdang.bench.report import BenchReport, RunResult, write_report
from kangdang.bench.server import Server
from kangdang.core.clock import today_local
from kangdang.db.engine import build_engine, build_sessionmaker
from kangdang.residents.models import Person

Say = Callable[[str], None]
HTTP_KEYS = (*(s.key for s in SPECS if s.latency), "registration")
LOAD_KEYS = ("load_throughput", "load_errors", "rss_peak", "rss_end")


@dataclass(frozen=True)
class BenchOptions:
    databases: tuple[str, ...]
    sizes: tuple[int, ...]
    postgres_admin_url: str
    seed: int = 2026
    users: int = 50
    duration: float = 30.0
    think: float = 0.0
    samples: int = 200
    out: Path = Path("bench-results")
    workdir: Path = Path("var/bench")
    sqlite_max: int = 50_000
    data: str = "auto"
    keep: bool = True

    def describe(self, step: str) -> dict[str, object]:
        return {
            "databases": ", ".join(self.databases),
            "sizes": ", ".join(f"{s:,}" for s in self.sizes),
            "seed": self.seed,
            "users": self.users,
            "duration (s)": self.duration,
            "think time (s)": self.think,
            "samples per operation": self.samples,
            "SQLite up to": f"{self.sqlite_max:,} residents",
            "data step": f"kangdang demo {step}",
        }


def _error_all(run: RunResult, keys: tuple[str, ...], error: BaseException, stage: str) -> None:
    text = f"{stage}: {error.__class__.__name__}: {error}"[:500]
    for key in keys:
        run.figures.setdefault(key, Figure(key, error=text))


def run_one(database: str, size: int, options: BenchOptions, *, step: str, say: Say) -> RunResult:
    run = RunResult(database, size)
    label = f"[{database} {size:,}]"
    if database == "sqlite" and size > options.sqlite_max:
        run.skipped = (
            f"SQLite stops at {options.sqlite_max:,} residents (--sqlite-max); use PostgreSQL for larger counties"
        )
        say(f"{label} skipped: {run.skipped}")
        return run
    options.workdir.mkdir(parents=True, exist_ok=True)
    log = options.workdir / f"bench-{database}-{size}.log"
    log.write_text("", encoding="utf-8")
    run.data_step = "kangdang " + " ".join(data_command(step, residents=size, seed=options.seed))
    say(f"{label} preparing the database ({run.data_step}) …")
    try:
        prepared = prepare(
            database,
            size,
            seed=options.seed,
            step=step,
            workdir=options.workdir,
            postgres_admin_url=options.postgres_admin_url,
            log=log,
        )
    except Exception as exc:
        _error_all(run, tuple(s.key for s in SPECS), exc, "prepare")
        say(f"{label} preparation failed: {exc}")
        if database == "postgresql" and not options.keep:
            url = postgres_url(options.postgres_admin_url, bench_database_name(size))
            with contextlib.suppress(Exception):  # the server may be the reason preparing failed
                drop_database(url, postgres_admin_url=options.postgres_admin_url)
        return run
    run.add(
        Figure(
            "generation",
            value=prepared.generation_seconds,
            note=(
                f"`{prepared.data_step}`; `kangdang db upgrade` before it took {prepared.upgrade_seconds:.1f} s,"
                f" after it `kangdang {' '.join(FIGURES_COMMAND)}` {prepared.figures_seconds:.1f} s (neither counted)"
            ),
        )
    )
    say(f"{label} data ready in {prepared.generation_seconds:.1f} s")
    engine = build_engine(prepared.url)
    factory = build_sessionmaker(engine, bench_settings(prepared.url))
    rng = random.Random(options.seed)
    today = today_local()
    try:
        _measure(run, options, prepared.url, factory, engine, rng=rng, today=today, log=log, label=label, say=say)
    finally:
        engine.dispose()
        if not options.keep:
            drop_database(prepared.url, postgres_admin_url=options.postgres_admin_url)
    run.complete()
    return run


def _measure(
    run: RunResult,
    options: BenchOptions,
    url: str,
    factory: sessionmaker[Session],
    engine: Engine,
    *,
    rng: random.Random,
    today: date,
    log: Path,
    label: str,
    say: Say,
) -> None:
    try:
        with factory() as session:
            run.residents = session.scalar(select(func.count()).select_from(Person).where(Person.status == "active"))
            picks = pick(session, count=options.samples, rng=rng, today=today, patients=options.users)
            new_people = fresh_people(
                session, warmup_count(options.samples) + options.samples, rng=rng, village_codes=picks.villages
            )
    except Exception as exc:
        _error_all(run, HTTP_KEYS + LOAD_KEYS, exc, "picking residents")
        _error_all(run, ("bulk_import", "recompute_all", "refresh_incremental", "quality_check"), exc, "picking")
        return
    say(f"{label} {run.residents:,} residents on file; starting the server")
    try:
        with Server(url, log=log) as server:
            say(f"{label} single operations over HTTP ({options.samples} samples each) …")
            try:
                for figure in run_single_operations(
                    server.base_url, picks, new_people, samples=options.samples, today=today, rng=rng
                ).values():
                    run.add(figure)
            except Exception as exc:
                _error_all(run, HTTP_KEYS, exc, "single operations")
            say(f"{label} {options.users} users for {options.duration:.0f} s …")
            try:
                result = run_load(
                    server.base_url,
                    picks,
                    users=options.users,
                    duration=options.duration,
                    think=options.think,
                    today=today,
                    seed=options.seed,
                    rss=server.rss_mb,
                )
                for figure in load_figures(result):
                    run.add(figure)
                high_water = server.peak_rss_mb()  # since the server started, sign-ins included
                run.figures["rss_peak"].detail["since_start_mb"] = round(high_water, 1) if high_water else None
            except Exception as exc:
                _error_all(run, LOAD_KEYS, exc, "load")
    except Exception as exc:
        _error_all(run, HTTP_KEYS + LOAD_KEYS, exc, "server")
    say(f"{label} SQL floors …")
    try:
        floors = measure_floors(engine, picks, samples=options.samples)
        for key in FLOORED:
            if key in run.figures and key in floors:
                run.figures[key].floor_ms = floors[key]
    except Exception as exc:
        for key in FLOORED:
            floored = run.figures.get(key)
            if floored is not None and floored.error is None:
                floored.error = f"SQL floor failed: {exc.__class__.__name__}: {exc}"[:500]
    say(f"{label} bulk import, indicator recompute, incremental refresh, quality check …")
    run.add(bulk_import(factory, size=run.size, rng=rng, workdir=options.workdir))
    run.add(recompute(factory, today=today))
    run.add(incremental_refresh(factory, picks, today=today, rng=rng))
    run.add(quality_check(factory, today=today))


def run_bench(options: BenchOptions, *, say: Say) -> tuple[BenchReport, list[Path]]:
    step = resolve_data_step(options.data)
    say(f"data step: kangdang demo {step}")
    report = BenchReport(
        started=datetime.now(UTC),
        machine=machine_info(
            postgres_admin_url=options.postgres_admin_url if "postgresql" in options.databases else None
        ),
        options=options.describe(step),
    )
    for database in options.databases:
        for size in options.sizes:
            report.runs.append(run_one(database, size, options, step=step, say=say))
    key, value = speed_line("end")
    report.machine[key] = value
    return report, write_report(report, options.out)
