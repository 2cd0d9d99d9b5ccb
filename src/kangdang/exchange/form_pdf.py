"""Any filled form as a PDF that mirrors the national paper form (A4, Chinese fonts embedded).

The layout follows the paper: the title, 姓名 and the 编号 boxes with the record number's last 8 digits
(□□□-□□□□□, 填表基本要求), the sections in paper order, every option printed with its code and the chosen
codes written in the boxes, repeating rows with at least the rows printed on paper, and the signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from kangdang.core.clock import to_local
from kangdang.exchange.card_pdf import CardUnavailable
from kangdang.records.catalogue import catalogue
from kangdang.records.definition import FormDefinition, Item
from kangdang.records.models import ServiceRecord

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

STATUS_NOTES = {"draft": "草稿（未签名）", "amended": "旧版本（已被修订）", "entered_in_error": "已作废"}


@dataclass(frozen=True)
class Cell:
    """One printed answer: the text, the option list (for coded items) and the codes in the boxes."""

    text: str
    options: str = ""
    boxes: tuple[str, ...] = ()


def _number(value: Any, item: Item) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}{item.unit or ''}" if value not in (None, "") else ""


def cell(item: Item, value: Any, bound: dict[str, str]) -> Cell:
    cat = catalogue()
    if item.bind:
        return Cell(bound.get(item.bind, ""))
    if item.type in ("code", "codes"):
        options = "  ".join(f"{o.code} {o.label}" for o in cat.options(item))
        chosen = [value] if isinstance(value, str) else list(value or [])
        boxes = tuple(chosen) if chosen else ("",) if item.type == "code" else ("", "")
        return Cell("", options, boxes)
    if item.type == "boolean":
        return Cell("是" if value is True else "否" if value is False else "")
    if item.type in ("integer", "decimal"):
        return Cell(_number(value, item))
    return Cell("" if value is None else str(value))


def _print_date(value: datetime | date | None) -> str:
    if value is None:
        return ""
    local = to_local(value) if isinstance(value, datetime) else None
    day = local.date() if local is not None else value if not isinstance(value, datetime) else value.date()
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def render_form_html(form: FormDefinition, row: ServiceRecord, answers: dict[str, Any], bound: dict[str, str]) -> str:
    sections = []
    for section in form.sections:
        lines = []
        for item in section.items:
            if item.type == "repeat":
                rows = list(answers.get(item.key) or [])
                least = max(item.print_rows or 2, len(rows))
                table = [[cell(c, r.get(c.key), bound) for c in item.items] for r in rows]
                table += [[Cell("") for _ in item.items] for _ in range(least - len(rows))]
                lines.append({"item": item, "table": table})
            else:
                lines.append({"item": item, "cell": cell(item, answers.get(item.key), bound)})
        sections.append({"section": section, "lines": lines})
    short = bound.get("record.short_number", "")
    return _env.get_template("form.html").render(
        form=form,
        row=row,
        name=bound.get("person.name", ""),
        number_digits=list(short.rjust(8)) if short else [" "] * 8,
        sections=sections,
        signed_on=_print_date(row.signed_at),
        status_note=STATUS_NOTES.get(row.status, ""),
    )


def render_form_pdf(form: FormDefinition, row: ServiceRecord, answers: dict[str, Any], bound: dict[str, str]) -> bytes:
    html = render_form_html(form, row, answers, bound)
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise CardUnavailable() from exc
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    try:
        pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    except OSError as exc:
        raise CardUnavailable() from exc
    assert pdf is not None
    return bytes(pdf)
