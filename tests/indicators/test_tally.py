"""The one-pass tally (``indicators.tally``, what the refresh stores) gives, for any records, parameters and day,
exactly the figures of the reference rules judged period by period (``indicators.evaluate``, what the drill-down
lists): every indicator, every stored period, numerator and denominator."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kangdang.indicators.bundle import Bundle, EpisodeFact, FormFact
from kangdang.indicators.evaluate import RULES, applicable, evaluate, reach_back
from kangdang.indicators.parameters import Parameters
from kangdang.indicators.periods import stored_periods
from kangdang.indicators.quality_rules import Issue, record_issues
from kangdang.indicators.tally import PeriodGrid, Tally, bits
from kangdang.programmes.facts import CHILD_AGE_OUT_MONTHS, FactRules
from kangdang.records.context import add_months

VILLAGE = "330521102990"
INSTITUTIONS = (uuid.UUID(int=1), uuid.UUID(int=2))
CODES = (
    "cover",
    "personal_basic_info",
    "hypertension_followup",
    "diabetes_followup",
    "mental_followup",
    "health_examination",
    "elderly_tcm",
    "newborn_visit",
    "child_check_infant",
    "child_check_toddler",
    "child_check_preschool",
    "encounter_soap",
    "referral_out",
    "antenatal_first",
    "postpartum_visit",
    "postpartum_42day",
    "tb_first_visit",
    "tb_followup",
)
THEMES = {
    "hypertension": ("hypertension_followup",),
    "diabetes": ("diabetes_followup",),
    "mental": ("mental_followup",),
    "maternal": ("antenatal_first", "postpartum_visit", "postpartum_42day"),
    "tuberculosis": ("tb_first_visit", "tb_followup"),
    "children": ("newborn_visit", "child_check_infant", "child_check_toddler"),
    "elderly": ("health_examination", "elderly_tcm"),
}
PROGRAMMES = ("hypertension", "diabetes", "mental", "maternal", "tuberculosis")


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def edges(today: date, params: Parameters) -> list[date]:
    """The days where the rules change their minds: period starts and ends, usage windows, age thresholds."""
    found = set()
    for period in stored_periods(today):
        end = period.as_of(today)
        found |= {period.start, end, add_months(end, -12), date(end.year, 1, 1)}
        found |= {add_months(end, -CHILD_AGE_OUT_MONTHS), date(end.year - params.rules.elderly_age + 1, 1, 1)}
    return sorted(d + timedelta(days=shift) for d in found for shift in (-1, 0, 1))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[date, Parameters, list[tuple[Bundle, list[Issue]]]]:
    """A day, the county's parameters and a few records whose dates crowd around the periods' edges."""
    today = draw(st.one_of(st.dates(date(2022, 1, 1), date(2027, 12, 31)), st.sampled_from(MONTH_EDGES)))
    params = draw(PARAMETERS)
    near = edges(today, params)
    pool = draw(st.lists(st.sampled_from(near), min_size=3, max_size=6))  # shared days: ties on the same day
    day = st.one_of(
        st.sampled_from(near),
        st.sampled_from(pool),
        st.dates(today - timedelta(days=900), today + timedelta(days=20)),
    )
    records = []
    for _ in range(draw(st.integers(1, 4))):
        bundle = draw(bundles(day))
        extra = draw(st.lists(st.builds(Issue, st.just("date_order"), st.just("测试"), SEVERITY, day, maybe(day))))
        records.append((bundle, record_issues(bundle, params) + extra[:2]))
    return today, params, records


SEVERITY = st.sampled_from(["defective", "invalid"])
MONTH_EDGES = [date(2026, m, 1) - timedelta(days=k) for m in range(1, 13) for k in (0, 1)]
NUMBERS = maybe(st.one_of(st.integers(60, 200), st.sampled_from(["120", "7.5", "abc", 6.9, 7.0, True])))


def answers(day: st.SearchStrategy[date]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "sbp": st.one_of(st.integers(110, 170), NUMBERS),
            "dbp": st.one_of(st.integers(70, 100), NUMBERS),
            "fasting_glucose": st.one_of(st.sampled_from([5.2, 6.5, 7.0, 8.3]), NUMBERS),
            "delivery_date": maybe(day.map(date.isoformat)),
            "early_registration": maybe(st.booleans()),
            "gestational_weeks": NUMBERS,
            "days_after_discharge": maybe(st.integers(-2, 40)),
            "discharge_date": maybe(day.map(date.isoformat)),
            "days_after_delivery": maybe(st.integers(0, 40)),
            "stop_reason": maybe(st.sampled_from(["1", ""])),
            "doses_required": NUMBERS,
            "doses_actual": NUMBERS,
            "blood_abo": maybe(st.sampled_from(["", "1"])),
        },
    )


@st.composite
def bundles(draw: st.DrawFn, day: st.SearchStrategy[date]) -> Bundle:
    born = draw(st.one_of(day, st.dates(date(1930, 1, 1), date(2027, 12, 31))))
    filed = draw(st.one_of(day, st.just(born)))
    theme = draw(st.sampled_from(list(THEMES)))  # a record: one kind of care's forms (and episodes), a few more
    codes = st.sampled_from([*THEMES[theme], *draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=2))])
    form = st.builds(FormFact, codes, day, maybe(day), answers(day))
    forms = sorted((draw(form) for _ in range(draw(st.integers(0, 12)))), key=lambda f: f.day)
    episodes = []
    for _ in range(draw(st.integers(0, 3))):
        enrolled = draw(day)
        details: dict[str, Any] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "lmp": day.map(date.isoformat),
                    "delivery_date": day.map(date.isoformat),
                    "notified_on": day.map(date.isoformat),
                },
            )
        )
        closed = draw(maybe(day))
        episodes.append(
            EpisodeFact(
                programme=draw(st.sampled_from([theme] if theme in PROGRAMMES else PROGRAMMES)),
                enrolled_on=enrolled,
                closed_on=closed if closed is None or closed >= enrolled else enrolled,
                outcome=draw(maybe(st.sampled_from(["course_completed", "cured", "died"]))),
                details=details,
            )
        )
    closed = draw(maybe(day))
    return Bundle(
        record_id=uuid.uuid4(),
        person_id=uuid.uuid4(),
        record_number="33052110299000000001",
        name="测试",
        sex=draw(st.sampled_from(["1", "2"])),
        birth_date=born,
        document_type=None,
        document_number=None,
        village_code=VILLAGE,
        institution_id=draw(st.sampled_from(INSTITUTIONS)),
        filed_on=filed,
        closed_on=closed if closed is None or closed >= filed else filed,
        filing_complete_on=draw(maybe(day)),
        on_paper=draw(st.booleans()),
        forms=tuple(forms),
        episodes=tuple(sorted(episodes, key=lambda e: e.enrolled_on)),
    )


PARAMETERS = st.builds(
    Parameters,
    usage_window=st.sampled_from(["rolling_12m", "calendar_year"]),
    usage_denominator=st.sampled_from(["all", "electronic"]),
    usage_clinical=st.booleans(),
    paper_counts_as_filed=st.booleans(),
    invalid_empty_items=st.integers(1, 4),
    late_entry_days=st.integers(1, 60),
    rules=st.builds(
        FactRules,
        followup_interval_days=st.sampled_from([30, 45, 90, 92, 120, 366]),
        elderly_age=st.integers(60, 70),
        glucose_target=st.sampled_from([Decimal("7.0"), Decimal("6.1")]),
        early_registration_weeks=st.integers(8, 20),
        postpartum_visit_days=st.sampled_from([7, 28]),
        tb_first_visit_days=st.integers(1, 5),
        tb_regular_percent=st.sampled_from([80, 90, 100]),
    ),
)


def reference(
    records: list[tuple[Bundle, list[Issue]]], today: date, params: Parameters
) -> dict[tuple[str, str, str, uuid.UUID], list[int]]:
    """The cells as the refresh made them before the tally: each period judged on its own."""
    periods = stored_periods(today)
    since = reach_back(periods)
    cells: dict[tuple[str, str, str, uuid.UUID], list[int]] = defaultdict(lambda: [0, 0])
    for bundle, issues in records:
        codes = applicable(bundle, since, today, params)
        for period in periods:
            for indicator, outcome in evaluate(bundle, period, today, params, issues, codes).items():
                cell = cells[(indicator, period.key, bundle.village_code, bundle.institution_id)]
                cell[0] += outcome.numerator
                cell[1] += outcome.denominator
    return dict(cells)


def tallied(
    records: list[tuple[Bundle, list[Issue]]], today: date, params: Parameters
) -> dict[tuple[str, str, str, uuid.UUID], list[int]]:
    periods = stored_periods(today)
    since = reach_back(periods)
    grid = PeriodGrid(periods, today, params)
    tally = Tally()
    for bundle, issues in records:
        tally.add(bundle, grid, issues, applicable(bundle, since, today, params))
    return tally.cells()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_tally_equals_the_rules_judged_period_by_period(
    scenario: tuple[date, Parameters, list[tuple[Bundle, list[Issue]]]],
) -> None:
    today, params, records = scenario
    assert tallied(records, today, params) == reference(records, today, params)


def test_every_rule_is_tallied() -> None:
    from kangdang.indicators import tally

    assert set(tally.RULES) == set(RULES)


def test_the_grid_orders_the_periods_by_the_day_they_describe() -> None:
    today = date(2027, 3, 10)
    grid = PeriodGrid(stored_periods(today), today, Parameters())
    assert grid.as_of == sorted(grid.as_of) and grid.as_of[-1] == today
    assert len(grid.periods) == 17 + 1 + 1 + 3  # 2026: year, quarters, months; 2027: year, Q1, Jan–Mar
    # 15 February 2027 falls in 2027, 2027Q1 and 2027M02 (each still running or ended after it)
    assert sorted(grid.periods[j].key for j in bits(grid.containing(date(2027, 2, 15)))) == [
        "2027",
        "2027M02",
        "2027Q1",
    ]


def test_blood_pressure_control_reads_the_latest_visit_of_each_period() -> None:
    """A patient of 75–76 (target below 150/90): met in January 2026; on 20 February 2026 a visit not met and,
    entered after it the same day, one met; not met in January 2027."""
    today = date(2027, 3, 10)

    def visit(day: date, sbp: int, dbp: int) -> FormFact:
        return FormFact("hypertension_followup", day, day, {"sbp": sbp, "dbp": dbp, "fasting_glucose": None})

    bundle = Bundle(
        record_id=uuid.uuid4(),
        person_id=uuid.uuid4(),
        record_number="33052110299000000002",
        name="测试",
        sex="1",
        birth_date=date(1950, 5, 1),
        document_type=None,
        document_number=None,
        village_code=VILLAGE,
        institution_id=INSTITUTIONS[0],
        filed_on=date(2025, 6, 1),
        closed_on=None,
        filing_complete_on=date(2025, 6, 1),
        on_paper=False,
        forms=(
            visit(date(2026, 1, 10), 130, 80),
            visit(date(2026, 2, 20), 150, 95),
            visit(date(2026, 2, 20), 135, 85),
            visit(date(2027, 1, 15), 160, 100),
        ),
        episodes=(EpisodeFact("hypertension", date(2025, 6, 1), None, None, {}),),
    )
    records = [(bundle, record_issues(bundle, Parameters()))]
    cells = tallied(records, today, Parameters())
    assert cells == reference(records, today, Parameters())
    control = {key[1]: tuple(value) for key, value in cells.items() if key[0] == "hypertension_control_rate"}
    assert control == {
        "2026M01": (1, 1),
        "2026M02": (1, 1),
        "2026Q1": (1, 1),
        "2026": (1, 1),
        "2027M01": (0, 1),
        "2027Q1": (0, 1),
        "2027": (0, 1),
    }
