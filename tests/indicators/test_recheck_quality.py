"""The quality check of all records on its own (质控, what the benchmark times): the same quality rows as a full
recompute stores."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.core.clock import today_local
from kangdang.indicators.models import RecordQuality
from kangdang.indicators.refresh import recheck_quality, recompute_all
from kangdang.residents.models import HealthRecord


def _rows(db: Session) -> list[tuple[str, str, str]]:
    return sorted((str(q.record_id), q.status, repr(q.reasons)) for q in db.scalars(select(RecordQuality)))


def test_recheck_quality_stores_what_the_full_recompute_stores(db: Session) -> None:
    today = today_local()
    recompute_all(db, county="330521", today=today)
    expected = _rows(db)
    db.execute(RecordQuality.__table__.delete())  # type: ignore[attr-defined]
    checked = recheck_quality(db, county="330521", today=today)
    records = len(db.scalars(select(HealthRecord.id).where(HealthRecord.village_code.startswith("330521"))).all())
    assert checked == records > 0
    assert _rows(db) == expected
    assert any(status != "ok" for _id, status, _reasons in expected)
