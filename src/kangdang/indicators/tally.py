"""All periods at once: the rules of ``indicators.evaluate`` judged for one record over every stored period in one
pass, as bit masks over the periods, and added up per village and managing institution (the base cells).

Bit ``j`` of a mask stands for period ``grid.periods[j]`` (the periods sorted by the day each describes, its
``as_of``), so "every period whose day is on or after the filing day" is a run of bits found by one bisection.
A record's outcome for one indicator is a pair of masks (denominator, numerator); records with the same pair are
counted together and turned into cells once per village. Indicators that count more than once per record
(deliveries, tuberculosis courses) give one pair per episode, which adds up the same way.

``evaluate.evaluate`` stays the reference, one period at a time (the drill-down lists use it): the tests check
that both give the same figures for every rule and period (``tests/indicators/test_tally.py``).
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from kangdang.indicators.bundle import Bundle, FormFact
from kangdang.indicators.evaluate import CLINICAL_FORMS, MATERNAL_FORMS, NOT_DYNAMIC, TB_FORMS, usage_window
from kangdang.indicators.parameters import Parameters
from kangdang.indicators.periods import Period
from kangdang.indicators.quality_rules import Issue
from kangdang.programmes.facts import CHILD_AGE_OUT_MONTHS, CHILD_FORMS, bp_controlled, glucose_controlled
from kangdang.programmes.facts_courses import judge_pregnancy, judge_tuberculosis
from kangdang.programmes.schedule.types import parse_date
from kangdang.records.context import add_months, age_in_years

Outcome = tuple[str, int, int]  # indicator, denominator mask, numerator mask
CellKey = tuple[str, str, str, uuid.UUID]  # indicator, period, village, managing institution


def _low(count: int) -> int:
    """The mask of the first ``count`` periods."""
    return (1 << count) - 1


def bits(mask: int) -> Iterable[int]:
    """The periods (bit positions) of a mask, lowest first."""
    while mask:
        lowest = mask & -mask
        yield lowest.bit_length() - 1
        mask ^= lowest


class PeriodGrid:
    """The periods of one computation in bit order, with the per-period days the rules compare against
    (the county's parameters decide some of them: the usage window, the elderly age, the follow-ups required)."""

    def __init__(self, periods: Sequence[Period], today: date, params: Parameters) -> None:
        self.params = params
        self.periods = sorted(periods, key=lambda p: (p.as_of(today), p.start, p.key))
        self.size = len(self.periods)
        self.full = _low(self.size)
        self.as_of = [p.as_of(today) for p in self.periods]
        self.start = [p.start for p in self.periods]
        by_start = sorted(range(self.size), key=lambda j: self.start[j])
        self._starts = [self.start[j] for j in by_start]
        self._start_prefix = [0]
        for j in by_start:
            self._start_prefix.append(self._start_prefix[-1] | 1 << j)
        # each nondecreasing along the bits, as the as_of days are
        self._usage_first = [usage_window(day, params)[0] for day in self.as_of]
        self._child_cut = [add_months(day, -CHILD_AGE_OUT_MONTHS) for day in self.as_of]
        self._elderly_from = [date(day.year - params.rules.elderly_age + 1, 1, 1) for day in self.as_of]
        self.required = [params.rules.followups_required(s, a) for s, a in zip(self.start, self.as_of, strict=True)]
        self.need_more = sum(1 << j for j, r in enumerate(self.required) if r > 1)
        self._containing: dict[date, int] = {}
        self._cover: dict[date, int] = {}

    def from_day(self, day: date) -> int:
        """Periods whose day is on or after ``day``."""
        return self.full ^ _low(bisect_left(self.as_of, day))

    def before(self, day: date) -> int:
        """Periods whose day is before ``day``."""
        return _low(bisect_left(self.as_of, day))

    def starting_by(self, day: date) -> int:
        """Periods that start on or before ``day``."""
        return self._start_prefix[bisect_right(self._starts, day)]

    def containing(self, day: date) -> int:
        """Periods from whose start to whose day ``day`` falls."""
        found = self._containing.get(day)
        if found is None:
            found = self._containing[day] = self.starting_by(day) & self.from_day(day)
        return found

    def usage_cover(self, day: date) -> int:
        """Periods whose usage window (``evaluate.usage_window``) holds ``day``."""
        found = self._cover.get(day)
        if found is None:
            found = self._cover[day] = self.from_day(day) & _low(bisect_right(self._usage_first, day))
        return found

    def young(self, birth: date) -> int:
        """Periods on whose day someone born on ``birth`` is born and not yet 7."""
        return self.from_day(birth) & _low(bisect_left(self._child_cut, birth))

    def elderly(self, birth: date) -> int:
        """Periods in whose year someone born on ``birth`` is 65 (the elderly age) or more."""
        return self.full ^ _low(bisect_right(self._elderly_from, birth))

    def enough(self, days: list[date], mask: int) -> int:
        """Of the periods in ``mask``, those with at least the follow-ups required on ``days`` (sorted)."""
        found = 0
        for j in bits(mask):
            nth = bisect_left(days, self.start[j]) + self.required[j] - 1
            if nth < len(days) and days[nth] <= self.as_of[j]:
                found |= 1 << j
        return found


def _sorted(forms: Sequence[FormFact]) -> Sequence[FormFact]:
    """Forms by service day, keeping the order of equal days (as ``Bundle.forms_of`` does)."""
    if all(forms[i].day <= forms[i + 1].day for i in range(len(forms) - 1)):
        return forms
    return sorted(forms, key=lambda f: f.day)


class RecordMasks:
    """One record judged over a grid: ``outcomes(codes)`` gives each indicator's masks."""

    def __init__(self, bundle: Bundle, grid: PeriodGrid, issues: list[Issue]) -> None:
        self.b, self.g, self.issues = bundle, grid, issues
        self.live = grid.from_day(bundle.filed_on)
        closed = bundle.closed_on
        self.active = self.live & grid.before(closed) if closed is not None else self.live
        self.open = self.live & grid.starting_by(closed) if closed is not None else self.live
        complete = bundle.filing_complete_on
        self.entered = grid.from_day(complete) if complete is not None else 0
        self._pregnancies: list[tuple[int, bool, bool]] | None = None
        self._tuberculosis: list[tuple[int, int, bool, bool]] | None = None
        self._followups: dict[str, tuple[int, Sequence[FormFact], int]] = {}

    def outcomes(self, codes: Iterable[str]) -> list[Outcome]:
        if not self.live:
            return []
        found: list[Outcome] = []
        for code in codes:
            found.extend(RULES[code](self))
        return found

    # the record itself

    def filing(self) -> list[Outcome]:
        paper = self.g.params.paper_counts_as_filed and self.b.on_paper
        return [("filing_rate", self.active, self.active if paper else self.active & self.entered)]

    def e_filing(self) -> list[Outcome]:
        return [("e_filing_rate", self.active, self.active & self.entered)]

    def qualified(self) -> list[Outcome]:
        faulty = 0
        for issue in self.issues:
            if issue.severity != "ok":
                held = self.g.from_day(issue.since)
                faulty |= held & self.g.before(issue.until) if issue.until is not None else held
        return [("qualified_rate", self.active, self.active & ~faulty)]

    def usage(self) -> list[Outcome]:
        params = self.g.params
        counted = self.active & self.entered if params.usage_denominator == "electronic" else self.active
        if not counted:
            return []
        excluded = NOT_DYNAMIC if params.usage_clinical else NOT_DYNAMIC + CLINICAL_FORMS
        cover = 0
        for code, forms in self.b.by_code.items():
            if code not in excluded:
                for form in forms:
                    cover |= self.g.usage_cover(form.day)
        return [("usage_rate", counted, counted & cover)]

    # children and the elderly

    def _seen(self, codes: Iterable[str]) -> int:
        """Periods holding a form of these codes."""
        seen = 0
        for code in codes:
            for form in self.b.by_code.get(code, ()):
                seen |= self.g.containing(form.day)
        return seen

    def newborn(self) -> list[Outcome]:
        counted = self.g.containing(self.b.birth_date) & self.open
        visits = self.b.by_code.get("newborn_visit")
        visited = self.g.from_day(min(f.day for f in visits)) if counted and visits else 0
        return [("newborn_visit_rate", counted, counted & visited)]

    def child(self) -> list[Outcome]:
        counted = self.g.young(self.b.birth_date) & self.open
        return [("child_management_rate", counted, counted & self._seen(CHILD_FORMS) if counted else 0)]

    def elderly(self, indicator: str, code: str) -> list[Outcome]:
        counted = self.g.elderly(self.b.birth_date) & self.open
        return [(indicator, counted, counted & self._seen((code,)) if counted else 0)]

    # chronic and mental patients

    def _managed(self, programme: str) -> int:
        """Periods in which the record is open and an episode of the programme runs."""
        running = 0
        for e in self.b.episodes:
            if e.programme == programme:
                enrolled = self.g.from_day(e.enrolled_on)
                running |= enrolled & self.g.starting_by(e.closed_on) if e.closed_on is not None else enrolled
        return running & self.open

    def _visits(self, programme: str, form: str) -> tuple[int, Sequence[FormFact], int]:
        """(managed periods holding a visit, the visits by day, the periods with enough of them); the two
        indicators of a programme ask in turn."""
        found = self._followups.get(form)
        if found is None:
            found = self._followups[form] = self._count_visits(programme, form)
        return found

    def _count_visits(self, programme: str, form: str) -> tuple[int, Sequence[FormFact], int]:
        managed = self._managed(programme)
        visits = _sorted(self.b.by_code.get(form, ())) if managed else ()
        counted = managed & self._seen((form,)) if visits else 0
        if not counted:
            return 0, (), 0
        enough = counted & ~self.g.need_more
        if counted & self.g.need_more:
            enough |= self.g.enough([f.day for f in visits], counted & self.g.need_more)
        return counted, visits, enough

    def standard(self, indicator: str, programme: str, form: str) -> list[Outcome]:
        counted, _visits, enough = self._visits(programme, form)
        return [(indicator, counted, enough)] if counted else []

    def _last_met(self, visits: Sequence[FormFact], met: Callable[[FormFact], bool]) -> int:
        """Periods whose latest visit up to the period's day meets the target."""
        g = self.g
        days = [f.day for f in visits]
        found = 0
        for k in range(max(0, bisect_right(days, g.as_of[0]) - 1), len(visits)):
            if met(visits[k]):  # the latest from its day until the next visit's (none if that is the same day)
                found |= g.from_day(days[k]) & g.before(days[k + 1]) if k + 1 < len(days) else g.from_day(days[k])
        return found

    def bp(self) -> list[Outcome]:
        counted, visits, _enough = self._visits("hypertension", "hypertension_followup")
        if not counted:
            return []
        rules, born = self.g.params.rules, self.b.birth_date
        met = self._last_met(visits, lambda f: bp_controlled(rules, f.answers, age_in_years(born, f.day)))
        return [("hypertension_control_rate", counted, counted & met)]

    def glucose(self) -> list[Outcome]:
        counted, visits, _enough = self._visits("diabetes", "diabetes_followup")
        if not counted:
            return []
        rules = self.g.params.rules
        met = self._last_met(visits, lambda f: glucose_controlled(rules, f.answers))
        return [("diabetes_control_rate", counted, counted & met)]

    def mental(self) -> list[Outcome]:
        counted = self._managed("mental")
        if not counted:
            return []
        visits = _sorted(self.b.by_code.get("mental_followup", ()))
        enough = counted & ~self.g.need_more & self._seen(("mental_followup",))
        if counted & self.g.need_more:
            enough |= self.g.enough([f.day for f in visits], counted & self.g.need_more)
        return [("mental_standard_rate", counted, enough)]

    # courses of care: one outcome per episode

    def _course_forms(self, codes: tuple[str, ...]) -> list[tuple[str, date, dict[str, object]]]:
        return [(f.code, f.day, f.answers) for f in self.b.forms_of(codes)]

    def pregnancies(self, indicator: str, which: int) -> list[Outcome]:
        if self._pregnancies is None:
            forms = self._course_forms(MATERNAL_FORMS)
            self._pregnancies = []
            for e in self.b.episodes:
                if e.programme != "maternal":
                    continue
                delivered, early, visited = judge_pregnancy(
                    e.enrolled_on, e.closed_on, e.details, forms, self.g.params.rules
                )
                if delivered is None:
                    continue
                periods = self.live & self.g.containing(delivered)
                if e.closed_on is not None:
                    periods &= self.g.starting_by(e.closed_on)
                if periods:
                    self._pregnancies.append((periods, early, visited))
        return [(indicator, p, p if (early, visited)[which - 1] else 0) for p, early, visited in self._pregnancies]

    def tuberculosis(self, regular: bool) -> list[Outcome]:
        if self._tuberculosis is None:
            forms = self._course_forms(TB_FORMS)
            self._tuberculosis = []
            for e in self.b.episodes:
                if e.programme != "tuberculosis":
                    continue
                told = parse_date(e.details.get("notified_on")) or e.enrolled_on
                on_time, finished, took = judge_tuberculosis(e.closed_on, e.outcome, told, forms, self.g.params.rules)
                notified = self.live & self.g.containing(e.enrolled_on)
                completed = self.live & self.g.containing(e.closed_on) if finished and e.closed_on else 0
                self._tuberculosis.append((notified, completed, on_time, took))
        if regular:
            return [("tuberculosis_regular_rate", c, c if took else 0) for _n, c, _o, took in self._tuberculosis if c]
        return [("tuberculosis_management_rate", n, n if on else 0) for n, _c, on, _t in self._tuberculosis if n]


RULES: dict[str, Callable[[RecordMasks], list[Outcome]]] = {
    "filing_rate": RecordMasks.filing,
    "e_filing_rate": RecordMasks.e_filing,
    "qualified_rate": RecordMasks.qualified,
    "usage_rate": RecordMasks.usage,
    "newborn_visit_rate": RecordMasks.newborn,
    "child_management_rate": RecordMasks.child,
    "early_registration_rate": lambda r: r.pregnancies("early_registration_rate", 1),
    "postpartum_visit_rate": lambda r: r.pregnancies("postpartum_visit_rate", 2),
    "elderly_management_rate": lambda r: r.elderly("elderly_management_rate", "health_examination"),
    "elderly_tcm_rate": lambda r: r.elderly("elderly_tcm_rate", "elderly_tcm"),
    "hypertension_standard_rate": lambda r: r.standard(
        "hypertension_standard_rate", "hypertension", "hypertension_followup"
    ),
    "hypertension_control_rate": RecordMasks.bp,
    "diabetes_standard_rate": lambda r: r.standard("diabetes_standard_rate", "diabetes", "diabetes_followup"),
    "diabetes_control_rate": RecordMasks.glucose,
    "mental_standard_rate": RecordMasks.mental,
    "tuberculosis_management_rate": lambda r: r.tuberculosis(regular=False),
    "tuberculosis_regular_rate": lambda r: r.tuberculosis(regular=True),
}


class Tally:
    """The base cells of some villages, added up record by record (records with the same masks together)."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, uuid.UUID], tuple[PeriodGrid, dict[Outcome, int]]] = {}

    def add(self, bundle: Bundle, grid: PeriodGrid, issues: list[Issue], codes: Iterable[str]) -> None:
        key = (bundle.village_code, bundle.institution_id)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = (grid, {})
        counts = group[1]
        for outcome in RecordMasks(bundle, grid, issues).outcomes(codes):
            if outcome[1]:
                counts[outcome] = counts.get(outcome, 0) + 1

    def cells(self) -> dict[CellKey, list[int]]:
        """(indicator, period, village, institution) → [numerator, denominator], for the cells with records."""
        cells: dict[CellKey, list[int]] = {}
        for (village, institution), (grid, counts) in self._groups.items():
            keys = [p.key for p in grid.periods]
            for (indicator, denominator, numerator), count in counts.items():
                for j in bits(denominator):
                    cell = cells.get((indicator, keys[j], village, institution))
                    if cell is None:
                        cell = cells[(indicator, keys[j], village, institution)] = [0, 0]
                    cell[1] += count
                    if numerator >> j & 1:
                        cell[0] += count
        return cells
