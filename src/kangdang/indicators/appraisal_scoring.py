"""Appraisal scoring (绩效考核评分) and the subsidy split (补助分配), pure: no database.

Each institution has a rate (percent, or None when there is no figure) per appraisal item; the county gives each
item a weight. An item scores ``weight × min(rate, 100) / 100`` (rounded to 0.001); an item without a rate scores
0 and is flagged. The total is the sum of the item scores, so the sheet adds up as printed. Institutions are
ranked by total, highest first; equal totals share a rank (1, 1, 3) and are listed by name.

A budget (yuan, two decimals) is split in proportion to the totals, exactly to the fen (分) by the largest
remainder method: every institution first gets the fen its share covers in full, then the fen left over go one
each to the largest remainders (ties: better rank, then institution code). The amounts always add up to the
budget. When every total is 0 the budget is split equally, by the same method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
SCORE_PLACES = Decimal("0.001")
FEN = Decimal("0.01")
SCORE_SCALE = 1000  # totals have three decimals: × 1000 makes them whole numbers


@dataclass(frozen=True)
class Candidate:
    """One institution to appraise: its code (the tie-breaker), name and rate per item."""

    code: str
    name: str
    rates: Mapping[str, Decimal | None]


@dataclass(frozen=True)
class ItemScore:
    item: str
    weight: Decimal
    rate: Decimal | None
    score: Decimal

    @property
    def missing(self) -> bool:
        return self.rate is None


@dataclass(frozen=True)
class ScoredLine:
    code: str
    name: str
    items: tuple[ItemScore, ...]
    score: Decimal
    rank: int
    subsidy: Decimal = Decimal("0.00")

    @property
    def missing(self) -> list[str]:
        """The items without a rate (scored 0)."""
        return [item.item for item in self.items if item.missing]


def item_score(weight: Decimal, rate: Decimal | None) -> Decimal:
    """One item's score: weight × min(rate, 100) / 100, three decimals; 0 without a rate (or below 0)."""
    if rate is None:
        return Decimal("0.000")
    capped = min(max(rate, Decimal(0)), HUNDRED)
    return (weight * capped / HUNDRED).quantize(SCORE_PLACES, ROUND_HALF_UP)


def score_candidates(candidates: Sequence[Candidate], weights: Mapping[str, Decimal]) -> list[ScoredLine]:
    """The candidates scored by the weighted items and ranked (highest first; ties share a rank, by name)."""
    scored = []
    for candidate in candidates:
        items = tuple(
            ItemScore(item, weight, candidate.rates.get(item), item_score(weight, candidate.rates.get(item)))
            for item, weight in weights.items()
        )
        total = sum((i.score for i in items), Decimal("0.000"))
        scored.append((candidate, items, total))
    scored.sort(key=lambda entry: (-entry[2], entry[0].name, entry[0].code))
    lines: list[ScoredLine] = []
    for position, (candidate, items, total) in enumerate(scored, start=1):
        rank = lines[-1].rank if lines and lines[-1].score == total else position
        lines.append(ScoredLine(candidate.code, candidate.name, items, total, rank))
    return lines


def split_budget(budget: Decimal, lines: Sequence[ScoredLine]) -> dict[str, Decimal]:
    """The budget split in proportion to the lines' scores, exactly to the fen, by institution code.

    Raises ValueError for a negative budget, one with more than two decimals, or no lines to split among.
    """
    if not budget.is_finite() or budget < 0 or budget != budget.quantize(FEN):
        raise ValueError("the budget must be a non-negative amount in yuan with at most two decimals")
    if not lines:
        raise ValueError("there is no institution to split the budget among")
    fen = int(budget * 100)
    weights = [int(line.score * SCORE_SCALE) for line in lines]
    if sum(weights) <= 0:
        weights = [1] * len(lines)
    total = sum(weights)
    shares = [divmod(fen * w, total) for w in weights]
    left = fen - sum(whole for whole, _ in shares)
    # the fen left over (fewer than the number of lines) go to the largest remainders
    order = sorted(range(len(lines)), key=lambda i: (-shares[i][1], lines[i].rank, lines[i].code))
    extra = set(order[:left])
    return {
        line.code: (Decimal(shares[i][0] + (1 if i in extra else 0)) / 100).quantize(FEN)
        for i, line in enumerate(lines)
    }


def appraise(candidates: Sequence[Candidate], weights: Mapping[str, Decimal], budget: Decimal) -> list[ScoredLine]:
    """Score, rank and split: the ranked lines with their subsidies (which add up to the budget)."""
    lines = score_candidates(candidates, weights)
    amounts = split_budget(budget, lines)
    return [ScoredLine(line.code, line.name, line.items, line.score, line.rank, amounts[line.code]) for line in lines]
