"""The reports page (季度与年度报表): pick a unit (the county or one of its townships) and a quarter or year, see
the report on the page and download it as Excel or PDF in the layout a bureau files upward."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.exchange.card_pdf import CardUnavailable
from kangdang.exchange.report_pdf import render_report_pdf
from kangdang.exchange.report_xlsx import XLSX_MEDIA_TYPE, render_report_xlsx
from kangdang.indicators.periods import Period
from kangdang.indicators.reports import Report, build_report, report_periods, report_units
from kangdang.web.deps import CurrentActor, DbSession, render

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store"}


def _period_groups(periods: list[Period]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The periods grouped by year for the picker: each year's quarters (季度报表) then the year (年度报表)."""
    groups: dict[int, list[tuple[str, str]]] = {}
    for period in periods:
        label = f"{period.label}（季度报表）" if period.kind == "quarter" else f"{period.year}年度（年度报表）"
        groups.setdefault(period.year, []).append((period.key, label))
    return [(f"{year}年", options) for year, options in groups.items()]


def _default_period(periods: list[Period], today: date) -> str:
    """The last quarter that has ended (what is filed now), else the running one."""
    ended = [p for p in periods if p.kind == "quarter" and p.end < today]
    chosen = ended[0] if ended else next((p for p in periods if p.kind == "quarter"), None)
    return chosen.key if chosen else ""


def attachment(filename: str, fallback: str) -> str:
    """Content-Disposition for a download with a Chinese file name (RFC 5987, with an ASCII fallback)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def file_names(report: Report, extension: str) -> tuple[str, str]:
    kind = "季度报表" if report.kind == "quarter" else "年度报表"
    return (
        f"{report.unit_name}-{report.period}-{kind}.{extension}",
        f"report-{report.unit_code}-{report.period}.{extension}",
    )


@router.get("/indicators/reports")
def reports_page(
    request: Request, session: DbSession, actor: CurrentActor, unit: str = "", period: str = ""
) -> Response:
    actor.require(Action.INDICATOR_VIEW)
    today = today_local()
    units = report_units(session, actor)
    periods = report_periods(today)
    unit = unit or (units[0][0] if units else "")
    period = period or _default_period(periods, today)
    report = build_report(session, actor, unit=unit, period=period, today=today) if unit and period else None
    query = urlencode({"unit": unit}) if unit else ""
    context = {
        "page_title": "季度与年度报表",
        "units": units,
        "period_groups": _period_groups(periods),
        "chosen_unit": unit,
        "chosen_period": period,
        "report": report,
        "xlsx_url": f"/indicators/reports/{period}.xlsx?{query}" if report else "",
        "pdf_url": f"/indicators/reports/{period}.pdf?{query}" if report else "",
        "rate_text": lambda value: f"{value:.2f}" if value is not None else "—",
    }
    response = render(request, "indicator_reports/page.html", context)
    response.headers.update(NO_STORE)
    return response


@router.get("/indicators/reports/{period}.xlsx")
def report_xlsx(session: DbSession, actor: CurrentActor, period: str, unit: str = "") -> Response:
    report = build_report(session, actor, unit=unit, period=period, today=today_local())
    name, fallback = file_names(report, "xlsx")
    return Response(
        render_report_xlsx(report),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": attachment(name, fallback), **NO_STORE},
    )


@router.get("/indicators/reports/{period}.pdf")
def report_pdf(request: Request, session: DbSession, actor: CurrentActor, period: str, unit: str = "") -> Response:
    report = build_report(session, actor, unit=unit, period=period, today=today_local())
    try:
        pdf = render_report_pdf(report)
    except CardUnavailable as error:
        context = {"status": 503, "message": error.message, "details": []}
        return render(request, "errors/error.html", context, status_code=503)
    name, fallback = file_names(report, "pdf")
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": attachment(name, fallback), **NO_STORE}
    )
