"""Supervision (督导检查): the bureau plans inspections of its units (the county checks each township at least twice a
year, the city each county at least once), draws a reproducible sample of records stratified by village, fills a
checklist per sampled record (填写规范? 有动态记录? telephone check with the resident), records findings with a
deadline, and the inspected centre reports their rectification (整改). Reading — who sees what, the year's plan,
one inspection, the inspection-based rates — is in ``indicators.supervision_read`` and re-exported here.
"""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import today_local, utcnow
from kangdang.core.errors import Conflict, ErrorCollector, FieldError, InvalidInput, NotFound
from kangdang.indicators.models_supervision import (
    PHONE_RESULTS,
    Inspection,
    InspectionCheck,
    InspectionFinding,
    InspectionSample,
)
from kangdang.indicators.sampling import Candidate, draw
from kangdang.indicators.supervision_read import (
    INSPECTION_NOT_FOUND,
    PHONE_LABELS,
    STATUS_LABELS,
    Coverage,
    FindingLine,
    InspectionLine,
    InspectionPlan,
    InspectionRates,
    InspectionView,
    SampleLine,
    centre_townships,
    get_inspection,
    get_visible_inspection,
    inspection_rates,
    inspection_rates_by_region,
    list_inspections,
    manages,
    region_name,
)
from kangdang.institutions.models import Institution
from kangdang.regions.models import Region
from kangdang.residents.models import HealthRecord

__all__ = [
    "INSPECTION_NOT_FOUND",
    "PHONE_LABELS",
    "STATUS_LABELS",
    "Coverage",
    "FindingLine",
    "InspectionLine",
    "InspectionPlan",
    "InspectionRates",
    "InspectionView",
    "SampleLine",
    "close_inspection",
    "draw_sample",
    "get_inspection",
    "inspection_rates",
    "inspection_rates_by_region",
    "list_inspections",
    "plan_inspection",
    "record_check",
    "record_finding",
    "rectify_finding",
]

SAMPLE_NOT_FOUND = "未找到该抽样档案，或不在您的管辖范围内"
FINDING_NOT_FOUND = "未找到该问题，或不在您的管辖范围内"
MAX_SAMPLE_SIZE = 1000
MAX_SEED = 2**31 - 1
MAX_ROUND = 12


def _managed(session: Session, actor: Actor, inspection_id: uuid.UUID, *, open_only: bool = True) -> Inspection:
    actor.require(Action.INSPECTION_MANAGE)
    inspection = get_visible_inspection(session, actor, inspection_id)
    if not manages(actor, inspection):
        raise NotFound(INSPECTION_NOT_FOUND)
    if open_only and inspection.status == "closed":
        raise Conflict("该督导检查已结束，不能再修改")
    return inspection


# --- planning and sampling ----------------------------------------------------------------------------


def _target(session: Session, actor: Actor, code: str, errors: ErrorCollector) -> tuple[str, str] | None:
    """(level, inspecting region) for a target: a township of the actor's county, or a county of their city."""
    region = session.get(Region, code) if code.isdigit() and len(code) in (6, 9) else None
    prefixes = actor.scope.region_prefixes
    # a township (level 4) by a county bureau (6-digit prefix); a county (level 3) by a city bureau (4 digits)
    for digits, level, inspector, bureau in ((9, 4, "county", 6), (6, 3, "city", 4)):
        if region is None or len(code) != digits or region.level != level:
            continue
        if actor.scope.everything or any(len(p) == bureau and code.startswith(p) for p in prefixes):
            return inspector, code[:bureau]
    if any(len(p) == 4 for p in prefixes):
        errors.add("target_region_code", "检查对象：请选择本市的县（市、区）")
    else:
        errors.add("target_region_code", "检查对象：请选择本县的乡镇（街道）")
    return None


def plan_inspection(
    session: Session,
    actor: Actor,
    *,
    target_region_code: str,
    year: int,
    round: int | None = None,
    planned_on: date,
    title: str | None = None,
    sample_size: int,
    seed: int | None = None,
) -> Inspection:
    """Plan an inspection of a township (county bureau) or a county (city bureau). Without a seed a random one
    is chosen and stored, so that the sample can be drawn again the same way. Without a round, the next one."""
    actor.require(Action.INSPECTION_MANAGE)
    errors = ErrorCollector()
    code = (target_region_code or "").strip()
    target = _target(session, actor, code, errors)
    if not 2000 <= year <= 2100:
        errors.add("year", "年度：请填写正确的年份")
    elif planned_on.year != year:
        errors.add("planned_on", "检查日期：应在所选年度内")
    if not 1 <= sample_size <= MAX_SAMPLE_SIZE:
        errors.add("sample_size", f"抽样数量：请填写1至{MAX_SAMPLE_SIZE}之间的整数")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        errors.add("seed", f"随机种子：请填写0至{MAX_SEED}之间的整数")
    if round is not None and not 1 <= round <= MAX_ROUND:
        errors.add("round", f"轮次：请填写1至{MAX_ROUND}之间的整数")
    title = (title or "").strip()
    if len(title) > 100:
        errors.add("title", "标题：不能超过100个字")
    errors.raise_if_any()
    assert target is not None
    level, inspector = target
    rounds = set(
        session.scalars(
            select(Inspection.round).where(
                Inspection.target_region_code == code, Inspection.year == year, Inspection.level == level
            )
        )
    )
    if round is None:
        round = max(rounds, default=0) + 1
    elif round in rounds:
        message = f"轮次：该单位{year}年已有第{round}轮督导检查"
        raise InvalidInput(message, errors=[FieldError("round", message)])
    name = region_name(session, code)
    inspection = Inspection(
        level=level,
        inspector_region_code=inspector,
        target_region_code=code,
        year=year,
        round=round,
        planned_on=planned_on,
        title=title or f"{year}年第{round}轮{name}健康档案督导检查",
        sample_size=sample_size,
        seed=seed if seed is not None else secrets.randbelow(MAX_SEED + 1),
        status="planned",
        created_by=actor.login,
    )
    session.add(inspection)
    session.flush()
    record_event(
        session,
        actor,
        "inspection.plan",
        subject_type="inspection",
        subject_id=inspection.id,
        details={"target": code, "year": year, "round": round, "sample_size": sample_size, "seed": inspection.seed},
    )
    return inspection


def draw_sample(session: Session, actor: Actor, inspection_id: uuid.UUID) -> list[InspectionSample]:
    """Draw the inspection's sample (once) from the active records of its unit, stratified by village."""
    inspection = _managed(session, actor, inspection_id)
    if inspection.status != "planned":
        raise Conflict("该督导检查已抽样，样本不能重抽")
    rows = session.execute(
        select(
            HealthRecord.id, HealthRecord.village_code, HealthRecord.record_number, HealthRecord.managing_institution_id
        ).where(HealthRecord.status == "active", HealthRecord.village_code.startswith(inspection.target_region_code))
    ).all()
    institutions = {record_id: institution for record_id, _v, _n, institution in rows}
    drawn = draw((Candidate(i, v, n) for i, v, n, _m in rows), inspection.sample_size, inspection.seed)
    if not drawn:
        raise Conflict("检查对象内没有在管的健康档案，无法抽样")
    samples = [
        InspectionSample(
            inspection_id=inspection.id,
            record_id=d.id,
            village_code=d.village_code,
            institution_id=institutions[d.id],
            position=d.position,
        )
        for d in drawn
    ]
    session.add_all(samples)
    inspection.status = "sampled"
    inspection.sampled_at = utcnow()
    session.flush()
    villages: dict[str, int] = defaultdict(int)
    for d in drawn:
        villages[d.village_code] += 1
    record_event(
        session,
        actor,
        "inspection.sample",
        subject_type="inspection",
        subject_id=inspection.id,
        details={
            "seed": inspection.seed,
            "requested": inspection.sample_size,
            "drawn": len(drawn),
            "villages": villages,
        },
    )
    return samples


# --- checklists, findings, rectification, closing -----------------------------------------------------


def record_check(
    session: Session,
    actor: Actor,
    sample_id: uuid.UUID,
    *,
    filled_to_standard: bool,
    dynamic: bool,
    phone_result: str | None = None,
    note: str | None = None,
) -> InspectionCheck:
    """The inspector's checklist for one sampled record. A correction adds a newer check; the older stay."""
    actor.require(Action.INSPECTION_MANAGE)
    sample = session.get(InspectionSample, sample_id)
    if sample is None:
        raise NotFound(SAMPLE_NOT_FOUND)
    try:
        inspection = _managed(session, actor, sample.inspection_id)
    except NotFound:
        raise NotFound(SAMPLE_NOT_FOUND) from None
    errors = ErrorCollector()
    phone = (phone_result or "").strip() or None
    if phone is not None and phone not in PHONE_RESULTS:
        errors.add("phone_result", "电话核实：请选择核实属实、核实不符或未接通")
    note = (note or "").strip() or None
    if note and len(note) > 500:
        errors.add("note", "备注：不能超过500个字")
    errors.raise_if_any()
    check = InspectionCheck(
        sample_id=sample.id,
        filled_to_standard=filled_to_standard,
        dynamic=dynamic,
        phone_result=phone,
        note=note,
        checked_by=actor.login,
        checked_at=utcnow(),
    )
    session.add(check)
    session.flush()
    record_event(
        session,
        actor,
        "inspection.check",
        subject_type="inspection",
        subject_id=inspection.id,
        details={
            "sample": sample.id,
            "record": sample.record_id,
            "filled_to_standard": filled_to_standard,
            "dynamic": dynamic,
            "phone_result": phone,
        },
    )
    return check


def _text(value: str | None, name: str, label: str, errors: ErrorCollector) -> str:
    text = (value or "").strip()
    if not text:
        errors.add(name, f"{label}：请填写")
    elif len(text) > 500:
        errors.add(name, f"{label}：不能超过500个字")
    return text


def record_finding(
    session: Session,
    actor: Actor,
    inspection_id: uuid.UUID,
    *,
    institution_id: uuid.UUID | None = None,
    description: str,
    deadline: date,
) -> InspectionFinding:
    """A problem found, for an institution of the inspected unit (or the unit as a whole), to fix by a deadline."""
    inspection = _managed(session, actor, inspection_id)
    errors = ErrorCollector()
    text = _text(description, "description", "问题描述", errors)
    if deadline < inspection.planned_on:
        errors.add("deadline", "整改期限：不能早于检查日期")
    if institution_id is not None:
        institution = session.get(Institution, institution_id)
        if institution is None or not institution.region_code.startswith(inspection.target_region_code):
            errors.add("institution_id", "被检查机构：请选择被检查单位的机构")
    errors.raise_if_any()
    finding = InspectionFinding(
        inspection_id=inspection.id,
        institution_id=institution_id,
        description=text,
        deadline=deadline,
        status="open",
        recorded_by=actor.login,
    )
    session.add(finding)
    session.flush()
    record_event(
        session,
        actor,
        "inspection.finding",
        subject_type="inspection",
        subject_id=inspection.id,
        details={"finding": finding.id, "institution": institution_id, "deadline": deadline.isoformat()},
    )
    return finding


def rectify_finding(
    session: Session,
    actor: Actor,
    finding_id: uuid.UUID,
    *,
    rectification: str,
    rectified_on: date | None = None,
) -> InspectionFinding:
    """The inspected centre reports how a finding was fixed (整改情况)."""
    actor.require(Action.INSPECTION_RECTIFY)
    finding = session.get(InspectionFinding, finding_id)
    inspection = session.get(Inspection, finding.inspection_id) if finding else None
    allowed = actor.scope.everything or (
        inspection is not None
        and inspection.target_region_code in centre_townships(session, actor, Action.INSPECTION_RECTIFY)
    )
    if finding is None or inspection is None or not allowed:
        raise NotFound(FINDING_NOT_FOUND)
    if finding.status == "rectified":
        raise Conflict("该问题已报告整改")
    errors = ErrorCollector()
    text = _text(rectification, "rectification", "整改情况", errors)
    day = rectified_on or today_local()
    if day > today_local():
        errors.add("rectified_on", "整改日期：不能晚于今天")
    elif day < inspection.planned_on:
        errors.add("rectified_on", "整改日期：不能早于检查日期")
    errors.raise_if_any()
    finding.status = "rectified"
    finding.rectification = text
    finding.rectified_on = day
    finding.rectified_by = actor.login
    session.flush()
    record_event(
        session,
        actor,
        "inspection.rectify",
        subject_type="inspection",
        subject_id=inspection.id,
        details={"finding": finding.id, "rectified_on": day.isoformat(), "late": day > finding.deadline},
    )
    return finding


def close_inspection(
    session: Session, actor: Actor, inspection_id: uuid.UUID, *, closed_on: date | None = None
) -> Inspection:
    """End an inspection once sampled: its checks are final (findings may still be rectified)."""
    inspection = _managed(session, actor, inspection_id)
    if inspection.status != "sampled":
        raise Conflict("尚未抽样，不能结束督导检查")
    day = closed_on or today_local()
    if day > today_local():
        raise InvalidInput(errors=[FieldError("closed_on", "结束日期：不能晚于今天")])
    if day < inspection.planned_on:
        raise InvalidInput(errors=[FieldError("closed_on", "结束日期：不能早于检查日期")])
    inspection.status = "closed"
    inspection.closed_on = day
    session.flush()
    record_event(
        session,
        actor,
        "inspection.close",
        subject_type="inspection",
        subject_id=inspection.id,
        details={"closed_on": day.isoformat()},
    )
    return inspection
