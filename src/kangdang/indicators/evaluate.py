"""The indicator rules (REFERENCE.md §1.7, §8) for one health record and one period: whether the record is in
each indicator's denominator and numerator and, when it is counted in the denominator only, why (in Chinese).

Pure functions of a ``Bundle``: the same rule makes the stored figures (``indicators.refresh`` adds the outcomes
up per village) and the drill-down lists (``indicators.drilldown`` lists them), so the lists add up to the
figures by construction. A period still running is judged as of today (``Period.as_of``).

Filing rates (建档率) take their denominator from the population table; the rule here decides the numerator,
and its denominator counts the records considered (those open on the day), which the drill-down lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from kangdang.indicators.bundle import Bundle, EpisodeFact, FormFact
from kangdang.indicators.parameters import Parameters
from kangdang.indicators.periods import Period
from kangdang.indicators.quality_rules import Issue, quality_on
from kangdang.programmes.facts import CHILD_AGE_OUT_MONTHS, CHILD_FORMS, bp_controlled, glucose_controlled
from kangdang.programmes.facts_courses import judge_pregnancy, judge_tuberculosis, number
from kangdang.programmes.schedule.types import parse_date
from kangdang.records.context import add_months, age_in_years

CLINICAL_FORMS = ("encounter_soap", "consultation", "referral_out", "referral_back")
NOT_DYNAMIC = ("cover", "personal_basic_info")
MATERNAL_FORMS = ("antenatal_first", "postpartum_visit", "postpartum_42day")
TB_FORMS = ("tb_first_visit", "tb_followup")


@dataclass(frozen=True)
class Outcome:
    denominator: int
    numerator: int
    reason: str | None = None  # why the record is counted in the denominator but not (fully) in the numerator


NONE = Outcome(0, 0)


@dataclass(frozen=True)
class Context:
    """One evaluation: a record, a period and the county's parameters (with the record's quality issues)."""

    bundle: Bundle
    start: date
    as_of: date
    params: Parameters
    issues: list[Issue]


def _yes(counted: bool, reason: str) -> Outcome:
    return Outcome(1, 1) if counted else Outcome(1, 0, reason)


def _filing(c: Context) -> Outcome:
    b = c.bundle
    if not b.active_at(c.as_of):
        return NONE
    entered = b.filing_complete_on is not None and b.filing_complete_on <= c.as_of
    if entered or (c.params.paper_counts_as_filed and b.on_paper):
        return Outcome(1, 1)
    return Outcome(1, 0, _missing_basic(b, c.as_of) + ("" if not c.params.paper_counts_as_filed else "，且无纸质档案"))


def _missing_basic(b: Bundle, day: date) -> str:
    child = day < add_months(b.birth_date, CHILD_AGE_OUT_MONTHS)
    return "新生儿家庭访视记录表未填写" if child else "个人基本信息表未填写"


def _e_filing(c: Context) -> Outcome:
    b = c.bundle
    if not b.active_at(c.as_of):
        return NONE
    entered = b.filing_complete_on is not None and b.filing_complete_on <= c.as_of
    return _yes(entered, _missing_basic(b, c.as_of) + "（电子档案未建完整）")


def _qualified(c: Context) -> Outcome:
    if not c.bundle.active_at(c.as_of):
        return NONE
    quality = quality_on(c.issues, c.as_of)
    return _yes(quality.status == "ok", quality.summary or "")


def usage_window(as_of: date, params: Parameters) -> tuple[date, str]:
    """The first day a dynamic record may have, and the Chinese name of the window."""
    if params.usage_window == "calendar_year":
        return date(as_of.year, 1, 1), "本年度"
    return add_months(as_of, -12) + timedelta(days=1), "近12个月"


def _usage(c: Context) -> Outcome:
    b = c.bundle
    if not b.active_at(c.as_of):
        return NONE
    if c.params.usage_denominator == "electronic" and not (b.filing_complete_on and b.filing_complete_on <= c.as_of):
        return NONE
    first, window = usage_window(c.as_of, c.params)
    excluded = NOT_DYNAMIC if c.params.usage_clinical else NOT_DYNAMIC + CLINICAL_FORMS
    dynamic = any(f.code not in excluded and first <= f.day <= c.as_of for f in b.forms)
    return _yes(dynamic, f"{window}无服务记录" if c.params.usage_clinical else f"{window}无公共卫生服务记录")


def _newborn(c: Context) -> Outcome:
    b = c.bundle
    if not (c.start <= b.birth_date <= c.as_of and b.open_during(c.start, c.as_of)):
        return NONE
    return _yes(bool(b.forms_of(("newborn_visit",), end=c.as_of)), "无新生儿家庭访视记录")


def _child(c: Context) -> Outcome:
    b = c.bundle
    young = add_months(c.as_of, -CHILD_AGE_OUT_MONTHS) < b.birth_date <= c.as_of
    if not (young and b.open_during(c.start, c.as_of)):
        return NONE
    return _yes(bool(b.forms_of(CHILD_FORMS, c.start, c.as_of)), "统计期内无新生儿访视或儿童健康检查记录")


def _elderly(c: Context, code: str, reason: str) -> Outcome:
    b = c.bundle
    old = b.birth_date < date(c.as_of.year - c.params.rules.elderly_age + 1, 1, 1)  # 65 or more in the year
    if not (old and b.open_during(c.start, c.as_of)):
        return NONE
    return _yes(bool(b.forms_of((code,), c.start, c.as_of)), reason)


def _episodes(c: Context, programme: str) -> list[EpisodeFact]:
    return [
        e
        for e in c.bundle.episodes
        if e.programme == programme and e.enrolled_on <= c.as_of and (e.closed_on is None or e.closed_on >= c.start)
    ]


def _followups(c: Context, programme: str, form: str) -> tuple[list[FormFact], int] | None:
    """The follow-ups of a managed patient in the period (None when not managed), and how many the rules ask."""
    if not c.bundle.open_during(c.start, c.as_of) or not _episodes(c, programme):
        return None
    visits = c.bundle.forms_of((form,), c.start, c.as_of)
    return (visits, c.params.rules.followups_required(c.start, c.as_of)) if visits else None


def _standard(c: Context, programme: str, form: str) -> Outcome:
    found = _followups(c, programme, form)
    if found is None:
        return NONE
    visits, required = found
    return _yes(len(visits) >= required, f"统计期内随访{len(visits)}次，按规范应不少于{required}次")


def _bp(c: Context) -> Outcome:
    found = _followups(c, "hypertension", "hypertension_followup")
    if found is None:
        return NONE
    last = found[0][-1]
    age = age_in_years(c.bundle.birth_date, last.day)
    if bp_controlled(c.params.rules, last.answers, age):
        return Outcome(1, 1)
    sbp, dbp = number(last.answers.get("sbp")), number(last.answers.get("dbp"))
    if sbp is None or dbp is None:
        return Outcome(1, 0, f"最近一次随访（{last.day:%Y-%m-%d}）未记录血压")
    return Outcome(1, 0, f"最近一次随访（{last.day:%Y-%m-%d}）血压未达标（{sbp}/{dbp} mmHg）")


def _glucose(c: Context) -> Outcome:
    found = _followups(c, "diabetes", "diabetes_followup")
    if found is None:
        return NONE
    last = found[0][-1]
    if glucose_controlled(c.params.rules, last.answers):
        return Outcome(1, 1)
    glucose = number(last.answers.get("fasting_glucose"))
    if glucose is None:
        return Outcome(1, 0, f"最近一次随访（{last.day:%Y-%m-%d}）未记录空腹血糖")
    return Outcome(1, 0, f"最近一次随访（{last.day:%Y-%m-%d}）空腹血糖未达标（{glucose} mmol/L）")


def _mental(c: Context) -> Outcome:
    if not (c.bundle.open_during(c.start, c.as_of) and _episodes(c, "mental")):
        return NONE
    visits = c.bundle.forms_of(("mental_followup",), c.start, c.as_of)
    required = c.params.rules.followups_required(c.start, c.as_of)
    return _yes(len(visits) >= required, f"统计期内随访{len(visits)}次，按规范应不少于{required}次")


def _course_forms(c: Context, codes: tuple[str, ...]) -> list[tuple[str, date, dict[str, object]]]:
    return [(f.code, f.day, f.answers) for f in c.bundle.forms_of(codes)]


def _pregnancies(c: Context, which: int, reason: str) -> Outcome:
    """Deliveries in the period (活产数), counting 早孕建册 (which=1) or a timely postpartum visit (which=2)."""
    forms = _course_forms(c, MATERNAL_FORMS)
    deliveries = counted = 0
    for e in c.bundle.episodes:
        if e.programme != "maternal" or (e.closed_on is not None and e.closed_on < c.start):
            continue
        judged = judge_pregnancy(e.enrolled_on, e.closed_on, e.details, forms, c.params.rules)
        if judged[0] is None or not c.start <= judged[0] <= c.as_of:
            continue
        deliveries += 1
        counted += bool(judged[which])
    return Outcome(deliveries, counted, reason if counted < deliveries else None)


def _tuberculosis(c: Context, regular: bool) -> Outcome:
    forms = _course_forms(c, TB_FORMS)
    denominator = counted = 0
    for e in c.bundle.episodes:
        if e.programme != "tuberculosis":
            continue
        told = parse_date(e.details.get("notified_on")) or e.enrolled_on
        on_time, finished, took = judge_tuberculosis(e.closed_on, e.outcome, told, forms, c.params.rules)
        if not regular and c.start <= e.enrolled_on <= c.as_of:
            denominator, counted = denominator + 1, counted + on_time
        if regular and finished and e.closed_on is not None and c.start <= e.closed_on <= c.as_of:
            denominator, counted = denominator + 1, counted + took
    rules = c.params.rules
    reason = (
        f"服药次数不足应服药次数的{rules.tb_regular_percent}%"
        if regular
        else f"接到通知后{rules.tb_first_visit_days}天内未首次入户随访"
    )
    return Outcome(denominator, counted, reason if counted < denominator else None)


RULES: dict[str, Callable[[Context], Outcome]] = {
    "filing_rate": _filing,
    "e_filing_rate": _e_filing,
    "qualified_rate": _qualified,
    "usage_rate": _usage,
    "newborn_visit_rate": _newborn,
    "child_management_rate": _child,
    "early_registration_rate": lambda c: _pregnancies(c, 1, "孕13周之前未建册并进行第1次产前检查"),
    "postpartum_visit_rate": lambda c: _pregnancies(c, 2, "出院后规定天数内无产后访视"),
    "elderly_management_rate": lambda c: _elderly(c, "health_examination", "统计期内无健康体检记录"),
    "elderly_tcm_rate": lambda c: _elderly(c, "elderly_tcm", "统计期内无中医药健康管理服务记录"),
    "hypertension_standard_rate": lambda c: _standard(c, "hypertension", "hypertension_followup"),
    "hypertension_control_rate": _bp,
    "diabetes_standard_rate": lambda c: _standard(c, "diabetes", "diabetes_followup"),
    "diabetes_control_rate": _glucose,
    "mental_standard_rate": _mental,
    "tuberculosis_management_rate": lambda c: _tuberculosis(c, regular=False),
    "tuberculosis_regular_rate": lambda c: _tuberculosis(c, regular=True),
}


RECORD_RULES = ("filing_rate", "e_filing_rate", "qualified_rate", "usage_rate")
CHILD_RULES = ("newborn_visit_rate", "child_management_rate")
ELDERLY_RULES = ("elderly_management_rate", "elderly_tcm_rate")
PROGRAMME_RULES = {
    "maternal": ("early_registration_rate", "postpartum_visit_rate"),
    "hypertension": ("hypertension_standard_rate", "hypertension_control_rate"),
    "diabetes": ("diabetes_standard_rate", "diabetes_control_rate"),
    "mental": ("mental_standard_rate",),
    "tuberculosis": ("tuberculosis_management_rate", "tuberculosis_regular_rate"),
}


def applicable(bundle: Bundle, first: date, last: date, params: Parameters) -> list[str]:
    """The rules that can count this record in some period from ``first`` to ``last`` (the others are skipped)."""
    codes = list(RECORD_RULES)
    if bundle.birth_date > add_months(first, -CHILD_AGE_OUT_MONTHS):
        codes.extend(CHILD_RULES)
    if bundle.birth_date < date(last.year - params.rules.elderly_age + 1, 1, 1):
        codes.extend(ELDERLY_RULES)
    for programme in sorted({e.programme for e in bundle.episodes}):
        codes.extend(PROGRAMME_RULES.get(programme, ()))
    return codes


def reach_back(periods: list[Period]) -> date:
    """The first day whose records and forms the periods' rules may read (a rolling usage window reaches back
    12 months before a period's end)."""
    return add_months(min(p.start for p in periods), -12)


def evaluate(
    bundle: Bundle, period: Period, today: date, params: Parameters, issues: list[Issue], codes: list[str] | None = None
) -> dict[str, Outcome]:
    """Each indicator's outcome for the record in the period (only those with a denominator)."""
    as_of = period.as_of(today)
    if bundle.filed_on > as_of:
        return {}
    context = Context(bundle, period.start, as_of, params, issues)
    found = {}
    for code in codes or RULES:
        outcome = RULES[code](context)
        if outcome.denominator:
            found[code] = outcome
    return found
