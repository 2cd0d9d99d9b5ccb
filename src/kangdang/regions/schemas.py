"""Input and output shapes of the regions domain: divisions, urban–rural class, population figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kangdang.regions.codes import AREA_TYPE_LABELS, LEVEL_LABELS, URBAN_RURAL_CLASSES, Level

_MAX_PEOPLE = 200_000_000


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class RegionRef(BaseModel):
    code: str
    name: str
    level: int


class RegionOut(BaseModel):
    code: str
    name: str
    level: int = Field(description="1 province (省级) … 5 village (村级)")
    level_label: str
    parent_code: str | None
    urban_rural_class: str | None = Field(description="NBS 城乡分类代码 (111…220), villages only")
    urban_rural_class_label: str | None
    area_type: str | None = Field(description="'urban' (城镇) or 'rural' (乡村), villages only")
    area_type_label: str | None
    class_is_derived: bool = Field(description="True while the area type is inferred from the committee type")

    @classmethod
    def of(cls, region: Any) -> RegionOut:
        return cls(
            code=region.code,
            name=region.name,
            level=region.level,
            level_label=LEVEL_LABELS[Level(region.level)],
            parent_code=region.parent_code,
            urban_rural_class=region.urban_rural_class,
            urban_rural_class_label=URBAN_RURAL_CLASSES.get(region.urban_rural_class or ""),
            area_type=region.area_type,
            area_type_label=AREA_TYPE_LABELS.get(region.area_type or ""),
            class_is_derived=region.class_is_derived,
        )


class RegionDetailOut(RegionOut):
    path: list[RegionRef] = Field(description="Ancestors, province first")
    children: list[RegionOut]
    child_counts: dict[str, int] = Field(description="Children by area type ('' when unclassified)")


class RegionClassIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    urban_rural_class: str = Field(max_length=10, description="NBS 城乡分类代码: 111, 112, 121, 122, 123, 210 or 220")


class PopulationIn(BaseModel):
    """The figures of one region for one year; optional figures left out are stored as unknown."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    resident_population: int = Field(ge=0, le=_MAX_PEOPLE, description="常住人口")
    registered_population: int | None = Field(default=None, ge=0, le=_MAX_PEOPLE, description="户籍人口")
    aged_0_6: int | None = Field(default=None, ge=0, le=_MAX_PEOPLE, description="0–6 岁儿童数")
    aged_65_plus: int | None = Field(default=None, ge=0, le=_MAX_PEOPLE, description="65 岁及以上老年人数")
    source: str | None = Field(default=None, max_length=200, description="Where the figures come from")

    _blank = field_validator("registered_population", "aged_0_6", "aged_65_plus", "source", mode="before")(
        _blank_to_none
    )

    @field_validator("source")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and not value.isprintable():
            raise ValueError("不能包含控制字符")
        return value


class PopulationOut(BaseModel):
    region_code: str
    year: int
    resident_population: int
    registered_population: int | None
    aged_0_6: int | None
    aged_65_plus: int | None
    source: str | None
    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, figures: Any) -> PopulationOut:
        return cls(**{name: getattr(figures, name) for name in cls.model_fields})


class PopulationLineOut(BaseModel):
    region: RegionOut
    resident_population: int | None = Field(description="The region's own figure, or else its children's sum")
    own: PopulationOut | None = Field(description="Figures entered for the region itself")
    children_total: int | None = Field(description="Sum of the children's resident population, when any has one")


class PopulationOverviewOut(BaseModel):
    region: RegionOut
    year: int
    lines: list[PopulationLineOut]
    total: int | None = Field(description="Sum of the lines' resident population")


class PopulationImportOut(BaseModel):
    imported: int
