"""Input and output shapes of the institutions domain (institutions, staff, accounts)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kangdang.access.roles import Role
from kangdang.institutions.types import InstitutionType, Qualification

_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9\-]{0,31}$"
_PHONE_PATTERN = r"^[0-9\-+ ]{5,20}$"


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class InstitutionCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    code: str = Field(pattern=_CODE_PATTERN, description="机构代码（统一社会信用代码或本地编码）")
    name: str = Field(min_length=1, max_length=100)
    type: InstitutionType
    region_code: str = Field(min_length=2, max_length=12, description="机构所在区划代码")
    supervisor_id: uuid.UUID | None = None
    catchment: list[str] = Field(default_factory=list, description="服务范围内的村级区划代码")
    address: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, pattern=_PHONE_PATTERN)

    _blank = field_validator("supervisor_id", "address", "phone", mode="before")(_blank_to_none)


class InstitutionUpdate(BaseModel):
    """Only the fields given are changed (``catchment`` replaces the whole current catchment)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    type: InstitutionType | None = None
    supervisor_id: uuid.UUID | None = None
    catchment: list[str] | None = None
    address: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, pattern=_PHONE_PATTERN)

    _blank = field_validator("supervisor_id", "address", "phone", mode="before")(_blank_to_none)


class InstitutionClosure(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    status: Literal["merged", "closed"]
    closed_on: date
    successor_id: uuid.UUID = Field(description="承接档案和服务范围的机构")
    reason: str = Field(min_length=1, max_length=200)


class PractitionerCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=15, max_length=18)
    sex: Literal["1", "2"]
    phone: str | None = Field(default=None, pattern=_PHONE_PATTERN)
    qualification: Qualification
    licence_no: str | None = Field(default=None, max_length=64)
    practice_scope: str | None = Field(default=None, max_length=100)
    institution_id: uuid.UUID
    role: Role
    valid_from: date | None = None

    _blank = field_validator("phone", "licence_no", "practice_scope", "valid_from", mode="before")(_blank_to_none)


class PractitionerUpdate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=50)
    phone: str | None = Field(default=None, pattern=_PHONE_PATTERN)
    qualification: Qualification | None = None
    licence_no: str | None = Field(default=None, max_length=64)
    practice_scope: str | None = Field(default=None, max_length=100)
    status: Literal["active", "left"] | None = None

    _blank = field_validator("phone", "licence_no", "practice_scope", mode="before")(_blank_to_none)


class MembershipCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    institution_id: uuid.UUID
    role: Role
    valid_from: date | None = None


class AccountCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    login: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]{2,63}$", description="登录名：小写字母、数字、._-，3–64 位")
    password: str = Field(min_length=1, max_length=128)


class InstitutionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    type: InstitutionType
    type_label: str
    region_code: str
    supervisor_id: uuid.UUID | None
    status: Literal["active", "merged", "closed"]
    closed_on: date | None
    successor_id: uuid.UUID | None
    address: str | None
    phone: str | None

    @classmethod
    def of(cls, institution: object) -> InstitutionOut:
        data = {name: getattr(institution, name) for name in cls.model_fields if name != "type_label"}
        return cls(**data, type_label=InstitutionType(data["type"]).label)


class InstitutionDetailOut(InstitutionOut):
    catchment: list[str]
    supervised_ids: list[uuid.UUID]
    staff_count: int


class MembershipOut(BaseModel):
    id: uuid.UUID
    institution_id: uuid.UUID
    institution_name: str
    role: Role
    role_label: str
    valid_from: date
    valid_to: date | None


class PractitionerOut(BaseModel):
    id: uuid.UUID
    name: str
    sex: str
    id_number_masked: str
    phone: str | None
    qualification: Qualification
    qualification_label: str
    licence_no: str | None
    practice_scope: str | None
    status: str

    @classmethod
    def of(cls, practitioner: object) -> PractitionerOut:
        data = {name: getattr(practitioner, name) for name in cls.model_fields if name != "qualification_label"}
        return cls(**data, qualification_label=Qualification(data["qualification"]).label)


class PractitionerDetailOut(PractitionerOut):
    memberships: list[MembershipOut]
    account_login: str | None
