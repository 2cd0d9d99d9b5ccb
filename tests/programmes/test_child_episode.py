"""A newborn enrolled in 0～6岁儿童健康管理: the home visit and the 满月 check are planned at the right dates
and done by the signed forms (through the services, with controlled time). Dates worked out by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kangdang.programmes.models import CareTask
from kangdang.programmes.service import enrol
from kangdang.records.service import save_form
from tests.records.forms import test_child_check_infant, test_newborn_visit
from tests.residents.factories import file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
BORN = date(2027, 3, 10)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)


def tasks(db: Any, person_id: Any, *statuses: str) -> dict[str, CareTask]:
    db.expire_all()
    query = select(CareTask).where(CareTask.person_id == person_id).order_by(CareTask.opens_on, CareTask.key)
    if statuses:
        query = query.where(CareTask.status.in_(statuses))
    return {t.key: t for t in db.scalars(query)}


@pytest.fixture
def baby(db: Any, actor_of: Any, time_machine: Any) -> Any:
    time_machine.move_to(at(date(2027, 3, 14)), tick=False)
    return file_resident(db, actor_of("cunyi"), name="周小宝", born=BORN, sex="1")


def test_enrolling_a_newborn_plans_the_home_visit_and_the_month_check(db: Any, actor_of: Any, baby: Any) -> None:
    episode = enrol(db, actor_of("cunyi"), baby.id, "child", details={"discharge_date": "2027-03-12"})
    assert (episode.enrolled_on, episode.details) == (date(2027, 3, 14), {"discharge_date": "2027-03-12"})
    stored = tasks(db, baby.person_id)
    assert list(stored) == [
        "newborn",
        "check:1",
        *(f"check:{m}" for m in (3, 6, 8, 12, 18, 24, 30, 36, 48, 60, 72)),
    ]
    newborn, month = stored["newborn"], stored["check:1"]
    # discharged 12 March: within a week (19 March); a newborn until day 28 (10 March + 28 = 7 April)
    assert (newborn.title, newborn.form_code) == ("新生儿家庭访视", "newborn_visit")
    assert (newborn.opens_on, newborn.due_on, newborn.expires_on) == (
        date(2027, 3, 12),
        date(2027, 3, 19),
        date(2027, 4, 7),
    )
    # 满月 at 28–30 days: 7–9 April, counting until the 3月龄 check opens (10 June)
    assert (month.title, month.form_code, month.preset) == ("满月健康检查", "child_check_infant", {"visit_age": "1"})
    assert (month.opens_on, month.due_on, month.expires_on) == (date(2027, 4, 7), date(2027, 4, 9), date(2027, 6, 10))
    # the 6岁 check counts until the 7th birthday, when the episode will close
    assert stored["check:72"].expires_on == date(2034, 3, 10)


def test_the_signed_home_visit_and_month_check_do_their_tasks(
    db: Any, actor_of: Any, baby: Any, time_machine: Any
) -> None:
    doctor = actor_of("cunyi")
    enrol(db, doctor, baby.id, "child", details={"discharge_date": "2027-03-12"})

    # 16 March, day 6: the home visit
    time_machine.move_to(at(date(2027, 3, 16)), tick=False)
    home = test_newborn_visit.visit(visit_date="2027-03-16", next_visit_date="2027-04-08")
    visit = save_form(db, doctor, baby.id, "newborn_visit", home, sign=True)
    done = tasks(db, baby.person_id, "done")
    assert [(k, t.done_form_id, t.done_on) for k, t in done.items()] == [("newborn", visit.id, date(2027, 3, 16))]

    # 8 April, day 29: the 满月 check in its column
    time_machine.move_to(at(date(2027, 4, 8)), tick=False)
    answers = test_child_check_infant.check(
        visit_age="1",
        visit_date="2027-04-08",
        weight="4.35",
        length="54.0",
        head_circumference="37.0",
        mouth="1",
        umbilicus_1m="2",
        illness=["1"],
        diarrhoea_times="",
        next_visit_date="2027-06-10",
    )
    month = save_form(db, doctor, baby.id, "child_check_infant", answers, sign=True)
    done = tasks(db, baby.person_id, "done")
    assert [(k, t.done_form_id, t.done_on) for k, t in done.items()] == [
        ("newborn", visit.id, date(2027, 3, 16)),
        ("check:1", month.id, date(2027, 4, 8)),
    ]
    upcoming = next(iter(tasks(db, baby.person_id, "open").values()))
    # next: 3月龄 from 10 June to 9 July
    assert (upcoming.key, upcoming.opens_on, upcoming.due_on) == ("check:3", date(2027, 6, 10), date(2027, 7, 9))
