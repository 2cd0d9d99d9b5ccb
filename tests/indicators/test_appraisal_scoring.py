"""Appraisal scoring and the subsidy split, worked by hand: weighted item scores (rates capped at 100, a missing
rate scoring 0 and flagged), the ranking (ties share a rank), and the budget split exactly to the fen by the
largest remainder method."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kangdang.indicators.appraisal_scoring import Candidate, appraise, score_candidates, split_budget

D = Decimal
WEIGHTS = {"filing_rate": D(50), "usage_rate": D(30), "inspection_qualified": D(20)}
CANDIDATES = [
    # 50×80% + 30×50% + 20×100% = 40 + 15 + 20 = 75
    Candidate("A", "甲卫生院", {"filing_rate": D("80"), "usage_rate": D("50"), "inspection_qualified": D("100")}),
    # 50×90% + 30×40% + no inspection = 45 + 12 + 0 = 57 (the missing item is flagged)
    Candidate("B", "乙卫生院", {"filing_rate": D("90"), "usage_rate": D("40"), "inspection_qualified": None}),
    # 50×min(120%, 100%) + 30×20% + 20×50% = 50 + 6 + 10 = 66
    Candidate("C", "丙卫生院", {"filing_rate": D("120"), "usage_rate": D("20"), "inspection_qualified": D("50")}),
]


def test_three_institutions_are_scored_by_the_weights_and_ranked() -> None:
    lines = score_candidates(CANDIDATES, WEIGHTS)
    assert [(line.code, line.score, line.rank) for line in lines] == [
        ("A", D("75"), 1),
        ("C", D("66"), 2),
        ("B", D("57"), 3),
    ]
    b = lines[2]
    assert [(i.item, i.score) for i in b.items] == [
        ("filing_rate", D("45")),
        ("usage_rate", D("12")),
        ("inspection_qualified", D("0")),
    ]
    assert b.missing == ["inspection_qualified"]
    assert lines[0].missing == [] and lines[1].items[0].score == D("50")  # 120% counts as 100%


def test_a_budget_of_100000_is_split_in_proportion_to_the_scores_exactly() -> None:
    # 10,000,000 fen × 75/198 = 3,787,878 r156; × 66/198 = 3,333,333 r66; × 57/198 = 2,878,787 r174.
    # 2 fen are left: they go to the largest remainders, B (174) and A (156).
    lines = appraise(CANDIDATES, WEIGHTS, D("100000.00"))
    assert {line.code: line.subsidy for line in lines} == {"A": D("37878.79"), "C": D("33333.33"), "B": D("28787.88")}
    assert sum(line.subsidy for line in lines) == D("100000.00")


def test_equal_scores_share_a_rank_and_the_odd_fen_goes_by_rank_then_code() -> None:
    same = {"filing_rate": D("60")}
    lines = appraise(
        [Candidate("X3", "丙", same), Candidate("X1", "乙", same), Candidate("X2", "甲", same)],
        {"filing_rate": D(10)},
        D("100.00"),
    )
    assert [(line.name, line.rank) for line in lines] == [("丙", 1), ("乙", 1), ("甲", 1)]  # ties by name
    assert {line.code: line.subsidy for line in lines} == {"X1": D("33.34"), "X2": D("33.33"), "X3": D("33.33")}


def test_ties_leave_a_gap_in_the_ranks() -> None:
    lines = score_candidates(
        [
            Candidate("1", "丁", {"f": D("70")}),
            Candidate("2", "戊", {"f": D("70")}),
            Candidate("3", "己", {"f": D("90")}),
            Candidate("4", "庚", {"f": D("50")}),
        ],
        {"f": D(100)},
    )
    assert [(line.code, line.rank) for line in lines] == [("3", 1), ("1", 2), ("2", 2), ("4", 4)]


def test_when_every_score_is_zero_the_budget_is_split_equally() -> None:
    lines = appraise([Candidate(c, c, {"f": None}) for c in ("K1", "K2", "K3")], {"f": D(100)}, D("100.00"))
    assert [line.subsidy for line in lines] == [D("33.34"), D("33.33"), D("33.33")]
    assert all(line.score == 0 and line.missing == ["f"] for line in lines)


def test_a_zero_score_gets_nothing_when_others_score() -> None:
    lines = appraise(
        [Candidate("P", "甲", {"f": D("40")}), Candidate("Q", "乙", {"f": D("0")})], {"f": D(50)}, D("0.05")
    )
    assert {line.code: line.subsidy for line in lines} == {"P": D("0.05"), "Q": D("0.00")}


@pytest.mark.parametrize("budget", [D("-1.00"), D("10.001")])
def test_a_budget_must_be_whole_fen_and_not_negative(budget: Decimal) -> None:
    lines = score_candidates(CANDIDATES, WEIGHTS)
    with pytest.raises(ValueError):
        split_budget(budget, lines)


def test_there_must_be_someone_to_split_among() -> None:
    with pytest.raises(ValueError):
        split_budget(D("10.00"), [])


rates = st.one_of(st.none(), st.decimals(min_value=0, max_value=150, places=2))


@given(
    st.lists(st.tuples(rates, rates), min_size=1, max_size=30),
    st.decimals(min_value=0, max_value=10_000_000, places=2),
)
def test_the_amounts_always_add_up_to_the_budget(
    values: list[tuple[Decimal | None, Decimal | None]], budget: Decimal
) -> None:
    candidates = [Candidate(f"I{n:03d}", f"机构{n}", {"a": a, "b": b}) for n, (a, b) in enumerate(values)]
    lines = appraise(candidates, {"a": D("33.5"), "b": D("66.5")}, budget)
    assert sum(line.subsidy for line in lines) == budget
    assert all(line.subsidy >= 0 for line in lines)
    # a higher score never gets less, beyond the one fen of rounding
    for better, worse in itertools.pairwise(lines):
        assert better.subsidy + D("0.01") >= worse.subsidy
