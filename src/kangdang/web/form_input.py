"""Between the generic form page and the engine: submitted fields → raw answers, stored answers → display."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from kangdang.records.catalogue import catalogue
from kangdang.records.definition import FormDefinition, Item

DEFAULT_ROWS = 3


def answers_from_form(form: FormDefinition, data: FormData) -> dict[str, Any]:
    """Raw answers by item key: text as typed, several codes as a list, repeats as rows of columns."""
    raw: dict[str, Any] = {}
    for _, item in form.top_items():
        if item.derived or item.bind:
            continue
        if item.type == "codes":
            raw[item.key] = [v for v in data.getlist(item.key) if isinstance(v, str) and v]
        elif item.type == "repeat":
            rows: dict[int, dict[str, Any]] = {}
            prefix = f"{item.key}."
            for name in data:
                if not name.startswith(prefix):
                    continue
                parts = name[len(prefix) :].split(".", 1)
                if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) > 200:
                    continue
                value = data.get(name)
                if isinstance(value, str) and value.strip():
                    rows.setdefault(int(parts[0]), {})[parts[1]] = value.replace("\x00", "")
            raw[item.key] = [rows[i] for i in sorted(rows)]
        else:
            value = data.get(item.key)
            if isinstance(value, str) and value.strip():
                raw[item.key] = value.replace("\x00", "")
    return raw


def values_for_page(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Stored or typed answers as the page's inputs show them (dates as text, numbers without ``.0``)."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    return {k: plain(v) for k, v in answers.items()}


def row_count(item: Item, rows: Any) -> int:
    """Rows a repeat shows: those filled plus one empty, at least the rows printed on paper."""
    filled = len(rows) if isinstance(rows, list) else 0
    least = item.print_rows or DEFAULT_ROWS
    most = item.max_rows or 50
    return min(max(least, filled + 1), most)


def display(item: Item, value: Any, *, with_codes: bool = False) -> str:
    """One answer as read on screen or paper: option labels, 是/否, units."""
    if value is None or value == "" or value == []:
        return ""
    cat = catalogue()
    if item.type == "code":
        label = cat.label_of(item, str(value))
        return f"{value} {label}" if with_codes else label
    if item.type == "codes":
        labels = [f"{v} {cat.label_of(item, v)}" if with_codes else cat.label_of(item, v) for v in value]
        return "、".join(labels)
    if item.type == "boolean":
        return "是" if value is True or value == "true" else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return f"{text} {item.unit}" if item.unit and item.type in ("integer", "decimal") else text


def derived_display(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, str]:
    return {item.key: display(item, answers.get(item.key)) for _, item in form.top_items() if item.derived}
