"""Reproducible stratified sampling of health records for an inspection (督导抽样). Pure: no database.

The sample of N records is spread over the village strata in proportion to how many records each village
holds (the largest-remainder method: every village first gets the whole part of its quota, the records left
over go to the villages with the largest remainders, ties to the smaller village code, and never more than a
village holds). Within a village the records, sorted by record number, are drawn with
``random.Random(f"{seed}:{village_code}")``. The same records and seed give the same sample, whatever order
the records come in; a village's draw does not depend on the other villages.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """A record that may be drawn: its id, the village (stratum) it belongs to, its record number."""

    id: uuid.UUID
    village_code: str
    record_number: str


@dataclass(frozen=True)
class Drawn:
    """A drawn record, with its position in the sample (1-based: villages in code order, then draw order)."""

    id: uuid.UUID
    village_code: str
    record_number: str
    position: int


def allocate(counts: Mapping[str, int], size: int) -> dict[str, int]:
    """How many records to draw from each stratum: ``size`` split in proportion to ``counts`` by the largest
    remainder, never more than a stratum holds (everything when ``size`` covers all records)."""
    if size < 0:
        raise ValueError("sample size must not be negative")
    strata = {code: count for code, count in counts.items() if count > 0}
    total = sum(strata.values())
    if size >= total:
        return dict(sorted(strata.items()))
    shares = {code: size * count // total for code, count in strata.items()}
    left = size - sum(shares.values())
    # remainder of each quota as the integer (size × count) mod total: exact, no floating point
    by_remainder = sorted(strata, key=lambda code: (-(size * strata[code] % total), code))
    for code in by_remainder:
        if left == 0:
            break
        if shares[code] < strata[code]:
            shares[code] += 1
            left -= 1
    return {code: shares[code] for code in sorted(strata)}


def draw(candidates: Iterable[Candidate], size: int, seed: int | str) -> list[Drawn]:
    """The sample: ``size`` records stratified by village (see the module docstring)."""
    strata: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        strata[candidate.village_code].append(candidate)
    quotas = allocate({code: len(records) for code, records in strata.items()}, size)
    drawn: list[Drawn] = []
    for code, quota in quotas.items():
        if quota == 0:
            continue
        ordered = sorted(strata[code], key=lambda c: (c.record_number, str(c.id)))
        chosen = random.Random(f"{seed}:{code}").sample(ordered, quota)
        for candidate in chosen:
            drawn.append(Drawn(candidate.id, code, candidate.record_number, len(drawn) + 1))
    return drawn
