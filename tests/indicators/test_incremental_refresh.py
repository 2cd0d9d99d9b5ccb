"""Done-when (issue 6): after a doctor signs a form the affected figures change without a full recompute
(the village is marked in the same transaction and the refresher recomputes only it), and after a random
sequence of changes the incremental figures equal a from-scratch recount."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from kangdang.indicators.models import IndicatorDirty, IndicatorValue
from kangdang.indicators.read import figures
from kangdang.indicators.refresh import recompute_all, refresh_dirty
from kangdang.records.service import save_form
from kangdang.residents.lifecycle import close_record
from kangdang.residents.schemas import RecordClosure
from tests.helpers import post_form
from tests.indicators.fixture_village import TODAY, TOWNSHIP, VILLAGE, at, basic, build_village
from tests.programmes.test_hypertension_episode import followup
from tests.residents.factories import file_resident


def snapshot(db: Any) -> dict[tuple[str, str, str, str, str], tuple[int, int | None]]:
    """Every stored figure (without its computing time)."""
    return {
        (r.indicator, r.period, r.unit_kind, r.unit_code, r.area_type): (r.numerator, r.denominator)
        for r in db.execute(select(IndicatorValue)).scalars()
    }


def control(db: Any, actor: Any, unit: str) -> tuple[int, int | None]:
    (figure,) = figures(db, actor, period="2027Q1", units=[unit], indicators=["hypertension_control_rate"])
    return figure.numerator, figure.denominator


def test_a_signed_form_shows_in_the_figures_after_the_incremental_refresh(
    db: Any, actor_of: Any, time_machine: Any
) -> None:
    people = build_village(db, actor_of, time_machine)
    recompute_all(db, county="330521", today=TODAY)
    manager = actor_of("xianju")
    assert control(db, manager, VILLAGE) == (1, 2)
    township_before = control(db, manager, TOWNSHIP)

    save_form(db, actor_of("yisheng"), people["F"].id, "hypertension_followup", followup(TODAY, 132, 82), sign=True)
    assert VILLAGE in set(db.scalars(select(IndicatorDirty.village_code)))
    assert control(db, manager, VILLAGE) == (1, 2)  # not yet: pages read the stored figures

    assert refresh_dirty(db, today=TODAY) >= 1
    assert control(db, manager, VILLAGE) == (2, 2)
    assert control(db, manager, TOWNSHIP) == (township_before[0] + 1, township_before[1])
    assert not list(db.scalars(select(IndicatorDirty.id)))


def test_incremental_figures_equal_a_full_recount_after_random_changes(
    db: Any, actor_of: Any, time_machine: Any
) -> None:
    people = build_village(db, actor_of, time_machine)
    recompute_all(db, county="330521", today=TODAY)
    doctor, keeper = actor_of("yisheng"), actor_of("dangan")
    rng = random.Random(6)
    alive = ["A", "C", "D", "F"]
    for step in range(8):
        move = rng.choice(["followup", "followup", "register", "basic", "close"])
        if move == "followup":
            who = rng.choice(alive)
            day = TODAY - timedelta(days=rng.randrange(0, 60))
            save_form(
                db,
                doctor,
                people[who].id,
                "hypertension_followup",
                followup(day, rng.randrange(120, 170), 85),
                sign=True,
            )
        elif move == "register":
            time_machine.move_to(at(TODAY), tick=False)
            name = f"新{step}测试"
            people[name] = file_resident(db, doctor, name=name, born=date(1940 + step, 1, 2), village=VILLAGE)
            save_form(db, doctor, people[name].id, "cover", {"visit_date": TODAY.isoformat()}, sign=True)
            save_form(db, doctor, people[name].id, "personal_basic_info", basic(TODAY), sign=True)
            alive.append(name)
        elif move == "basic" and "B" in people and people["B"].filing_complete_on is None:
            save_form(db, doctor, people["B"].id, "personal_basic_info", basic(TODAY), sign=True)
        elif move == "close" and len(alive) > 2:
            who = alive.pop(rng.randrange(len(alive)))
            close_record(db, keeper, people[who].id, RecordClosure(reason="3", closed_on=TODAY, note="失访"))
        db.flush()
        refresh_dirty(db, today=TODAY)
    incremental = snapshot(db)
    recompute_all(db, county="330521", today=TODAY)
    assert snapshot(db) == incremental


def test_the_county_manager_recomputes_from_the_page_and_sees_the_progress(
    client: Any, web_login: Any, db: Any, actor_of: Any
) -> None:
    from kangdang.indicators.models import IndicatorRun

    web_login("xianju")
    started = post_form(client, "/indicators/recompute", {"county": "330521"}, page_url="/")
    assert started.status_code == 303, started.text
    run_page = client.get(started.headers["location"])
    assert run_page.status_code == 200
    run = db.scalar(select(IndicatorRun).order_by(IndicatorRun.started_at.desc()))
    db.refresh(run)
    assert run.status == "done" and run.done_units == run.total_units > 0
    assert "重新计算完成" in client.get(started.headers["location"]).text
    web_login("cunyi")
    refused = post_form(client, "/indicators/recompute", {"county": "330521"}, page_url="/")
    assert refused.status_code == 403
