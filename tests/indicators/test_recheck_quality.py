"""The quality check of all records (``recheck_quality``): every open record of the county gets its status and
reasons as of the day, the same rows a full recompute stores; rows of unchanged records only get the new day,
and a record that moved to another village leaves no row behind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from kangdang.indicators.models import RecordQuality
from kangdang.indicators.refresh import recheck_quality, recompute_all, refresh_villages
from kangdang.residents.models import HealthRecord
from tests.indicators.fixture_village import TODAY, VILLAGE, build_village

COUNTY = "330521"


def quality_rows(db: Any) -> dict[Any, tuple[Any, ...]]:
    return {
        r.record_id: (r.person_id, r.village_code, r.institution_id, r.status, r.reasons, r.checked_on)
        for r in db.scalars(select(RecordQuality))
    }


def open_records(db: Any) -> int:
    return db.scalar(
        select(func.count())
        .select_from(HealthRecord)
        .where(
            HealthRecord.village_code.startswith(COUNTY),
            HealthRecord.filed_on <= TODAY,
            or_(HealthRecord.closed_on.is_(None), HealthRecord.closed_on > TODAY),
        )
    )


def test_every_open_record_is_checked_as_a_full_recompute_would(db: Any, actor_of: Any, time_machine: Any) -> None:
    people = build_village(db, actor_of, time_machine)
    db.execute(delete(RecordQuality))
    assert recheck_quality(db, county=COUNTY, today=TODAY) == open_records(db) > 6
    checked = quality_rows(db)
    assert len(checked) == open_records(db)
    village = {row[0]: row for row in checked.values() if row[1] == VILLAGE}
    assert village[people["B"].person_id][3:5] == (
        "invalid",
        [{"rule": "basic_info_missing", "text": "个人基本信息表未填写", "form": "personal_basic_info"}],
    )
    assert village[people["A"].person_id][3:5] == ("ok", [])
    recompute_all(db, county=COUNTY, today=TODAY)
    assert quality_rows(db) == checked


def test_a_later_check_dates_every_row_and_drops_the_row_a_moved_record_left(
    db: Any, actor_of: Any, time_machine: Any
) -> None:
    people = build_village(db, actor_of, time_machine)
    recheck_quality(db, county=COUNTY, today=TODAY)
    elsewhere = db.scalar(
        select(HealthRecord.village_code)
        .where(HealthRecord.village_code != VILLAGE)
        .order_by(HealthRecord.village_code)
    )
    moved = people["C"]
    db.execute(update(HealthRecord).where(HealthRecord.id == moved.id).values(village_code=elsewhere))
    later = TODAY + timedelta(days=1)
    refresh_villages(db, [elsewhere], today=later)  # the village it moved to alone: its old row goes
    assert quality_rows(db)[moved.id][1:4] == (elsewhere, moved.managing_institution_id, "invalid")
    recheck_quality(db, county=COUNTY, today=later)
    rows = quality_rows(db)
    assert {row[5] for row in rows.values()} == {later}
    assert rows[moved.id][1:4] == (elsewhere, moved.managing_institution_id, "invalid")
    assert db.scalar(select(func.count()).select_from(RecordQuality).where(RecordQuality.record_id == moved.id)) == 1
    db.execute(delete(RecordQuality))
    recheck_quality(db, county=COUNTY, today=later)
    assert quality_rows(db) == rows  # the same as checking from nothing
