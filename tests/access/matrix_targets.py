"""The objects the permission matrix aims at: a resident of 句城村 (新市镇, cunyi's village) with their
household, a signed form, a pending transfer, access requests and an emergency alert, the 新市镇 centre with
its staff, training and keeper — and a grant for yiyuan when the persona needs one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from kangdang.access.crypto import cipher_for
from kangdang.indicators.appraisal import compute_sheet
from kangdang.indicators.refresh import start_recompute
from kangdang.indicators.supervision import draw_sample, plan_inspection, record_finding
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.institutions.models_training import RecordsKeeper, TrainingRecord
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.service import enrol
from kangdang.records.models import ServiceRecord
from kangdang.residents.emergency import EmergencyOpening, open_emergency_access
from kangdang.residents.grants import (
    AccessApplication,
    ConsentDetails,
    DecisionNote,
    apply_for_access,
    approve_request,
    record_consent,
)
from kangdang.residents.lifecycle import request_transfer
from kangdang.residents.models import DuplicateCandidate, HealthRecord, HouseholdMember, Person
from kangdang.residents.schemas import TransferRequest

VILLAGE = "330521102200"  # 句城村委会
OTHER_VILLAGE = "330521102201"  # 梅林村委会 (新市镇), served by 梅林卫生室
CENTRE = "330521102-01"  # 新市镇中心卫生院
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Targets:
    values: dict[str, str]


def _document(db: Any, person: Person) -> str:
    return cipher_for(db).decrypt(person.document_cipher)  # type: ignore[arg-type]


def build_targets(db: Any, actor_of: Any, *, grant: bool) -> Targets:
    dangan, yiyuan = actor_of("dangan"), actor_of("yiyuan")
    record, person, member = db.execute(
        select(HealthRecord, Person, HouseholdMember)
        .join(Person, Person.id == HealthRecord.person_id)
        .join(HouseholdMember, HouseholdMember.person_id == Person.id)
        .where(
            HealthRecord.village_code == VILLAGE, HealthRecord.status == "active", Person.birth_date < date(1990, 1, 1)
        )
        .order_by(HealthRecord.record_number)
    ).first()
    form_id = db.scalar(
        select(ServiceRecord.id).where(ServiceRecord.record_id == record.id, ServiceRecord.status == "completed")
    )
    assert form_id is not None, "the demo gives most records a signed cover"
    others = list(
        db.execute(
            select(HealthRecord, Person)
            .join(Person, Person.id == HealthRecord.person_id)
            .where(HealthRecord.village_code == VILLAGE, HealthRecord.id != record.id, HealthRecord.status == "active")
            .order_by(HealthRecord.record_number)
            .limit(2)
        )
    )
    meilin = db.scalar(select(Institution).where(Institution.code == f"{OTHER_VILLAGE}-01"))
    transfer = request_transfer(
        db,
        dangan,
        others[0][0].id,
        TransferRequest(to_institution_id=meilin.id, to_village_code=OTHER_VILLAGE, reason="搬家"),
    )
    application = AccessApplication(
        document_number=_document(db, person),
        name=person.name,
        purpose="住院诊疗",
        parts=["profile", "forms"],
        duration_days=30,
        basis="诊疗需要",
    )
    request = apply_for_access(db, yiyuan, application)
    if grant:
        approve_request(db, dangan, request.id, DecisionNote())
        consent = ConsentDetails(consent_by_name=person.name, relationship="self", method="scan")
        record_consent(db, dangan, request.id, consent, evidence=PNG)
    other_person = others[1][1]
    emergency = open_emergency_access(
        db,
        actor_of("cunyi2"),
        EmergencyOpening(document_number=_document(db, other_person), name=other_person.name, reason="车祸急诊"),
    )
    candidate = DuplicateCandidate(person_id=others[0][1].id, other_person_id=other_person.id, reason="测试", score=0.9)
    db.add(candidate)
    centre = db.scalar(select(Institution).where(Institution.code == CENTRE))
    keeper = db.scalar(select(RecordsKeeper).where(RecordsKeeper.institution_id == centre.id))
    practitioner = db.get(Practitioner, keeper.practitioner_id)
    training = db.scalar(select(TrainingRecord.id).where(TrainingRecord.practitioner_id == practitioner.id))
    membership = db.scalar(
        select(Membership.id).where(
            Membership.practitioner_id == practitioner.id, Membership.institution_id == centre.id
        )
    )
    episode = db.scalar(
        select(Episode).where(
            Episode.record_id == record.id, Episode.programme == "hypertension", Episode.status == "active"
        )
    ) or enrol(db, dangan, record.id, "hypertension")
    task = db.scalar(select(CareTask.id).where(CareTask.episode_id == episode.id, CareTask.status == "open"))
    inspector, manager = actor_of("ducha"), actor_of("xianju")
    inspection = plan_inspection(
        db, inspector, target_region_code=VILLAGE[:9], year=2026, planned_on=date(2026, 11, 22), sample_size=4, seed=7
    )
    sample = draw_sample(db, inspector, inspection.id)[0]
    finding = record_finding(
        db, inspector, inspection.id, description="个人基本信息表填写不全", deadline=date(2026, 12, 31)
    )
    sheet = compute_sheet(db, manager, county=VILLAGE[:6], period="2026", institution_kind="township", budget="1000.00")
    run = start_recompute(db, manager, county=VILLAGE[:6])
    run.status = "done"
    db.flush()
    return Targets(
        {
            "record_id": str(record.id),
            "person_id": str(person.id),
            "household_id": str(member.household_id),
            "form_id": str(form_id),
            "transfer_id": str(transfer.id),
            "request_id": str(request.id),
            "emergency_id": str(emergency.id),
            "candidate_id": str(candidate.id),
            "merge_id": str(uuid.uuid4()),
            "institution_id": str(centre.id),
            "keeper_id": str(keeper.id),
            "practitioner_id": str(practitioner.id),
            "training_id": str(training),
            "membership_id": str(membership),
            "region": VILLAGE,
            "form_code": "hypertension_followup",
            "year": "2026",
            "episode_id": str(episode.id),
            "task_id": str(task),
            "inspection_id": str(inspection.id),
            "sample_id": str(sample.id),
            "finding_id": str(finding.id),
            "sheet_id": str(sheet.sheet.id),
            "run_id": str(run.id),
            "period": "2026Q4",
            "key": "usage_window",
        }
    )
