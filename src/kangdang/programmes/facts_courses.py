"""Programme facts that follow a course of care through its episode and its forms (for ``programmes.facts``):
pregnancies delivered in the period (早孕建册, 产后访视 within 28 days of discharge) and tuberculosis courses
(notified and visited within 72 hours, completed with regular doses). The episodes are few, so their forms are
read in one query and judged here, answer by answer.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from kangdang.programmes.models import Episode
from kangdang.programmes.schedule.types import parse_date
from kangdang.records.models import ServiceRecord

if TYPE_CHECKING:
    from kangdang.programmes.facts import FactRules

COMPLETED_TREATMENT = ("course_completed", "cured")  # 已完成治疗: the course was completed, or cured
PREGNANCY_WEEKS = 42  # a pregnancy's forms are looked for from 42 weeks before enrolment when the LMP is unknown


def number(value: Any) -> Decimal | None:
    """A numeric answer as stored in the JSON (int, float or text), None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _forms_of(
    session: Session, person_ids: set[uuid.UUID], codes: tuple[str, ...]
) -> dict[uuid.UUID, list[tuple[str, date, dict[str, Any]]]]:
    """The signed forms of these codes of a few residents (pregnancies, TB courses), oldest first; one query."""
    found: dict[uuid.UUID, list[tuple[str, date, dict[str, Any]]]] = defaultdict(list)
    if not person_ids:
        return found
    rows = session.execute(
        select(ServiceRecord.person_id, ServiceRecord.form_code, ServiceRecord.service_date, ServiceRecord.answers)
        .where(
            ServiceRecord.person_id.in_(person_ids),
            ServiceRecord.form_code.in_(codes),
            ServiceRecord.status == "completed",
        )
        .order_by(ServiceRecord.service_date, ServiceRecord.created_at)
    )
    for person_id, code, day, answers in rows:
        found[person_id].append((code, day, answers or {}))
    return found


def maternal_counts(
    session: Session, region: Select[Any], start: date, end: date, rules: FactRules
) -> tuple[int, int, int]:
    """Deliveries in the period, with 早孕建册 and a postpartum visit within 28 days of discharge."""
    episodes = session.execute(
        select(Episode.person_id, Episode.enrolled_on, Episode.closed_on, Episode.details).where(
            Episode.programme == "maternal",
            or_(Episode.closed_on.is_(None), Episode.closed_on >= start),
            Episode.person_id.in_(region),
        )
    ).all()
    forms = _forms_of(
        session, {e.person_id for e in episodes}, ("antenatal_first", "postpartum_visit", "postpartum_42day")
    )
    deliveries = early = visited = 0
    for person_id, enrolled_on, closed_on, details in episodes:
        delivered, was_early, was_visited = judge_pregnancy(enrolled_on, closed_on, details, forms[person_id], rules)
        if delivered is None or not start <= delivered <= end:
            continue
        deliveries += 1
        early += was_early
        visited += was_visited
    return deliveries, early, visited


def judge_pregnancy(
    enrolled_on: date,
    closed_on: date | None,
    details: dict[str, Any] | None,
    forms: list[tuple[str, date, dict[str, Any]]],
    rules: FactRules,
) -> tuple[date | None, bool, bool]:
    """One pregnancy: its delivery day (None before it), 早孕建册 and a postpartum visit within the days allowed.

    ``forms`` are the woman's signed antenatal and postpartum forms, oldest first (any pregnancy: this one's are
    those from the LMP, or 42 weeks before enrolment, to the episode's close)."""
    details = details or {}
    first = parse_date(details.get("lmp")) or enrolled_on - timedelta(weeks=PREGNANCY_WEEKS)
    last = closed_on or date.max
    mine = [(code, day, a) for code, day, a in forms if first <= day <= last]
    postpartum = [(code, a) for code, _day, a in mine if code != "antenatal_first"]
    delivered = parse_date(details.get("delivery_date")) or next(
        (d for _code, a in postpartum if (d := parse_date(a.get("delivery_date"))) is not None), None
    )
    if delivered is None:
        return None, False, False
    early = any(_early(a, rules) for code, day, a in mine if code == "antenatal_first" and day <= delivered)
    visited = any(_within_days(a, rules) for code, a in postpartum if code == "postpartum_visit")
    return delivered, early, visited


def _early(answers: dict[str, Any], rules: FactRules) -> bool:
    flag = answers.get("early_registration")
    if isinstance(flag, bool):
        return flag
    weeks = number(answers.get("gestational_weeks"))
    return weeks is not None and weeks < rules.early_registration_weeks


def _within_days(answers: dict[str, Any], rules: FactRules) -> bool:
    days = number(answers.get("days_after_discharge"))
    if days is None and not answers.get("discharge_date"):
        days = number(answers.get("days_after_delivery"))  # born at home: counted from the delivery
    return days is not None and 0 <= days <= rules.postpartum_visit_days


def tuberculosis_counts(
    session: Session, region: Select[Any], start: date, end: date, rules: FactRules
) -> tuple[int, int, int, int]:
    """Notified in the period (first visit on time), and closed in the period as completed (regular doses)."""
    episodes = session.execute(
        select(Episode.person_id, Episode.enrolled_on, Episode.closed_on, Episode.outcome, Episode.details).where(
            Episode.programme == "tuberculosis",
            or_(Episode.enrolled_on.between(start, end), Episode.closed_on.between(start, end)),
            Episode.person_id.in_(region),
        )
    ).all()
    forms = _forms_of(session, {e.person_id for e in episodes}, ("tb_first_visit", "tb_followup"))
    notified = on_time = completed = regular = 0
    for person_id, enrolled_on, closed_on, outcome, details in episodes:
        visited, finished, took = judge_tuberculosis(
            closed_on, outcome, _told(enrolled_on, details), forms[person_id], rules
        )
        if start <= enrolled_on <= end:
            notified += 1
            on_time += visited
        if closed_on is not None and start <= closed_on <= end and finished:
            completed += 1
            regular += took
    return notified, on_time, completed, regular


def _told(enrolled_on: date, details: dict[str, Any] | None) -> date:
    return parse_date((details or {}).get("notified_on")) or enrolled_on


def judge_tuberculosis(
    closed_on: date | None,
    outcome: str | None,
    told: date,
    forms: list[tuple[str, date, dict[str, Any]]],
    rules: FactRules,
) -> tuple[bool, bool, bool]:
    """One TB course notified on ``told``: first home visit on time, treatment completed, doses taken regularly."""
    on_time = any(
        code == "tb_first_visit" and told <= day <= told + timedelta(days=rules.tb_first_visit_days)
        for code, day, _a in forms
    )
    finished = closed_on is not None and outcome in COMPLETED_TREATMENT
    closing = next(
        (a for code, day, a in forms if code == "tb_followup" and day >= told and a.get("stop_reason")),
        None,
    )
    return on_time, finished, finished and closing is not None and _regular(closing, rules)


def _regular(answers: dict[str, Any], rules: FactRules) -> bool:
    due, taken = number(answers.get("doses_required")), number(answers.get("doses_actual"))
    return due is not None and taken is not None and due > 0 and taken * 100 >= due * rules.tb_regular_percent
