"""A record's life through the JSON API: transfer (confirm, return, cancel), closure and reopening, the
duplicate worklist, merge and undo — each refused to users outside the jurisdiction or without the role."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from kangdang.core.clock import today_local
from kangdang.institutions.models import Institution
from kangdang.regions.models import Region
from tests.api.test_residents_api import (  # noqa: F401 - the fixture watches every response here too
    API,
    VILLAGE,
    fields_of,
    file_resident,
    filing,
    id_number,
    no_full_id_number_in_responses,
    office_village_of,
)

TOWNSHIP = "330521102"  # 新市镇


def _centre(db) -> str:
    return str(db.scalar(select(Institution.id).where(Institution.code == f"{TOWNSHIP}-01")))


def _other_village(db) -> str:
    return db.scalar(
        select(Region.code).where(Region.parent_code == TOWNSHIP, Region.code != VILLAGE).order_by(Region.code)
    )


def _resident(client, api_as, name="甄迁甲", birth="19320707", sequence=921):
    return file_resident(client, api_as("cunyi"), filing(id_number(birth, sequence), name))


# --- transfers --------------------------------------------------------------------------------------------


def test_a_confirmed_transfer_moves_the_record_keeping_number_and_history(client, api_as, db):
    detail = _resident(client, api_as)
    record_id, number = detail["record"]["id"], detail["record"]["record_number"]
    centre, village = _centre(db), _other_village(db)
    requested = client.post(
        f"{API}/{record_id}/transfers",
        json={"to_institution_id": centre, "to_village_code": village, "reason": "搬到镇上居住"},
        headers=api_as("yisheng"),
    )
    assert requested.status_code == 201, requested.text
    transfer = requested.json()
    assert transfer["status"] == "pending" and transfer["status_label"] == "待确认"
    assert transfer["record_number"] == number and transfer["person_name"] == "甄迁甲"
    assert transfer["to_institution_name"] == "新市镇中心卫生院"

    manager = api_as("dangan")
    incoming = client.get("/api/v1/transfers", params={"direction": "incoming"}, headers=manager).json()
    assert transfer["id"] in [t["id"] for t in incoming["items"]]
    confirmed = client.post(f"/api/v1/transfers/{transfer['id']}/confirm", headers=manager)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["decided_by"] == "dangan"

    after = client.get(f"{API}/{record_id}", headers=manager).json()
    assert after["record"]["record_number"] == number
    assert after["record"]["managing_institution_id"] == centre
    assert after["record"]["village_code"] == village
    assert [t["status"] for t in after["transfers"]] == ["confirmed"]
    actions = {(h["entity"], h["action"]) for h in after["history"]}
    assert {("record", "file"), ("transfer", "request"), ("transfer", "confirm")} <= actions
    again = client.post(f"/api/v1/transfers/{transfer['id']}/confirm", headers=manager)
    assert again.status_code == 422
    pending = client.get("/api/v1/transfers", params={"status": "all"}, headers=manager).json()
    assert transfer["id"] in [t["id"] for t in pending["items"]]


def test_a_returned_transfer_needs_a_reason_and_leaves_the_record_where_it_was(client, api_as, db):
    detail = _resident(client, api_as)
    record_id = detail["record"]["id"]
    manager = api_as("dangan")
    transfer = client.post(
        f"{API}/{record_id}/transfers",
        json={"to_institution_id": _centre(db), "to_village_code": _other_village(db), "reason": "搬家"},
        headers=manager,
    ).json()
    silent = client.post(f"/api/v1/transfers/{transfer['id']}/return", json={}, headers=manager)
    assert silent.status_code == 422
    assert fields_of(silent)["note"] == "请填写退回原因"
    returned = client.post(f"/api/v1/transfers/{transfer['id']}/return", json={"note": "地址不符"}, headers=manager)
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned" and returned.json()["decision_note"] == "地址不符"
    after = client.get(f"{API}/{record_id}", headers=manager).json()
    assert after["record"]["village_code"] == VILLAGE
    assert after["record"]["managing_institution_id"] == detail["record"]["managing_institution_id"]


def test_a_pending_transfer_can_be_cancelled_once(client, api_as, db):
    detail = _resident(client, api_as)
    doctor = api_as("yisheng")
    transfer = client.post(
        f"{API}/{detail['record']['id']}/transfers",
        json={"to_institution_id": _centre(db), "to_village_code": _other_village(db), "reason": "搬家"},
        headers=doctor,
    ).json()
    twice = client.post(
        f"{API}/{detail['record']['id']}/transfers",
        json={"to_institution_id": _centre(db), "to_village_code": _other_village(db), "reason": "搬家"},
        headers=doctor,
    )
    assert twice.status_code == 422 and "待确认" in fields_of(twice)["record"]
    cancelled = client.post(f"/api/v1/transfers/{transfer['id']}/cancel", headers=doctor)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/transfers/{transfer['id']}/cancel", headers=doctor).status_code == 422


def test_transfers_are_refused_without_the_role_or_outside_the_jurisdiction(client, api_as, db):
    detail = _resident(client, api_as)
    body = {"to_institution_id": _centre(db), "to_village_code": _other_village(db), "reason": "搬家"}
    village_doctor = client.post(f"{API}/{detail['record']['id']}/transfers", json=body, headers=api_as("cunyi"))
    assert village_doctor.status_code == 403
    elsewhere = file_resident(
        client,
        api_as("cunyi2"),
        filing(id_number("19320808", 923), "甄迁乙", current_region_code=office_village_of(db, "cunyi2")),
    )
    outside = client.post(f"{API}/{elsewhere['record']['id']}/transfers", json=body, headers=api_as("dangan"))
    assert outside.status_code == 404
    unknown = client.post(f"/api/v1/transfers/{uuid.uuid4()}/confirm", headers=api_as("dangan"))
    assert unknown.status_code == 404
    assert client.get("/api/v1/transfers", headers=api_as("cunyi")).status_code == 403


# --- closure and reopening ------------------------------------------------------------------------------


def test_a_record_is_closed_and_reopened_with_history(client, api_as):
    detail = _resident(client, api_as)
    record_id = detail["record"]["id"]
    manager = api_as("dangan")
    today = today_local().isoformat()
    closed = client.post(
        f"{API}/{record_id}/close", json={"reason": "2", "closed_on": today, "note": "迁往外省"}, headers=manager
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["status_label"] == "已注销"
    assert body["closure_reason_label"] == "迁出" and body["closed_on"] == today
    search = {"q": "甄迁甲"}
    assert client.get(API, params=search, headers=manager).json()["total"] == 0
    assert client.get(API, params=search | {"include_closed": "true"}, headers=manager).json()["total"] == 1
    twice = client.post(f"{API}/{record_id}/close", json={"reason": "2", "closed_on": today}, headers=manager)
    assert twice.status_code == 422

    reopened = client.post(f"{API}/{record_id}/reopen", json={"reason": "居民返乡"}, headers=manager)
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "active" and reopened.json()["closed_on"] is None
    history = client.get(f"{API}/{record_id}", headers=manager).json()["history"]
    close_entry = next(h for h in history if h["action"] == "close")
    assert close_entry["changes"]["status"] == ["active", "closed"]
    assert close_entry["changes"]["closure_reason"] == [None, "迁出"]
    assert any(h["action"] == "reopen" for h in history)


def test_closure_is_refused_without_the_role_or_with_a_bad_date_or_reason(client, api_as):
    detail = _resident(client, api_as)
    url = f"{API}/{detail['record']['id']}/close"
    today = today_local().isoformat()
    assert client.post(url, json={"reason": "1", "closed_on": today}, headers=api_as("cunyi")).status_code == 403
    future = client.post(url, json={"reason": "1", "closed_on": "2999-01-01"}, headers=api_as("dangan"))
    assert future.status_code == 422 and fields_of(future)["closed_on"] == "注销日期不能晚于今天"
    reason = client.post(url, json={"reason": "8", "closed_on": today}, headers=api_as("dangan"))
    assert reason.status_code == 422 and fields_of(reason)["reason"] == "注销原因代码“8”无效"
    outside = client.post(url, json={"reason": "1", "closed_on": today}, headers=api_as("cunyi2"))
    assert outside.status_code == 403  # a village doctor may not close records at all


# --- duplicates, merge and undo -------------------------------------------------------------------------


def _pair(client, api_as):
    """Two records of what looks like one person, the second filed after confirming the duplicate."""
    headers = api_as("cunyi")
    first = file_resident(client, headers, filing(id_number("19300909", 925), "覃重复"))
    second = file_resident(
        client, headers, filing(id_number("19300909", 927), "覃重复", confirm_duplicates=True, new_household=True)
    )
    return first, second


def test_merge_moves_the_record_to_the_survivor_and_undo_moves_it_back(client, api_as):
    first, second = _pair(client, api_as)
    manager = api_as("dangan")
    worklist = client.get("/api/v1/duplicates", headers=manager).json()
    candidate = next(
        c
        for c in worklist["items"]
        if {c["person"]["id"], c["other"]["id"]} == {first["person"]["id"], second["person"]["id"]}
    )
    assert candidate["status"] == "open" and candidate["person"]["document_masked"]

    merged = client.post(
        "/api/v1/duplicates/merge",
        json={
            "survivor_id": first["person"]["id"],
            "merged_id": second["person"]["id"],
            "candidate_id": candidate["id"],
        },
        headers=manager,
    )
    assert merged.status_code == 200, merged.text
    merge = merged.json()
    assert merge["moved"]["records"] == 1 and merge["moved"]["closed_records"] == 1 and merge["moved"]["members"] == 1
    moved_record = client.get(f"{API}/{second['record']['id']}", headers=manager).json()
    assert moved_record["person"]["id"] == first["person"]["id"]
    assert moved_record["record"]["status"] == "closed"
    survivor = client.get(f"{API}/{first['record']['id']}", headers=manager).json()
    assert second["record"]["id"] in [r["id"] for r in survivor["other_records"]]
    assert any(h["action"] == "merge" for h in survivor["history"])
    still_open = client.get("/api/v1/duplicates", headers=manager).json()
    assert candidate["id"] not in [c["id"] for c in still_open["items"]]

    undone = client.post(f"/api/v1/duplicates/merges/{merge['id']}/undo", headers=manager)
    assert undone.status_code == 200, undone.text
    assert undone.json()["undone_by"] == "dangan"
    back = client.get(f"{API}/{second['record']['id']}", headers=manager).json()
    assert back["person"]["id"] == second["person"]["id"]
    assert back["record"]["status"] == "active"
    assert back["household"]["id"] == second["household"]["id"]
    reopened = client.get("/api/v1/duplicates", headers=manager).json()
    assert candidate["id"] in [c["id"] for c in reopened["items"]]
    assert client.post(f"/api/v1/duplicates/merges/{merge['id']}/undo", headers=manager).status_code == 422


def test_a_pair_marked_not_duplicate_leaves_the_open_worklist(client, api_as):
    first, second = _pair(client, api_as)
    manager = api_as("dangan")
    candidate = next(
        c
        for c in client.get("/api/v1/duplicates", headers=manager).json()["items"]
        if c["person"]["id"] in (first["person"]["id"], second["person"]["id"])
    )
    marked = client.post(f"/api/v1/duplicates/{candidate['id']}/not-duplicate", headers=manager)
    assert marked.status_code == 200, marked.text
    assert marked.json()["status"] == "not_duplicate" and marked.json()["decided_by"] == "dangan"
    open_ids = [c["id"] for c in client.get("/api/v1/duplicates", headers=manager).json()["items"]]
    assert candidate["id"] not in open_ids
    assert client.post(f"/api/v1/duplicates/{candidate['id']}/not-duplicate", headers=manager).status_code == 422


def test_a_scan_adds_pairs_the_filing_check_did_not_see(client, api_as):
    headers = api_as("cunyi")
    one = file_resident(client, headers, filing(id_number("19291111", 929), "甄扫描"))
    two = file_resident(client, headers, filing(id_number("19291111", 931), "贾扫描"))
    renamed = client.patch(f"{API}/persons/{two['person']['id']}", json={"name": "甄扫描"}, headers=headers)
    assert renamed.status_code == 200
    manager = api_as("dangan")
    scanned = client.post("/api/v1/duplicates/scan", params={"region": TOWNSHIP}, headers=manager)
    assert scanned.status_code == 200 and scanned.json()["added"] >= 1
    pairs = [
        {c["person"]["id"], c["other"]["id"]} for c in client.get("/api/v1/duplicates", headers=manager).json()["items"]
    ]
    assert {one["person"]["id"], two["person"]["id"]} in pairs
    assert client.post("/api/v1/duplicates/scan", params={"region": TOWNSHIP}, headers=manager).json()["added"] == 0


def test_duplicates_are_refused_without_the_role_or_outside_the_jurisdiction(client, api_as, db):
    first, second = _pair(client, api_as)
    body = {"survivor_id": first["person"]["id"], "merged_id": second["person"]["id"]}
    for login in ("cunyi", "xianju"):
        assert client.post("/api/v1/duplicates/merge", json=body, headers=api_as(login)).status_code == 403
        assert client.get("/api/v1/duplicates", headers=api_as(login)).status_code == 403
    elsewhere = file_resident(
        client,
        api_as("cunyi2"),
        filing(id_number("19281212", 933), "甄远方", current_region_code=office_village_of(db, "cunyi2")),
    )
    outside = client.post(
        "/api/v1/duplicates/merge",
        json={"survivor_id": first["person"]["id"], "merged_id": elsewhere["person"]["id"]},
        headers=api_as("dangan"),
    )
    assert outside.status_code == 404
    assert client.post(f"/api/v1/duplicates/merges/{uuid.uuid4()}/undo", headers=api_as("dangan")).status_code == 404
