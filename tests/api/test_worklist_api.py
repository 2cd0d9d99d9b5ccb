"""JSON worklist routes: persona scoping (a village doctor sees exactly their own residents' tasks, another village's
doctor none of them, the township centre both of its villages by village and doctor), roles refused, the state
filter and days overdue on a controlled day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kangdang.access.models import AuditEvent, User
from tests.residents.factories import MOGANSHAN_VILLAGE, XINSHI_OTHER, XINSHI_VILLAGE, file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
PATHS = ("/api/v1/worklist", "/api/v1/worklist/counts", "/api/v1/worklist/summary")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI)


def all_items(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = client.get("/api/v1/worklist", params=params | {"page": page, "size": 200}, headers=headers)
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        if len(items) >= answer.json()["total"]:
            return items
        page += 1


def summary(client: Any, headers: dict[str, str]) -> dict[tuple[str, str | None], dict[str, Any]]:
    answer = client.get("/api/v1/worklist/summary", params={"programme": "hypertension"}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {(row["village_code"], row["doctor_id"]): row for row in answer.json()["rows"]}


def enrol(client: Any, headers: dict[str, str], record: Any, **body: Any) -> dict[str, Any]:
    answer = client.post(
        f"/api/v1/residents/{record.id}/programmes", json={"programme": "hypertension"} | body, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def practitioner(db: Any, login: str) -> str:
    return str(db.scalar(select(User.practitioner_id).where(User.login == login)))


@pytest.fixture
def march(time_machine: Any) -> Any:
    time_machine.move_to(at(date(2027, 3, 2)), tick=False)
    return time_machine


def test_each_village_doctor_sees_exactly_their_own_residents_tasks(client, api_as, db, actor_of, march):
    cunyi, cunyi2 = api_as("cunyi"), api_as("cunyi2")
    before = {i["task_id"] for i in all_items(client, cunyi)}
    before2 = {i["task_id"] for i in all_items(client, cunyi2)}
    ours = file_resident(db, actor_of("cunyi"), name="钱高压", born=date(1966, 5, 6), village=XINSHI_VILLAGE)
    theirs = file_resident(db, actor_of("cunyi2"), name="赵高压", born=date(1962, 9, 1), village=MOGANSHAN_VILLAGE)
    mine = enrol(client, cunyi, ours)
    other = enrol(client, cunyi2, theirs)

    listed = all_items(client, cunyi)
    assert {i["task_id"] for i in listed} - before == {t["id"] for t in mine["tasks"]}
    assert {i["village_code"] for i in listed} <= actor_of("cunyi").scope.village_codes
    assert str(theirs.id) not in {i["record_id"] for i in listed}
    item = next(i for i in listed if i["task_id"] == mine["tasks"][0]["id"])
    assert (item["name"], item["sex_label"], item["age"], item["village_name"]) == ("钱高压", "男", 60, "句城村委会")
    assert (item["programme_label"], item["episode_id"], item["record_id"]) == ("高血压", mine["id"], str(ours.id))
    assert item["doctor_name"] == mine["managing_doctor_name"] and item["doctor_id"] == practitioner(db, "cunyi")

    listed2 = all_items(client, cunyi2)
    assert {i["task_id"] for i in listed2} - before2 == {t["id"] for t in other["tasks"]}
    assert not {i["record_id"] for i in listed2} & {i["record_id"] for i in listed}
    assert XINSHI_VILLAGE not in {i["village_code"] for i in listed2}
    assert all_items(client, cunyi2, village=XINSHI_VILLAGE) == []
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "worklist.view", AuditEvent.login == "cunyi2"))


def test_the_township_sees_both_of_its_villages_by_village_and_doctor(client, api_as, db, actor_of, march):
    cunyi, yisheng_headers, xianju = api_as("cunyi"), api_as("yisheng"), api_as("xianju")
    yisheng = practitioner(db, "yisheng")
    before, county_before = summary(client, yisheng_headers), summary(client, xianju)
    jucheng = file_resident(db, actor_of("cunyi"), name="钱高压", born=date(1966, 5, 6), village=XINSHI_VILLAGE)
    meilin = file_resident(db, actor_of("yisheng"), name="孙高压", born=date(1960, 2, 3), village=XINSHI_OTHER)
    moganshan = file_resident(db, actor_of("cunyi2"), name="赵高压", born=date(1962, 9, 1), village=MOGANSHAN_VILLAGE)
    enrol(client, cunyi, jucheng)
    enrol(client, yisheng_headers, meilin, managing_doctor_id=yisheng)
    enrol(client, api_as("cunyi2"), moganshan)

    after = summary(client, yisheng_headers)
    grown = {key: row["due"] - before.get(key, {"due": 0})["due"] for key, row in after.items()}
    grown = {key: n for key, n in grown.items() if n}
    # each enrolment brings two tasks due now: the first follow-up and the yearly health check
    assert grown == {(XINSHI_VILLAGE, practitioner(db, "cunyi")): 2, (XINSHI_OTHER, yisheng): 2}
    row = after[(XINSHI_OTHER, yisheng)]
    assert row["village_name"] == "梅林村委会" and row["doctor_name"]
    assert row["total"] == row["overdue"] + row["due"] + row["upcoming"]
    assert not [key for key in after if not key[0].startswith("330521102")]  # no village of another township

    county = summary(client, xianju)
    assert MOGANSHAN_VILLAGE in {village for village, _doctor in county}
    assert sum(r["total"] for r in county.values()) - sum(r["total"] for r in county_before.values()) == 6

    counts = client.get("/api/v1/worklist/counts", params={"village": XINSHI_OTHER}, headers=yisheng_headers).json()
    assert counts["by_programme"]["hypertension"]["due"] >= 2
    assert counts["totals"]["total"] == sum(sum(n.values()) for n in counts["by_programme"].values())


@pytest.mark.parametrize("login", ["tongji", "yiyuan"])
def test_the_aggregate_viewer_and_a_hospital_doctor_are_refused(client, api_as, login):
    headers = api_as(login)
    for path in PATHS:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 403, path
        assert answer.json()["error"]["code"] == "permission_denied"


def test_the_state_filter_and_days_overdue_on_a_controlled_day(client, api_as, db, actor_of, march):
    patient = file_resident(db, actor_of("cunyi"), name="钱高压", born=date(1966, 5, 6))
    episode = enrol(client, api_as("cunyi"), patient)
    tasks = {t["key"]: t["id"] for t in episode["tasks"]}
    # the first follow-up is due by 16 March; on 20 March it is 4 days overdue. The yearly check (by 31 May) is due.
    march.move_to(at(date(2027, 3, 20)), tick=False)
    headers = api_as("cunyi")

    def ours(state: str) -> list[dict[str, Any]]:
        items = all_items(client, headers, state=state, programme="hypertension", village=XINSHI_VILLAGE)
        assert {i["state"] for i in items} <= {state}
        return [i for i in items if i["episode_id"] == episode["id"]]

    [overdue] = ours("overdue")
    assert (overdue["task_id"], overdue["due_on"], overdue["days_overdue"]) == (tasks["followup:1"], "2027-03-16", 4)
    assert (overdue["state_label"], overdue["form_code"]) == ("已逾期", "hypertension_followup")
    [due] = ours("due")
    assert (due["task_id"], due["days_overdue"], due["state_label"]) == (tasks["exam:1"], 0, "待随访")
    assert ours("upcoming") == []

    everything = all_items(client, headers, programme="hypertension")
    assert everything[0]["state"] == "overdue"  # overdue tasks come first
    counts = client.get("/api/v1/worklist/counts", params={"village": XINSHI_VILLAGE}, headers=headers).json()
    assert counts["on"] == "2027-03-20" and counts["by_programme"]["hypertension"]["overdue"] >= 1

    wrong = client.get("/api/v1/worklist", params={"state": "late", "village": "x"}, headers=headers)
    assert wrong.status_code == 422
    assert {f["field"]: f["message"] for f in wrong.json()["error"]["fields"]} == {
        "state": "请从列表中选择",
        "village": "格式不正确",
    }
