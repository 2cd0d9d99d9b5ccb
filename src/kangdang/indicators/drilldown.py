"""Drill-down (下钻): the residents behind a village's figure — those counted, and those in the denominator but
not the numerator, each with the reason — computed by the same rules as the stored figure, so the lists add
up to it. Personal data: needs INDICATOR_DRILL, scoped to the actor's records, audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.core.errors import FieldError, InvalidInput, NotFound
from kangdang.core.pagination import Page, PageRequest
from kangdang.indicators.bundle import load_bundles
from kangdang.indicators.catalogue import catalogue
from kangdang.indicators.evaluate import evaluate, reach_back
from kangdang.indicators.parameters import current_parameters
from kangdang.indicators.periods import parse_period
from kangdang.indicators.quality_rules import record_issues
from kangdang.indicators.read import UNIT_NOT_FOUND, figures
from kangdang.regions.service import region_names
from kangdang.residents.scope import village_in_territory

WHICH = ("not_counted", "counted")


@dataclass(frozen=True)
class DrillRow:
    record_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    sex: str
    birth_date: date
    record_number: str
    village_code: str
    counted: bool
    reason: str | None


@dataclass(frozen=True)
class DrillResult:
    indicator: str
    period: str
    village_code: str
    village_name: str
    numerator: int
    denominator: int | None
    rows: Page[DrillRow]
    counted_total: int
    not_counted_total: int
    unfiled: int | None  # population indicators: 常住人口 − 建档人数, people without a record (not listable)


def drill_down(
    session: Session,
    actor: Actor,
    *,
    indicator: str,
    period: str,
    village: str,
    which: str = "not_counted",
    page: PageRequest | None = None,
    today: date | None = None,
) -> DrillResult:
    """The residents of one village counted (``which="counted"``) or not counted in one figure."""
    actor.require(Action.INDICATOR_DRILL)
    definition = catalogue().get(indicator)
    if definition is None:
        raise InvalidInput(errors=[FieldError("indicator", "指标：没有这个指标")])
    if which not in WHICH:
        raise InvalidInput(errors=[FieldError("which", "名单：请选择已计入或未计入")])
    when = parse_period(period)
    if not (village.isdigit() and len(village) == 12) or not village_in_territory(actor, village):
        raise NotFound(UNIT_NOT_FOUND)
    today = today or today_local()
    params = current_parameters(session, village[:6])
    counted: list[DrillRow] = []
    missed: list[DrillRow] = []
    for bundle in load_bundles(session, [village], since=reach_back([when])):
        outcome = evaluate(bundle, when, today, params, record_issues(bundle, params), [indicator]).get(indicator)
        if outcome is None:
            continue
        row = DrillRow(
            record_id=bundle.record_id,
            person_id=bundle.person_id,
            name=bundle.name,
            sex=bundle.sex,
            birth_date=bundle.birth_date,
            record_number=bundle.record_number,
            village_code=bundle.village_code,
            counted=outcome.numerator > 0,
            reason=outcome.reason,
        )
        if outcome.numerator:
            counted.extend([row] * outcome.numerator)  # a woman with two deliveries counts twice
        if outcome.denominator > outcome.numerator:
            missed.extend([row] * (outcome.denominator - outcome.numerator))
    chosen = counted if which == "counted" else missed
    request = page or PageRequest()
    rows = Page(
        items=chosen[request.offset : request.offset + request.size],
        total=len(chosen),
        page=request.page,
        size=request.size,
    )
    figure = figures(session, actor, period=when.key, units=[village], indicators=[indicator])[0]
    denominator = figure.denominator if definition.from_population else len(counted) + len(missed)
    record_event(
        session,
        actor,
        "indicator.drill",
        subject_type="region",
        subject_id=village,
        details={"indicator": indicator, "period": when.key, "which": which, "shown": len(rows.items)},
    )
    return DrillResult(
        indicator=indicator,
        period=when.key,
        village_code=village,
        village_name=region_names(session, [village]).get(village, village),
        numerator=len(counted),
        denominator=denominator,
        rows=rows,
        counted_total=len(counted),
        not_counted_total=len(missed),
        unfiled=max(0, denominator - len(counted) - len(missed))
        if definition.from_population and denominator
        else None,
    )
