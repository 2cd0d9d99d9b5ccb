"""Programme facts for the key-population indicators (REFERENCE.md §8), for one region and one period.

``programme_facts(session, region_code=…, start=…, end=…)`` counts, with a handful of aggregated queries,
the numerators and denominators the indicators layer turns into rates (规范管理率, 控制率, 新生儿访视率,
早孕建册率, 产后访视率, 老年人健康管理率, 规则服药率 …). The region is the residents whose open health record
(档案) is kept by a village whose code starts with ``region_code`` (a county has 6 digits, a township 9, a
village 12); the period is ``start`` to ``end``, both days included. Only signed (completed) forms count.

Aggregate use only: nothing personal leaves this module, so it is not audited; nor is it scoped by an actor —
**the indicators layer must check that its caller may see the region** (e.g. ``actor.scope`` covers the
region code) before calling it.

The operational rules that vary between provinces are in ``FactRules`` and can be changed per call. Pregnancies
and tuberculosis courses, which are followed through their episode's details and forms, are counted in
``programmes.facts_courses``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Executable, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from kangdang.core.errors import FieldError, InvalidInput
from kangdang.programmes.facts_courses import maternal_counts, number, tuberculosis_counts
from kangdang.programmes.models import Episode
from kangdang.records.context import add_months, age_in_years
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import HealthRecord, Person

CHILD_FORMS = ("newborn_visit", "child_check_infant", "child_check_toddler", "child_check_preschool")
CHILD_AGE_OUT_MONTHS = 84  # 0～6岁: until the 7th birthday


@dataclass(frozen=True)
class FactRules:
    """The configurable operational definitions (REFERENCE.md §8, "make them configurable")."""

    followup_interval_days: int = 90  # 按规范管理: ≥ floor(days in the period ÷ 90) follow-ups, at least 1
    bp_target: tuple[int, int] = (140, 90)  # 血压达标: SBP < 140 and DBP < 90 …
    bp_target_elderly: tuple[int, int] = (150, 90)  # … for 65+ on the day of the visit: SBP < 150 and DBP < 90
    elderly_age: int = 65
    glucose_target: Decimal = Decimal("7.0")  # 血糖达标: fasting glucose < 7.0 mmol/L
    early_registration_weeks: int = 13  # 早孕建册: before 13 weeks
    postpartum_visit_days: int = 28  # 产后访视: within 28 days after discharge (some provinces use 7)
    tb_first_visit_days: int = 3  # 72 hours after the notification
    tb_regular_percent: int = 90  # 规则服药: doses taken ≥ 90% of the doses due

    def followups_required(self, start: date, end: date) -> int:
        """Follow-ups a patient needs in the period to count as managed per the specification (pro-rated)."""
        return max(1, ((end - start).days + 1) // self.followup_interval_days)


@dataclass(frozen=True)
class ProgrammeFacts:
    """Counts of residents (or episodes, where said) of one region in one period; all ints."""

    followups_required: int
    """Follow-ups in the period that make a chronic or mental patient 按规范管理 (``FactRules``)."""
    hypertension_managed: int
    """年内已管理的高血压患者: an episode active during the period and ≥ 1 signed follow-up in it."""
    hypertension_per_spec: int
    """按照规范要求管理的高血压患者: of the managed, ≥ ``followups_required`` follow-ups in the period."""
    hypertension_controlled: int
    """最近一次随访血压达标: of the managed, the last follow-up in the period had SBP < 140 and DBP < 90
    (aged 65 or more on that day: SBP < 150 and DBP < 90)."""
    diabetes_managed: int
    """年内已管理的2型糖尿病患者: an episode active during the period and ≥ 1 signed follow-up in it."""
    diabetes_per_spec: int
    """按照规范要求管理的2型糖尿病患者: of the managed, ≥ ``followups_required`` follow-ups in the period."""
    diabetes_controlled: int
    """最近一次随访空腹血糖达标: of the managed, fasting glucose < 7.0 mmol/L on the last follow-up."""
    children_0_6: int
    """辖区内0～6岁儿童数: residents aged 0–6 (not yet 7) on the last day of the period."""
    children_seen: int
    """接受1次及以上随访的0～6岁儿童数: of those, a newborn visit or a child health check in the period."""
    newborns: int
    """活产数 (as filed): residents born in the period."""
    newborns_visited: int
    """接受1次及以上访视的新生儿: of those born in the period, a signed newborn home visit (any date)."""
    deliveries: int
    """Pregnancy episodes delivered in the period (the episode's delivery date, else a postpartum form's)."""
    early_registration: int
    """孕13周之前建册: of those deliveries, a first antenatal check with 早孕建册 (孕周 < 13)."""
    postpartum_visited_28d: int
    """出院后28天内接受过产后访视: of those deliveries, a postpartum visit 0–28 days after discharge (after the
    delivery for a birth at home)."""
    elderly_65: int
    """辖区内65岁及以上常住居民数: residents who are 65 or more in the period's (last) year."""
    elderly_managed: int
    """年内接受健康管理的老年人: of those, a health examination (健康体检表) in the period."""
    elderly_tcm: int
    """年内接受中医药健康管理的老年人: of those, a TCM health-management record in the period."""
    mental_registered: int
    """登记在册的严重精神障碍患者: residents with a mental-disorder episode active during the period."""
    mental_per_spec: int
    """按照规范要求管理的严重精神障碍患者: of those, ≥ ``followups_required`` follow-ups in the period."""
    tb_notified: int
    """通知基层管理的肺结核患者: tuberculosis episodes enrolled in the period."""
    tb_first_visit_on_time: int
    """Of those, a first home visit within 3 days (72 hours) of the notification."""
    tb_completed: int
    """已完成治疗的肺结核患者: tuberculosis episodes closed in the period as completed or cured."""
    tb_regular: int
    """规则服药: of those, the closing follow-up's doses taken ≥ 90% of the doses due."""


def programme_facts(
    session: Session, *, region_code: str, start: date, end: date, rules: FactRules | None = None
) -> ProgrammeFacts:
    """The programme facts of the region's residents for the period (see ``ProgrammeFacts``)."""
    _check(region_code, start, end)
    rules = rules or FactRules()
    region = select(HealthRecord.person_id).where(
        HealthRecord.status == "active", HealthRecord.village_code.startswith(region_code)
    )
    required = rules.followups_required(start, end)
    htn = _chronic(session, region, "hypertension", "hypertension_followup", start, end, required, _bp_check(rules))
    dm = _chronic(session, region, "diabetes", "diabetes_followup", start, end, required, _glucose_check(rules))
    counts = [
        *_children(session, region, start, end),
        *maternal_counts(session, region, start, end, rules),
        *_elderly(session, region, start, end, rules),
        *_mental(session, region, start, end, required),
        *tuberculosis_counts(session, region, start, end, rules),
    ]
    # in the order of the fields (each helper returns its programme's counts in field order)
    values = [required, *htn, *dm, *counts]
    return ProgrammeFacts(**dict(zip([f.name for f in fields(ProgrammeFacts)], values, strict=True)))


def _check(region_code: str, start: date, end: date) -> None:
    errors = []
    if not region_code.isdigit() or len(region_code) > 12:
        errors.append(FieldError("region_code", "区划代码：请填写县、乡镇或村的区划代码"))
    if start > end:
        errors.append(FieldError("end", "统计期间：结束日期不能早于开始日期"))
    if errors:
        raise InvalidInput(errors=errors)


def _forms(codes: tuple[str, ...], start: date, end: date) -> list[ColumnElement[bool]]:
    return [ServiceRecord.form_code.in_(codes), ServiceRecord.status == "completed", _within(start, end)]


def _within(start: date, end: date) -> ColumnElement[bool]:
    return ServiceRecord.service_date.between(start, end)


def _active_during(programme: str, start: date, end: date) -> list[ColumnElement[bool]]:
    return [
        Episode.programme == programme,
        Episode.enrolled_on <= end,
        or_(Episode.closed_on.is_(None), Episode.closed_on >= start),
    ]


def _count(session: Session, stmt: Executable) -> list[int]:
    return [int(value or 0) for value in session.execute(stmt).one()]


def _chronic(
    session: Session,
    region: Select[Any],
    programme: str,
    form_code: str,
    start: date,
    end: date,
    required: int,
    controlled: Callable[[dict[str, Any], int], bool],
) -> tuple[int, int, int]:
    """Managed, per specification and controlled: one query returns each patient's last follow-up of the
    period (its answers) with the number of follow-ups in the period."""
    enrolled = select(Episode.person_id).where(*_active_during(programme, start, end))
    ranked = (
        select(
            ServiceRecord.person_id,
            ServiceRecord.service_date,
            ServiceRecord.answers,
            func.count().over(partition_by=ServiceRecord.person_id).label("visits"),
            func.row_number()
            .over(
                partition_by=ServiceRecord.person_id,
                order_by=(ServiceRecord.service_date.desc(), ServiceRecord.created_at.desc(), ServiceRecord.id.desc()),
            )
            .label("newest"),
        )
        .where(*_forms((form_code,), start, end), ServiceRecord.person_id.in_(region))
        .where(ServiceRecord.person_id.in_(enrolled))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.service_date, ranked.c.answers, ranked.c.visits, Person.birth_date)
        .join(Person, Person.id == ranked.c.person_id)
        .where(ranked.c.newest == 1)
    ).all()
    per_spec = sum(1 for row in rows if row.visits >= required)
    met = sum(1 for row in rows if controlled(row.answers or {}, age_in_years(row.birth_date, row.service_date)))
    return len(rows), per_spec, met


def bp_controlled(rules: FactRules, answers: dict[str, Any], age: int) -> bool:
    """血压达标 on one follow-up: below the target for the patient's age on the day."""
    sbp, dbp = number(answers.get("sbp")), number(answers.get("dbp"))
    if sbp is None or dbp is None:
        return False
    high_sbp, high_dbp = rules.bp_target_elderly if age >= rules.elderly_age else rules.bp_target
    return sbp < high_sbp and dbp < high_dbp


def glucose_controlled(rules: FactRules, answers: dict[str, Any]) -> bool:
    """血糖达标 on one follow-up: fasting glucose below the target."""
    glucose = number(answers.get("fasting_glucose"))
    return glucose is not None and glucose < rules.glucose_target


def _bp_check(rules: FactRules) -> Callable[[dict[str, Any], int], bool]:
    return lambda answers, age: bp_controlled(rules, answers, age)


def _glucose_check(rules: FactRules) -> Callable[[dict[str, Any], int], bool]:
    return lambda answers, _age: glucose_controlled(rules, answers)


def _has_form(codes: tuple[str, ...], start: date | None = None, end: date | None = None) -> ColumnElement[bool]:
    """A signed form of these codes for the outer query's person (in the period, when given)."""
    where = [
        ServiceRecord.person_id == Person.id,
        ServiceRecord.form_code.in_(codes),
        ServiceRecord.status == "completed",
    ]
    if start is not None and end is not None:
        where.append(_within(start, end))
    return select(ServiceRecord.id).where(*where).exists()


def _children(session: Session, region: Select[Any], start: date, end: date) -> list[int]:
    young = Person.birth_date > add_months(end, -CHILD_AGE_OUT_MONTHS)  # not yet 7 on the last day
    born = Person.birth_date.between(start, end)
    seen = _has_form(CHILD_FORMS, start, end)
    visited = _has_form(("newborn_visit",))
    return _count(
        session,
        select(
            func.count(case((young, 1))),
            func.count(case((and_(young, seen), 1))),
            func.count(case((born, 1))),
            func.count(case((and_(born, visited), 1))),
        ).where(Person.id.in_(region), Person.birth_date <= end, or_(young, born)),
    )


def _elderly(session: Session, region: Select[Any], start: date, end: date, rules: FactRules) -> list[int]:
    old = Person.birth_date < date(end.year - rules.elderly_age + 1, 1, 1)  # 65 or more in the year
    return _count(
        session,
        select(
            func.count(),
            func.count(case((_has_form(("health_examination",), start, end), 1))),
            func.count(case((_has_form(("elderly_tcm",), start, end), 1))),
        ).where(Person.id.in_(region), old),
    )


def _mental(session: Session, region: Select[Any], start: date, end: date, required: int) -> list[int]:
    people = (
        select(Episode.person_id.label("person_id"))
        .where(*_active_during("mental", start, end), Episode.person_id.in_(region))
        .distinct()
        .subquery()
    )
    visits = (
        select(func.count())
        .where(ServiceRecord.person_id == people.c.person_id, *_forms(("mental_followup",), start, end))
        .scalar_subquery()
    )
    return _count(session, select(func.count(), func.count(case((visits >= required, 1)))).select_from(people))
