"""JSON indicator settings: targets per indicator, year and area type (set, cleared, field errors) and the
parameters (listed with their accepted values, set one by one); reading for those who see figures, changing for
the county bureau."""

from __future__ import annotations

from typing import Any


def test_targets_are_set_read_and_cleared(client: Any, api_as: Any) -> None:
    headers = api_as("xianju")
    for area, target in (("urban", 60), ("rural", "20.5")):
        answer = client.put(
            "/api/v1/indicators/targets",
            json={"indicator": "filing_rate", "year": 2027, "area_type": area, "target": target},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
    assert (
        answer.json()["target"] == 20.5 and answer.json()["set_by"] == "xianju" and answer.json()["county"] == "330521"
    )
    read = client.get("/api/v1/indicators/targets", params={"year": 2027}, headers=api_as("tongji"))
    assert read.status_code == 200
    filing = read.json()["targets"][0]
    assert filing == {"indicator": "filing_rate", "name": "健康档案建档率", "all": None, "urban": 60.0, "rural": 20.5}
    assert len(read.json()["targets"]) == 17
    cleared = client.put(
        "/api/v1/indicators/targets",
        json={"indicator": "filing_rate", "year": 2027, "area_type": "rural", "target": None},
        headers=headers,
    )
    assert cleared.status_code == 200 and cleared.json()["target"] is None
    read = client.get("/api/v1/indicators/targets", params={"year": 2027}, headers=headers)
    assert read.json()["targets"][0]["rural"] is None


def test_bad_targets_answer_with_field_errors_and_only_the_bureau_sets_them(client: Any, api_as: Any) -> None:
    bad = client.put(
        "/api/v1/indicators/targets",
        json={"indicator": "nothing", "year": 2027, "area_type": "all", "target": 100.5},
        headers=api_as("xianju"),
    )
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"indicator", "target"}
    body = {"indicator": "filing_rate", "year": 2027, "area_type": "all", "target": 50}
    assert client.put("/api/v1/indicators/targets", json=body, headers=api_as("ducha")).status_code == 403
    assert client.get("/api/v1/indicators/targets?year=2027", headers=api_as("yiyuan")).status_code == 403


def test_parameters_are_listed_and_set(client: Any, api_as: Any) -> None:
    headers = api_as("xianju")
    listed = client.get("/api/v1/indicators/parameters", headers=headers)
    assert listed.status_code == 200
    window = next(p for p in listed.json() if p["key"] == "usage_window")
    assert window["value"] == "rolling_12m" and window["choices"]["calendar_year"] == "本年度（自然年）"
    days = next(p for p in listed.json() if p["key"] == "late_entry_days")
    assert (days["kind"], days["minimum"], days["maximum"]) == ("int", 1, 365)
    changed = client.put("/api/v1/indicators/parameters/usage_window", json={"value": "calendar_year"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["value"] == "calendar_year"
    wrong = client.put("/api/v1/indicators/parameters/late_entry_days", json={"value": 0}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "value"
    unknown = client.put("/api/v1/indicators/parameters/nothing", json={"value": 1}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "key"
    tongji = api_as("tongji")
    assert client.get("/api/v1/indicators/parameters", headers=tongji).json() != []
    refused = client.put("/api/v1/indicators/parameters/usage_window", json={"value": "rolling_12m"}, headers=tongji)
    assert refused.status_code == 403
