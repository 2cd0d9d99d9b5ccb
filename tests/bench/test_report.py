"""The benchmark's outputs: the Markdown table (every figure, its floor, ratio, target and verdict; errors shown
as errors, never left out) and the JSON file per database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from kangdang.bench.figures import SPECS, Figure
from kangdang.bench.report import BenchReport, RunResult, number, render_markdown, write_report


def report_with(*runs: RunResult) -> BenchReport:
    return BenchReport(
        started=datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
        machine={"CPU": "Test CPU", "cores": "2", "PostgreSQL": "15.6"},
        options={"seed": 2026},
        runs=list(runs),
    )


def measured_run(database: str = "postgresql", size: int = 500_000) -> RunResult:
    run = RunResult(database, size, data_step="kangdang demo generate --residents 500000 --seed 2026", residents=size)
    for spec in SPECS:
        run.add(Figure(spec.key, value=1.0))
    run.add(Figure("lookup_id", value=4.0, p50_ms=4.0, p99_ms=9.5, samples=200, floor_ms=0.25))
    run.add(Figure("search_name", value=25.0, p50_ms=25.0, p99_ms=40.0, samples=200, floor_ms=1.0))
    return run


def row_of(markdown: str, label_start: str) -> list[str]:
    (line,) = [line for line in markdown.splitlines() if line.startswith(f"| {label_start}")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_table_shows_value_p99_floor_ratio_target_and_verdict() -> None:
    markdown = render_markdown(report_with(measured_run()))
    assert "| CPU | Test CPU |" in markdown and "| PostgreSQL | 15.6 |" in markdown
    assert "## PostgreSQL — 500,000 residents" in markdown
    assert row_of(markdown, "按身份证号查找") == [
        "按身份证号查找 lookup by ID number",
        "4 ms",
        "9.50 ms",
        "200",
        "0.25 ms",
        "16×",
        "≤ 5 ms",
        "met",
    ]
    assert row_of(markdown, "姓名汉字检索")[-1] == "**NOT met**"
    assert all(f"| {spec.label} |" in markdown for spec in SPECS)
    assert "None: every figure was measured." in markdown


def test_an_error_shows_in_its_row_and_in_the_error_list() -> None:
    run = measured_run("sqlite", 50_000)
    run.add(Figure("form_save", value=7.0, p50_ms=7.0, error="3 个请求失败 failed requests; first: HTTP 500"))
    del run.figures["worklist"]
    report = report_with(run)
    markdown = render_markdown(report)
    form_row = row_of(markdown, "保存高血压随访表")
    assert form_row[1].startswith("**错误 error**: 3 个请求失败") and "measured 7 ms" in form_row[1]
    assert form_row[-1] == "**error**"
    assert row_of(markdown, "乡镇随访任务清单")[1].startswith("**错误 error**: 未测量")
    assert report.errors() == [
        "SQLite 50,000: form_save: 3 个请求失败 failed requests; first: HTTP 500",
        "SQLite 50,000: worklist: 未测量 not measured",
    ]


def test_completing_a_run_turns_every_missing_figure_into_an_error() -> None:
    run = RunResult("postgresql", 300)
    run.add(Figure("generation", value=3.2))
    run.complete()
    assert set(run.figures) == {spec.key for spec in SPECS}
    assert len(run.errors()) == len(SPECS) - 1


def test_a_skipped_size_is_said_and_is_not_an_error() -> None:
    skipped = RunResult("sqlite", 500_000, skipped="SQLite stops at 50,000 residents (--sqlite-max)")
    report = report_with(skipped)
    assert "未运行 not run: SQLite stops at 50,000 residents" in render_markdown(report)
    assert report.errors() == []


def test_numbers_are_short() -> None:
    values = (0.123, 3.14159, 42.06, 1234.5, 12.0, None)
    assert [number(v) for v in values] == ["0.12", "3.14", "42.1", "1,234", "12", "—"]


def test_one_json_per_database_and_one_markdown(tmp_path: Path) -> None:
    report = report_with(measured_run(), measured_run("sqlite", 50_000))
    written = write_report(report, tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "bench-20260301-083000.md",
        "bench-postgresql-20260301-083000.json",
        "bench-sqlite-20260301-083000.json",
    ]
    data = json.loads((tmp_path / "out" / "bench-postgresql-20260301-083000.json").read_text(encoding="utf-8"))
    assert data["database"] == "postgresql" and data["machine"]["cores"] == "2"
    (run,) = data["runs"]
    assert run["targets_apply"] is True
    lookup = next(f for f in run["figures"] if f["key"] == "lookup_id")
    assert lookup["ratio"] == 16.0 and lookup["verdict"] == "met" and lookup["target"] == "≤ 5 ms"
