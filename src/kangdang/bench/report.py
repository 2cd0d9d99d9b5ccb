"""The results of a benchmark run and how they are written: one JSON file per database and one Markdown table
for the whole run (pure, apart from ``write_report``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kangdang.bench.figures import SPECS, TARGET_DATABASE, TARGET_RESIDENTS, Figure, target_applies, verdict

DATABASE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
NOT_MEASURED = "未测量 not measured"


@dataclass
class RunResult:
    """One database at one size."""

    database: str
    size: int  # residents asked for
    data_step: str = ""  # the command that built the data, e.g. "kangdang demo generate --residents 500 --seed 1"
    residents: int | None = None  # residents on file after the data step
    figures: dict[str, Figure] = field(default_factory=dict)
    skipped: str | None = None  # why this combination was not run (not an error)

    def add(self, figure: Figure) -> Figure:
        self.figures[figure.key] = figure
        return figure

    def complete(self) -> None:
        """Every figure present: what was not measured is an error, never silently absent."""
        if self.skipped is not None:
            return
        for spec in SPECS:
            self.figures.setdefault(spec.key, Figure(spec.key, error=NOT_MEASURED))

    @property
    def scale(self) -> int:
        return self.residents if self.residents is not None else self.size

    def errors(self) -> list[str]:
        found = []
        for spec in SPECS:
            figure = self.figures.get(spec.key)
            if self.skipped is None and (figure is None or figure.error is not None or figure.value is None):
                reason = figure.error if figure is not None and figure.error else NOT_MEASURED
                found.append(f"{DATABASE_LABELS.get(self.database, self.database)} {self.size:,}: {spec.key}: {reason}")
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "size": self.size,
            "residents": self.residents,
            "data_step": self.data_step,
            "skipped": self.skipped,
            "targets_apply": target_applies(self.database, self.scale),
            "figures": [
                self.figures[spec.key].to_json(database=self.database, residents=self.scale)
                for spec in SPECS
                if spec.key in self.figures
            ],
        }


@dataclass
class BenchReport:
    started: datetime
    machine: dict[str, str]
    options: dict[str, Any]
    runs: list[RunResult] = field(default_factory=list)

    @property
    def stamp(self) -> str:
        return self.started.strftime("%Y%m%d-%H%M%S")

    def errors(self) -> list[str]:
        return [error for run in self.runs for error in run.errors()]

    def to_json(self, database: str) -> dict[str, Any]:
        return {
            "started": self.started.isoformat(timespec="seconds"),
            "database": database,
            "machine": self.machine,
            "options": self.options,
            "runs": [run.to_json() for run in self.runs if run.database == database],
        }


# --- formatting --------------------------------------------------------------------------------------------


def number(value: float | None) -> str:
    """Short human figures: 0.42, 3.14, 42.1, 1,234."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def with_unit(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{number(value)} {unit}"


def figure_row(figure: Figure, *, database: str, residents: int) -> str:
    spec = figure.spec
    verdict_text = verdict(figure, database=database, residents=residents)
    if figure.error is not None or figure.value is None:
        shown = f"**错误 error**: {_cell(figure.error or NOT_MEASURED)}"
        if figure.value is not None:
            shown += f" (measured {with_unit(figure.value, spec.unit)})"
    else:
        shown = with_unit(figure.value, spec.unit)
    cells = [
        spec.label,
        shown,
        with_unit(figure.p99_ms, "ms"),
        str(figure.samples) if figure.samples else "—",
        with_unit(figure.floor_ms, "ms"),
        "—" if figure.ratio is None else f"{number(figure.ratio)}×",
        spec.target.text(spec.unit) if spec.target else "—",
        f"**{verdict_text}**" if verdict_text in ("NOT met", "error") else verdict_text,
    ]
    return "| " + " | ".join(cells) + " |"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())[:300]


def render_markdown(report: BenchReport) -> str:
    lines = [
        f"# 康档 kangdang 基准测试 benchmark — {report.started:%Y-%m-%d %H:%M} UTC",
        "",
        "## 机器 Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {key} | {_cell(value)} |" for key, value in report.machine.items()],
        "",
        "## 选项 Options",
        "",
        "| | |",
        "|---|---|",
        *[f"| {key} | {_cell(str(value))} |" for key, value in report.options.items()],
        "",
        f"The issue-8 targets apply to {DATABASE_LABELS[TARGET_DATABASE]} at {TARGET_RESIDENTS:,} residents: "
        "there the verdict is **met** or **NOT met**; elsewhere it is shown in parentheses, as an indication. "
        "Latencies are over HTTP (p50 in *value*, p99 beside it); the SQL floor is the p50 of the same lookup "
        "or write as bare SQL through the database driver, and the ratio is HTTP p50 / floor p50.",
    ]
    for run in report.runs:
        title = f"{DATABASE_LABELS.get(run.database, run.database)} — {run.size:,} residents"
        lines += ["", f"## {title}", ""]
        if run.skipped is not None:
            lines.append(f"未运行 not run: {run.skipped}")
            continue
        on_file = f"{run.residents:,}" if run.residents is not None else "unknown"
        lines += [f"Data: `{run.data_step}` — residents on file: {on_file}.", ""]
        lines += [
            "| figure | value | p99 | samples | SQL floor (p50) | ratio | target | verdict |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        notes = []
        for spec in SPECS:
            figure = run.figures.get(spec.key)
            if figure is None:
                figure = Figure(spec.key, error=NOT_MEASURED)
            lines.append(figure_row(figure, database=run.database, residents=run.scale))
            if figure.note:
                notes.append(f"- {spec.label}: {_cell(figure.note)}")
        if notes:
            lines += ["", *notes]
    errors = report.errors()
    lines += ["", "## 错误 Errors", ""]
    lines += [f"- {_cell(error)}" for error in errors] if errors else ["None: every figure was measured."]
    return "\n".join(lines) + "\n"


def write_report(report: BenchReport, out: Path) -> list[Path]:
    """``bench-<db>-<stamp>.json`` for each database run and ``bench-<stamp>.md``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for database in dict.fromkeys(run.database for run in report.runs):
        path = out / f"bench-{database}-{report.stamp}.json"
        path.write_text(json.dumps(report.to_json(database), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    markdown = out / f"bench-{report.stamp}.md"
    markdown.write_text(render_markdown(report), encoding="utf-8")
    written.append(markdown)
    return written
