"""Request and response shapes of the supervision routes (督导检查)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kangdang.indicators.models_supervision import Inspection, InspectionCheck
from kangdang.indicators.supervision import (
    PHONE_LABELS,
    STATUS_LABELS,
    Coverage,
    FindingLine,
    InspectionLine,
    InspectionPlan,
    InspectionRates,
    InspectionView,
    SampleLine,
)

PhoneResult = Literal["confirmed", "not_confirmed", "not_reached"]


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_region_code: str = Field(
        max_length=12, description="A township (9 digits) of the caller's county; for a city bureau, a county (6)"
    )
    planned_on: date = Field(description="The inspection day")
    year: int | None = Field(default=None, description="Default: the year of planned_on (which must fall in it)")
    round: int | None = Field(default=None, description="Round within the year, 1–12; default: the next one")
    title: str | None = Field(default=None, max_length=100, description="Default: generated from year, round, unit")
    sample_size: int = Field(description="Records to draw, 1–1000 (all the unit's records if it holds fewer)")
    seed: int | None = Field(
        default=None, description="0–2147483647; default: a random one, stored. The same seed draws the same sample"
    )


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filled_to_standard: bool = Field(description="填写规范: the record is filled to standard")
    dynamic: bool = Field(description="有动态记录: the record is in use")
    phone_result: PhoneResult | None = Field(
        default=None, description="电话核实: confirmed 属实, not_confirmed 不符, not_reached 未接通; null: no call"
    )
    note: str | None = Field(default=None, max_length=500)


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    institution_id: uuid.UUID | None = Field(
        default=None, description="The institution of the inspected unit concerned; null: the unit as a whole"
    )
    description: str = Field(max_length=500)
    deadline: date = Field(description="Rectify by this day; not before the inspection day")


class RectificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rectification: str = Field(max_length=500, description="What was done (整改情况)")
    rectified_on: date | None = Field(default=None, description="Default: today; not in the future")


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    closed_on: date | None = Field(default=None, description="Default: today")


class InspectionOut(BaseModel):
    id: uuid.UUID
    level: str = Field(description="county: a county bureau inspects a township; city: a city bureau a county")
    inspector_region_code: str
    target_region_code: str
    target_name: str
    year: int
    round: int
    planned_on: date
    title: str
    sample_size: int
    seed: int
    status: str = Field(description="planned | sampled | closed")
    status_label: str
    created_by: str
    sampled_at: datetime | None
    closed_on: date | None

    @classmethod
    def of(cls, inspection: Inspection, target_name: str) -> InspectionOut:
        return cls(
            id=inspection.id,
            level=inspection.level,
            inspector_region_code=inspection.inspector_region_code,
            target_region_code=inspection.target_region_code,
            target_name=target_name,
            year=inspection.year,
            round=inspection.round,
            planned_on=inspection.planned_on,
            title=inspection.title,
            sample_size=inspection.sample_size,
            seed=inspection.seed,
            status=inspection.status,
            status_label=STATUS_LABELS.get(inspection.status, inspection.status),
            created_by=inspection.created_by,
            sampled_at=inspection.sampled_at,
            closed_on=inspection.closed_on,
        )


class RatesOut(BaseModel):
    sampled: int
    checked: int = Field(description="Sampled records with a check (the newest check of each counts)")
    qualified: int = Field(description="Checked and filled to standard")
    dynamic: int = Field(description="Checked and with a dynamic record")
    phone_confirmed: int
    phone_not_confirmed: int
    phone_not_reached: int
    qualified_rate: Decimal | None = Field(description="qualified ÷ checked × 100 (合格率)")
    usage_rate: Decimal | None = Field(description="dynamic ÷ checked × 100 (使用率)")
    reached_rate: Decimal | None = Field(description="(confirmed + not_confirmed) ÷ calls × 100")
    confirmed_rate: Decimal | None = Field(description="confirmed ÷ (confirmed + not_confirmed) × 100")

    @classmethod
    def of(cls, rates: InspectionRates) -> RatesOut:
        return cls(
            sampled=rates.sampled,
            checked=rates.checked,
            qualified=rates.qualified,
            dynamic=rates.dynamic,
            phone_confirmed=rates.phone_confirmed,
            phone_not_confirmed=rates.phone_not_confirmed,
            phone_not_reached=rates.phone_not_reached,
            qualified_rate=rates.qualified_rate,
            usage_rate=rates.usage_rate,
            reached_rate=rates.reached_rate,
            confirmed_rate=rates.confirmed_rate,
        )


class InspectionSummaryOut(InspectionOut):
    sampled: int
    checked: int
    findings: int
    open_findings: int

    @classmethod
    def of_line(cls, line: InspectionLine) -> InspectionSummaryOut:
        base = InspectionOut.of(line.inspection, line.target_name).model_dump()
        return cls(
            **base,
            sampled=line.sampled,
            checked=line.checked,
            findings=line.findings,
            open_findings=line.open_findings,
        )


class CoverageOut(BaseModel):
    unit_code: str
    unit_name: str
    level: str
    planned: int
    done: int = Field(description="Inspections sampled or closed")
    minimum: int = Field(description="Inspections required a year: 2 per township (county), 1 per county (city)")
    below: bool

    @classmethod
    def of(cls, coverage: Coverage) -> CoverageOut:
        return cls(
            unit_code=coverage.unit_code,
            unit_name=coverage.unit_name,
            level=coverage.level,
            planned=coverage.planned,
            done=coverage.done,
            minimum=coverage.minimum,
            below=coverage.below,
        )


class InspectionListOut(BaseModel):
    year: int
    inspections: list[InspectionSummaryOut]
    coverage: list[CoverageOut]

    @classmethod
    def of(cls, plan: InspectionPlan) -> InspectionListOut:
        return cls(
            year=plan.year,
            inspections=[InspectionSummaryOut.of_line(line) for line in plan.inspections],
            coverage=[CoverageOut.of(c) for c in plan.coverage],
        )


class CheckOut(BaseModel):
    id: uuid.UUID
    sample_id: uuid.UUID
    filled_to_standard: bool
    dynamic: bool
    phone_result: str | None
    phone_result_label: str | None
    note: str | None
    checked_by: str
    checked_at: datetime

    @classmethod
    def of(cls, check: InspectionCheck) -> CheckOut:
        return cls(
            id=check.id,
            sample_id=check.sample_id,
            filled_to_standard=check.filled_to_standard,
            dynamic=check.dynamic,
            phone_result=check.phone_result,
            phone_result_label=PHONE_LABELS.get(check.phone_result) if check.phone_result else None,
            note=check.note,
            checked_by=check.checked_by,
            checked_at=check.checked_at,
        )


class SampleOut(BaseModel):
    id: uuid.UUID
    position: int
    record_id: uuid.UUID
    name: str
    sex: str
    document_masked: str | None
    record_number: str
    village_code: str
    village_name: str
    institution_name: str
    phone: str | None = Field(description="In full, for the telephone check (the read is audited)")
    check: CheckOut | None = Field(description="The current (newest) check")
    history: list[CheckOut] = Field(description="Earlier checks, newest first")

    @classmethod
    def of(cls, line: SampleLine) -> SampleOut:
        checks = [CheckOut.of(c) for c in line.checks]
        return cls(
            id=line.sample_id,
            position=line.position,
            record_id=line.record_id,
            name=line.name,
            sex=line.sex,
            document_masked=line.document_masked,
            record_number=line.record_number,
            village_code=line.village_code,
            village_name=line.village_name,
            institution_name=line.institution_name,
            phone=line.phone,
            check=checks[0] if checks else None,
            history=checks[1:],
        )


class FindingOut(BaseModel):
    id: uuid.UUID
    inspection_id: uuid.UUID
    institution_id: uuid.UUID | None
    institution_name: str | None
    description: str
    deadline: date
    status: str = Field(description="open | rectified")
    rectification: str | None
    rectified_on: date | None
    rectified_by: str | None
    recorded_by: str

    @classmethod
    def of(cls, line: FindingLine) -> FindingOut:
        finding = line.finding
        return cls(
            id=finding.id,
            inspection_id=finding.inspection_id,
            institution_id=finding.institution_id,
            institution_name=line.institution_name,
            description=finding.description,
            deadline=finding.deadline,
            status=finding.status,
            rectification=finding.rectification,
            rectified_on=finding.rectified_on,
            rectified_by=finding.rectified_by,
            recorded_by=finding.recorded_by,
        )


class InspectionDetailOut(InspectionOut):
    samples: list[SampleOut]
    findings: list[FindingOut]
    rates: RatesOut
    manageable: bool = Field(description="The caller may draw, check, record findings and close")
    rectifiable: bool = Field(description="The caller may report the rectification of findings")

    @classmethod
    def of_view(cls, view: InspectionView) -> InspectionDetailOut:
        base = InspectionOut.of(view.inspection, view.target_name).model_dump()
        return cls(
            **base,
            samples=[SampleOut.of(s) for s in view.samples],
            findings=[FindingOut.of(f) for f in view.findings],
            rates=RatesOut.of(view.rates),
            manageable=view.manageable,
            rectifiable=view.rectifiable,
        )
