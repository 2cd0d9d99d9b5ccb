"""Done-when (issue 5): a village doctor's worklist holds exactly their own residents' due and overdue tasks;
another village's doctor sees none of them; the township centre sees both, grouped by village and doctor."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from kangdang.access.models import AuditEvent
from kangdang.core.errors import PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.programmes.models import CareTask
from kangdang.programmes.service import enrol
from kangdang.programmes.worklist import WorkFilter, task_state, worklist, worklist_counts, worklist_summary
from kangdang.records.service import save_form
from kangdang.residents.models import HealthRecord
from tests.programmes.test_hypertension_episode import followup
from tests.residents.factories import MOGANSHAN_VILLAGE, XINSHI_VILLAGE, file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENROLLED = date(2027, 1, 4)
TODAY = date(2027, 2, 1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def patients(db: Any, actor_of: Any, time_machine: Any) -> dict[str, Any]:
    """Two hypertension patients in cunyi's village and one in cunyi2's, all enrolled on 4 January 2027."""
    time_machine.move_to(at(ENROLLED), tick=False)
    cunyi, cunyi2 = actor_of("cunyi"), actor_of("cunyi2")
    late = file_resident(db, cunyi, name="甲逾期", born=date(1960, 2, 3), village=XINSHI_VILLAGE)
    soon = file_resident(db, cunyi, name="乙本周", born=date(1961, 2, 3), village=XINSHI_VILLAGE)
    other = file_resident(db, cunyi2, name="丙他村", born=date(1962, 2, 3), village=MOGANSHAN_VILLAGE)
    for doctor, record in ((cunyi, late), (cunyi, soon), (cunyi2, other)):
        enrol(db, doctor, record.id, "hypertension")
    # 乙 was seen on 20 January, uncontrolled: recheck within 2 weeks → due 3 February (this week on 1 February)
    time_machine.move_to(at(date(2027, 1, 20)), tick=False)
    save_form(db, cunyi, soon.id, "hypertension_followup", followup(date(2027, 1, 20), 150, 95), sign=True)
    time_machine.move_to(at(TODAY), tick=False)
    return {"late": late, "soon": soon, "other": other}


def names(page: Any, patients: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """The follow-up tasks of this test's patients (the demo county has its own on the same lists)."""
    ours = {r.id for r in patients.values()}
    return [
        (i.name, i.title, i.state, i.days_overdue)
        for i in page.items
        if i.form_code == "hypertension_followup" and i.record_id in ours
    ]


def everything(db: Any, actor: Any, **filters: Any) -> Any:
    return worklist(db, actor, filters=WorkFilter(**filters), page=PageRequest(size=500), audit=False)


def test_a_village_doctor_sees_exactly_their_own_residents(db: Any, actor_of: Any, patients: Any) -> None:
    cunyi, cunyi2 = actor_of("cunyi"), actor_of("cunyi2")
    # 甲's first follow-up was due by 18 January (4 January + 14 days): 14 days overdue on 1 February
    mine = everything(db, cunyi, programme="hypertension")
    assert names(mine, patients) == [("甲逾期", "高血压随访", "overdue", 14), ("乙本周", "高血压随访", "due", 0)]
    assert {i.village_code for i in mine.items} == {XINSHI_VILLAGE}  # only their own village's residents
    overdue = everything(db, cunyi, state="overdue")
    assert "甲逾期" in {i.name for i in overdue.items} and "乙本周" not in {i.name for i in overdue.items}
    assert {i.state for i in overdue.items} == {"overdue"}
    theirs = everything(db, cunyi2)
    assert names(theirs, patients) == [("丙他村", "高血压随访", "overdue", 14)]
    assert not {i.record_id for i in theirs.items} & {patients["late"].id, patients["soon"].id}
    assert {i.village_code for i in theirs.items} == {MOGANSHAN_VILLAGE}
    counts = worklist_counts(db, cunyi)
    assert counts["hypertension"]["overdue"] == sum(1 for i in mine.items if i.state == "overdue")


def test_the_township_sees_both_villages_grouped_by_village_and_doctor(db: Any, actor_of: Any, patients: Any) -> None:
    township = actor_of("yisheng")
    seen = {i.name for i in everything(db, township, programme="hypertension").items}
    assert {"甲逾期", "乙本周"} <= seen and "丙他村" not in seen  # 莫干山镇 is another township
    rows = [r for r in worklist_summary(db, township) if r.village_code == XINSHI_VILLAGE]
    assert sum(r.count("overdue") for r in rows) >= 1 and sum(r.count("due") for r in rows) >= 1
    county = worklist_summary(db, actor_of("xianju"), filters=WorkFilter(programme="hypertension"))
    villages = {r.village_code for r in county}
    assert {XINSHI_VILLAGE, MOGANSHAN_VILLAGE} <= villages


def test_people_without_a_worklist_are_refused_and_lists_are_audited(db: Any, actor_of: Any, patients: Any) -> None:
    for login in ("tongji", "yiyuan", "jigou"):
        with pytest.raises(PermissionDenied):
            worklist(db, actor_of(login))
    worklist(db, actor_of("cunyi"), filters=WorkFilter(state="overdue"))
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "worklist.view").order_by(AuditEvent.id.desc()))
    assert event.details["filters"] == {"state": "overdue"} and event.details["total"] >= 1


def test_task_states_by_hand() -> None:
    day = date(2027, 2, 1)
    assert task_state(date(2027, 1, 4), date(2027, 1, 18), None, day) == "overdue"
    assert task_state(date(2027, 1, 21), date(2027, 2, 3), None, day) == "due"
    assert task_state(date(2027, 2, 7), date(2027, 2, 20), None, day) == "due"  # opens within 7 days (1–7 Feb)
    assert task_state(date(2027, 2, 8), date(2027, 2, 20), None, day) == "upcoming"
    assert task_state(date(2027, 3, 3), date(2027, 3, 20), None, day) == "upcoming"  # 30 days ahead
    assert task_state(date(2027, 3, 4), date(2027, 3, 20), None, day) == "later"
    assert task_state(date(2026, 12, 1), date(2026, 12, 31), day, day) == "expired"
    assert task_state(date(2026, 12, 1), date(2026, 12, 31), day + timedelta(days=1), day) == "overdue"


def test_a_resident_kept_outside_the_doctors_villages_is_listed_and_counted_once(
    db: Any, actor_of: Any, patients: Any
) -> None:
    """The scope is the territory's villages OR the records one's institution keeps: totals and tabs count it as
    two disjoint parts (each from its own index), which must add up to the list."""
    cunyi = actor_of("cunyi")
    office = cunyi.memberships[0].institution_id
    kept_elsewhere = patients["other"]  # lives in 莫干山镇, now kept by cunyi's own office
    db.execute(update(HealthRecord).where(HealthRecord.id == kept_elsewhere.id).values(managing_institution_id=office))
    db.execute(update(CareTask).where(CareTask.record_id == kept_elsewhere.id).values(managing_institution_id=office))
    assert "丙他村" in every_page(db, cunyi).values()
    for actor in (cunyi, actor_of("yisheng"), actor_of("cunyi2")):
        listed = every_page(db, actor)
        total = worklist(db, actor, audit=False).total
        assert total == len(listed)
        counts = worklist_counts(db, actor)
        assert sum(n for states in counts.values() for n in states.values()) == total


def every_page(db: Any, actor: Any) -> dict[Any, str]:
    """Task id → resident name, over every page of the actor's worklist."""
    found: dict[Any, str] = {}
    for number in range(1, 100):
        page = worklist(db, actor, page=PageRequest(page=number, size=200), audit=False)
        found.update((i.task_id, i.name) for i in page.items)
        if number * 200 >= page.total:
            return found
    raise AssertionError("more than 99 pages")
