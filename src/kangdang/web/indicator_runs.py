"""Recomputing a county's figures from the page (after a parameter changes): the run goes on in the background
and its page shows the progress (villages done of total), refreshed by htmx until it ends."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Form, Request
from starlette.responses import RedirectResponse, Response

from kangdang.core.clock import today_local
from kangdang.indicators.refresh import get_run, run_recompute, start_recompute
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render

router = APIRouter()


@router.post("/indicators/recompute", dependencies=[CsrfChecked])
def recompute(
    request: Request, session: DbSession, actor: CurrentActor, tasks: BackgroundTasks, county: str = Form("")
) -> Response:
    run = start_recompute(session, actor, county=county)
    tasks.add_task(run_recompute, request.app.state.session_factory, run.id, today=today_local())
    return RedirectResponse(f"/indicators/runs/{run.id}", status_code=303)


@router.get("/indicators/runs/{run_id}")
def run_page(request: Request, session: DbSession, actor: CurrentActor, run_id: uuid.UUID) -> Response:
    run = get_run(session, actor, run_id)
    template = (
        "indicator_runs/_progress.html" if request.headers.get("hx-request") == "true" else "indicator_runs/run.html"
    )
    return render(request, template, {"run": run})
