"""Response shapes of the indicator routes (工作指标): the catalogue, figures with their targets, and the
residents behind a figure. Rates, targets and attainment are percentages as JSON numbers with two decimals
(attainment one); null when there is no denominator or no target."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from kangdang.indicators.catalogue import IndicatorDef
from kangdang.indicators.drilldown import DrillResult, DrillRow
from kangdang.indicators.read import Figure
from kangdang.residents.codes import SEXES


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


class IndicatorOut(BaseModel):
    code: str
    name: str
    group: str
    numerator: str = Field(description="What the numerator counts")
    denominator: str = Field(description="What the denominator counts")
    denominator_source: str = Field(description="population (常住人口 from the population table) | counted")

    @classmethod
    def of(cls, definition: IndicatorDef) -> IndicatorOut:
        return cls(
            code=definition.code,
            name=definition.name,
            group=definition.group,
            numerator=definition.numerator,
            denominator=definition.denominator,
            denominator_source=definition.denominator_source,
        )


class FigureOut(BaseModel):
    indicator: str
    period: str = Field(description="2027 | 2027Q1 | 2027M01")
    unit_kind: str = Field(description="village | township | county | institution")
    unit_code: str = Field(description="Region code, or the institution's id")
    unit_name: str
    area_type: str = Field(description="all | urban | rural")
    numerator: int
    denominator: int | None = Field(description="null: the population (常住人口) has not been entered")
    rate: float | None = Field(description="Percent, two decimals; null without a denominator")
    target: float | None = Field(description="The county's target for the year and area type, percent")
    attainment: float | None = Field(description="The rate as a percentage of the target (100 = met)")
    target_met: bool | None

    @classmethod
    def of(cls, figure: Figure) -> FigureOut:
        return cls(
            indicator=figure.indicator,
            period=figure.period,
            unit_kind=figure.unit_kind,
            unit_code=figure.unit_code,
            unit_name=figure.unit_name,
            area_type=figure.area_type,
            numerator=figure.numerator,
            denominator=figure.denominator,
            rate=_number(figure.rate),
            target=_number(figure.target),
            attainment=_number(figure.attainment),
            target_met=figure.target_met,
        )


class DrillRowOut(BaseModel):
    record_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    sex: str
    sex_label: str
    birth_date: date
    record_number: str
    village_code: str
    counted: bool = Field(description="Whether the resident is in the numerator")
    reason: str | None = Field(description="Why a resident of the denominator is not counted (Chinese)")

    @classmethod
    def of(cls, row: DrillRow) -> DrillRowOut:
        return cls(
            record_id=row.record_id,
            person_id=row.person_id,
            name=row.name,
            sex=row.sex,
            sex_label=SEXES.get(row.sex, ""),
            birth_date=row.birth_date,
            record_number=row.record_number,
            village_code=row.village_code,
            counted=row.counted,
            reason=row.reason,
        )


class DrillOut(BaseModel):
    indicator: str
    period: str
    village_code: str
    village_name: str
    which: str = Field(description="counted | not_counted: which list the rows are")
    numerator: int
    denominator: int | None
    counted_total: int
    not_counted_total: int
    unfiled: int | None = Field(
        description="Residents of the population without a record (filing rates: the denominator is 常住人口)"
    )
    items: list[DrillRowOut]
    total: int
    page: int
    size: int

    @classmethod
    def of(cls, result: DrillResult, which: str) -> DrillOut:
        return cls(
            indicator=result.indicator,
            period=result.period,
            village_code=result.village_code,
            village_name=result.village_name,
            which=which,
            numerator=result.numerator,
            denominator=result.denominator,
            counted_total=result.counted_total,
            not_counted_total=result.not_counted_total,
            unfiled=result.unfiled,
            items=[DrillRowOut.of(row) for row in result.rows.items],
            total=result.rows.total,
            page=result.rows.page,
            size=result.rows.size,
        )
