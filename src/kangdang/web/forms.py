"""Reading a submitted form into a pydantic schema, with Chinese messages per field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from kangdang.core.errors import DomainError
from kangdang.core.validation import field_errors

M = TypeVar("M", bound=BaseModel)

FormErrors = dict[str, str]


def form_values(form: FormData, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """Plain values of a form (without the CSRF token); fields named in ``lists`` keep every value."""
    values: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        if key in lists:
            values[key] = [v.replace("\x00", "") for v in form.getlist(key) if isinstance(v, str)]
        else:
            value = form.get(key)
            values[key] = value.replace("\x00", "") if isinstance(value, str) else ""
    return values


def parse(schema: type[M], values: dict[str, Any], *, drop_blank: bool = False) -> tuple[M | None, FormErrors]:
    data = {k: v for k, v in values.items() if not (drop_blank and v in ("", None))}
    try:
        return schema.model_validate(data), {}
    except ValidationError as exc:
        return None, {e.field: e.message for e in field_errors(exc.errors())}


def errors_of(error: DomainError) -> FormErrors:
    """A domain error as form errors: field messages, and the summary under ``__message__``."""
    result: FormErrors = {"__message__": error.message}
    for item in error.errors:
        result[item.field] = f"{result[item.field]}；{item.message}" if item.field in result else item.message
    if not error.errors:
        result["__general__"] = error.message
    return result
