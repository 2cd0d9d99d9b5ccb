"""The county's targets (工作目标) per indicator, year and area type: the work plan's filing targets (urban
60%→70%, rural 20%→30%) set year by year, shown with the figures as attainment; history kept; bad input answered
with Chinese field errors; only the county bureau may set them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from kangdang.access.models import AuditEvent
from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.indicators.models import IndicatorTarget
from kangdang.indicators.read import targets
from kangdang.indicators.targets import list_targets, set_target

COUNTY = "330521"
D = Decimal


def test_the_work_plan_targets_are_set_per_year_and_area_type(db: Any, actor_of: Any) -> None:
    xianju = actor_of("xianju")
    plan = {(2027, "urban"): "60", (2027, "rural"): "20", (2028, "urban"): "70", (2028, "rural"): "30.5"}
    for (year, area), target in plan.items():
        set_target(db, xianju, county=COUNTY, indicator="filing_rate", year=year, area_type=area, target=target)
    lines = {line.indicator: line for line in list_targets(db, xianju, county=COUNTY, year=2027)}
    assert lines["filing_rate"].name == "健康档案建档率"
    assert lines["filing_rate"].targets == {"all": None, "urban": D("60.00"), "rural": D("20.00")}
    assert lines["usage_rate"].targets == {"all": None, "urban": None, "rural": None}
    assert len(lines) == 17
    later = {line.indicator: line for line in list_targets(db, xianju, county=COUNTY, year=2028)}
    assert later["filing_rate"].targets["urban"] == D("70") and later["filing_rate"].targets["rural"] == D("30.50")
    # the figures read the same targets
    assert targets(db, COUNTY, 2028)[("filing_rate", "rural")] == D("30.50")


def test_a_new_setting_wins_the_old_one_stays_and_an_empty_target_clears(db: Any, actor_of: Any) -> None:
    xianju = actor_of("xianju")
    set_target(db, xianju, county=COUNTY, indicator="usage_rate", year=2027, area_type="all", target="50")
    set_target(db, xianju, county=COUNTY, indicator="usage_rate", year=2027, area_type="all", target=D("55.25"))
    assert list_targets(db, xianju, county=COUNTY, year=2027)[3].targets["all"] == D("55.25")
    set_target(db, xianju, county=COUNTY, indicator="usage_rate", year=2027, area_type="all", target="")
    assert list_targets(db, xianju, county=COUNTY, year=2027)[3].targets["all"] is None
    rows = db.scalars(
        select(IndicatorTarget.target)
        .where(
            IndicatorTarget.region_code == COUNTY,
            IndicatorTarget.indicator == "usage_rate",
            IndicatorTarget.year == 2027,
        )
        .order_by(IndicatorTarget.set_at)
    ).all()
    assert rows[-3:] == [D("50.00"), D("55.25"), None]
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "indicator.target").order_by(AuditEvent.at)).all()
    assert [(e.details["from"], e.details["to"]) for e in events[-3:]] == [
        (None, "50.00"),
        ("50.00", "55.25"),
        ("55.25", None),
    ]
    assert events[-1].login == "xianju" and events[-1].subject_id == COUNTY


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target": "101"}, "target"),
        ({"target": "-5"}, "target"),
        ({"target": "66.666"}, "target"),
        ({"target": "六十"}, "target"),
        ({"indicator": "no_such"}, "indicator"),
        ({"area_type": "city"}, "area_type"),
        ({"year": "1999"}, "year"),
        ({"county": "330599"}, "county"),
    ],
)
def test_bad_input_is_answered_with_a_chinese_field_error(
    db: Any, actor_of: Any, changes: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {
        "county": COUNTY,
        "indicator": "filing_rate",
        "year": 2027,
        "area_type": "urban",
        "target": "60",
    }
    with pytest.raises(InvalidInput) as caught:
        set_target(db, actor_of("xianju"), **(values | changes))
    assert [e.field for e in caught.value.errors] == [field]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.errors[0].message)


def test_only_the_county_bureau_sets_targets_others_may_read_them(db: Any, actor_of: Any) -> None:
    set_target(db, actor_of("admin"), county=COUNTY, indicator="filing_rate", year=2027, area_type="all", target="45")
    for login in ("ducha", "tongji", "jigou", "cunyi"):
        with pytest.raises(PermissionDenied):
            set_target(
                db, actor_of(login), county=COUNTY, indicator="filing_rate", year=2027, area_type="all", target="1"
            )
    for login in ("ducha", "tongji", "cunyi"):
        assert list_targets(db, actor_of(login), county=COUNTY, year=2027)[0].targets["all"] == D("45")
    with pytest.raises(PermissionDenied):
        list_targets(db, actor_of("yiyuan"), county=COUNTY, year=2027)  # a hospital doctor sees no figures
    with pytest.raises(NotFound):
        list_targets(db, actor_of("xianju"), county="330599", year=2027)
