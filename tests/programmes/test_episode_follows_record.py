"""Episodes follow their record: a closed record closes its episodes with the matching outcome, a transferred
record takes its episodes (and their worklist tasks) to the receiving institution."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update

from kangdang.core.clock import today_local
from kangdang.institutions.schemas import InstitutionClosure
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.service import enrol
from kangdang.programmes.sync import refresh_people
from kangdang.programmes.worklist import worklist
from kangdang.residents.lifecycle import close_institution_and_hand_over, close_record, confirm_transfer
from kangdang.residents.merge import merge_persons
from kangdang.residents.models import HealthRecord, ResidentChange
from kangdang.residents.schemas import RecordClosure
from tests.residents.factories import MOGANSHAN_VILLAGE, file_resident
from tests.residents.test_lifecycle import _institution, _transfer_to_moganshan, moganshan_manager  # noqa: F401


def test_closing_the_record_for_death_closes_its_episodes(db: Any, actor_of: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="故去者", born=date(1950, 1, 2))
    for programme in ("hypertension", "elderly"):
        enrol(db, actor_of("cunyi"), record.id, programme)
    close_record(db, actor_of("dangan"), record.id, RecordClosure(reason="1", closed_on=today_local()))
    db.expire_all()
    episodes = list(db.scalars(select(Episode).where(Episode.record_id == record.id)))
    assert {(e.programme, e.status, e.outcome, e.closed_on) for e in episodes} == {
        ("hypertension", "closed", "died", today_local()),
        ("elderly", "closed", "died", today_local()),
    }
    assert not list(db.scalars(select(CareTask).where(CareTask.record_id == record.id, CareTask.status == "open")))
    actions = list(db.scalars(select(ResidentChange.action).where(ResidentChange.entity == "programme_episode")))
    assert actions.count("programme.close") >= 2


def test_a_transferred_record_takes_its_episodes_along(db: Any, actor_of: Any, moganshan_manager: Any) -> None:  # noqa: F811
    record, transfer, target = _transfer_to_moganshan(db, actor_of)
    enrol(db, actor_of("cunyi"), record.id, "hypertension")
    assert any(i.record_id == record.id for i in worklist(db, actor_of("cunyi")).items)
    confirm_transfer(db, moganshan_manager, transfer.id)
    db.expire_all()
    episode = db.scalar(select(Episode).where(Episode.record_id == record.id))
    assert (episode.status, episode.managing_institution_id) == ("active", target.id)
    assert not any(i.record_id == record.id for i in worklist(db, actor_of("cunyi")).items)
    assert any(i.record_id == record.id for i in worklist(db, actor_of("cunyi2")).items)
    tasks = list(db.scalars(select(CareTask).where(CareTask.record_id == record.id)))
    assert tasks and {(t.village_code, t.managing_institution_id) for t in tasks} == {(MOGANSHAN_VILLAGE, target.id)}
    assert worklist(db, actor_of("cunyi2")).total == len(worklist(db, actor_of("cunyi2")).items)


def test_a_handed_over_record_takes_its_tasks_to_the_successor(db: Any, actor_of: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="交接患者", born=date(1955, 3, 3))
    enrol(db, actor_of("cunyi"), record.id, "hypertension")
    office, centre = _institution(db, "330521102200-01"), _institution(db, "330521102-01")
    assert record.managing_institution_id == office.id
    closure = InstitutionClosure(status="merged", closed_on=date(2026, 12, 1), successor_id=centre.id, reason="并入")
    close_institution_and_hand_over(db, actor_of("xianju"), office.id, closure)
    db.expire_all()
    tasks = list(db.scalars(select(CareTask).where(CareTask.record_id == record.id)))
    assert tasks and {t.managing_institution_id for t in tasks} == {centre.id}


def test_a_record_closed_by_a_merge_closes_its_episodes_and_leaves_no_open_task(db: Any, actor_of: Any) -> None:
    doctor = actor_of("cunyi")
    first = file_resident(db, doctor, name="何重", born=date(1948, 8, 8), new_household=True)
    second = file_resident(db, doctor, name="何重", born=date(1948, 8, 8))
    enrol(db, doctor, second.id, "hypertension")
    open_before = worklist(db, doctor).total
    merge_persons(db, actor_of("dangan"), survivor_id=first.person_id, merged_id=second.person_id)
    db.expire_all()
    episode = db.scalar(select(Episode).where(Episode.record_id == second.id))
    assert (episode.status, episode.outcome) == ("closed", "other")
    assert not list(db.scalars(select(CareTask).where(CareTask.record_id == second.id, CareTask.status == "open")))
    assert worklist(db, doctor).total < open_before


def test_re_planning_opens_no_task_on_a_closed_record(db: Any, actor_of: Any) -> None:
    """Data from before the merge fix: an episode left active on a closed record gets its open tasks cancelled."""
    record = file_resident(db, actor_of("cunyi"), name="遗留者", born=date(1950, 5, 5))
    enrol(db, actor_of("cunyi"), record.id, "hypertension")
    db.execute(update(HealthRecord).where(HealthRecord.id == record.id).values(status="closed", closure_reason="9"))
    refresh_people(db, [record.person_id])
    db.expire_all()
    statuses = set(db.scalars(select(CareTask.status).where(CareTask.record_id == record.id)))
    assert statuses and "open" not in statuses
