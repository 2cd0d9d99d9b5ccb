"""What the JSON API returns for forms: definitions in brief and filled forms (pydantic output models)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kangdang.records.definition import FormDefinition
from kangdang.records.models import ServiceRecord


class FormSummaryOut(BaseModel):
    code: str
    version: str
    title: str
    title_en: str
    category: str
    one_per_record: bool

    @classmethod
    def of(cls, form: FormDefinition) -> FormSummaryOut:
        return cls(
            code=form.code,
            version=form.version,
            title=form.title,
            title_en=form.title_en,
            category=form.category,
            one_per_record=form.one_per_record,
        )


class ServiceRecordOut(BaseModel):
    id: uuid.UUID
    record_id: uuid.UUID
    form_code: str
    form_version: str
    service_date: date
    status: Literal["draft", "completed", "amended", "entered_in_error"]
    version_no: int
    lineage_id: uuid.UUID
    amends_id: uuid.UUID | None
    amendment_reason: str | None
    author_name: str
    signed_at: datetime | None
    signed_by_name: str | None
    error_reason: str | None
    answers: dict[str, Any] = Field(description="Answers by item key, derived values included")

    @classmethod
    def of(cls, row: ServiceRecord, answers: dict[str, Any]) -> ServiceRecordOut:
        """The row with its answers as the reader sees them (``records.service.answers_of``)."""
        out = cls.model_validate(row, from_attributes=True)
        out.answers = answers
        return out


class FormSubmission(BaseModel):
    """A new form: raw answers by item key (typed JSON or text), signed at once or kept as a draft."""

    form_code: str = Field(max_length=40)
    answers: dict[str, Any] = Field(default_factory=dict)
    sign: bool = False


class DraftUpdate(BaseModel):
    answers: dict[str, Any] = Field(default_factory=dict)
    sign: bool = False


class Amendment(BaseModel):
    answers: dict[str, Any]
    reason: str = Field(max_length=200, description="Why the signed form is corrected (required)")


class ErrorMark(BaseModel):
    reason: str = Field(max_length=500, description="Why the form is withdrawn (required)")
