"""A refresh of many marked villages (a whole county after a bulk import) recomputes them in batches of about
``BATCH_RECORDS`` records — bounded memory — with the figures of one full recompute."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.core.clock import today_local
from kangdang.indicators import recount, refresh
from kangdang.indicators.models import IndicatorCell, IndicatorValue, RecordQuality


def _figures(db: Session) -> tuple[set[Any], set[Any], set[Any]]:
    cells = {(c.indicator, c.period, c.village_code, c.institution_id, c.numerator, c.denominator)
             for c in db.scalars(select(IndicatorCell))}  # fmt: skip
    values = {(v.indicator, v.period, v.unit_kind, v.unit_code, v.area_type, v.numerator, v.denominator)
              for v in db.scalars(select(IndicatorValue))}  # fmt: skip
    quality = {(q.record_id, q.status) for q in db.scalars(select(RecordQuality))}
    return cells, values, quality


def test_a_whole_county_is_refreshed_in_batches_with_the_full_recompute_figures(db: Session, monkeypatch: Any) -> None:
    today = today_local()
    refresh.recompute_all(db, county="330521", today=today)
    expected = _figures(db)
    villages = refresh.county_villages(db, "330521")
    batches: list[list[str]] = []
    recompute = refresh.recompute_villages

    def counted(session: Session, codes: list[str], *, today: Any) -> Any:
        batches.append(list(codes))
        return recompute(session, codes, today=today)

    monkeypatch.setattr(recount, "BATCH_RECORDS", 300)
    monkeypatch.setattr(refresh, "recompute_villages", counted)
    db.query(IndicatorCell).delete()
    db.query(IndicatorValue).delete()
    refresh.refresh_villages(db, villages, today=today)
    assert len(batches) > 2 and sorted(code for batch in batches for code in batch) == sorted(villages)
    assert _figures(db) == expected
