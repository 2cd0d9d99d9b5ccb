"""Administrative divisions (统计用区划) and their resident population (常住人口)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kangdang.core.clock import utcnow
from kangdang.db.base import Base, IdMixin


class Region(Base):
    """One division: province (2 digits), city (4), county (6), township (9) or village-level unit (12).

    The code is the natural key; it is globally unique and travels between deployments as is.
    """

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(SmallInteger)  # 1 province … 5 village, see regions.codes.Level
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    # NBS 城乡分类代码 (111…220); None until the real class is imported.
    urban_rural_class: Mapped[str | None] = mapped_column(String(3))
    # 'urban' (城镇) or 'rural' (乡村); for villages always set, derived from the committee type
    # (居委会 → urban, 村委会 → rural) while class_is_derived is true.
    area_type: Mapped[str | None] = mapped_column(String(5))
    class_is_derived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        CheckConstraint("area_type IS NULL OR area_type IN ('urban', 'rural')", name="area_type_values"),
        Index("ix_region_level_parent", "level", "parent_code"),
    )


class RegionPopulation(IdMixin, Base):
    """Population of a region in a year: 常住人口 is the denominator of the filing rate (建档率)."""

    __tablename__ = "region_population"

    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    year: Mapped[int] = mapped_column(SmallInteger)
    resident_population: Mapped[int]  # 常住人口
    registered_population: Mapped[int | None]  # 户籍人口
    aged_0_6: Mapped[int | None]  # 0–6 岁儿童数
    aged_65_plus: Mapped[int | None]  # 65 岁及以上老年人数
    source: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("region_code", "year"),
        CheckConstraint("resident_population >= 0", name="resident_population_non_negative"),
        CheckConstraint("year BETWEEN 1949 AND 2200", name="year_range"),
    )
