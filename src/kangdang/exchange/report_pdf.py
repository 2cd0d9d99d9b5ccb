"""The quarterly or annual report (``indicators.reports.Report``) as a PDF: A4 landscape, the same three tables as
the workbook (indicators by group, the main rates by township or village, urban and rural), with the producer and
the page numbers in the margin.

A pure renderer like the home-visit list (WeasyPrint + Noto CJK fonts, imported lazily so that a server without
Pango shows :class:`CardUnavailable`'s message instead of failing).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import jinja2

from kangdang.exchange.card_pdf import CardUnavailable
from kangdang.indicators.reports import AREA_LABELS, Report

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _rate(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def _count(value: int | None) -> str:
    return str(value) if value is not None else "未录入"


_env.filters["rate"] = _rate
_env.filters["count"] = _count


def render_report_html(report: Report) -> str:
    return _env.get_template("indicator_report.html").render(
        report=report,
        areas=AREA_LABELS,
        # the page footer is a CSS string inside <style>: nothing from a name may end the string or the element
        footer=re.sub(r'["\\\n<>]', "", f"{report.unit_name} · {report.period_label} · 填报日期 {report.produced_on}"),
    )


def render_report_pdf(report: Report) -> bytes:
    html = render_report_html(report)
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
