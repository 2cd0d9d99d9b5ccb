"""Done-when (issue 5): a pregnancy enrolled at 10 weeks yields the five antenatal windows, the postpartum
visit and the 42-day check at the right dates; signed forms do them; the recorded delivery moves the
postpartum dates; the 42-day check with 处理“结案” closes the episode. Dates worked out by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.service import enrol, update_episode
from kangdang.records.service import save_form
from tests.records.forms import test_antenatal_first, test_antenatal_followup, test_postpartum_42day
from tests.residents.factories import file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENROLLED = date(2027, 3, 15)  # at 10+0 weeks: LMP = 15 March − 70 days = 4 January 2027


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)


def tasks(db: Any, person_id: Any, *statuses: str) -> list[CareTask]:
    db.expire_all()
    query = select(CareTask).where(CareTask.person_id == person_id).order_by(CareTask.opens_on, CareTask.key)
    if statuses:
        query = query.where(CareTask.status.in_(statuses))
    return list(db.scalars(query))


def windows(db: Any, person_id: Any) -> dict[str, tuple[date, date, date | None]]:
    return {t.key: (t.opens_on, t.due_on, t.expires_on) for t in tasks(db, person_id)}


def first_check(day: date, weeks: int, days: int) -> dict[str, Any]:
    return test_antenatal_first.EXAMPLE | {
        "visit_date": day.isoformat(),
        "lmp": "2027-01-04",
        "gestational_weeks": weeks,
        "gestational_days": days,
        "next_visit_date": "2027-05-03",
    }


def second_visit(day: date, weeks: int, days: int) -> dict[str, Any]:
    answers = {key: value for key, value in test_antenatal_followup.EXAMPLE.items() if key != "guidance_3"}
    return answers | {
        "visit_number": "2",
        "visit_date": day.isoformat(),
        "gestational_weeks": weeks,
        "gestational_days": days,
        "fundal_height": "16.0",
        "guidance_2": ["1", "2"],
        "next_visit_date": "2027-06-07",
    }


@pytest.fixture
def woman(db: Any, actor_of: Any, time_machine: Any) -> Any:
    time_machine.move_to(at(ENROLLED), tick=False)
    return file_resident(db, actor_of("cunyi"), name="孙晓梅", born=date(1995, 3, 8), sex="2")


def test_enrolment_at_ten_weeks_stores_the_five_antenatal_windows_and_the_postpartum_visits(
    db: Any, actor_of: Any, woman: Any
) -> None:
    episode = enrol(db, actor_of("cunyi"), woman.id, "maternal", details={"gestational_weeks": 10})
    assert episode.details["lmp"] == "2027-01-04"
    stored = tasks(db, woman.person_id)
    assert [(t.key, t.form_code, t.status) for t in stored] == [
        ("antenatal:1", "antenatal_first", "open"),
        ("antenatal:2", "antenatal_followup", "open"),
        ("antenatal:3", "antenatal_followup", "open"),
        ("antenatal:4", "antenatal_followup", "open"),
        ("antenatal:5", "antenatal_followup", "open"),
        ("postpartum", "postpartum_visit", "open"),
        ("postpartum:42", "postpartum_42day", "open"),
    ]
    assert windows(db, woman.person_id) == {
        # 建册 before 13 weeks: LMP + 90 days = 4 April (27 + 28 + 31 = 86 to 31 March, + 4)
        "antenatal:1": (date(2027, 3, 15), date(2027, 4, 4), None),
        # 16–20 weeks: LMP + 112 = 26 April to LMP + 146 = 30 May; counts until week 21 (31 May)
        "antenatal:2": (date(2027, 4, 26), date(2027, 5, 30), date(2027, 5, 31)),
        # 21–24 weeks: LMP + 147 = 31 May to LMP + 174 = 27 June; counts until week 28 (LMP + 196 = 19 July)
        "antenatal:3": (date(2027, 5, 31), date(2027, 6, 27), date(2027, 7, 19)),
        # 28–36 weeks: 19 July to LMP + 258 = 19 Sept; counts until week 37 (20 Sept)
        "antenatal:4": (date(2027, 7, 19), date(2027, 9, 19), date(2027, 9, 20)),
        # 37–40 weeks: 20 Sept to LMP + 286 = 17 Oct; counts until 42 weeks (LMP + 294 = 25 Oct)
        "antenatal:5": (date(2027, 9, 20), date(2027, 10, 17), date(2027, 10, 25)),
        # 预产期 LMP + 280 = 11 Oct: home visit 3–7 days after (14–18 Oct), counts until day 42 (22 Nov)
        "postpartum": (date(2027, 10, 14), date(2027, 10, 18), date(2027, 11, 22)),
        # 42-day check from 22 Nov, due by day 56 (6 Dec)
        "postpartum:42": (date(2027, 11, 22), date(2027, 12, 6), None),
    }
    by_key = {t.key: t for t in stored}
    assert by_key["antenatal:3"].preset == {"visit_number": "3"}
    assert by_key["antenatal:2"].title == "第2次产前随访（孕16～20周）"
    assert by_key["postpartum"].note == by_key["postpartum:42"].note == "按预产期推算"


def test_forms_do_the_visits_the_delivery_moves_the_postpartum_dates_and_the_42_day_check_closes(
    db: Any, actor_of: Any, woman: Any, time_machine: Any
) -> None:
    doctor = actor_of("cunyi")
    episode = enrol(db, doctor, woman.id, "maternal", details={"gestational_weeks": 10})

    # 20 March, 10+5 weeks (LMP + 75 days): the first antenatal check
    time_machine.move_to(at(date(2027, 3, 20)), tick=False)
    first = save_form(db, doctor, woman.id, "antenatal_first", first_check(date(2027, 3, 20), 10, 5), sign=True)
    # 3 May, 17+0 weeks (LMP + 119 days): the 2nd visit
    time_machine.move_to(at(date(2027, 5, 3)), tick=False)
    second = save_form(db, doctor, woman.id, "antenatal_followup", second_visit(date(2027, 5, 3), 17, 0), sign=True)
    done = {t.key: (t.done_form_id, t.done_on) for t in tasks(db, woman.person_id, "done")}
    assert done == {"antenatal:1": (first.id, date(2027, 3, 20)), "antenatal:2": (second.id, date(2027, 5, 3))}
    assert next(t.key for t in tasks(db, woman.person_id, "open")) == "antenatal:3"

    # 6 October: delivered on 2 Oct (38+5 weeks), discharged on 5 Oct
    time_machine.move_to(at(date(2027, 10, 6)), tick=False)
    update_episode(db, doctor, episode.id, details={"delivery_date": "2027-10-02", "discharge_date": "2027-10-05"})
    moved = windows(db, woman.person_id)
    # 5 Oct + 3 = 8 Oct to 5 Oct + 7 = 12 Oct; counts until 2 Oct + 42 days = 13 Nov (29 days to 31 Oct, + 13)
    assert moved["postpartum"] == (date(2027, 10, 8), date(2027, 10, 12), date(2027, 11, 13))
    # from day 42 (13 Nov) to day 56 (27 Nov)
    assert moved["postpartum:42"] == (date(2027, 11, 13), date(2027, 11, 27), None)
    # the 5th antenatal visit no longer counts after the delivery
    assert moved["antenatal:5"] == (date(2027, 9, 20), date(2027, 10, 17), date(2027, 10, 2))
    assert {t.note for t in tasks(db, woman.person_id) if t.key.startswith("postpartum")} == {None}

    # 15 November, day 44: the 42-day check, 处理 结案
    time_machine.move_to(at(date(2027, 11, 15)), tick=False)
    check = test_postpartum_42day.EXAMPLE | {
        "visit_date": "2027-11-15",
        "delivery_date": "2027-10-02",
        "discharge_date": "2027-10-05",
        "disposal": "1",
    }
    closing = save_form(db, doctor, woman.id, "postpartum_42day", check, sign=True)
    db.expire_all()
    closed = db.get(Episode, episode.id)
    assert (closed.status, closed.outcome, closed.closed_on) == ("closed", "completed", date(2027, 11, 15))
    assert closed.outcome_note == "产后42天健康检查后结案"
    assert tasks(db, woman.person_id, "open") == []
    final = {t.key: t.status for t in tasks(db, woman.person_id)}
    assert final == {
        "antenatal:1": "done",
        "antenatal:2": "done",
        # the visits whose window closed without them stay missed (已过期); closing cancels only the open ones
        "antenatal:3": "expired",
        "antenatal:4": "expired",
        "antenatal:5": "expired",
        "postpartum": "expired",
        "postpartum:42": "done",
    }
    assert tasks(db, woman.person_id, "done")[-1].done_form_id == closing.id
