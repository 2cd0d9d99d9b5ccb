"""Done-when (issue 6): a county inspector draws a sample (same seed → same sample), records checklist results and
sees the inspection-based rates; a village doctor cannot see the inspection. Personas: ducha (county inspector)
inspects 新市镇; dangan (records manager of 新市镇中心卫生院) sees it and rectifies its findings but not another
township's; village, township and hospital doctors and the aggregate viewer are refused."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from kangdang.access.models import AuditEvent
from kangdang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kangdang.indicators.models_supervision import InspectionCheck, InspectionSample
from kangdang.indicators.sampling import allocate
from kangdang.indicators.supervision import (
    close_inspection,
    draw_sample,
    get_inspection,
    inspection_rates,
    inspection_rates_by_region,
    list_inspections,
    plan_inspection,
    record_check,
    record_finding,
    rectify_finding,
)
from kangdang.institutions.models import Institution
from kangdang.residents.models import HealthRecord, Person

SHANGHAI = ZoneInfo("Asia/Shanghai")
XINSHI, MOGANSHAN = "330521102", "330521115"  # 新市镇, 莫干山镇
DAY = date(2027, 3, 1)


@pytest.fixture
def march(time_machine: Any) -> Any:
    time_machine.move_to(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI), tick=False)
    return time_machine


def plan(db: Any, actor: Any, target: str = XINSHI, **changes: Any) -> Any:
    values: dict[str, Any] = {"year": 2027, "planned_on": DAY, "sample_size": 20, "seed": 42} | changes
    return plan_inspection(db, actor, target_region_code=target, **values)


def sampled_records(db: Any, inspection: Any) -> list[Any]:
    return list(
        db.scalars(
            select(InspectionSample.record_id)
            .where(InspectionSample.inspection_id == inspection.id)
            .order_by(InspectionSample.position)
        )
    )


def test_the_inspector_draws_a_stratified_sample_and_the_same_seed_draws_it_again(
    db: Any, actor_of: Any, march: Any
) -> None:
    ducha = actor_of("ducha")
    first = plan(db, ducha)
    assert (first.level, first.inspector_region_code, first.round, first.status) == ("county", "330521", 1, "planned")
    assert first.title == "2027年第1轮新市镇健康档案督导检查"
    samples = draw_sample(db, ducha, first.id)
    assert first.status == "sampled" and first.sampled_at is not None
    assert len(samples) == 20 and len({s.record_id for s in samples}) == 20
    # every record drawn is an active record of 新市镇, with its managing institution
    for sample in samples:
        record = db.get(HealthRecord, sample.record_id)
        assert record.status == "active" and record.village_code.startswith(XINSHI)
        assert sample.village_code == record.village_code
        assert sample.institution_id == record.managing_institution_id
    # per village: the share of the village's records, by the largest remainder
    counts = dict(
        db.execute(
            select(HealthRecord.village_code, func.count())
            .where(HealthRecord.status == "active", HealthRecord.village_code.startswith(XINSHI))
            .group_by(HealthRecord.village_code)
        ).all()
    )
    drawn: dict[str, int] = {}
    for sample in samples:
        drawn[sample.village_code] = drawn.get(sample.village_code, 0) + 1
    assert drawn == {v: n for v, n in allocate(counts, 20).items() if n}
    # the second round with the same seed draws the same records; another seed others
    second = plan(db, ducha)
    assert second.round == 2
    draw_sample(db, ducha, second.id)
    assert sampled_records(db, second) == sampled_records(db, first)
    other = plan(db, ducha, seed=43)
    draw_sample(db, ducha, other.id)
    assert set(sampled_records(db, other)) != set(sampled_records(db, first))
    # a sample is drawn once
    with pytest.raises(Conflict):
        draw_sample(db, ducha, first.id)
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "inspection.sample")).all()
    assert {e.subject_id for e in events} >= {str(first.id), str(second.id)}
    assert next(e for e in events if e.subject_id == str(first.id)).details["seed"] == 42


def test_without_a_seed_one_is_chosen_and_stored(db: Any, actor_of: Any, march: Any) -> None:
    inspection = plan(db, actor_of("xianju"), seed=None, round=3, title="  春季督导 ")
    assert 0 <= inspection.seed <= 2**31 - 1
    assert (inspection.round, inspection.title) == (3, "春季督导")


def check_all(db: Any, ducha: Any, samples: list[Any]) -> None:
    """Checklists of the first six sampled records; the sixth is corrected afterwards."""
    results = [
        (True, True, "confirmed"),
        (True, False, "confirmed"),
        (False, True, "not_confirmed"),
        (True, True, "not_reached"),
        (False, False, None),
        (True, True, "confirmed"),
    ]
    for sample, (filled, dynamic, phone) in zip(samples, results, strict=False):
        record_check(db, ducha, sample.id, filled_to_standard=filled, dynamic=dynamic, phone_result=phone)
    record_check(
        db, ducha, samples[5].id, filled_to_standard=False, dynamic=True, phone_result="confirmed", note="缺体检表"
    )


def test_checklists_give_the_inspection_based_rates_counted_by_hand(db: Any, actor_of: Any, march: Any) -> None:
    ducha = actor_of("ducha")
    inspection = plan(db, ducha, sample_size=10)
    samples = draw_sample(db, ducha, inspection.id)
    check_all(db, ducha, samples)
    rates = inspection_rates(db, ducha, inspection.id)
    # 10 sampled, 6 checked (the sixth by its newest check: not to standard, dynamic, confirmed)
    assert (rates.sampled, rates.checked, rates.qualified, rates.dynamic) == (10, 6, 3, 4)
    assert (rates.phone_confirmed, rates.phone_not_confirmed, rates.phone_not_reached) == (3, 1, 1)
    assert rates.qualified_rate == Decimal("50.00")  # 3 / 6
    assert rates.usage_rate == rates.dynamic_rate == Decimal("66.67")  # 4 / 6
    assert rates.reached_rate == Decimal("80.00")  # 4 reached of 5 calls
    assert rates.confirmed_rate == Decimal("75.00")  # 3 confirmed of 4 reached
    # the correction is kept as history, newest first
    view = get_inspection(db, ducha, inspection.id)
    sixth = next(s for s in view.samples if s.sample_id == samples[5].id)
    assert [(c.filled_to_standard, c.note) for c in sixth.checks] == [(False, "缺体检表"), (True, None)]
    assert sixth.check is sixth.checks[0]
    assert (
        db.scalar(select(func.count()).select_from(InspectionCheck).where(InspectionCheck.sample_id == samples[5].id))
        == 2
    )
    # the appraisal's view: by township, over the year's inspections
    again = plan(db, ducha, sample_size=10)
    again_samples = draw_sample(db, ducha, again.id)
    record_check(db, ducha, again_samples[0].id, filled_to_standard=True, dynamic=True, phone_result="confirmed")
    by_region = inspection_rates_by_region(db, county="330521", year=2027)
    assert list(by_region) == [XINSHI]
    total = by_region[XINSHI]
    assert (total.sampled, total.checked, total.qualified, total.dynamic) == (20, 7, 4, 5)
    assert total.qualified_rate == Decimal("57.14")  # 4 / 7
    assert inspection_rates_by_region(db, county="330521", year=2026) == {}


def test_the_sample_list_shows_who_to_call_and_reading_it_is_audited(db: Any, actor_of: Any, march: Any) -> None:
    ducha = actor_of("ducha")
    inspection = plan(db, ducha, sample_size=5)
    draw_sample(db, ducha, inspection.id)
    view = get_inspection(db, ducha, inspection.id)
    assert [s.position for s in view.samples] == [1, 2, 3, 4, 5]
    for line in view.samples:
        record = db.get(HealthRecord, line.record_id)
        person = db.get(Person, record.person_id)
        assert (line.name, line.record_number, line.phone) == (person.name, record.record_number, person.phone)
        assert line.document_masked == person.document_masked and "*" in (line.document_masked or "*")
        assert line.village_name and line.institution_name
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "inspection.sample_view").order_by(AuditEvent.at.desc())
    ).first()
    assert event is not None and event.subject_id == str(inspection.id) and event.login == "ducha"
    assert sorted(event.details["person_ids"]) == sorted(str(s.person_id) for s in view.samples)


@pytest.mark.parametrize("login", ["cunyi", "cunyi2", "yisheng", "yiyuan", "tongji"])
def test_doctors_and_the_aggregate_viewer_cannot_see_inspections(
    db: Any, actor_of: Any, march: Any, login: str
) -> None:
    ducha = actor_of("ducha")
    inspection = plan(db, ducha, sample_size=3)
    sample = draw_sample(db, ducha, inspection.id)[0]
    finding = record_finding(db, ducha, inspection.id, description="档案填写不全", deadline=date(2027, 4, 1))
    outsider = actor_of(login)
    for attempt in (
        lambda: list_inspections(db, outsider, year=2027),
        lambda: get_inspection(db, outsider, inspection.id),
        lambda: inspection_rates(db, outsider, inspection.id),
        lambda: plan(db, outsider),
        lambda: draw_sample(db, outsider, inspection.id),
        lambda: record_check(db, outsider, sample.id, filled_to_standard=True, dynamic=True),
        lambda: rectify_finding(db, outsider, finding.id, rectification="已补全"),
    ):
        with pytest.raises(PermissionDenied):
            attempt()


def test_the_inspected_centre_sees_its_inspection_and_rectifies_the_findings(
    db: Any, actor_of: Any, march: Any
) -> None:
    ducha, dangan = actor_of("ducha"), actor_of("dangan")
    inspection = plan(db, ducha, sample_size=4)
    samples = draw_sample(db, ducha, inspection.id)
    record_check(db, ducha, samples[0].id, filled_to_standard=True, dynamic=False)
    centre = db.scalar(select(Institution).where(Institution.name == "新市镇中心卫生院"))
    finding = record_finding(
        db, ducha, inspection.id, institution_id=centre.id, description="动态记录不足", deadline=date(2027, 3, 31)
    )
    # the centre sees the plan, the inspection with its sample and findings, and the rates
    plan_view = list_inspections(db, dangan, year=2027)
    assert [line.inspection.id for line in plan_view.inspections] == [inspection.id]
    assert [(c.unit_code, c.planned, c.below) for c in plan_view.coverage] == [(XINSHI, 1, True)]
    view = get_inspection(db, dangan, inspection.id)
    assert len(view.samples) == 4 and view.rectifiable and not view.manageable
    assert [(f.finding.description, f.institution_name) for f in view.findings] == [
        ("动态记录不足", "新市镇中心卫生院")
    ]
    assert inspection_rates(db, dangan, inspection.id).checked == 1
    # …but neither plans nor checks
    with pytest.raises(PermissionDenied):
        record_check(db, dangan, samples[1].id, filled_to_standard=True, dynamic=True)
    with pytest.raises(PermissionDenied):
        record_finding(db, dangan, inspection.id, description="x", deadline=DAY)
    # the inspector does not rectify; the centre does, once
    with pytest.raises(PermissionDenied):
        rectify_finding(db, ducha, finding.id, rectification="已整改")
    with pytest.raises(InvalidInput) as future:
        rectify_finding(db, dangan, finding.id, rectification="已补录随访", rectified_on=date(2027, 3, 2))
    assert future.value.errors[0].message == "整改日期：不能晚于今天"
    with pytest.raises(InvalidInput) as blank:
        rectify_finding(db, dangan, finding.id, rectification="  ")
    assert blank.value.errors[0].field == "rectification"
    done = rectify_finding(db, dangan, finding.id, rectification="已补录随访记录")
    assert (done.status, done.rectified_on, done.rectified_by) == ("rectified", DAY, "dangan")
    with pytest.raises(Conflict):
        rectify_finding(db, dangan, finding.id, rectification="再次")
    # the institution admin of the centre sees it too
    assert get_inspection(db, actor_of("jigou"), inspection.id, audit=False).rectifiable


def test_another_townships_inspection_is_not_found_for_the_centre(db: Any, actor_of: Any, march: Any) -> None:
    ducha, dangan = actor_of("ducha"), actor_of("dangan")
    moganshan = plan(db, ducha, MOGANSHAN, sample_size=3)
    draw_sample(db, ducha, moganshan.id)
    finding = record_finding(db, ducha, moganshan.id, description="档案缺失", deadline=date(2027, 4, 1))
    assert list_inspections(db, dangan, year=2027).inspections == []
    with pytest.raises(NotFound):
        get_inspection(db, dangan, moganshan.id)
    with pytest.raises(NotFound):
        inspection_rates(db, dangan, moganshan.id)
    with pytest.raises(NotFound):
        rectify_finding(db, dangan, finding.id, rectification="不是本院的问题")
    # the county sees both townships' coverage: 莫干山镇 once (short of twice), 新市镇 not at all
    coverage = {c.unit_code: c for c in list_inspections(db, ducha, year=2027).coverage}
    assert len(coverage) == 13
    assert (coverage[MOGANSHAN].planned, coverage[MOGANSHAN].done, coverage[MOGANSHAN].below) == (1, 1, True)
    assert (coverage[XINSHI].planned, coverage[XINSHI].below) == (0, True)
    plan(db, ducha, MOGANSHAN)
    again = {c.unit_code: c for c in list_inspections(db, ducha, year=2027).coverage}
    assert (again[MOGANSHAN].planned, again[MOGANSHAN].done, again[MOGANSHAN].below) == (2, 1, False)


def test_bad_input_gets_chinese_field_errors(db: Any, actor_of: Any, march: Any) -> None:
    ducha = actor_of("ducha")

    def errors(**changes: Any) -> dict[str, str]:
        target = changes.pop("target", XINSHI)
        with pytest.raises(InvalidInput) as caught:
            plan(db, ducha, target, **changes)
        return {e.field: e.message for e in caught.value.errors}

    assert errors(sample_size=0) == {"sample_size": "抽样数量：请填写1至1000之间的整数"}
    assert errors(sample_size=1001)["sample_size"].startswith("抽样数量")
    for target in ("330521102200", "330522001", "330521", "abc", "330521999"):  # a village, another county's …
        assert errors(target=target) == {"target_region_code": "检查对象：请选择本县的乡镇（街道）"}
    assert errors(planned_on=date(2028, 1, 5)) == {"planned_on": "检查日期：应在所选年度内"}
    assert errors(seed=-1)["seed"].startswith("随机种子")
    assert errors(round=13)["round"].startswith("轮次")
    plan(db, ducha, round=1)
    assert errors(round=1) == {"round": "轮次：该单位2027年已有第1轮督导检查"}
    inspection = plan(db, ducha)
    sample = draw_sample(db, ducha, inspection.id)[0]
    with pytest.raises(InvalidInput) as phone:
        record_check(db, ducha, sample.id, filled_to_standard=True, dynamic=True, phone_result="busy")
    assert phone.value.errors[0].field == "phone_result"
    with pytest.raises(InvalidInput) as early:
        record_finding(db, ducha, inspection.id, description="问题", deadline=date(2027, 2, 28))
    assert {e.field: e.message for e in early.value.errors} == {"deadline": "整改期限：不能早于检查日期"}
    moganshan_centre = db.scalar(select(Institution.id).where(Institution.name == "莫干山镇中心卫生院"))
    with pytest.raises(InvalidInput) as elsewhere:
        record_finding(
            db, ducha, inspection.id, institution_id=moganshan_centre, description="问题", deadline=date(2027, 3, 9)
        )
    assert elsewhere.value.errors[0].field == "institution_id"


def test_a_closed_inspection_takes_no_more_checks_but_findings_are_still_rectified(
    db: Any, actor_of: Any, march: Any
) -> None:
    ducha, dangan = actor_of("ducha"), actor_of("dangan")
    inspection = plan(db, ducha, sample_size=3)
    with pytest.raises(Conflict):
        close_inspection(db, ducha, inspection.id)  # not sampled yet
    sample = draw_sample(db, ducha, inspection.id)[0]
    finding = record_finding(db, ducha, inspection.id, description="未电话核实", deadline=date(2027, 3, 15))
    closed = close_inspection(db, ducha, inspection.id)
    assert (closed.status, closed.closed_on) == ("closed", DAY)
    with pytest.raises(Conflict):
        record_check(db, ducha, sample.id, filled_to_standard=True, dynamic=True)
    with pytest.raises(Conflict):
        record_finding(db, ducha, inspection.id, description="又一个", deadline=date(2027, 3, 15))
    march.move_to(datetime(2027, 3, 20, 9, tzinfo=SHANGHAI), tick=False)
    late = rectify_finding(db, dangan, finding.id, rectification="已逐户电话核实")
    assert late.rectified_on == date(2027, 3, 20)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "inspection.rectify")).first()
    assert event is not None and event.details["late"] is True


def test_another_countys_inspector_does_not_find_the_inspection(db: Any, actor_of: Any, march: Any) -> None:
    """County staff manage their bureau's inspections only; a sample id of another county answers like a missing
    one. (The demo has one county: a 4-digit prefix actor stands for the city bureau.)"""
    from dataclasses import replace

    ducha = actor_of("ducha")
    inspection = plan(db, ducha, sample_size=2)
    sample = draw_sample(db, ducha, inspection.id)[0]
    neighbour = replace(ducha, scope=replace(ducha.scope, region_prefixes=("330522",)))
    with pytest.raises(NotFound):
        get_inspection(db, neighbour, inspection.id)
    with pytest.raises(NotFound):
        record_check(db, neighbour, sample.id, filled_to_standard=True, dynamic=True)
    city = replace(ducha, scope=replace(ducha.scope, region_prefixes=("3305",)))
    county_inspection = plan_inspection(
        db, city, target_region_code="330521", year=2027, planned_on=DAY, sample_size=5, seed=42
    )
    assert (county_inspection.level, county_inspection.inspector_region_code) == ("city", "3305")
    # the city sees its inspection and the county's own; the county sees the city's but does not manage it
    assert {line.inspection.id for line in list_inspections(db, city, year=2027).inspections} == {
        inspection.id,
        county_inspection.id,
    }
    city_coverage = {c.unit_code: c for c in list_inspections(db, city, year=2027).coverage}
    assert (city_coverage["330521"].minimum, city_coverage["330521"].below) == (1, False)
    assert not get_inspection(db, ducha, county_inspection.id).manageable
    with pytest.raises(NotFound):
        draw_sample(db, ducha, county_inspection.id)
    with pytest.raises(InvalidInput) as wrong:
        plan_inspection(db, city, target_region_code=XINSHI, year=2027, planned_on=DAY, sample_size=5)
    assert wrong.value.errors[0].message == "检查对象：请选择本市的县（市、区）"
