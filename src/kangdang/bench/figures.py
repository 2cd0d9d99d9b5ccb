"""What the benchmark measures: every figure with its label, unit and issue-8 target, and the verdicts (pure).

The targets (issue 8) apply to PostgreSQL at 500,000 residents on a 2-core machine; on other databases or sizes
the verdict is shown in parentheses, as an indication only. A figure that errored has the verdict "error",
whatever its value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from kangdang.bench.stats import ratio

TARGET_DATABASE = "postgresql"
TARGET_RESIDENTS = 500_000


@dataclass(frozen=True)
class Target:
    """At most (``<=``) or at least (``>=``) ``threshold``, in the figure's unit."""

    op: Literal["<=", ">="]
    threshold: float

    def met(self, value: float) -> bool:
        return value <= self.threshold if self.op == "<=" else value >= self.threshold

    def text(self, unit: str) -> str:
        symbol = "≤" if self.op == "<=" else "≥"
        return f"{symbol} {self.threshold:,.0f} {unit}"


@dataclass(frozen=True)
class FigureSpec:
    key: str
    label: str  # Chinese, then English
    unit: str
    target: Target | None = None
    latency: bool = False  # value is the p50 of a latency in ms, with a p99 and a SQL floor


SPECS: tuple[FigureSpec, ...] = (
    FigureSpec("generation", "生成合成县 data generation (wall time)", "s", Target("<=", 900)),  # 15 minutes
    FigureSpec("lookup_id", "按身份证号查找 lookup by ID number", "ms", Target("<=", 5), latency=True),
    FigureSpec("lookup_record", "按档案编号查找 lookup by record number", "ms", latency=True),
    FigureSpec("search_name", "姓名汉字检索 name search, characters", "ms", Target("<=", 20), latency=True),
    FigureSpec("search_pinyin", "全拼检索 name search, full pinyin", "ms", Target("<=", 20), latency=True),
    FigureSpec("search_initials", "首字母检索 name search, initials", "ms", Target("<=", 20), latency=True),
    FigureSpec("record_page", "打开档案页 record page (5 years of history)", "ms", Target("<=", 50), latency=True),
    FigureSpec("form_save", "保存高血压随访表 save a follow-up form (signed)", "ms", Target("<=", 30), latency=True),
    FigureSpec("registration", "单个建档 single registration (JSON API, sequential)", "/s"),
    FigureSpec("worklist", "乡镇随访任务清单 township worklist", "ms", Target("<=", 100), latency=True),
    FigureSpec("bulk_import", "批量导入 bulk import (CSV path)", "residents/s", Target(">=", 5000)),
    FigureSpec("recompute_all", "全量指标重算 full indicator recompute", "s", Target("<=", 60)),
    FigureSpec("refresh_incremental", "单表后增量刷新 incremental refresh after one form", "s", Target("<=", 2)),
    FigureSpec("quality_check", "全部档案质控 quality check of all records", "records/s", Target(">=", 5000)),
    FigureSpec("load_throughput", "并发用户混合负载 concurrent users, typical mix", "req/s"),
    FigureSpec("load_errors", "负载中的失败请求 failed requests under load", "requests"),
    FigureSpec("rss_peak", "服务器内存峰值 server RSS, peak under load", "MB", Target("<=", 400)),
    FigureSpec("rss_end", "负载结束时服务器内存 server RSS at the end of the load", "MB"),
)
SPEC_BY_KEY = {spec.key: spec for spec in SPECS}
# The registration's p50 (not its rate) is what is compared with its floor.
FLOORED = (*(spec.key for spec in SPECS if spec.latency), "registration")


@dataclass
class Figure:
    """One measured figure. ``value`` is in the spec's unit (the p50 for latencies); ``p50_ms`` and ``p99_ms``
    are latencies where there are samples; ``floor_ms`` the p50 of the same work as bare SQL."""

    key: str
    value: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    samples: int = 0
    floor_ms: float | None = None
    error: str | None = None
    note: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> FigureSpec:
        return SPEC_BY_KEY[self.key]

    @property
    def ratio(self) -> float | None:
        return ratio(self.p50_ms, self.floor_ms)

    def to_json(self, *, database: str, residents: int) -> dict[str, Any]:
        spec = self.spec
        return {
            "key": self.key,
            "label": spec.label,
            "unit": spec.unit,
            "value": self.value,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "samples": self.samples,
            "floor_ms": self.floor_ms,
            "ratio": self.ratio,
            "target": spec.target.text(spec.unit) if spec.target else None,
            "verdict": verdict(self, database=database, residents=residents),
            "error": self.error,
            "note": self.note,
            "detail": self.detail,
        }


def target_applies(database: str, residents: int) -> bool:
    """The issue-8 targets are for PostgreSQL at (at least) 500,000 residents."""
    return database == TARGET_DATABASE and residents >= TARGET_RESIDENTS


def verdict(figure: Figure, *, database: str, residents: int) -> str:
    """The verdict: "met" / "NOT met" where the targets apply, "(met)" / "(not met)" elsewhere (an indication),
    "error", or "—" when the figure has no target."""
    if figure.error is not None or figure.value is None:  # a missing figure is an error, never silently absent
        return "error"
    target = figure.spec.target
    if target is None or figure.value is None:
        return "—"
    met = target.met(figure.value)
    if target_applies(database, residents):
        return "met" if met else "NOT met"
    return "(met)" if met else "(not met)"
