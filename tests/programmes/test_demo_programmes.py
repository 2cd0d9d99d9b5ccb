"""The demo county's programmes, loaded into a database of its own on the day the tests run: every key population
is enrolled, the demo village doctors have overdue and due follow-ups of their own, and about a fifth of the open
chronic-disease tasks are overdue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kangdang.access.models import User
from kangdang.core.clock import today_local
from kangdang.db.engine import build_engine, build_sessionmaker
from kangdang.db.migrate import upgrade
from kangdang.demo.county import load_demo_county
from kangdang.demo.programmes import load_demo_programmes
from kangdang.institutions.actors import load_actor
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.worklist import WorkFilter, task_state, worklist
from kangdang.records.context import age_in_years
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import HealthRecord, Person
from kangdang.settings import Settings
from tests.conftest import throwaway_database
from tests.residents.factories import MOGANSHAN_VILLAGE, XINSHI_VILLAGE


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """The demo county loaded into an empty database; a session that only reads it."""
    with throwaway_database(request.param, tmp_path_factory.mktemp("demo")) as url:
        settings = Settings(environment="test", database_url=url)
        engine = build_engine(url)
        upgrade(engine)
        factory = build_sessionmaker(engine, settings)
        with factory() as session:
            load_demo_county(session)
            session.commit()
        with factory() as session:
            yield session
            session.rollback()
        engine.dispose()


def enrolled(session: Session, programme: str) -> set[Any]:
    stmt = select(Episode.person_id).where(Episode.programme == programme, Episode.status == "active")
    return set(session.scalars(stmt))


def residents(session: Session) -> list[tuple[Any, Any]]:
    return list(
        session.execute(
            select(Person.id, Person.birth_date)
            .join(HealthRecord, HealthRecord.person_id == Person.id)
            .where(HealthRecord.status == "active")
        ).all()
    )


def test_every_child_elderly_resident_and_chronic_patient_is_enrolled(county: Session) -> None:
    today = today_local()
    people = residents(county)
    assert enrolled(county, "child") == {p for p, born in people if age_in_years(born, today) < 7}
    assert enrolled(county, "elderly") == {p for p, born in people if today.year - born.year >= 65}
    for programme, code in (("hypertension", "hypertension_followup"), ("diabetes", "diabetes_followup")):
        patients = set(county.scalars(select(ServiceRecord.person_id).where(ServiceRecord.form_code == code)))
        assert patients and patients <= enrolled(county, programme)
    # the newly diagnosed of the two demo villages (5 each) have no follow-up yet
    assert (
        len(
            enrolled(county, "hypertension")
            - set(
                county.scalars(
                    select(ServiceRecord.person_id).where(ServiceRecord.form_code == "hypertension_followup")
                )
            )
        )
        == 10
    )


def test_pregnancies_mental_disorders_and_tuberculosis_are_enrolled(county: Session) -> None:
    today = today_local()
    pregnancies = list(county.scalars(select(Episode).where(Episode.programme == "maternal")))
    assert len(pregnancies) == 9
    assert sum("delivery_date" in e.details for e in pregnancies) == 2
    women = county.execute(
        select(Person.sex, Person.birth_date).where(Person.id.in_([e.person_id for e in pregnancies]))
    ).all()
    assert all(sex == "2" and 20 <= age_in_years(born, today) <= 40 for sex, born in women)
    signed = county.scalar(
        select(func.count()).select_from(ServiceRecord).where(ServiceRecord.form_code == "antenatal_first")
    )
    assert 5 <= signed < 9  # some registered (建册), some not yet
    assert 3 <= len(enrolled(county, "mental")) <= 5
    tb = {
        e.details["notified_on"]: e for e in county.scalars(select(Episode).where(Episode.programme == "tuberculosis"))
    }
    assert len(tb) == 2
    new = tb[(today - timedelta(days=2)).isoformat()]
    [first] = county.scalars(select(CareTask).where(CareTask.episode_id == new.id))
    assert (first.form_code, first.status, task_state(first.opens_on, first.due_on, None, today)) == (
        "tb_first_visit",
        "open",
        "due",
    )


def test_the_managing_doctor_is_the_village_doctor(county: Session) -> None:
    cunyi = county.scalar(select(User.practitioner_id).where(User.login == "cunyi"))
    doctors = set(
        county.scalars(
            select(Episode.managing_doctor_id)
            .join(HealthRecord, HealthRecord.id == Episode.record_id)
            .where(HealthRecord.village_code == XINSHI_VILLAGE)
        )
    )
    assert doctors == {cunyi}


def hypertension_followups(session: Session, login: str, state: str) -> list[Any]:
    actor = load_actor(session, session.scalars(select(User).where(User.login == login)).one())
    found = worklist(session, actor, filters=WorkFilter(programme="hypertension", state=state), audit=False)
    return [item for item in found.items if item.form_code == "hypertension_followup"]


def test_the_demo_village_doctors_have_overdue_and_due_follow_ups_of_their_own(county: Session) -> None:
    overdue, due = hypertension_followups(county, "cunyi", "overdue"), hypertension_followups(county, "cunyi", "due")
    assert len(overdue) >= 3 and len(due) >= 1
    assert all(item.days_overdue > 0 for item in overdue)
    assert {item.village_code for item in overdue + due} == {XINSHI_VILLAGE}
    theirs = hypertension_followups(county, "cunyi2", "overdue") + hypertension_followups(county, "cunyi2", "due")
    assert {item.village_code for item in theirs} == {MOGANSHAN_VILLAGE}
    assert {item.state for item in theirs} == {"overdue", "due"}


def test_about_a_fifth_of_the_open_chronic_tasks_are_overdue(county: Session) -> None:
    today = today_local()
    tasks = county.execute(
        select(CareTask.opens_on, CareTask.due_on, CareTask.expires_on).where(
            CareTask.status == "open", CareTask.programme.in_(("hypertension", "diabetes"))
        )
    ).all()
    states = [task_state(*dates, today) for dates in tasks]
    live = [s for s in states if s != "expired"]
    share = live.count("overdue") / len(live)
    assert len(live) > 500 and 0.15 <= share <= 0.25, share


def test_loading_again_changes_nothing(county: Session) -> None:
    before = county.scalar(select(func.count()).select_from(Episode))
    assert load_demo_programmes(county).episodes == {}
    assert county.scalar(select(func.count()).select_from(Episode)) == before
