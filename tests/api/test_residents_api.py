"""The residents JSON API: what the transport adds — filing through POST /residents with the ID-number
rules answered on the right field, likely duplicates as 409, search kinds, scope, history in the record,
and never a full ID number in a response (except reveal-document).

The helpers and the response watch here are shared by the household and lifecycle API tests.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from kangdang.access.models import User
from kangdang.core.idnumber import check_character
from kangdang.institutions.models import Institution, Membership

API = "/api/v1/residents"
VILLAGE = "330521102200"  # the village of cunyi's office (句城, 新市镇)

# A full 18-character ID number standing alone (record numbers are 20 digits, household numbers 17).
FULL_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dX](?![0-9A-Za-z])")
MAY_SHOW_FULL_ID = ("/reveal-document", "/auth/token")


# --- helpers shared with test_households_api and test_lifecycle_api -------------------------------------


def id_number(birth: str = "19350615", sequence: int = 913) -> str:
    """A valid number of 德清县; an odd sequence is a man, an even one a woman."""
    first17 = f"330521{birth}{sequence:03d}"
    return first17 + check_character(first17)


def id_number_ending_in_x(birth: str = "19360212") -> str:
    for sequence in range(900, 1000):
        number = id_number(birth, sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives check character X")


def filing(number: str | None, name: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "document_type": "01",
        "document_number": number,
        "name": name,
        "current_region_code": VILLAGE,
        "current_address": "句城村 8 组 12 号",
    }
    return body | changes


def file_resident(client: Any, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(API, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def fields_of(response: Any) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


def office_village_of(db: Any, login: str) -> str:
    """The village of the persona's own office (cunyi2: a village of 莫干山镇)."""
    practitioner = db.scalar(select(User.practitioner_id).where(User.login == login))
    institution_id = db.scalar(select(Membership.institution_id).where(Membership.practitioner_id == practitioner))
    return db.get(Institution, institution_id).region_code


@pytest.fixture(autouse=True)
def no_full_id_number_in_responses(client: Any) -> Iterator[list[str]]:
    """Watch every response of the test: none may carry a full ID number, except reveal-document."""
    seen: list[str] = []

    def watch(response: Any) -> None:
        response.read()
        if not response.request.url.path.endswith(MAY_SHOW_FULL_ID):
            seen.append(f"{response.request.method} {response.request.url.path}: {response.text}")

    client.event_hooks["response"] = [*client.event_hooks["response"], watch]
    yield seen
    leaks = [text[:300] for text in seen if FULL_ID.search(text)]
    assert not leaks, f"responses carry a full ID number: {leaks}"


# --- filing and the ID-number rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "extra", "birth_date", "sex"),
    [
        (id_number("19350615", 913), {}, "1935-06-15", "1"),
        (id_number_ending_in_x("19360212"), {}, "1936-02-12", None),
        (id_number("19370101", 914), {"birth_date": "1937-01-01", "sex": "2"}, "1937-01-01", "2"),
        ("330521350615913", {}, "1935-06-15", "1"),  # legacy 15 digits, stored as 18
    ],
    ids=["valid", "valid-ending-in-X", "valid-with-matching-birth-and-sex", "legacy-15-digits"],
)
def test_valid_id_numbers_file_a_resident_and_show_only_the_masked_number(
    client, api_as, number, extra, birth_date, sex
):
    headers = api_as("cunyi")
    detail = file_resident(client, headers, filing(number, "甄试甲", **extra))
    person = detail["person"]
    assert person["birth_date"] == birth_date
    if sex:
        assert person["sex"] == sex
    masked = person["document_masked"]
    assert len(masked) == 18 and "*" in masked
    assert masked.startswith("330521")
    assert person["document_type"] == "01" and person["document_type_label"] == "居民身份证"
    if number.endswith("X"):
        assert masked.endswith("X")
    assert "document_number" not in person
    assert len(detail["record"]["record_number"]) == 20
    assert detail["record"]["record_number"].startswith(VILLAGE)
    assert detail["record"]["short_number"] == detail["record"]["record_number"][-8:]


def test_a_legacy_number_is_kept_converted_to_18_characters(client, api_as):
    headers = api_as("cunyi")
    detail = file_resident(client, headers, filing("330521350615913", "甄试乙"))
    revealed = client.post(f"{API}/persons/{detail['person']['id']}/reveal-document", headers=headers)
    assert revealed.json()["document_number"] == id_number("19350615", 913)


_VALID = id_number("19350615", 913)  # a man born 1935-06-15
_WRONG_CHECK = _VALID[:17] + ("0" if _VALID[17] != "0" else "1")
_FEB_30 = "33052119990230123" + check_character("33052119990230123")
_FUTURE = "33052120900101123" + check_character("33052120900101123")


@pytest.mark.parametrize(
    ("number", "extra", "field", "message"),
    [
        (_WRONG_CHECK, {}, "document_number", "身份证号校验位不正确，请核对"),
        (_FEB_30, {}, "document_number", "身份证号中的出生日期不存在"),
        (_FUTURE, {}, "document_number", "身份证号中的出生日期晚于今天"),
        ("3305213506151", {}, "document_number", "身份证号应为 18 位（或旧式 15 位）"),
        (_VALID, {"birth_date": "1935-06-16"}, "birth_date", "出生日期与身份证号不一致（身份证号为 1935-06-15）"),
        (_VALID, {"sex": "2"}, "sex", "性别与身份证号不一致（身份证号为男）"),
    ],
    ids=["wrong-check-character", "impossible-date-19990230", "future-birth-date", "wrong-length", "birth", "sex"],
)
def test_invalid_id_numbers_are_refused_with_the_reason_on_the_field(client, api_as, number, extra, field, message):
    response = client.post(API, json=filing(number, "甄试丙", **extra), headers=api_as("cunyi"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_input"
    assert fields_of(response)[field] == message


def test_a_document_already_on_file_is_refused_naming_the_existing_record(client, api_as):
    headers = api_as("cunyi")
    first = file_resident(client, headers, filing(_VALID, "甄试丁"))
    again = client.post(API, json=filing(_VALID, "甄试戊"), headers=headers)
    assert again.status_code == 422
    message = fields_of(again)["document_number"]
    assert first["record"]["record_number"] in message
    assert message.startswith("该证件号码已建档")


def test_a_likely_duplicate_answers_409_with_the_candidates_until_confirmed(client, api_as):
    headers = api_as("cunyi")
    first = file_resident(client, headers, filing(id_number("19310512", 915), "覃晓蕾"))
    body = filing(id_number("19310512", 917), "覃晓蕾")  # same name, birth date and sex, another number
    conflict = client.post(API, json=body, headers=headers)
    assert conflict.status_code == 409
    error = conflict.json()["error"]
    assert error["code"] == "likely_duplicates"
    assert error["fields"], "the candidates are listed in fields"
    assert {f["field"] for f in error["fields"]} == {"confirm_duplicates"}
    assert any(first["record"]["record_number"] in f["message"] for f in error["fields"])
    assert client.get(API, params={"q": "覃晓蕾"}, headers=headers).json()["total"] == 1, "409 filed nothing"
    confirmed = client.post(API, json=body | {"confirm_duplicates": True}, headers=headers)
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["record"]["record_number"] != first["record"]["record_number"]


def test_a_county_manager_reads_residents_but_may_not_file_them(client, api_as):
    detail = file_resident(client, api_as("cunyi"), filing(_VALID, "甄试己"))
    county = api_as("xianju")
    assert client.get(f"{API}/{detail['record']['id']}", headers=county).status_code == 200
    assert client.get(API, params={"q": "甄试己"}, headers=county).json()["total"] == 1
    refused = client.post(API, json=filing(id_number("19350615", 919), "甄试庚"), headers=county)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"


# --- search ---------------------------------------------------------------------------------------------


def test_every_kind_of_search_finds_the_resident(client, api_as):
    headers = api_as("cunyi")
    number = id_number("19330808", 916)
    detail = file_resident(client, headers, filing(number, "覃晓蕾", phone="19912345678", new_household=True, sex="2"))
    record = detail["record"]
    household_number = detail["household"]["household_number"]
    queries = {
        "pinyin initials": "qxl",
        "full pinyin": "qinxiaolei",
        "chinese name": "覃晓蕾",
        "ID number": number,
        "record number": record["record_number"],
        "last 8 digits": record["short_number"],
        "record number's beginning": record["record_number"][:14],
        "phone": "19912345678",
        "household number": household_number,
    }
    for kind, q in queries.items():
        response = client.get(API, params={"q": q, "size": 200}, headers=headers)
        assert response.status_code == 200, (kind, response.text)
        found = [hit["record"]["id"] for hit in response.json()["items"]]
        assert record["id"] in found, f"search by {kind} ({q}) does not find the resident"
    hit = next(h for h in client.get(API, params={"q": "qxl"}, headers=headers).json()["items"])
    assert set(hit) == {"person", "record"}
    assert client.get(API, params={"q": "qxlzzz"}, headers=headers).json()["total"] == 0


def test_the_village_filter_and_closed_records(client, api_as):
    headers = api_as("cunyi")
    detail = file_resident(client, headers, filing(_VALID, "甄试辛"))
    listed = client.get(API, params={"village": VILLAGE, "size": 200}, headers=headers).json()
    assert detail["record"]["id"] in [h["record"]["id"] for h in listed["items"]]
    elsewhere = client.get(API, params={"q": "甄试辛", "village": "330521115"}, headers=headers).json()
    assert elsewhere["total"] == 0
    bad = client.get(API, params={"village": "abc"}, headers=headers)
    assert bad.status_code == 422


# --- scope ----------------------------------------------------------------------------------------------


def test_records_outside_the_jurisdiction_answer_404_like_missing_ones(client, api_as):
    detail = file_resident(client, api_as("cunyi"), filing(_VALID, "甄试壬"))
    other = api_as("cunyi2")
    outside = client.get(f"{API}/{detail['record']['id']}", headers=other)
    missing = client.get(f"{API}/{uuid.uuid4()}", headers=other)
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert client.get(API, params={"q": "甄试壬"}, headers=other).json()["total"] == 0
    assert client.get(API, params={"village": VILLAGE}, headers=other).json()["total"] == 0
    person = detail["person"]["id"]
    assert client.patch(f"{API}/persons/{person}", json={"phone": "19900000001"}, headers=other).status_code == 404
    assert client.post(f"{API}/persons/{person}/reveal-document", headers=other).status_code == 404


def test_a_village_doctor_files_only_in_their_own_territory(client, api_as, db):
    theirs = office_village_of(db, "cunyi2")
    refused = client.post(API, json=filing(_VALID, "甄试癸"), headers=api_as("cunyi2"))
    assert refused.status_code == 422
    assert "管辖范围" in fields_of(refused)["current_region_code"]
    filed = file_resident(client, api_as("cunyi2"), filing(_VALID, "甄试癸", current_region_code=theirs))
    assert filed["record"]["record_number"].startswith(theirs)


# --- corrections, history, reveal -----------------------------------------------------------------------


def test_a_correction_shows_in_the_record_history_with_old_and_new_values(client, api_as):
    headers = api_as("cunyi")
    detail = file_resident(client, headers, filing(_VALID, "甄试子", phone="19900000002"))
    person_id, record_id = detail["person"]["id"], detail["record"]["id"]
    changed = client.patch(f"{API}/persons/{person_id}", json={"phone": "19900000003"}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "19900000003"
    record = client.patch(f"{API}/{record_id}", json={"paper_location": "档案柜 3-2"}, headers=headers)
    assert record.status_code == 200 and record.json()["paper_location"] == "档案柜 3-2"
    history = client.get(f"{API}/{record_id}", headers=headers).json()["history"]
    person_update = next(h for h in history if h["entity"] == "person" and h["action"] == "update")
    assert person_update["changes"]["phone"] == ["199****0002", "199****0003"]  # masked in history
    assert person_update["login"] == "cunyi" and person_update["at"]
    record_update = next(h for h in history if h["entity"] == "record" and h["action"] == "update")
    assert record_update["changes"]["paper_location"] == [None, "档案柜 3-2"]
    assert any(h["action"] == "file" for h in history)


def test_a_correction_that_breaks_the_id_rules_is_refused(client, api_as):
    headers = api_as("cunyi")
    detail = file_resident(client, headers, filing(_VALID, "甄试丑"))
    response = client.patch(f"{API}/persons/{detail['person']['id']}", json={"sex": "2"}, headers=headers)
    assert response.status_code == 422
    assert fields_of(response)["sex"] == "性别与身份证号不一致（身份证号为男）"


def test_reveal_document_gives_the_full_number_to_care_staff_only(client, api_as):
    headers = api_as("cunyi")
    detail = file_resident(client, headers, filing(_VALID, "甄试寅"))
    url = f"{API}/persons/{detail['person']['id']}/reveal-document"
    revealed = client.post(url, headers=headers)
    assert revealed.status_code == 200
    assert revealed.json() == {"document_number": _VALID}
    assert revealed.headers["Cache-Control"] == "no-store"
    assert client.post(url, headers=api_as("xianju")).status_code == 403


# --- transport details ----------------------------------------------------------------------------------


def test_malformed_json_and_unknown_fields_get_422(client, api_as):
    headers = api_as("cunyi")
    broken = client.post(API, content=b'{"name": "x",', headers=headers | {"Content-Type": "application/json"})
    assert broken.status_code == 422
    assert broken.json()["error"]["fields"][0]["message"] == "请求体不是有效的 JSON"
    unknown = client.post(API, json=filing(_VALID, "甄试卯", shoe_size=42), headers=headers)
    assert unknown.status_code == 422
    assert fields_of(unknown)["shoe_size"] == "不支持的字段"
    bad_code = client.post(API, json=filing(_VALID, "甄试卯", ethnicity="77"), headers=headers)
    assert fields_of(bad_code)["ethnicity"] == "民族代码“77”无效"
    assert client.get(f"{API}/not-a-uuid", headers=headers).status_code == 422


def test_requests_without_a_token_get_401(client):
    assert client.get(API).status_code == 401
    assert client.post(API, json={}).status_code == 401


def test_nothing_in_the_api_deletes(client, api_as):
    spec = client.get("/api/openapi.json").json()
    deletes = [path for path, operations in spec["paths"].items() if "delete" in operations]
    assert deletes == []
    detail = file_resident(client, api_as("cunyi"), filing(_VALID, "甄试辰"))
    gone = client.delete(f"{API}/{detail['record']['id']}", headers=api_as("cunyi"))
    assert gone.status_code == 405
    assert client.get(f"{API}/{detail['record']['id']}", headers=api_as("cunyi")).status_code == 200


def test_the_response_watch_tells_id_numbers_from_record_and_household_numbers(
    client, api_as, no_full_id_number_in_responses
):
    """The watch can fail: it finds a full number in a body, and only there (not in 20- or 17-digit numbers)."""
    detail = file_resident(client, api_as("cunyi"), filing(_VALID, "甄试巳", new_household=True))
    assert no_full_id_number_in_responses, "the watch sees the responses"
    assert not FULL_ID.search(detail["record"]["record_number"])
    assert not FULL_ID.search(detail["household"]["household_number"])
    assert FULL_ID.search(f'{{"document_number": "{_VALID}"}}')
    assert FULL_ID.search(f'{{"document_number": "{id_number_ending_in_x()}"}}')
