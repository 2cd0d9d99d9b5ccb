"""Training records kept with the practitioner, and responsible records managers (档案管理责任人) who may be named
only with a passed, not withdrawn training — on both databases."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from kangdang.access.actor import system_actor
from kangdang.access.models import AuditEvent, User
from kangdang.access.roles import Role
from kangdang.core.clock import today_local
from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.institutions.keepers import NO_TRAINING, designate_keeper, end_keeper, keeper_candidates, list_keepers
from kangdang.institutions.models import Institution, Membership
from kangdang.institutions.models_training import TrainingRecord
from kangdang.institutions.schemas import AccountCreate
from kangdang.institutions.staff import create_account, end_membership
from kangdang.institutions.training import TrainingCreate, add_training, list_training, withdraw_training
from tests.conftest import DEMO_PASSWORD

XINSHI_CENTRE, MOGANSHAN_CENTRE = "330521102-01", "330521115-01"


def _inst(db, code: str) -> uuid.UUID:
    return db.scalar(select(Institution.id).where(Institution.code == code))


def _pid(db, login: str) -> uuid.UUID:
    return db.scalar(select(User.practitioner_id).where(User.login == login))


def _training(**changes) -> TrainingCreate:
    values = {
        "course": "居民健康档案规范化管理",
        "held_on": today_local() - timedelta(days=30),
        "hours": 8,
        "score": 86.5,
        "passed": True,
        "organiser": "德清县卫生健康局",
        "certificate_no": "T-001",
    }
    return TrainingCreate(**(values | changes))


def _other_township_admin(db, actor_of):
    """The institution admin of 莫干山镇中心卫生院 (no demo login: give them one inside the test's transaction)."""
    pid = db.scalar(
        select(Membership.practitioner_id).where(
            Membership.institution_id == _inst(db, MOGANSHAN_CENTRE), Membership.role == Role.INSTITUTION_ADMIN.value
        )
    )
    create_account(db, system_actor(), pid, AccountCreate(login="jigou-moganshan", password=DEMO_PASSWORD))
    return actor_of("jigou-moganshan")


def _refusal(caught: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in caught.value.errors]


# --- training ------------------------------------------------------------------------------------------


def test_institution_admin_records_a_training_which_is_listed_and_audited(db, actor_of):
    jigou, yisheng = actor_of("jigou"), _pid(db, "yisheng")
    training = add_training(db, jigou, yisheng, _training())
    assert training.recorded_by == "jigou" and training.status == "valid" and training.score == 86.5
    assert [t.id for t in list_training(db, actor_of("cunyi"), yisheng)] == [training.id]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "training.create").order_by(AuditEvent.at.desc()))
    assert event.subject_type == "practitioner" and event.subject_id == str(yisheng)


def test_a_training_dated_in_the_future_is_refused_with_a_chinese_field_error(db, actor_of):
    with pytest.raises(InvalidInput) as caught:
        add_training(db, actor_of("jigou"), _pid(db, "yisheng"), _training(held_on=today_local() + timedelta(days=1)))
    assert _refusal(caught) == [("held_on", "培训日期不能晚于今天")]


@pytest.mark.parametrize("score", [-1, 100.5, 88.25])
def test_a_score_outside_0_to_100_or_with_two_decimals_is_invalid(score):
    with pytest.raises(ValidationError):
        _training(score=score)


def test_a_pass_fail_only_training_has_no_score(db, actor_of):
    training = add_training(db, actor_of("jigou"), _pid(db, "yisheng"), _training(score=None))
    assert training.score is None and training.passed is True


def test_a_records_manager_records_training_for_a_village_doctor_of_a_supervised_office(db, actor_of):
    training = add_training(db, actor_of("dangan"), _pid(db, "cunyi"), _training())
    assert training.practitioner_id == _pid(db, "cunyi")


def test_a_doctor_may_not_record_training(db, actor_of):
    with pytest.raises(PermissionDenied):
        add_training(db, actor_of("yisheng"), _pid(db, "cunyi"), _training())


def test_another_townships_admin_cannot_see_or_train_our_staff(db, actor_of):
    other = _other_township_admin(db, actor_of)
    with pytest.raises(NotFound):
        add_training(db, other, _pid(db, "yisheng"), _training())
    with pytest.raises(NotFound):
        list_training(db, other, _pid(db, "yisheng"))


def test_withdrawing_keeps_the_entry_with_reason_and_needs_a_reason(db, actor_of):
    jigou, yisheng = actor_of("jigou"), _pid(db, "yisheng")
    training = add_training(db, jigou, yisheng, _training())
    with pytest.raises(InvalidInput) as caught:
        withdraw_training(db, jigou, training.id, reason="  ")
    assert _refusal(caught) == [("reason", "请填写撤销原因")]
    withdraw_training(db, jigou, training.id, reason="成绩录入错误", practitioner_id=yisheng)
    (kept,) = list_training(db, jigou, yisheng)
    assert (kept.id, kept.status, kept.withdrawal_reason, kept.withdrawn_by) == (
        training.id,
        "withdrawn",
        "成绩录入错误",
        "jigou",
    )
    assert db.get(TrainingRecord, training.id) is not None
    with pytest.raises(InvalidInput):
        withdraw_training(db, jigou, training.id, reason="再次撤销")


def test_the_aggregate_viewer_sees_no_training_and_no_keepers(db, actor_of):
    tongji = actor_of("tongji")
    with pytest.raises(PermissionDenied):
        list_training(db, tongji, _pid(db, "dangan"))
    with pytest.raises(PermissionDenied):
        list_keepers(db, tongji, _inst(db, XINSHI_CENTRE))


# --- keepers -------------------------------------------------------------------------------------------


def test_the_demo_records_manager_is_the_keeper_of_the_xinshi_centre(db, actor_of):
    (view,) = list_keepers(db, actor_of("jigou"), _inst(db, XINSHI_CENTRE))
    assert view.practitioner.id == _pid(db, "dangan")
    assert view.training is not None and view.training.passed


def test_designation_is_refused_without_a_passed_training(db, actor_of):
    jigou, yisheng, centre = actor_of("jigou"), _pid(db, "yisheng"), _inst(db, XINSHI_CENTRE)
    with pytest.raises(InvalidInput) as caught:
        designate_keeper(db, jigou, centre, practitioner_id=yisheng)
    assert caught.value.message == NO_TRAINING == "该人员没有合格的档案管理培训记录，不能指定为档案管理责任人"
    assert _refusal(caught) == [("practitioner_id", NO_TRAINING)]
    add_training(db, jigou, yisheng, _training(passed=False, score=42))
    with pytest.raises(InvalidInput) as caught:
        designate_keeper(db, jigou, centre, practitioner_id=yisheng)
    assert caught.value.message == NO_TRAINING


def test_designation_is_refused_when_the_passed_training_was_withdrawn(db, actor_of):
    jigou, yisheng, centre = actor_of("jigou"), _pid(db, "yisheng"), _inst(db, XINSHI_CENTRE)
    training = add_training(db, jigou, yisheng, _training())
    withdraw_training(db, jigou, training.id, reason="证书无法核实")
    with pytest.raises(InvalidInput) as caught:
        designate_keeper(db, jigou, centre, practitioner_id=yisheng)
    assert caught.value.message == NO_TRAINING


def test_designation_is_refused_for_someone_not_on_the_institutions_staff(db, actor_of):
    jigou, centre = actor_of("jigou"), _inst(db, XINSHI_CENTRE)
    cunyi = _pid(db, "cunyi")  # trained, but works in a village office, not in the centre
    add_training(db, jigou, cunyi, _training())
    with pytest.raises(InvalidInput) as caught:
        designate_keeper(db, jigou, centre, practitioner_id=cunyi)
    assert _refusal(caught) == [("practitioner_id", "该人员不是本机构的在岗人员")]


def test_designation_is_refused_after_the_membership_ended(db, actor_of):
    jigou, yisheng, centre = actor_of("jigou"), _pid(db, "yisheng"), _inst(db, XINSHI_CENTRE)
    add_training(db, jigou, yisheng, _training())
    membership = db.scalar(
        select(Membership).where(Membership.practitioner_id == yisheng, Membership.institution_id == centre)
    )
    end_membership(db, jigou, membership.id)
    with pytest.raises(InvalidInput):
        designate_keeper(db, jigou, centre, practitioner_id=yisheng)


def test_designation_is_accepted_after_a_passed_training_and_an_institution_may_have_several(db, actor_of):
    jigou, yisheng, centre = actor_of("jigou"), _pid(db, "yisheng"), _inst(db, XINSHI_CENTRE)
    candidates = {c.practitioner.id: c.eligible for c in keeper_candidates(db, jigou, centre)}
    assert candidates[yisheng] is False and candidates[_pid(db, "dangan")] is True
    training = add_training(db, jigou, yisheng, _training())
    keeper = designate_keeper(db, jigou, centre, practitioner_id=yisheng)
    assert (keeper.training_id, keeper.valid_from, keeper.designated_by) == (training.id, today_local(), "jigou")
    listed = {v.practitioner.id: v.training.id for v in list_keepers(db, actor_of("cunyi"), centre) if v.training}
    assert listed[yisheng] == training.id and _pid(db, "dangan") in listed
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "keeper.designate").order_by(AuditEvent.at.desc()))
    assert event.subject_id == str(centre) and event.details["practitioner_id"] == str(yisheng)
    with pytest.raises(InvalidInput) as caught:
        designate_keeper(db, jigou, centre, practitioner_id=yisheng)
    assert _refusal(caught) == [("practitioner_id", "该人员已是本机构的档案管理责任人")]


def test_ending_a_designation_keeps_it_as_history_with_the_reason(db, actor_of):
    jigou, centre, dangan = actor_of("jigou"), _inst(db, XINSHI_CENTRE), _pid(db, "dangan")
    (view,) = list_keepers(db, jigou, centre)
    with pytest.raises(InvalidInput) as caught:
        end_keeper(db, jigou, view.keeper.id, reason="")
    assert _refusal(caught) == [("reason", "请填写结束原因")]
    ended = end_keeper(db, jigou, view.keeper.id, reason="调岗", institution_id=centre)
    assert ended.valid_to == today_local() - timedelta(days=1) and ended.reason_ended == "调岗"
    assert list_keepers(db, jigou, centre) == []
    (history,) = list_keepers(db, jigou, centre, include_ended=True)
    assert history.practitioner.id == dangan and history.keeper.ended_by == "jigou"
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "keeper.end")) is not None
    # Ended, the same person may be named again (their training still stands).
    again = designate_keeper(db, jigou, centre, practitioner_id=dangan)
    assert again.id != ended.id


def test_another_townships_admin_cannot_designate_or_end_our_keepers(db, actor_of):
    other, centre = _other_township_admin(db, actor_of), _inst(db, XINSHI_CENTRE)
    with pytest.raises(NotFound):
        designate_keeper(db, other, centre, practitioner_id=_pid(db, "dangan"))
    (view,) = list_keepers(db, actor_of("jigou"), centre)
    with pytest.raises(NotFound):
        end_keeper(db, other, view.keeper.id, reason="越权")
    with pytest.raises(NotFound):
        list_keepers(db, other, centre)


def test_a_records_manager_may_not_designate_keepers(db, actor_of):
    with pytest.raises(PermissionDenied):
        designate_keeper(db, actor_of("dangan"), _inst(db, XINSHI_CENTRE), practitioner_id=_pid(db, "yisheng"))


def test_the_county_manager_designates_in_any_institution_of_the_county(db, actor_of):
    xianju, centre = actor_of("xianju"), _inst(db, MOGANSHAN_CENTRE)
    staff = db.scalar(
        select(Membership.practitioner_id).where(
            Membership.institution_id == centre, Membership.role == Role.RECORDS_MANAGER.value
        )
    )
    add_training(db, xianju, staff, _training(held_on=date(2025, 6, 1)))
    keeper = designate_keeper(db, xianju, centre, practitioner_id=staff)
    assert [v.keeper.id for v in list_keepers(db, xianju, centre)] == [keeper.id]
