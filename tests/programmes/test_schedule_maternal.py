"""孕产妇 schedule as a pure function: the antenatal windows by gestational week, postpartum dates from the
expected or the recorded delivery, late enrolment, the visit number that does a visit, and the closing.
Dates worked out by hand from an LMP of Monday 4 January 2027."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from kangdang.programmes.schedule import plan
from kangdang.programmes.schedule.types import Closing, EpisodeFacts, FormFact, Plan, PlannedTask

LMP = date(2027, 1, 4)
TEN_WEEKS = date(2027, 3, 15)  # LMP + 70 days: 27 days left in January + 28 (February) + 15


def pregnancy(enrolled_on: date = TEN_WEEKS, **details: Any) -> EpisodeFacts:
    return EpisodeFacts("maternal", enrolled_on, date(1995, 6, 1), "2", {"lmp": LMP.isoformat(), **details})


def form(code: str, day: date, **answers: Any) -> FormFact:
    return FormFact(uuid.uuid4(), code, day, {"visit_date": day.isoformat(), **answers})


def by_key(result: Plan) -> dict[str, PlannedTask]:
    return {t.key: t for t in result.tasks}


def windows(result: Plan) -> list[tuple[str, date, date, date | None]]:
    return [(t.key, t.opens_on, t.due_on, t.expires_on) for t in result.tasks]


def test_enrolled_at_ten_weeks_every_visit_is_planned_from_the_expected_delivery() -> None:
    result = plan(pregnancy(), [])
    assert windows(result) == [
        # before 13 weeks: by LMP + 90 days = 4 April (27 + 28 + 31 = 86 to 31 March, + 4); opens on enrolment
        ("antenatal:1", TEN_WEEKS, date(2027, 4, 4), None),
        # 16–20 weeks: LMP + 112 = 26 April, to LMP + 146 (the last day of week 20) = 30 May; until week 21 (31 May)
        ("antenatal:2", date(2027, 4, 26), date(2027, 5, 30), date(2027, 5, 31)),
        # 21–24 weeks: LMP + 147 = 31 May to LMP + 174 = 27 June; until week 28 (LMP + 196 = 19 July)
        ("antenatal:3", date(2027, 5, 31), date(2027, 6, 27), date(2027, 7, 19)),
        # 28–36 weeks: 19 July to LMP + 258 = 19 Sept; until week 37 (LMP + 259 = 20 Sept)
        ("antenatal:4", date(2027, 7, 19), date(2027, 9, 19), date(2027, 9, 20)),
        # 37–40 weeks: 20 Sept to LMP + 286 = 17 Oct; until 42 weeks (LMP + 294 = 25 Oct) as no delivery is known
        ("antenatal:5", date(2027, 9, 20), date(2027, 10, 17), date(2027, 10, 25)),
        # expected delivery LMP + 280 = 11 Oct: visit 3–7 days later (14–18 Oct), counts until day 42 (22 Nov)
        ("postpartum", date(2027, 10, 14), date(2027, 10, 18), date(2027, 11, 22)),
        # 42-day check from 22 Nov (11 Oct + 20 + 22), due within two weeks (6 Dec)
        ("postpartum:42", date(2027, 11, 22), date(2027, 12, 6), None),
    ]
    tasks = by_key(result)
    assert (tasks["antenatal:1"].title, tasks["antenatal:1"].form_code) == (
        "第1次产前检查（孕13周前建册）",
        "antenatal_first",
    )
    assert (tasks["antenatal:2"].title, tasks["antenatal:2"].form_code) == (
        "第2次产前随访（孕16～20周）",
        "antenatal_followup",
    )
    assert tasks["antenatal:5"].title == "第5次产前随访（孕37～40周）"
    assert [tasks[f"antenatal:{n}"].preset for n in range(2, 6)] == [{"visit_number": str(n)} for n in range(2, 6)]
    assert (tasks["postpartum"].title, tasks["postpartum"].form_code) == (
        "产后访视（出院后3～7天）",
        "postpartum_visit",
    )
    assert (tasks["postpartum:42"].title, tasks["postpartum:42"].form_code) == ("产后42天健康检查", "postpartum_42day")
    assert tasks["postpartum"].note == tasks["postpartum:42"].note == "按预产期推算"
    assert tasks["antenatal:2"].note is None
    assert result.closing is None


def test_registered_on_the_day_of_the_lmp_the_first_check_opens_then() -> None:
    assert by_key(plan(pregnancy(LMP), []))["antenatal:1"].opens_on == LMP


def test_a_recorded_delivery_moves_the_postpartum_visits_and_ends_the_antenatal_ones() -> None:
    # delivered 2 Oct (38+5 weeks), discharged 5 Oct
    result = by_key(plan(pregnancy(delivery_date="2027-10-02", discharge_date="2027-10-05"), []))
    post, check = result["postpartum"], result["postpartum:42"]
    # 5 Oct + 3 = 8 Oct, + 7 = 12 Oct; counts until day 42 after delivery: 2 Oct + 29 = 31 Oct, + 13 = 13 Nov
    assert (post.opens_on, post.due_on, post.expires_on, post.note) == (
        date(2027, 10, 8),
        date(2027, 10, 12),
        date(2027, 11, 13),
        None,
    )
    # 13 Nov to 13 Nov + 14 = 27 Nov
    assert (check.opens_on, check.due_on, check.note) == (date(2027, 11, 13), date(2027, 11, 27), None)
    # the 5th visit counts only until the delivery, not until 42 weeks; nor does a first check never done
    assert result["antenatal:5"].expires_on == date(2027, 10, 2)
    assert result["antenatal:1"].expires_on == date(2027, 10, 2)
    assert result["antenatal:4"].expires_on == date(2027, 9, 20)


def test_without_a_discharge_date_the_postpartum_visit_counts_from_the_delivery() -> None:
    post = by_key(plan(pregnancy(delivery_date="2027-10-02"), []))["postpartum"]
    assert (post.opens_on, post.due_on) == (date(2027, 10, 5), date(2027, 10, 9))  # 2 Oct + 3, + 7


def test_the_delivery_written_on_a_postpartum_form_counts_when_the_episode_has_none() -> None:
    visit = form("postpartum_visit", date(2027, 10, 9), delivery_date="2027-10-02", discharge_date="2027-10-05")
    result = by_key(plan(pregnancy(), [visit]))
    post, check = result["postpartum"], result["postpartum:42"]
    assert (post.opens_on, post.due_on, post.note) == (date(2027, 10, 8), date(2027, 10, 12), None)
    assert (post.status, post.done_form_id, post.done_on) == ("done", visit.id, date(2027, 10, 9))
    assert (check.opens_on, check.due_on, check.note) == (date(2027, 11, 13), date(2027, 11, 27), None)


def test_a_preterm_delivery_drops_the_visits_whose_weeks_never_came() -> None:
    # delivered 10 Sept (35+4 weeks): the 5th visit (from 20 Sept) is not asked for, the 4th ends on the delivery
    result = by_key(plan(pregnancy(delivery_date="2027-09-10"), []))
    assert "antenatal:5" not in result
    assert result["antenatal:4"].expires_on == date(2027, 9, 10)
    # a 5th visit signed anyway (before the delivery was known) stays done
    early = form("antenatal_followup", date(2027, 9, 8), visit_number="5")
    assert by_key(plan(pregnancy(delivery_date="2027-09-10"), [early]))["antenatal:5"].done_form_id == early.id


def test_enrolled_at_thirty_weeks_the_past_visits_are_not_asked_for_but_the_first_check_is() -> None:
    # 30 weeks = LMP + 210 days = 2 August; visits 2 (until 31 May) and 3 (until 19 July) are past
    result = plan(pregnancy(date(2027, 8, 2)), [])
    assert [t.key for t in result.tasks] == ["antenatal:1", "antenatal:4", "antenatal:5", "postpartum", "postpartum:42"]
    # the first check (建册) is still needed and overdue since 4 April: its window cannot open after it is due
    first = result.tasks[0]
    assert (first.opens_on, first.due_on) == (date(2027, 4, 4), date(2027, 4, 4))


def test_each_follow_up_is_done_by_the_form_with_its_visit_number() -> None:
    first = form("antenatal_first", date(2027, 3, 20))
    second = form("antenatal_followup", date(2027, 5, 3), visit_number="2")
    fourth = form("antenatal_followup", date(2027, 8, 9), visit_number="4")
    again = form("antenatal_followup", date(2027, 8, 30), visit_number="4")
    result = by_key(plan(pregnancy(), [first, second, fourth, again]))
    assert (result["antenatal:1"].done_form_id, result["antenatal:1"].done_on) == (first.id, date(2027, 3, 20))
    assert result["antenatal:2"].done_form_id == second.id
    assert result["antenatal:3"].status == "open"
    assert result["antenatal:4"].done_form_id == fourth.id
    assert result["antenatal:5"].status == "open"


def test_forms_of_an_earlier_pregnancy_do_not_count() -> None:
    # a first check and a closing 42-day check from 2026, before this LMP
    old_first = form("antenatal_first", date(2026, 3, 2))
    old_close = form("postpartum_42day", date(2026, 12, 20), delivery_date="2026-11-08", disposal="1")
    result = plan(pregnancy(), [old_first, old_close])
    assert by_key(result)["antenatal:1"].status == "open"
    assert by_key(result)["postpartum"].note == "按预产期推算"  # the old delivery date is not this one
    assert result.closing is None


def test_the_42_day_check_with_disposal_closed_ends_the_episode() -> None:
    check = form("postpartum_42day", date(2027, 11, 15), delivery_date="2027-10-02", disposal="1")
    result = plan(pregnancy(), [check])
    assert by_key(result)["postpartum:42"].done_form_id == check.id
    assert result.closing == Closing(date(2027, 11, 15), "completed", "产后42天健康检查后结案")


def test_a_42_day_check_with_a_referral_does_not_close_until_a_closing_one() -> None:
    referred = form("postpartum_42day", date(2027, 11, 15), delivery_date="2027-10-02", disposal="2")
    result = plan(pregnancy(), [referred])
    assert by_key(result)["postpartum:42"].done_form_id == referred.id
    assert result.closing is None
    closed = form("postpartum_42day", date(2027, 12, 3), delivery_date="2027-10-02", disposal="1")
    assert plan(pregnancy(), [referred, closed]).closing == Closing(
        date(2027, 12, 3), "completed", "产后42天健康检查后结案"
    )


def test_enrolled_after_the_delivery_only_the_postpartum_visits_are_asked_for() -> None:
    # delivered 2 Oct, discharged 5 Oct, enrolled 7 Oct: no antenatal visit can be done any more
    result = plan(pregnancy(date(2027, 10, 7), delivery_date="2027-10-02", discharge_date="2027-10-05"), [])
    assert windows(result) == [
        ("postpartum", date(2027, 10, 8), date(2027, 10, 12), date(2027, 11, 13)),  # 5 Oct + 3, + 7; 2 Oct + 42
        ("postpartum:42", date(2027, 11, 13), date(2027, 11, 27), None),
    ]
    # … but the first check signed during the pregnancy is kept as done
    first = form("antenatal_first", date(2027, 3, 20))
    result = plan(pregnancy(date(2027, 10, 7), delivery_date="2027-10-02"), [first])
    assert [(t.key, t.status) for t in result.tasks] == [
        ("antenatal:1", "done"),
        ("postpartum", "open"),
        ("postpartum:42", "open"),
    ]
