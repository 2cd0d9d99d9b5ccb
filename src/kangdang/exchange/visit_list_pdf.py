"""The day's home-visit list (入户随访清单) as a PDF: an A4 landscape table to take on the round, one row per
resident — who, where, how to reach them, what is due and the last values — with room to write the result.

A pure renderer like the info card and the forms (WeasyPrint + Noto CJK fonts, imported lazily so that a
server without Pango shows :class:`CardUnavailable`'s message instead of failing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import jinja2

from kangdang.exchange.card_pdf import CardUnavailable
from kangdang.programmes.codes import PROGRAMME_LABELS, URGENCY_LABELS, Programme
from kangdang.programmes.visit_list import VisitRow, months_between
from kangdang.residents.codes import SEXES

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class VisitListHeader:
    day: date
    doctor: str  # who prints the list (and goes on the round)
    institution: str
    printed_at: datetime
    scope: str = ""  # the filters in words, e.g. "句城村委会 · 高血压"


def _day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日（星期{WEEKDAYS[value.weekday()]}）"


def _short(value: date | None) -> str:
    return f"{value.year}-{value.month:02d}-{value.day:02d}" if value else ""


def render_visit_list_html(header: VisitListHeader, rows: list[VisitRow]) -> str:
    lines = []
    for number, row in enumerate(rows, start=1):
        due = []
        for task in row.due:
            state = f"逾期{task.days_overdue}天" if task.state == "overdue" else f"{_short(task.due_on)}前"
            urgent = URGENCY_LABELS.get(task.urgency, "") if task.urgency != "routine" else ""
            due.append(
                {
                    "programme": PROGRAMME_LABELS.get(Programme(task.programme), task.programme),
                    "title": task.title,
                    "state": state,
                    "overdue": task.state == "overdue",
                    "urgent": urgent,
                    "note": task.note or "",
                }
            )
        values = []
        if row.bp:
            values.append(f"血压 {row.bp} mmHg（{_short(row.bp_on)}）")
        if row.glucose:
            values.append(f"空腹血糖 {row.glucose} mmol/L（{_short(row.glucose_on)}）")
        if row.gestation:
            values.append(row.gestation)
        if row.age_months is not None:
            values.append(f"{row.age_months}月龄")
        lines.append(
            {
                "number": number,
                "row": row,
                "sex": SEXES.get(row.sex, ""),
                "age": f"{months_between(row.birth_date, header.day)}月龄" if row.age < 1 else f"{row.age}岁",
                "due": due,
                "values": values,
            }
        )
    return _env.get_template("visit_list.html").render(
        header=header,
        day=_day(header.day),
        # the page footer is a CSS string inside <style>: nothing from a name may end the string or the element
        footer=re.sub(
            r'["\\\n<>]', "", f"{header.institution} · {header.doctor} · 打印于 {header.printed_at:%Y-%m-%d %H:%M}"
        ),
        lines=lines,
        residents=len(rows),
        tasks=sum(len(row.due) for row in rows),
    )


def render_visit_list_pdf(header: VisitListHeader, rows: list[VisitRow]) -> bytes:
    html = render_visit_list_html(header, rows)
    try:
        import weasyprint  # lazy, so a server without Pango still starts and shows the message
    except (ImportError, OSError) as exc:
        raise CardUnavailable() from exc
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})  # nothing fetched from the network or files
    try:
        pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    except OSError as exc:
        raise CardUnavailable() from exc
    assert pdf is not None
    return bytes(pdf)
