"""Forms over the JSON API: definitions, the FHIR Questionnaire, filling, signing, amending, errors."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire

from kangdang.core.clock import today_local
from kangdang.records.catalogue import catalogue
from tests.residents.factories import file_resident


def answers(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "visit_date": (today_local() - timedelta(days=1)).isoformat(),
        "visit_mode": "1",
        "symptoms": ["1"],
        "sbp": 140,
        "dbp": 90,
        "medication_adherence": "1",
        "adverse_reaction": "1",
    }
    data.update(changes)
    return data


def test_every_definition_is_listed_and_exports_as_a_valid_questionnaire(client: Any, api_as: Any) -> None:
    headers = api_as("cunyi")
    listed = client.get("/api/v1/forms", headers=headers).json()
    assert {f["code"] for f in listed} == set(catalogue().forms)
    for code in catalogue().forms:
        response = client.get(f"/api/v1/forms/{code}/questionnaire", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/fhir+json")
        resource = Questionnaire.model_validate(response.json())
        assert resource.title == catalogue().form(code).title
    bp = client.get("/api/v1/forms/hypertension_followup/questionnaire", headers=headers).json()
    signs = next(i for i in bp["item"] if i["linkId"] == "signs")
    sbp = next(i for i in signs["item"] if i["linkId"] == "sbp")
    assert sbp["code"][0]["code"] == "DE04.10.174.00" and sbp["required"] is True
    assert {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 300} in sbp["extension"]
    assessment = next(i for i in bp["item"] if i["linkId"] == "assessment")
    detail = next(i for i in assessment["item"] if i["linkId"] == "adverse_reaction_detail")
    assert detail["enableWhen"][0]["answerCoding"]["code"] == "2"


def test_filling_signing_and_amending_over_the_api(db: Any, actor_of: Any, client: Any, api_as: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="张志明", born=date(1958, 7, 7), filed_on=date(2019, 5, 1))
    headers = api_as("cunyi")
    created = client.post(
        f"/api/v1/residents/{record.id}/forms",
        json={"form_code": "diabetes_followup", "answers": answers(fasting_glucose=6.9), "sign": True},
        headers=headers,
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "completed" and body["answers"]["classification"] == "1"  # 6.9 < 7.0
    form_id = body["id"]
    refused = client.put(f"/api/v1/form-records/{form_id}", json={"answers": answers(), "sign": True}, headers=headers)
    assert refused.status_code == 409
    amended = client.post(
        f"/api/v1/form-records/{form_id}/amend",
        json={"answers": answers(fasting_glucose=7.0), "reason": "血糖值抄错"},
        headers=headers,
    )
    assert amended.status_code == 201
    assert amended.json()["answers"]["classification"] == "2" and amended.json()["version_no"] == 2
    versions = client.get(f"/api/v1/form-records/{form_id}/versions", headers=headers).json()
    assert [(v["version_no"], v["status"]) for v in versions] == [(1, "amended"), (2, "completed")]
    listed = client.get(f"/api/v1/residents/{record.id}/forms", headers=headers).json()
    assert [f["id"] for f in listed] == [amended.json()["id"]]


def test_invalid_answers_return_every_field_error_and_save_nothing(
    db: Any, actor_of: Any, client: Any, api_as: Any
) -> None:
    record = file_resident(db, actor_of("cunyi"), name="李红", born=date(1966, 1, 1), filed_on=date(2019, 5, 1))
    headers = api_as("cunyi")
    response = client.post(
        f"/api/v1/residents/{record.id}/forms",
        json={
            "form_code": "hypertension_followup",
            "answers": answers(sbp=120, dbp=130, visit_date="2099-01-01", visit_mode="7", bogus=1),
            "sign": True,
        },
        headers=headers,
    )
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["error"]["fields"]}
    assert fields["visit_date"] == "随访日期：不能晚于今天"
    assert fields["visit_mode"] == "随访方式：请从选项中选择"
    assert fields["bogus"] == "bogus：表单中没有这一项"
    assert client.get(f"/api/v1/residents/{record.id}/forms", headers=headers).json() == []


def test_forms_of_another_township_answer_like_missing(db: Any, actor_of: Any, client: Any, api_as: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="周强", born=date(1950, 1, 1), filed_on=date(2019, 5, 1))
    created = client.post(
        f"/api/v1/residents/{record.id}/forms",
        json={"form_code": "hypertension_followup", "answers": answers(), "sign": False},
        headers=api_as("cunyi"),
    )
    other = api_as("cunyi2")
    assert client.get(f"/api/v1/form-records/{created.json()['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/residents/{record.id}/forms", headers=other).status_code == 404
