"""Pure statistics of timing samples: percentiles (linear interpolation, as numpy's default), summaries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 ≤ q ≤ 100) by linear interpolation between the closest ranks."""
    if not values:
        raise ValueError("no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0..100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    """p50 and p99 (milliseconds) of a set of samples."""

    samples: int
    p50: float
    p99: float
    mean: float


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        raise ValueError("no samples")
    return Summary(
        samples=len(values),
        p50=percentile(values, 50),
        p99=percentile(values, 99),
        mean=sum(values) / len(values),
    )


def ratio(value: float | None, floor: float | None) -> float | None:
    """How many times the floor a figure is (None when either is missing or the floor is not positive)."""
    if value is None or floor is None or floor <= 0:
        return None
    return value / floor
