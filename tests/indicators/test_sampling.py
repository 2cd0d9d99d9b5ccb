"""Reproducible stratified sampling (督导抽样), pure: the size is split over the villages in proportion to their
records by the largest remainder, never more than a village holds; the same records and seed give the same
sample whatever their order; another seed gives another sample."""

from __future__ import annotations

import random
import uuid

import pytest

from kangdang.indicators.sampling import Candidate, allocate, draw


def records(counts: dict[str, int]) -> list[Candidate]:
    """``count`` records per village, numbered village code + 8-digit serial."""
    return [
        Candidate(uuid.uuid5(uuid.NAMESPACE_OID, f"{village}{serial:08d}"), village, f"{village}{serial:08d}")
        for village, count in counts.items()
        for serial in range(1, count + 1)
    ]


def test_allocation_is_proportional_by_the_largest_remainder() -> None:
    # 10 of 100 records: quotas 5.0, 3.0, 2.0 — whole, nothing left over
    assert allocate({"A": 50, "B": 30, "C": 20}, 10) == {"A": 5, "B": 3, "C": 2}
    # 10 of 60: quotas 10×25/60 = 4.17, 10×20/60 = 3.33, 10×15/60 = 2.5 → 4, 3, 2 and one left over,
    # which goes to the largest remainder (C: 0.5)
    assert allocate({"A": 25, "B": 20, "C": 15}, 10) == {"A": 4, "B": 3, "C": 3}
    # 5 of 3 × 10: quotas 1.67 each → 1, 1, 1 and two left over; equal remainders go to the smaller codes
    assert allocate({"330521102201": 10, "330521102200": 10, "330521102202": 10}, 5) == {
        "330521102200": 2,
        "330521102201": 2,
        "330521102202": 1,
    }


def test_allocation_never_exceeds_a_village_and_takes_everything_when_asked_for_more() -> None:
    assert allocate({"A": 2, "B": 1}, 10) == {"A": 2, "B": 1}
    assert allocate({"A": 2, "B": 1}, 3) == {"A": 2, "B": 1}
    # quotas 0.5 and 49.5: the one left over goes to the smaller code; an empty village is no stratum
    assert allocate({"A": 1, "B": 0, "C": 99}, 50) == {"A": 1, "C": 49}
    assert sum(allocate({"A": 7, "B": 13, "C": 1, "D": 29}, 17).values()) == 17
    with pytest.raises(ValueError):
        allocate({"A": 1}, -1)


@pytest.mark.parametrize("size", [1, 7, 23, 40, 99, 120])
def test_allocation_always_adds_up_and_stays_within_each_village(size: int) -> None:
    rng = random.Random(size)
    counts = {f"v{i:02d}": rng.randint(0, 30) for i in range(12)}
    shares = allocate(counts, size)
    assert sum(shares.values()) == min(size, sum(counts.values()))
    assert all(0 <= shares[v] <= counts[v] for v in shares)
    total = sum(counts.values())
    for village, share in shares.items():  # within one of the exact quota
        assert abs(share - size * counts[village] / total) < 1 or size >= total


def test_the_same_seed_draws_the_same_sample_whatever_the_input_order() -> None:
    pool = records({"330521102200": 28, "330521102201": 19, "330521102202": 20})
    first = draw(pool, 20, 42)
    shuffled = pool[:]
    random.Random(7).shuffle(shuffled)
    again = draw(reversed(shuffled), 20, 42)
    assert [d.id for d in first] == [d.id for d in again]
    assert len(first) == 20 and len({d.id for d in first}) == 20
    # 20 of 67: quotas 8.36, 5.67, 5.97 → 8, 5, 5 and two left over, to 202 (0.97) and 201 (0.67)
    villages = ("330521102200", "330521102201", "330521102202")
    per_village = {v: sum(1 for d in first if d.village_code == v) for v in villages}
    assert per_village == {"330521102200": 8, "330521102201": 6, "330521102202": 6}
    assert [d.position for d in first] == list(range(1, 21))
    assert [d.village_code for d in first] == sorted(d.village_code for d in first)  # villages in code order


def test_a_village_is_drawn_with_its_own_seeded_generator_from_the_sorted_records() -> None:
    pool = records({"330521102200": 28, "330521102201": 19})
    drawn = draw(pool, 10, 42)
    village = sorted((c for c in pool if c.village_code == "330521102200"), key=lambda c: c.record_number)
    expected = random.Random("42:330521102200").sample(village, 6)  # 10 × 28/47 = 5.96 → 5 + the larger remainder
    assert [d.id for d in drawn if d.village_code == "330521102200"] == [c.id for c in expected]


def test_another_seed_draws_another_sample_and_everything_when_the_unit_is_small() -> None:
    pool = records({"A00000000001": 40, "A00000000002": 40})
    assert {d.id for d in draw(pool, 10, 1)} != {d.id for d in draw(pool, 10, 2)}
    small = records({"A00000000001": 3})
    assert {d.id for d in draw(small, 10, 5)} == {c.id for c in small}
    assert draw([], 10, 5) == []
