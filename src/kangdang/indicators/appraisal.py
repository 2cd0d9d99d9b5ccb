"""Appraisal (绩效考核) and subsidies (补助): the county's scoring scheme per year (weights per item), and score
sheets ranking its township centres or village offices and splitting a subsidy budget by score (seed 002 (F)).

Items are the catalogue's indicators (read from the precomputed figures, area type 全部) and the inspection-based
rates of supervision (督导抽查合格率, 动态使用率: a village office takes its township's). The scoring itself is
pure (``indicators.appraisal_scoring``). Schemes are versioned rows (the newest wins); sheets are kept for life
because subsidies were paid on them — a new computation is a new sheet.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import ErrorCollector, FieldError, InvalidInput, NotFound
from kangdang.indicators import supervision
from kangdang.indicators.appraisal_scoring import Candidate, appraise
from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.models import IndicatorValue
from kangdang.indicators.models_appraisal import AppraisalLine, AppraisalScheme, AppraisalSheet
from kangdang.indicators.periods import Period, parse_period
from kangdang.indicators.read import percent, region_visible
from kangdang.indicators.targets import check_managed_county, check_year, require_county
from kangdang.institutions.models import Institution
from kangdang.institutions.types import InstitutionType

INSPECTION_ITEMS = {"inspection_qualified": "督导抽查合格率", "inspection_dynamic": "督导抽查动态使用率"}
DEFAULT_WEIGHTS = {
    "filing_rate": 20,
    "e_filing_rate": 10,
    "qualified_rate": 15,
    "usage_rate": 15,
    "hypertension_standard_rate": 10,
    "diabetes_standard_rate": 10,
    "elderly_management_rate": 10,
    "inspection_qualified": 10,
}
KIND_TYPES = {
    "township": (InstitutionType.TOWNSHIP_CENTRAL, InstitutionType.TOWNSHIP_GENERAL, InstitutionType.COMMUNITY_CENTRE),
    "village": (InstitutionType.VILLAGE_OFFICE, InstitutionType.COMMUNITY_STATION),
}
KIND_LABELS = {"township": "乡镇卫生院、社区卫生服务中心", "village": "村卫生室、社区卫生服务站"}
MAX_BUDGET = Decimal("999999999999.99")
SHEET_NOT_FOUND = "未找到该考核表，或您无权查看"


def item_labels() -> dict[str, str]:
    """Every appraisal item (code → Chinese name): the indicators in the catalogue's order, then inspections."""
    return {code: definition.name for code, definition in catalogue().items()} | INSPECTION_ITEMS


@dataclass(frozen=True)
class Scheme:
    """The weights in force for a county and year (items with weight 0 left out), in the items' order."""

    county: str
    year: int
    weights: dict[str, Decimal]
    id: uuid.UUID | None = None  # None: the default scheme (nothing set yet)
    set_by: str | None = None
    set_at: datetime | None = None

    @property
    def is_default(self) -> bool:
        return self.id is None

    @property
    def total(self) -> Decimal:
        """The highest score an institution can reach."""
        return sum(self.weights.values(), Decimal(0))


@dataclass(frozen=True)
class LineItem:
    item: str
    label: str
    weight: Decimal
    rate: Decimal | None
    score: Decimal


@dataclass(frozen=True)
class SheetLine:
    institution_id: uuid.UUID
    code: str
    name: str
    rank: int
    score: Decimal
    subsidy: Decimal
    items: list[LineItem]

    @property
    def missing(self) -> list[str]:
        """The Chinese names of the items without a figure (scored 0)."""
        return [i.label for i in self.items if i.rate is None]


@dataclass(frozen=True)
class SheetView:
    sheet: AppraisalSheet
    period: Period
    weights: dict[str, Decimal]  # item → weight, in the items' order
    labels: dict[str, str]
    lines: list[SheetLine]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.sheet.institution_kind]

    @property
    def total_subsidy(self) -> Decimal:
        return sum((line.subsidy for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class SheetSummary:
    id: uuid.UUID
    region_code: str
    period: str
    period_label: str
    institution_kind: str
    kind_label: str
    budget: Decimal
    institutions: int
    computed_by: str
    computed_at: datetime


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _ordered(weights: Mapping[str, Any]) -> dict[str, Decimal]:
    return {item: _decimal(weights[item]) for item in item_labels() if item in weights and _decimal(weights[item]) > 0}


def _stored(weight: Decimal) -> int | float:
    """A weight as a JSON number (whole weights as integers)."""
    return int(weight) if weight == weight.to_integral_value() else float(weight)


def _newest_scheme(session: Session, county: str, year: int) -> AppraisalScheme | None:
    return session.scalar(
        select(AppraisalScheme)
        .where(AppraisalScheme.region_code == county, AppraisalScheme.year == year)
        .order_by(AppraisalScheme.set_at.desc(), AppraisalScheme.id.desc())
        .limit(1)
    )


def current_scheme(session: Session, county: str, year: int) -> Scheme:
    """The county's weights for the year: the newest scheme set, or the default when none was."""
    row = _newest_scheme(session, county, year)
    if row is None:
        return Scheme(county, year, _ordered(DEFAULT_WEIGHTS))
    return Scheme(county, year, _ordered(row.weights), row.id, row.set_by, row.set_at)


def get_scheme(session: Session, actor: Actor, *, county: str, year: int) -> Scheme:
    """The scheme in force, for someone who may see the county's appraisal."""
    actor.require(Action.APPRAISAL_VIEW)
    require_county(session, actor, county)
    errors = ErrorCollector()
    when = check_year(year, errors)
    errors.raise_if_any()
    assert when is not None
    return current_scheme(session, county, when)


def check_weights(weights: Mapping[str, Any]) -> dict[str, Decimal]:
    """Every item's weight (0–100, at most two decimals; empty is 0), at least one above 0; field errors naming
    the item otherwise (fields ``weights.<item>``)."""
    labels = item_labels()
    errors = ErrorCollector()
    if not isinstance(weights, Mapping):
        raise InvalidInput(errors=[FieldError("weights", "权重：请按考核项目填写")])
    result: dict[str, Decimal] = {}
    for item, raw in weights.items():
        if item not in labels:
            errors.add(f"weights.{item}", f"考核项目“{item}”：没有这个项目")
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            value = None if isinstance(raw, bool) else Decimal(str(raw).strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not 0 <= value <= 100 or value != value.quantize(Decimal("0.01")):
            errors.add(f"weights.{item}", f"{labels[item]}：权重请填写0～100之间的数，最多两位小数")
            continue
        if value > 0:
            result[item] = value
    if not errors.errors and not result:
        errors.add("weights", "权重：至少要有一个考核项目的权重大于0")
    errors.raise_if_any()
    return {item: result[item] for item in labels if item in result}


def set_scheme(session: Session, actor: Actor, *, county: str, year: int | str, weights: Mapping[str, Any]) -> Scheme:
    """Set the county's weights for a year (a new version; the previous stays as history)."""
    actor.require(Action.APPRAISAL_MANAGE)
    check_managed_county(session, actor, county)
    errors = ErrorCollector()
    when = check_year(year, errors)
    errors.raise_if_any()
    assert when is not None
    checked = check_weights(weights)
    before = current_scheme(session, county, when)
    row = AppraisalScheme(
        region_code=county, year=when, weights={k: _stored(v) for k, v in checked.items()}, set_by=actor.login
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor,
        "appraisal.scheme",
        subject_type="region",
        subject_id=county,
        details={
            "year": when,
            "from": {k: str(v) for k, v in before.weights.items()},
            "to": {k: str(v) for k, v in checked.items()},
        },
    )
    return current_scheme(session, county, when)


def check_budget(raw: Any, errors: ErrorCollector) -> Decimal | None:
    message = "补助总额：请填写不小于0的金额（元），最多两位小数"
    try:
        value = None if raw is None or isinstance(raw, bool) else Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        errors.add("budget", message)
        return None
    if value > MAX_BUDGET:  # before quantize, which fails on huge exponents
        errors.add("budget", "补助总额：金额过大")
        return None
    if value != value.quantize(Decimal("0.01")):
        errors.add("budget", message)
        return None
    return value.quantize(Decimal("0.01"))


def _rates(
    session: Session, *, kind: str, period: Period, county: str, units: list[str], items: list[str]
) -> dict[str, dict[str, Decimal | None]]:
    """The rate of every weighted item by unit code: the precomputed figures (area type 全部; None without a
    figure or a denominator) and the inspection-based rates of the unit's township."""
    rates: dict[str, dict[str, Decimal | None]] = {unit: {} for unit in units}
    indicators = [item for item in items if item in catalogue()]
    if indicators:
        values = session.execute(
            select(
                IndicatorValue.unit_code, IndicatorValue.indicator, IndicatorValue.numerator, IndicatorValue.denominator
            ).where(
                IndicatorValue.unit_kind == kind,
                IndicatorValue.period == period.key,
                IndicatorValue.area_type == "all",
                IndicatorValue.indicator.in_(indicators),
                IndicatorValue.unit_code.startswith(county),
            )
        )
        for unit, indicator, numerator, denominator in values:
            if unit in rates:
                rates[unit][indicator] = percent(numerator, denominator)
    if any(item in INSPECTION_ITEMS for item in items):
        inspected = supervision.inspection_rates_by_region(session, county=county, year=period.year)
        for unit in units:
            found = inspected.get(unit[:9])
            rates[unit]["inspection_qualified"] = found.qualified_rate if found else None
            rates[unit]["inspection_dynamic"] = found.dynamic_rate if found else None
    return rates


def _unit_of(institution: Institution, kind: str) -> str:
    return institution.region_code[:9] if kind == "township" else institution.region_code


def compute_sheet(
    session: Session, actor: Actor, *, county: str, period: str, institution_kind: str, budget: Any
) -> SheetView:
    """Rank the county's active institutions of one kind by the year's weights on the period's figures, and split
    the budget by score exactly to the fen. Stored as a new sheet (with the default scheme saved when the year
    has none, so that the sheet names the weights it used)."""
    actor.require(Action.APPRAISAL_MANAGE)
    check_managed_county(session, actor, county)
    errors = ErrorCollector()
    when: Period | None = None
    try:
        when = parse_period(period)
    except InvalidInput as error:
        errors.errors.extend(error.errors)
    if institution_kind not in KIND_TYPES:
        errors.add("institution_kind", "考核对象：请选择乡镇卫生院（社区卫生服务中心）或村卫生室（社区卫生服务站）")
    amount = check_budget(budget, errors)
    errors.raise_if_any()
    assert when is not None and amount is not None
    institutions = list(
        session.scalars(
            select(Institution)
            .where(
                Institution.type.in_([t.value for t in KIND_TYPES[institution_kind]]),
                Institution.status == "active",
                Institution.region_code.startswith(county),
            )
            .order_by(Institution.code)
        )
    )
    if not institutions:
        raise InvalidInput(
            "该县（区）没有可考核的机构",
            errors=[FieldError("institution_kind", f"考核对象：本县（区）没有在用的{KIND_LABELS[institution_kind]}")],
        )
    scheme = current_scheme(session, county, when.year)
    scheme_id = scheme.id
    if scheme_id is None:
        saved = AppraisalScheme(
            region_code=county,
            year=when.year,
            weights={k: _stored(v) for k, v in scheme.weights.items()},
            set_by=actor.login,
        )
        session.add(saved)
        session.flush()
        scheme_id = saved.id
    units = sorted({_unit_of(i, institution_kind) for i in institutions})
    rates = _rates(session, kind=institution_kind, period=when, county=county, units=units, items=list(scheme.weights))
    candidates = [Candidate(i.code, i.name, rates[_unit_of(i, institution_kind)]) for i in institutions]
    by_code = {i.code: i for i in institutions}
    lines = appraise(candidates, scheme.weights, amount)
    sheet = AppraisalSheet(
        scheme_id=scheme_id,
        region_code=county,
        period=when.key,
        institution_kind=institution_kind,
        budget=amount,
        computed_by=actor.login,
    )
    session.add(sheet)
    session.flush()
    session.add_all(
        AppraisalLine(
            sheet_id=sheet.id,
            institution_id=by_code[line.code].id,
            items={
                i.item: {
                    "weight": str(i.weight),
                    "rate": None if i.rate is None else str(i.rate),
                    "score": str(i.score),
                }
                for i in line.items
            },
            score=line.score,
            rank=line.rank,
            subsidy=line.subsidy,
        )
        for line in lines
    )
    session.flush()
    record_event(
        session,
        actor,
        "appraisal.compute",
        subject_type="appraisal_sheet",
        subject_id=sheet.id,
        details={
            "county": county,
            "period": when.key,
            "institution_kind": institution_kind,
            "budget": str(amount),
            "institutions": len(lines),
            "weights": {k: str(v) for k, v in scheme.weights.items()},
        },
    )
    return _view(session, sheet)


def _visible_counties(actor: Actor) -> ColumnElement[bool]:
    """The sheets whose county holds or lies within the actor's territory, in SQL."""
    scope = actor.scope
    if scope.everything:
        return true()
    clauses: list[ColumnElement[bool]] = []
    for prefix in (*scope.region_prefixes, *sorted(scope.village_codes)):
        if len(prefix) <= 6:
            clauses.append(AppraisalSheet.region_code.startswith(prefix))
        else:
            clauses.append(AppraisalSheet.region_code == prefix[:6])
    return or_(*clauses) if clauses else false()


def list_sheets(
    session: Session, actor: Actor, *, county: str | None = None, year: int | None = None
) -> list[SheetSummary]:
    """The computed sheets the actor may see, newest first (optionally of one county and year)."""
    actor.require(Action.APPRAISAL_VIEW)
    counted = select(AppraisalLine.sheet_id, func.count().label("n")).group_by(AppraisalLine.sheet_id).subquery()
    stmt = (
        select(AppraisalSheet, counted.c.n)
        .join(counted, counted.c.sheet_id == AppraisalSheet.id)
        .where(_visible_counties(actor))
        .order_by(AppraisalSheet.computed_at.desc(), AppraisalSheet.id.desc())
    )
    if county:
        stmt = stmt.where(AppraisalSheet.region_code == county)
    if year:
        stmt = stmt.where(AppraisalSheet.period.startswith(str(year)))
    return [
        SheetSummary(
            id=sheet.id,
            region_code=sheet.region_code,
            period=sheet.period,
            period_label=parse_period(sheet.period).label,
            institution_kind=sheet.institution_kind,
            kind_label=KIND_LABELS[sheet.institution_kind],
            budget=sheet.budget,
            institutions=count,
            computed_by=sheet.computed_by,
            computed_at=sheet.computed_at,
        )
        for sheet, count in session.execute(stmt)
    ]


def get_sheet(session: Session, actor: Actor, sheet_id: uuid.UUID) -> SheetView:
    """One sheet with its lines by rank; NotFound when missing or outside the actor's territory."""
    actor.require(Action.APPRAISAL_VIEW)
    sheet = session.get(AppraisalSheet, sheet_id)
    if sheet is None or not region_visible(actor, sheet.region_code):
        raise NotFound(SHEET_NOT_FOUND)
    return _view(session, sheet)


def _view(session: Session, sheet: AppraisalSheet) -> SheetView:
    labels = item_labels()
    scheme = session.get_one(AppraisalScheme, sheet.scheme_id)
    weights = _ordered(scheme.weights)
    rows = session.execute(
        select(AppraisalLine, Institution.code, Institution.name)
        .join(Institution, Institution.id == AppraisalLine.institution_id)
        .where(AppraisalLine.sheet_id == sheet.id)
        .order_by(AppraisalLine.rank, Institution.name, Institution.code)
    )
    lines = []
    for line, code, name in rows:
        items = [
            LineItem(
                item,
                labels.get(item, item),
                _decimal(value["weight"]),
                None if value.get("rate") is None else _decimal(value["rate"]),
                _decimal(value["score"]),
            )
            for item, value in line.items.items()
        ]
        order = list(labels)
        items.sort(key=lambda i: order.index(i.item) if i.item in order else len(order))
        lines.append(SheetLine(line.institution_id, code, name, line.rank, line.score, line.subsidy, items))
    return SheetView(sheet, parse_period(sheet.period), weights, labels, lines)
