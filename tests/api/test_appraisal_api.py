"""JSON appraisal routes: the county manager reads the default weights, sets the year's, computes a township sheet
whose subsidies add up to the budget, lists and reads it; field errors for bad input; the aggregate viewer reads
but may not compute; a village doctor gets 403."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.indicators.test_appraisal import MOGANSHAN, XINSHI, put


@pytest.fixture
def figures(db: Any) -> None:
    put(db, "township", XINSHI, "filing_rate", 800, 1000)  # 80%
    put(db, "township", XINSHI, "usage_rate", 300, 600)  # 50%
    put(db, "township", MOGANSHAN, "filing_rate", 900, 1000)  # 90%
    put(db, "township", MOGANSHAN, "usage_rate", 100, 500)  # 20%


def test_the_county_manager_sets_weights_and_computes_an_exact_sheet(client: Any, api_as: Any, figures: None) -> None:
    headers = api_as("xianju")
    default = client.get("/api/v1/appraisal/schemes/2031", headers=headers)
    assert default.status_code == 200, default.text
    assert default.json()["is_default"] and default.json()["weights"]["filing_rate"] == 20
    assert default.json()["total"] == 100 and default.json()["county"] == "330521"
    put_ = client.put(
        "/api/v1/appraisal/schemes/2027", json={"weights": {"filing_rate": 50, "usage_rate": "50"}}, headers=headers
    )
    assert put_.status_code == 200, put_.text
    assert put_.json()["weights"] == {"filing_rate": 50.0, "usage_rate": 50.0} and put_.json()["set_by"] == "xianju"
    assert [i["name"] for i in put_.json()["items"]] == ["健康档案建档率", "健康档案使用率"]

    made = client.post(
        "/api/v1/appraisal/sheets",
        json={"period": "2027", "institution_kind": "township", "budget": "10000.00"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    sheet = made.json()
    first, second = sheet["lines"][:2]
    # 新市镇 50×80% + 50×50% = 65 → 5416.67; 莫干山镇 50×90% + 50×20% = 55 → 4583.33
    assert (first["institution_code"], first["rank"], first["score"], first["subsidy"]) == (
        f"{XINSHI}-01",
        1,
        65.0,
        "5416.67",
    )
    assert (second["institution_code"], second["rank"], second["score"], second["subsidy"]) == (
        f"{MOGANSHAN}-01",
        2,
        55.0,
        "4583.33",
    )
    assert first["items"][0] == {
        "item": "filing_rate",
        "name": "健康档案建档率",
        "weight": 50.0,
        "rate": 80.0,
        "score": 40.0,
    }
    assert sheet["total_subsidy"] == sheet["budget"] == "10000.00"
    assert sum(Decimal(line["subsidy"]) for line in sheet["lines"]) == Decimal("10000.00")
    assert all(line["missing"] == ["健康档案建档率", "健康档案使用率"] for line in sheet["lines"][2:])

    listed = client.get("/api/v1/appraisal/sheets", params={"year": 2027}, headers=headers)
    assert listed.status_code == 200 and listed.json()[0]["id"] == sheet["id"]
    assert listed.json()[0]["institutions"] == len(sheet["lines"]) and listed.json()[0]["budget"] == "10000.00"
    again = client.get(f"/api/v1/appraisal/sheets/{sheet['id']}", headers=headers)
    assert again.status_code == 200 and again.json() == sheet


def test_bad_input_answers_with_field_errors(client: Any, api_as: Any) -> None:
    headers = api_as("xianju")
    bad = client.put("/api/v1/appraisal/schemes/2027", json={"weights": {"filing_rate": 101, "x": 1}}, headers=headers)
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"weights.filing_rate", "weights.x"}
    wrong = client.post(
        "/api/v1/appraisal/sheets",
        json={"period": "2027M13", "institution_kind": "hospital", "budget": -5},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert {f["field"] for f in wrong.json()["error"]["fields"]} == {"period", "institution_kind", "budget"}
    assert (
        client.get("/api/v1/appraisal/sheets/00000000-0000-0000-0000-000000000000", headers=headers).status_code == 404
    )


def test_the_aggregate_viewer_reads_and_a_village_doctor_is_refused(client: Any, api_as: Any, figures: None) -> None:
    made = client.post(
        "/api/v1/appraisal/sheets",
        json={"period": "2027", "institution_kind": "township", "budget": 300},
        headers=api_as("xianju"),
    )
    assert made.status_code == 201
    sheet_id = made.json()["id"]
    tongji = api_as("tongji")
    assert client.get(f"/api/v1/appraisal/sheets/{sheet_id}", headers=tongji).status_code == 200
    assert client.get("/api/v1/appraisal/schemes/2027", headers=tongji).status_code == 200
    refused = client.post(
        "/api/v1/appraisal/sheets", json={"period": "2027", "institution_kind": "township", "budget": 1}, headers=tongji
    )
    assert refused.status_code == 403
    assert (
        client.put("/api/v1/appraisal/schemes/2027", json={"weights": {"filing_rate": 1}}, headers=tongji).status_code
        == 403
    )
    cunyi = api_as("cunyi")
    for path in ("/api/v1/appraisal/sheets", f"/api/v1/appraisal/sheets/{sheet_id}", "/api/v1/appraisal/schemes/2027"):
        assert client.get(path, headers=cunyi).status_code == 403
    assert client.get("/api/v1/appraisal/sheets").status_code == 401
