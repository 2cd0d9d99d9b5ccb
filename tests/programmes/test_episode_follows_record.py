"""Episodes follow their record: a closed record closes its episodes with the matching outcome, a transferred
record takes its episodes (and their worklist tasks) to the receiving institution."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from kangdang.core.clock import today_local
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.service import enrol
from kangdang.programmes.worklist import worklist
from kangdang.residents.lifecycle import close_record, confirm_transfer
from kangdang.residents.models import ResidentChange
from kangdang.residents.schemas import RecordClosure
from tests.residents.factories import file_resident
from tests.residents.test_lifecycle import _transfer_to_moganshan, moganshan_manager  # noqa: F401 - a fixture


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
