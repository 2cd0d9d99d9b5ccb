"""A visit whose window closed without it is stored as missed (已过期, status "expired"), not left open: by the
re-planning after any change, and for every resident at once by the daily run's one statement. The worklist,
which reads the open tasks, then never meets them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update

from kangdang.programmes.models import CareTask
from kangdang.programmes.service import enrol
from kangdang.programmes.sync import expire_lapsed, refresh_all, refresh_people
from kangdang.programmes.worklist import WorkFilter, worklist
from tests.programmes.test_maternal_episode import ENROLLED, at, tasks
from tests.residents.factories import file_resident

# antenatal:2 counts until 31 May 2027 and antenatal:3 until 19 July; antenatal:1 (建册) never lapses, it is
# overdue (test_maternal_episode works the dates out)
AFTER_SECOND_WINDOW = date(2027, 6, 10)


def _pregnant(db: Any, actor_of: Any, time_machine: Any) -> Any:
    time_machine.move_to(at(ENROLLED), tick=False)
    woman = file_resident(db, actor_of("cunyi"), name="钱晓燕", born=date(1996, 4, 2), sex="2")
    enrol(db, actor_of("cunyi"), woman.id, "maternal", details={"gestational_weeks": 10})
    return woman


def _statuses(db: Any, person_id: Any) -> dict[str, str]:
    return {t.key: t.status for t in tasks(db, person_id)}


def test_re_planning_stores_the_missed_visits_as_expired(db: Any, actor_of: Any, time_machine: Any) -> None:
    woman = _pregnant(db, actor_of, time_machine)
    assert set(_statuses(db, woman.person_id).values()) == {"open"}
    time_machine.move_to(at(AFTER_SECOND_WINDOW), tick=False)
    assert refresh_people(db, [woman.person_id]) == 1
    statuses = _statuses(db, woman.person_id)
    assert statuses["antenatal:2"] == "expired"
    assert statuses["antenatal:1"] == statuses["antenatal:3"] == "open"
    assert refresh_people(db, [woman.person_id]) == 0  # the stored tasks are the plan


def test_the_daily_run_expires_every_lapsed_task_in_one_statement_and_the_plans_agree(
    db: Any, actor_of: Any, time_machine: Any
) -> None:
    woman = _pregnant(db, actor_of, time_machine)
    day = AFTER_SECOND_WINDOW
    # what a database upgraded from before "expired" existed holds: tasks left open after their window
    time_machine.move_to(at(day), tick=False)
    assert expire_lapsed(db, day) >= 1  # hers and the demo county's
    assert _statuses(db, woman.person_id)["antenatal:2"] == "expired"
    assert refresh_people(db, [woman.person_id]) == 0
    db.execute(update(CareTask).where(CareTask.person_id == woman.person_id).values(status="open"))
    assert refresh_all(db) >= 1
    assert _statuses(db, woman.person_id)["antenatal:2"] == "expired"
    assert expire_lapsed(db, day) == 0


def test_the_worklist_lists_only_what_can_still_be_done(db: Any, actor_of: Any, time_machine: Any) -> None:
    woman = _pregnant(db, actor_of, time_machine)
    doctor = actor_of("cunyi")
    time_machine.move_to(at(AFTER_SECOND_WINDOW), tick=False)

    def listed(day: date) -> list[str]:
        page = worklist(db, doctor, today=day, filters=WorkFilter(programme="maternal"), audit=False)
        return [item.title for item in page.items if item.person_id == woman.person_id]

    # before anything re-planned the woman, her lapsed tasks are still stored open: the dates leave them out
    before = listed(AFTER_SECOND_WINDOW)
    refresh_people(db, [woman.person_id])
    assert listed(AFTER_SECOND_WINDOW) == before
    assert "第3次产前随访（孕21～24周）" in before
    assert "第2次产前随访（孕16～20周）" not in before
    assert "第3次产前随访（孕21～24周）" not in listed(date(2027, 7, 19))  # its last day has passed
