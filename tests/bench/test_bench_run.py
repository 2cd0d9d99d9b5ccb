"""The whole benchmark, end to end at a tiny size on SQLite: data step, server, every HTTP operation, the load,
the floors and the in-process figures; every figure measured (none an error) and both reports written.

Included in `make test` (deselect with -m "not bench"); it takes about half a minute and never judges timings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kangdang.bench.figures import SPECS
from kangdang.cli import app

pytestmark = pytest.mark.bench


def test_a_tiny_sqlite_run_measures_every_figure_and_writes_both_reports(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    result = CliRunner().invoke(
        app,
        [
            *("bench", "run", "--databases", "sqlite", "--sizes", "150", "--users", "2", "--duration", "2"),
            *("--samples", "5", "--out", str(out), "--workdir", str(work)),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (json_file,) = out.glob("bench-sqlite-*.json")
    (markdown,) = out.glob("bench-*.md")
    (run,) = json.loads(json_file.read_text(encoding="utf-8"))["runs"]
    assert run["database"] == "sqlite" and run["size"] == 150 and run["residents"] >= 150
    figures = {f["key"]: f for f in run["figures"]}
    assert set(figures) == {spec.key for spec in SPECS}
    assert all(f["error"] is None and f["value"] is not None for f in figures.values())
    assert figures["lookup_id"]["samples"] == 5 and figures["lookup_id"]["floor_ms"] > 0
    assert figures["load_errors"]["value"] == 0
    assert figures["bulk_import"]["detail"]["created"] == 200
    assert "## SQLite — 150 residents" in markdown.read_text(encoding="utf-8")
    machine = json.loads(json_file.read_text(encoding="utf-8"))["machine"]
    speeds = [float(value) for key, value in machine.items() if key.startswith("CPU speed at")]
    assert len(speeds) == 2 and all(speed > 0 for speed in speeds)  # at the start and at the end
    assert (work / "bench-150.sqlite3").exists()
