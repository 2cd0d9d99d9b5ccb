"""The ``kangdang bench`` commands (registered by ``kangdang.cli``): the options of a benchmark run, checked,
then ``bench.runner.run_bench``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()

bench_app = typer.Typer(
    help="The benchmark (make bench): speed and memory of the main operations on SQLite and PostgreSQL.",
    no_args_is_help=True,
)


def _csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@bench_app.command("run")
def bench_run(
    databases: Annotated[str, typer.Option(help="Comma-separated: sqlite, postgresql.")] = "sqlite,postgresql",
    sizes: Annotated[str, typer.Option(help="Comma-separated county sizes (residents).")] = "50000,500000",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic county and of the random picks.")] = 2026,
    users: Annotated[int, typer.Option(min=1, help="Concurrent simulated users of the load phase.")] = 50,
    duration: Annotated[float, typer.Option(min=1, help="Seconds of the load phase.")] = 30.0,
    think: Annotated[
        float, typer.Option(min=0, help="Mean pause of each user between requests (0: closed loop, saturation).")
    ] = 0.0,
    samples: Annotated[int, typer.Option(min=1, help="Timed requests per single operation.")] = 200,
    out: Annotated[Path, typer.Option(help="Folder of the JSON and Markdown results.")] = Path("bench-results"),
    workdir: Annotated[Path, typer.Option(help="Folder of the SQLite files, logs and the import file.")] = Path(
        "var/bench"
    ),
    sqlite_max: Annotated[int, typer.Option(help="Largest size run on SQLite; larger ones are skipped.")] = 50_000,
    data: Annotated[
        str, typer.Option(help="Data step: generate (kangdang demo generate), load (kangdang demo load) or auto.")
    ] = "auto",
    postgres_url: Annotated[
        str,
        typer.Option(
            envvar="KANGDANG_BENCH_POSTGRES_URL",
            help="PostgreSQL admin URL; the bench creates (and drops) kangdang_bench_<size> there.",
        ),
    ] = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    keep: Annotated[
        bool, typer.Option("--keep/--no-keep", help="Keep the PostgreSQL bench databases after the run.")
    ] = True,
) -> None:
    """Run the benchmark; writes bench-<db>-<time>.json and bench-<time>.md; exit 1 if any operation failed."""
    from kangdang.bench.prepare import DATA_STEPS
    from kangdang.bench.runner import BenchOptions, run_bench

    chosen = _csv_list(databases)
    unknown = [d for d in chosen if d not in ("sqlite", "postgresql")]
    if not chosen or unknown:
        console.print(f"[red]--databases 只能是 sqlite、postgresql：{', '.join(unknown) or '（空）'}[/red]")
        raise typer.Exit(2)
    try:
        counts = tuple(int(s.replace("_", "")) for s in _csv_list(sizes))
    except ValueError:
        counts = ()
    if not counts or min(counts) < 1:
        console.print(f"[red]--sizes 应为逗号分隔的正整数：{sizes}[/red]")
        raise typer.Exit(2)
    if data not in DATA_STEPS:
        console.print(f"[red]--data 只能是 {'、'.join(DATA_STEPS)}[/red]")
        raise typer.Exit(2)
    options = BenchOptions(
        databases=tuple(chosen),
        sizes=counts,
        postgres_admin_url=postgres_url,
        seed=seed,
        users=users,
        duration=duration,
        think=think,
        samples=samples,
        out=out,
        workdir=workdir,
        sqlite_max=sqlite_max,
        data=data,
        keep=keep,
    )
    report, written = run_bench(options, say=lambda message: console.print(message, markup=False))
    for path in written:
        console.print(f"已写入 {path}")
    errors = report.errors()
    if errors:
        console.print(f"[red]基准测试有 {len(errors)} 项失败（未测得）：[/red]")
        for error in errors:
            console.print(f"  - {error}", markup=False)
        raise typer.Exit(1)
    console.print("基准测试完成：每一项都已测得（是否达标见报告）")
