"""Done-when (issue 6): the appraisal sheet ranks institutions by the configured weights and splits a subsidy
budget exactly (the amounts sum to the budget). Figures are inserted by the test for 2027 (no recompute runs for
that year), inspection rates come from supervision (replaced here by known values); personas: a village doctor
may neither compute nor view, the aggregate viewer may view but not compute."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from kangdang.access.models import AuditEvent
from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.indicators import supervision
from kangdang.indicators.appraisal import (
    DEFAULT_WEIGHTS,
    compute_sheet,
    current_scheme,
    get_scheme,
    get_sheet,
    list_sheets,
    set_scheme,
)
from kangdang.indicators.models import IndicatorValue
from kangdang.indicators.models_appraisal import AppraisalScheme
from kangdang.institutions.models import Institution
from kangdang.regions.models import Region

COUNTY = "330521"
XINSHI, MOGANSHAN = "330521102", "330521115"  # 新市镇, 莫干山镇
JUCHENG = "330521102200"  # 句城村 (cunyi's village)
PERIOD = "2027"
D = Decimal


@dataclass(frozen=True)
class Rates:
    qualified_rate: Decimal | None
    dynamic_rate: Decimal | None


@pytest.fixture
def inspections(monkeypatch: pytest.MonkeyPatch) -> dict[str, Rates]:
    """The inspection-based rates by township code that supervision answers for 2027 (set by each test)."""
    found: dict[str, Rates] = {}

    def rates_by_region(session: Any, *, county: str, year: int) -> dict[str, Rates]:
        assert (county, year) == (COUNTY, 2027)
        return found

    monkeypatch.setattr(supervision, "inspection_rates_by_region", rates_by_region)
    return found


def put(db: Any, unit_kind: str, unit_code: str, indicator: str, numerator: int, denominator: int | None) -> None:
    db.execute(
        delete(IndicatorValue).where(
            IndicatorValue.indicator == indicator,
            IndicatorValue.period == PERIOD,
            IndicatorValue.unit_kind == unit_kind,
            IndicatorValue.unit_code == unit_code,
        )
    )
    db.add(
        IndicatorValue(
            indicator=indicator,
            period=PERIOD,
            unit_kind=unit_kind,
            unit_code=unit_code,
            area_type="all",
            numerator=numerator,
            denominator=denominator,
        )
    )
    db.flush()


@pytest.fixture
def figures(db: Any) -> None:
    # 新市镇: filed 80%, usage 50%; 莫干山镇: filed 90%, usage 20%
    put(db, "township", XINSHI, "filing_rate", 800, 1000)
    put(db, "township", XINSHI, "usage_rate", 300, 600)
    put(db, "township", MOGANSHAN, "filing_rate", 900, 1000)
    put(db, "township", MOGANSHAN, "usage_rate", 100, 500)
    # 句城村: filed 50%, no usage figure
    put(db, "village", JUCHENG, "filing_rate", 50, 100)


def centre(db: Any, township: str) -> Institution:
    found = db.scalar(
        select(Institution).where(Institution.region_code == township, Institution.code == f"{township}-01")
    )
    assert found is not None
    return found


def line_of(view: Any, institution: Institution) -> Any:
    return next(line for line in view.lines if line.institution_id == institution.id)


def test_the_sheet_ranks_by_the_configured_weights_and_splits_the_budget_exactly(
    db: Any, actor_of: Any, figures: None, inspections: dict[str, Rates]
) -> None:
    xianju = actor_of("xianju")
    xinshi, moganshan = centre(db, XINSHI), centre(db, MOGANSHAN)
    set_scheme(db, xianju, county=COUNTY, year=2027, weights={"filing_rate": 50, "usage_rate": "50"})
    first = compute_sheet(db, xianju, county=COUNTY, period=PERIOD, institution_kind="township", budget="10000.00")
    a, b = line_of(first, xinshi), line_of(first, moganshan)
    # 新市镇 50×80% + 50×50% = 65; 莫干山镇 50×90% + 50×20% = 55; every other centre has no 2027 figure: 0
    assert (a.score, a.rank, b.score, b.rank) == (D("65"), 1, D("55"), 2)
    # 1,000,000 fen × 65/120 = 541,666 r80 and × 55/120 = 458,333 r40: the odd fen goes to 新市镇
    assert (a.subsidy, b.subsidy) == (D("5416.67"), D("4583.33"))
    assert sum(line.subsidy for line in first.lines) == D("10000.00") == first.sheet.budget
    others = [line for line in first.lines if line.institution_id not in (xinshi.id, moganshan.id)]
    assert others and all(line.score == 0 and line.rank == 3 and line.subsidy == 0 for line in others)
    assert all(line.missing == ["健康档案建档率", "健康档案使用率"] for line in others)
    township_types = ("township_central", "township_general", "community_centre")
    active = db.scalar(
        select(func.count())
        .select_from(Institution)
        .where(
            Institution.type.in_(township_types),
            Institution.status == "active",
            Institution.region_code.startswith(COUNTY),
        )
    )
    assert len(first.lines) == active

    # the county weighs filing more: 新市镇 90×80% + 10×50% = 77, 莫干山镇 90×90% + 10×20% = 83
    set_scheme(db, xianju, county=COUNTY, year=2027, weights={"filing_rate": 90, "usage_rate": 10})
    second = compute_sheet(db, xianju, county=COUNTY, period=PERIOD, institution_kind="township", budget="100.00")
    a, b = line_of(second, xinshi), line_of(second, moganshan)
    assert (b.rank, b.score, a.rank, a.score) == (1, D("83"), 2, D("77"))
    # 10,000 fen × 83/160 = 5,187 r80, × 77/160 = 4,812 r80: equal remainders, the better rank gets the fen
    assert (b.subsidy, a.subsidy) == (D("51.88"), D("48.12"))
    assert sum(line.subsidy for line in second.lines) == D("100.00")
    # both sheets are kept, each with the weights it used
    listed = list_sheets(db, xianju, county=COUNTY, year=2027)
    assert [s.id for s in listed[:2]] == [second.sheet.id, first.sheet.id]
    assert get_sheet(db, xianju, first.sheet.id).weights == {"filing_rate": D(50), "usage_rate": D(50)}
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(second.sheet.id))).all()
    assert events == ["appraisal.compute"]


def test_inspection_results_count_and_village_offices_take_their_townships(
    db: Any, actor_of: Any, figures: None, inspections: dict[str, Rates]
) -> None:
    xianju = actor_of("xianju")
    inspections[XINSHI] = Rates(qualified_rate=D("75.00"), dynamic_rate=D("60.00"))
    set_scheme(
        db,
        xianju,
        county=COUNTY,
        year=2027,
        weights={"filing_rate": 40, "usage_rate": 20, "inspection_qualified": 30, "inspection_dynamic": 10},
    )
    view = compute_sheet(db, xianju, county=COUNTY, period=PERIOD, institution_kind="village", budget=D("3000"))
    office = db.scalar(
        select(Institution).where(Institution.region_code == JUCHENG, Institution.type == "village_office")
    )
    line = line_of(view, office)
    # 40×50% + usage missing + 30×75% + 10×60% = 20 + 0 + 22.5 + 6 = 48.5; no other village has a 2027 figure,
    # but the other offices of 新市镇 share its inspection: 22.5 + 6 = 28.5
    assert line.score == D("48.5") and line.rank == 1 and line.missing == ["健康档案使用率"]
    assert [(i.item, i.rate, i.score) for i in line.items] == [
        ("filing_rate", D("50.00"), D("20")),
        ("usage_rate", None, D("0")),
        ("inspection_qualified", D("75.00"), D("22.5")),
        ("inspection_dynamic", D("60.00"), D("6")),
    ]
    same_township = [x for x in view.lines if x.code.startswith(XINSHI) and x.institution_id != office.id]
    assert same_township and all(x.score == D("28.5") and x.rank == 2 for x in same_township)
    outside = [x for x in view.lines if not x.code.startswith(XINSHI)]
    assert outside and all(x.score == 0 and x.subsidy == 0 for x in outside)
    assert sum(x.subsidy for x in view.lines) == D("3000.00")
    assert {x.code[:9] for x in view.lines} >= {XINSHI, MOGANSHAN}


def test_the_default_scheme_applies_until_the_county_sets_one_and_is_saved_with_the_first_sheet(
    db: Any, actor_of: Any, figures: None
) -> None:
    xianju = actor_of("xianju")
    db.execute(delete(AppraisalScheme).where(AppraisalScheme.region_code == COUNTY, AppraisalScheme.year == 2027))
    scheme = current_scheme(db, COUNTY, 2027)
    assert scheme.is_default and {k: int(v) for k, v in scheme.weights.items()} == DEFAULT_WEIGHTS
    assert scheme.total == 100
    view = compute_sheet(db, xianju, county=COUNTY, period=PERIOD, institution_kind="township", budget="0")
    assert view.weights == scheme.weights and all(line.subsidy == 0 for line in view.lines)
    # no inspection of 2027 has been made (supervision answers nothing): the inspection item scores 0, flagged
    assert all("督导抽查合格率" in line.missing for line in view.lines)
    xinshi = line_of(view, centre(db, XINSHI))
    assert xinshi.score == D("20") * D("0.8") + D("15") * D("0.5")  # filing 80%, usage 50%; the rest have no figure
    saved = current_scheme(db, COUNTY, 2027)
    assert not saved.is_default and saved.weights == scheme.weights


@pytest.mark.parametrize(
    ("weights", "field"),
    [
        ({"filing_rate": 120}, "weights.filing_rate"),
        ({"filing_rate": "-1"}, "weights.filing_rate"),
        ({"filing_rate": "abc"}, "weights.filing_rate"),
        ({"filing_rate": "10.555"}, "weights.filing_rate"),
        ({"no_such_item": 10}, "weights.no_such_item"),
        ({"filing_rate": 0, "usage_rate": ""}, "weights"),
    ],
)
def test_weights_must_be_numbers_from_0_to_100_on_known_items(
    db: Any, actor_of: Any, weights: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        set_scheme(db, actor_of("xianju"), county=COUNTY, year=2027, weights=weights)
    assert [e.field for e in caught.value.errors] == [field]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e.message) for e in caught.value.errors)


def test_bad_compute_input_answers_with_field_errors(db: Any, actor_of: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        compute_sheet(db, actor_of("xianju"), county=COUNTY, period="2027Q5", institution_kind="city", budget="1.234")
    assert {e.field for e in caught.value.errors} == {"period", "institution_kind", "budget"}


def test_a_county_outside_ones_territory_cannot_be_appraised(db: Any, actor_of: Any) -> None:
    if db.get(Region, "330522") is None:
        db.add(Region(code="330522", name="长兴县", level=3, parent_code="3305"))
        db.flush()
    xianju = actor_of("xianju")
    with pytest.raises(InvalidInput) as caught:
        set_scheme(db, xianju, county="330522", year=2027, weights={"filing_rate": 10})
    assert caught.value.errors[0].field == "county"
    with pytest.raises(InvalidInput):
        compute_sheet(db, xianju, county="330522", period=PERIOD, institution_kind="township", budget="1")
    with pytest.raises(NotFound):
        get_scheme(db, xianju, county="330522", year=2027)


def test_personas_a_village_doctor_may_not_and_the_aggregate_viewer_may_only_look(
    db: Any, actor_of: Any, figures: None, inspections: dict[str, Rates]
) -> None:
    view = compute_sheet(
        db, actor_of("xianju"), county=COUNTY, period=PERIOD, institution_kind="township", budget="500"
    )
    cunyi, tongji, ducha = actor_of("cunyi"), actor_of("tongji"), actor_of("ducha")
    for call in (
        lambda: compute_sheet(db, cunyi, county=COUNTY, period=PERIOD, institution_kind="township", budget="1"),
        lambda: set_scheme(db, cunyi, county=COUNTY, year=2027, weights={"filing_rate": 1}),
        lambda: list_sheets(db, cunyi),
        lambda: get_sheet(db, cunyi, view.sheet.id),
        lambda: compute_sheet(db, tongji, county=COUNTY, period=PERIOD, institution_kind="township", budget="1"),
        lambda: set_scheme(db, tongji, county=COUNTY, year=2027, weights={"filing_rate": 1}),
        lambda: compute_sheet(db, ducha, county=COUNTY, period=PERIOD, institution_kind="township", budget="1"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    for viewer in (tongji, ducha):
        assert view.sheet.id in {s.id for s in list_sheets(db, viewer)}
        seen = get_sheet(db, viewer, view.sheet.id)
        assert sum(line.subsidy for line in seen.lines) == D("500.00")
        assert get_scheme(db, viewer, county=COUNTY, year=2027).weights == view.weights
