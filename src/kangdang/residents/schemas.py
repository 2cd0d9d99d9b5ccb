"""Input and output shapes of the residents domain."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kangdang.residents.codes import (
    CLOSURE_REASONS,
    DOCUMENT_TYPES,
    ECONOMIC_STATUS,
    ETHNICITIES,
    FUEL_TYPES,
    KITCHEN_VENTILATION,
    LIVESTOCK_PENS,
    RELATIONSHIPS,
    TOILET_TYPES,
    WATER_SOURCES,
)

_PHONE = r"^[0-9\-+ ]{5,20}$"


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _in(table: dict[str, str], label: str):
    def check(value: str | None) -> str | None:
        if value is not None and value not in table:
            raise ValueError(f"{label}代码“{value}”无效")
        return value

    return check


class _Model(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class PersonFields(_Model):
    """The identity part of the cover and 个人基本信息表."""

    document_type: str | None = Field(default="01", description="身份证件类别 (CV02.01.101)")
    document_number: str | None = Field(default=None, max_length=40)
    name: str = Field(min_length=1, max_length=50)
    sex: Literal["1", "2", "0", "9"] | None = None
    birth_date: date | None = None
    ethnicity: str = "01"
    phone: str | None = Field(default=None, pattern=_PHONE)
    contact_name: str | None = Field(default=None, max_length=50)
    contact_phone: str | None = Field(default=None, pattern=_PHONE)
    residence_type: Literal["1", "2"] = "1"
    registered_region_code: str | None = Field(default=None, max_length=12)
    registered_address: str | None = Field(default=None, max_length=200)
    current_region_code: str = Field(min_length=12, max_length=12, description="现住址所在村/居委会")
    current_address: str | None = Field(default=None, max_length=200)
    work_unit: str | None = Field(default=None, max_length=100)
    mother_id: uuid.UUID | None = Field(default=None, description="新生儿无证件时关联母亲")

    _blank = field_validator(
        "document_type",
        "document_number",
        "phone",
        "contact_name",
        "contact_phone",
        "registered_region_code",
        "registered_address",
        "current_address",
        "work_unit",
        "mother_id",
        "birth_date",
        "sex",
        mode="before",
    )(_blank_to_none)
    _document_type = field_validator("document_type")(_in(DOCUMENT_TYPES, "证件类别"))
    _ethnicity = field_validator("ethnicity")(_in(ETHNICITIES, "民族"))


class ResidentRegistration(PersonFields):
    """Filing a new resident: identity, the record's cover data, and where the person lives (household)."""

    filed_on: date | None = None
    responsible_doctor_id: uuid.UUID | None = None
    managing_institution_id: uuid.UUID | None = None
    paper_location: str | None = Field(default=None, max_length=100)
    household_id: uuid.UUID | None = Field(default=None, description="加入已有家庭")
    relationship: str | None = Field(default=None, description="与户主关系 (GB/T 4761)")
    new_household: bool = Field(default=False, description="新建家庭，本人为户主")
    confirm_duplicates: bool = Field(default=False, description="已核对疑似重复，仍要建档")

    _blank2 = field_validator(
        "filed_on",
        "responsible_doctor_id",
        "managing_institution_id",
        "paper_location",
        "household_id",
        "relationship",
        mode="before",
    )(_blank_to_none)
    _relationship = field_validator("relationship")(_in(RELATIONSHIPS, "与户主关系"))


class PersonUpdate(_Model):
    """Corrections to a person's identity and contact data; only the fields given change."""

    document_type: str | None = None
    document_number: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=50)
    sex: Literal["1", "2", "0", "9"] | None = None
    birth_date: date | None = None
    ethnicity: str | None = None
    phone: str | None = Field(default=None, pattern=_PHONE)
    contact_name: str | None = Field(default=None, max_length=50)
    contact_phone: str | None = Field(default=None, pattern=_PHONE)
    residence_type: Literal["1", "2"] | None = None
    registered_region_code: str | None = Field(default=None, max_length=12)
    registered_address: str | None = Field(default=None, max_length=200)
    current_region_code: str | None = Field(default=None, min_length=12, max_length=12)
    current_address: str | None = Field(default=None, max_length=200)
    work_unit: str | None = Field(default=None, max_length=100)

    _blank = field_validator(
        "document_number",
        "phone",
        "contact_name",
        "contact_phone",
        "registered_region_code",
        "registered_address",
        "current_address",
        "work_unit",
        mode="before",
    )(_blank_to_none)
    _document_type = field_validator("document_type")(_in(DOCUMENT_TYPES, "证件类别"))
    _ethnicity = field_validator("ethnicity")(_in(ETHNICITIES, "民族"))


class RecordUpdate(_Model):
    responsible_doctor_id: uuid.UUID | None = None
    paper_location: str | None = Field(default=None, max_length=100)

    _blank = field_validator("responsible_doctor_id", "paper_location", mode="before")(_blank_to_none)


class HouseholdFields(_Model):
    region_code: str = Field(min_length=12, max_length=12)
    address: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, pattern=_PHONE)
    kitchen_ventilation: str | None = None
    fuel_type: str | None = None
    water_source: str | None = None
    toilet_type: str | None = None
    livestock_pen: str | None = None
    economic_status: str | None = None
    main_problems: str | None = Field(default=None, max_length=500)

    _blank = field_validator(
        "address",
        "phone",
        "kitchen_ventilation",
        "fuel_type",
        "water_source",
        "toilet_type",
        "livestock_pen",
        "economic_status",
        "main_problems",
        mode="before",
    )(_blank_to_none)
    _kitchen = field_validator("kitchen_ventilation")(_in(KITCHEN_VENTILATION, "厨房排风设施"))
    _fuel = field_validator("fuel_type")(_in(FUEL_TYPES, "燃料类型"))
    _water = field_validator("water_source")(_in(WATER_SOURCES, "饮水"))
    _toilet = field_validator("toilet_type")(_in(TOILET_TYPES, "厕所"))
    _livestock = field_validator("livestock_pen")(_in(LIVESTOCK_PENS, "禽畜栏"))
    _economic = field_validator("economic_status")(_in(ECONOMIC_STATUS, "家庭经济状况"))


class HouseholdUpdate(HouseholdFields):
    region_code: str | None = Field(default=None, min_length=12, max_length=12)  # type: ignore[assignment]


class MemberChange(_Model):
    person_id: uuid.UUID
    relationship: str
    valid_from: date | None = None

    _relationship = field_validator("relationship")(_in(RELATIONSHIPS, "与户主关系"))


class TransferRequest(_Model):
    to_institution_id: uuid.UUID
    to_village_code: str = Field(min_length=12, max_length=12)
    reason: str = Field(min_length=1, max_length=200)


class TransferDecision(_Model):
    note: str | None = Field(default=None, max_length=200)


class RecordClosure(_Model):
    reason: str
    closed_on: date
    note: str | None = Field(default=None, max_length=200)

    _reason = field_validator("reason")(_in(CLOSURE_REASONS, "注销原因"))
    _blank = field_validator("note", mode="before")(_blank_to_none)


class RecordReopening(_Model):
    reason: str = Field(min_length=1, max_length=200)
