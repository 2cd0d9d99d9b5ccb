"""The households JSON API: create, members moving between households, the head, living environment,
an empty household staying on file, and scope."""

from __future__ import annotations

import uuid

from tests.api.test_residents_api import (  # noqa: F401 - the fixture watches every response here too
    VILLAGE,
    fields_of,
    file_resident,
    filing,
    id_number,
    no_full_id_number_in_responses,
)

API = "/api/v1/households"


def _family(client, headers):
    """A head with a new household, his wife in it, and a third resident without a household."""
    head = file_resident(client, headers, filing(id_number("19320303", 911), "甄户甲", new_household=True))
    household_id = head["household"]["id"]
    wife = file_resident(
        client,
        headers,
        filing(id_number("19330404", 912), "甄户乙", household_id=household_id, relationship="12"),
    )
    single = file_resident(client, headers, filing(id_number("19340505", 913), "甄户丙"))
    return head, wife, single


def _members(detail):
    return {m["name"]: m["relationship"] for m in detail["members"]}


def test_filing_with_a_new_household_and_joining_one(client, api_as):
    headers = api_as("cunyi")
    head, wife, single = _family(client, headers)
    assert head["relationship"] == "02" and head["relationship_label"] == "户主"
    assert wife["household"]["id"] == head["household"]["id"]
    assert {m["name"] for m in wife["members"]} == {"甄户甲", "甄户乙"}
    assert single["household"] is None
    detail = client.get(f"{API}/{head['household']['id']}", headers=headers).json()
    assert detail["head_person_id"] == head["person"]["id"]
    assert detail["head_name"] == "甄户甲"
    assert _members(detail) == {"甄户甲": "02", "甄户乙": "12"}
    assert detail["household_number"].startswith(VILLAGE) and len(detail["household_number"]) == 17
    wife_line = next(m for m in detail["members"] if m["name"] == "甄户乙")
    assert wife_line["record_id"] == wife["record"]["id"]
    assert wife_line["relationship_label"] == "妻"


def test_a_member_moves_to_another_household_and_the_head_changes(client, api_as):
    headers = api_as("cunyi")
    head, wife, single = _family(client, headers)
    first = head["household"]["id"]
    created = client.post(
        API,
        json={"region_code": VILLAGE, "address": "句城村 9 组 3 号", "head_person_id": single["person"]["id"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    second = created.json()
    assert second["head_person_id"] == single["person"]["id"]
    assert _members(second) == {"甄户丙": "02"}
    assert second["household_number"] != head["household"]["household_number"]

    moved = client.post(
        f"{API}/{second['id']}/members",
        json={"person_id": wife["person"]["id"], "relationship": "10"},
        headers=headers,
    )
    assert moved.status_code == 201, moved.text
    assert _members(moved.json()) == {"甄户丙": "02", "甄户乙": "10"}
    left = client.get(f"{API}/{first}", headers=headers).json()
    assert _members(left) == {"甄户甲": "02"}
    assert [m["name"] for m in left["former_members"]] == ["甄户乙"]
    assert left["former_members"][0]["valid_to"] is not None

    changed = client.post(
        f"{API}/{second['id']}/head",
        json={"new_head_id": wife["person"]["id"], "old_head_relationship": "10"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["head_person_id"] == wife["person"]["id"] and after["head_name"] == "甄户乙"
    assert _members(after) == {"甄户乙": "02", "甄户丙": "10"}
    assert any(h["action"] == "change_head" for h in after["history"])
    record = client.get(f"/api/v1/residents/{wife['record']['id']}", headers=headers).json()
    assert record["household"]["id"] == second["id"] and record["relationship"] == "02"


def test_a_head_change_to_a_non_member_is_refused_on_the_field(client, api_as):
    headers = api_as("cunyi")
    head, _wife, single = _family(client, headers)
    response = client.post(
        f"{API}/{head['household']['id']}/head",
        json={"new_head_id": single["person"]["id"], "old_head_relationship": "02"},
        headers=headers,
    )
    assert response.status_code == 422
    fields = fields_of(response)
    assert fields["new_head_id"] == "新户主须是本家庭现有成员"
    assert fields["old_head_relationship"] == "请选择原户主与新户主的关系"


def test_an_empty_household_stays_on_file(client, api_as):
    headers = api_as("cunyi")
    head, wife, _single = _family(client, headers)
    household = head["household"]["id"]
    for person in (wife, head):
        gone = client.post(f"{API}/{household}/members/{person['person']['id']}/remove", headers=headers)
        assert gone.status_code == 200, gone.text
    empty = client.get(f"{API}/{household}", headers=headers)
    assert empty.status_code == 200
    assert empty.json()["members"] == [] and empty.json()["member_count"] == 0
    assert empty.json()["head_person_id"] is None
    assert {m["name"] for m in empty.json()["former_members"]} == {"甄户甲", "甄户乙"}
    again = client.post(f"{API}/{household}/members/{wife['person']['id']}/remove", headers=headers)
    assert again.status_code == 422


def test_living_environment_is_edited_with_code_checks_and_history(client, api_as):
    headers = api_as("cunyi")
    head, _wife, _single = _family(client, headers)
    url = f"{API}/{head['household']['id']}"
    changed = client.patch(url, json={"water_source": "1", "toilet_type": "1", "fuel_type": "3"}, headers=headers)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["water_source_label"] == "自来水" and body["fuel_type_label"] == "天然气"
    update = next(h for h in body["history"] if h["action"] == "update")
    assert update["changes"]["water_source"] == [None, "1"]
    bad = client.patch(url, json={"water_source": "7"}, headers=headers)
    assert bad.status_code == 422
    assert fields_of(bad)["water_source"] == "饮水代码“7”无效"


def test_household_lists_and_reads_are_scoped(client, api_as):
    headers = api_as("cunyi")
    head, _wife, _single = _family(client, headers)
    number = head["household"]["household_number"]
    found = client.get(API, params={"q": number}, headers=headers).json()
    assert [h["household_number"] for h in found["items"]] == [number]
    assert found["items"][0]["member_count"] == 2 and found["items"][0]["head_name"] == "甄户甲"
    by_village = client.get(API, params={"village": VILLAGE, "size": 200}, headers=headers).json()
    assert number in [h["household_number"] for h in by_village["items"]]
    other = api_as("cunyi2")
    assert client.get(API, params={"q": number}, headers=other).json()["total"] == 0
    outside = client.get(f"{API}/{head['household']['id']}", headers=other)
    missing = client.get(f"{API}/{uuid.uuid4()}", headers=other)
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    moved = client.post(
        f"{API}/{head['household']['id']}/members",
        json={"person_id": head["person"]["id"], "relationship": "10"},
        headers=other,
    )
    assert moved.status_code == 404


def test_a_county_manager_may_read_households_but_not_change_them(client, api_as):
    head, _wife, single = _family(client, api_as("cunyi"))
    county = api_as("xianju")
    assert client.get(f"{API}/{head['household']['id']}", headers=county).status_code == 200
    refused = client.post(API, json={"region_code": VILLAGE, "head_person_id": single["person"]["id"]}, headers=county)
    assert refused.status_code == 403
