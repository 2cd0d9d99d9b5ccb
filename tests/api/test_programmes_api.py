"""JSON routes for programme episodes: what the transport adds (status codes, field errors, shapes, audit).
The schedules themselves are tested in tests/programmes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kangdang.access.models import AuditEvent, User
from tests.residents.factories import file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)


def fields(response: Any) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


@pytest.fixture
def patient(db: Any, actor_of: Any, time_machine: Any) -> Any:
    time_machine.move_to(at(date(2027, 3, 2)), tick=False)
    return file_resident(db, actor_of("cunyi"), name="钱高压", born=date(1966, 5, 6))


def test_enrolment_answers_201_with_the_first_tasks_and_a_second_one_409(client, api_as, patient):
    headers = api_as("cunyi")
    created = client.post(
        f"/api/v1/residents/{patient.id}/programmes", json={"programme": "hypertension"}, headers=headers
    )
    assert created.status_code == 201, created.text
    episode = created.json()
    assert (episode["programme"], episode["programme_label"], episode["status"]) == ("hypertension", "高血压", "active")
    assert (episode["enrolled_on"], episode["enrolled_by"], episode["record_id"]) == (
        "2027-03-02",
        "cunyi",
        str(patient.id),
    )
    assert episode["managing_institution_name"] == "句城卫生室"
    tasks = {t["key"]: t for t in episode["tasks"]}
    first = tasks["followup:1"]
    assert (first["form_code"], first["opens_on"], first["due_on"]) == (
        "hypertension_followup",
        "2027-03-02",
        "2027-03-16",
    )
    assert (first["status"], first["state"], first["state_label"], first["urgency_label"]) == (
        "open",
        "due",
        "待随访",
        "常规",
    )

    listed = client.get(f"/api/v1/residents/{patient.id}/programmes", headers=headers)
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json()] == [episode["id"]]
    assert {t["key"] for t in listed.json()[0]["tasks"]} == set(tasks)

    again = client.post(
        f"/api/v1/residents/{patient.id}/programmes", json={"programme": "hypertension"}, headers=headers
    )
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "conflict", "message": "该居民已在高血压健康管理中", "fields": []}


def test_invalid_enrolments_answer_422_on_the_field_in_chinese_and_save_nothing(client, api_as, db, actor_of, patient):
    headers = api_as("cunyi")
    young = file_resident(db, actor_of("cunyi"), name="孙年轻", born=date(2000, 1, 1))
    url = f"/api/v1/residents/{young.id}/programmes"

    too_young = client.post(url, json={"programme": "hypertension"}, headers=headers)
    assert too_young.status_code == 422
    assert fields(too_young) == {"programme": "高血压患者健康管理的服务对象为35岁及以上的居民"}

    unknown = client.post(url, json={"programme": "influenza"}, headers=headers)
    assert unknown.status_code == 422 and fields(unknown) == {"programme": "请从列表中选择"}

    future = client.post(url, json={"programme": "elderly", "enrolled_on": "2027-03-03"}, headers=headers)
    assert future.status_code == 422  # not 65 either, but the date is checked first
    assert fields(future) == {"enrolled_on": "纳入管理日期：不能晚于今天"}

    mother = file_resident(db, actor_of("cunyi"), name="李孕妇", born=date(1996, 8, 9), sex="2")
    no_lmp = client.post(
        f"/api/v1/residents/{mother.id}/programmes", json={"programme": "maternal", "details": {}}, headers=headers
    )
    assert no_lmp.status_code == 422
    assert no_lmp.json()["error"]["message"] == "纳入管理的信息有误"
    assert fields(no_lmp) == {"lmp": "末次月经：请填写末次月经日期，或填写纳入时的孕周"}
    bad_weeks = client.post(
        f"/api/v1/residents/{mother.id}/programmes",
        json={"programme": "maternal", "details": {"gestational_weeks": "60"}},
        headers=headers,
    )
    assert bad_weeks.status_code == 422 and fields(bad_weeks) == {"gestational_weeks": "孕周：应在 1～42 之间"}

    for record in (young, mother):
        assert client.get(f"/api/v1/residents/{record.id}/programmes", headers=headers).json() == []


def test_an_episode_read_is_audited_and_hidden_from_another_village(client, api_as, db, patient):
    enrolled = client.post(
        f"/api/v1/residents/{patient.id}/programmes", json={"programme": "hypertension"}, headers=api_as("cunyi")
    ).json()

    read = client.get(f"/api/v1/programmes/episodes/{enrolled['id']}", headers=api_as("yisheng"))
    assert read.status_code == 200 and read.json()["id"] == enrolled["id"]
    event = db.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "programme.read", AuditEvent.login == "yisheng", AuditEvent.subject_type == "person"
        )
    )
    assert event is not None
    assert event.subject_id == str(patient.person_id)
    assert event.details["episode_id"] == enrolled["id"]

    other_village = api_as("cunyi2")
    assert client.get(f"/api/v1/programmes/episodes/{enrolled['id']}", headers=other_village).status_code == 404
    assert client.get(f"/api/v1/residents/{patient.id}/programmes", headers=other_village).status_code == 404
    assert client.get(f"/api/v1/programmes/episodes/{enrolled['id']}", headers=api_as("tongji")).status_code == 403


def test_patch_hands_the_episode_to_another_doctor_and_checks_the_facts(client, api_as, db, actor_of, patient):
    headers = api_as("cunyi")
    episode = client.post(
        f"/api/v1/residents/{patient.id}/programmes", json={"programme": "hypertension"}, headers=headers
    ).json()
    yisheng = db.scalar(select(User.practitioner_id).where(User.login == "yisheng"))
    handed = client.patch(
        f"/api/v1/programmes/episodes/{episode['id']}", json={"managing_doctor_id": str(yisheng)}, headers=headers
    )
    assert handed.status_code == 200
    assert handed.json()["managing_doctor_id"] == str(yisheng) and handed.json()["managing_doctor_name"]
    assert handed.json()["managing_doctor_name"] != episode["managing_doctor_name"]

    mother = file_resident(db, actor_of("cunyi"), name="周孕妇", born=date(1995, 4, 2), sex="2")
    pregnancy = client.post(
        f"/api/v1/residents/{mother.id}/programmes",
        json={"programme": "maternal", "details": {"gestational_weeks": 10}},
        headers=headers,
    )
    assert pregnancy.status_code == 201
    assert pregnancy.json()["details"] == {"lmp": "2026-12-22"}  # 2 March 2027 − 70 days
    url = f"/api/v1/programmes/episodes/{pregnancy.json()['id']}"
    future = client.patch(url, json={"details": {"delivery_date": "2027-03-10"}}, headers=headers)
    assert future.status_code == 422 and fields(future) == {"delivery_date": "分娩日期：不能晚于2027-03-02"}
    garbled = client.patch(url, json={"details": {"delivery_date": "十月一日"}}, headers=headers)
    assert garbled.status_code == 422
    assert fields(garbled) == {"delivery_date": "分娩日期：请填写正确的日期，如 2026-03-01"}
    unknown = client.patch(url, json={"doctor": "x"}, headers=headers)
    assert unknown.status_code == 422 and fields(unknown) == {"doctor": "不支持的字段"}


def test_closing_with_an_outcome_cancels_the_open_tasks(client, api_as, patient, time_machine):
    headers = api_as("cunyi")
    episode = client.post(
        f"/api/v1/residents/{patient.id}/programmes", json={"programme": "hypertension"}, headers=headers
    ).json()
    url = f"/api/v1/programmes/episodes/{episode['id']}/close"
    time_machine.move_to(at(date(2027, 3, 9)), tick=False)
    headers = api_as("cunyi")

    cured = client.post(url, json={"outcome": "cured"}, headers=headers)
    assert cured.status_code == 422 and fields(cured) == {"outcome": "结案原因：请选择有效的转归"}
    other = client.post(url, json={"outcome": "other"}, headers=headers)
    assert other.status_code == 422 and fields(other) == {"note": "说明：结案原因为“其他”时请说明"}
    early = client.post(url, json={"outcome": "moved_out", "closed_on": "2027-03-01"}, headers=headers)
    assert early.status_code == 422 and fields(early) == {"closed_on": "结案日期：应在纳入管理日期与今天之间"}

    closed = client.post(
        url, json={"outcome": "moved_out", "note": "随子女迁居杭州", "closed_on": "2027-03-08"}, headers=headers
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["status"], body["outcome"], body["outcome_label"]) == ("closed", "moved_out", "迁出")
    assert (body["outcome_note"], body["closed_on"], body["closed_by"]) == ("随子女迁居杭州", "2027-03-08", "cunyi")
    assert body["tasks"] == []  # open tasks were cancelled
    worklist = client.get("/api/v1/worklist", params={"village": "330521102200", "size": 200}, headers=headers)
    assert episode["id"] not in {item["episode_id"] for item in worklist.json()["items"]}

    assert client.post(url, json={"outcome": "died"}, headers=headers).status_code == 409
    # a new episode may start after the close
    again = client.post(
        f"/api/v1/residents/{patient.id}/programmes", json={"programme": "hypertension"}, headers=headers
    )
    assert again.status_code == 201
    listed = client.get(f"/api/v1/residents/{patient.id}/programmes", headers=headers).json()
    assert [(e["id"], e["status"]) for e in listed] == [(again.json()["id"], "active"), (episode["id"], "closed")]


def test_suggestions_name_the_programme_and_the_reason(client, api_as, db, actor_of, patient):
    elder = file_resident(db, actor_of("cunyi"), name="吴老人", born=date(1950, 1, 20))
    headers = api_as("cunyi")
    answer = client.get(f"/api/v1/residents/{elder.id}/programme-suggestions", headers=headers)
    assert answer.status_code == 200
    assert {"programme": "elderly", "programme_label": "65岁及以上老年人", "reason": "年满65岁"} in answer.json()

    client.post(f"/api/v1/residents/{elder.id}/programmes", json={"programme": "elderly"}, headers=headers)
    after = client.get(f"/api/v1/residents/{elder.id}/programme-suggestions", headers=headers).json()
    assert "elderly" not in {s["programme"] for s in after}
    assert (
        client.get(f"/api/v1/residents/{elder.id}/programme-suggestions", headers=api_as("cunyi2")).status_code == 404
    )
