"""Resident pages: search, filing through the form with Chinese field errors and duplicate checks, the record
page and its history, corrections, the info card, and who may see what."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from kangdang.access.crypto import mask_phone
from kangdang.access.models import AuditEvent
from kangdang.core.idnumber import check_character
from kangdang.residents.models import HealthRecord, Person
from kangdang.residents.numbering import group_number
from tests.helpers import csrf_from, post_form

VILLAGE = "330521102200"  # cunyi's village in 新市镇
NAME = "仇晓岚"  # 仇 reads qiu as a surname
PHONE = "13705729183"


def _id_number(birth: str = "19870314", sequence: str = "052") -> str:
    first17 = f"330521{birth}{sequence}"
    return first17 + check_character(first17)


def _filing(**changes: str) -> dict[str, str]:
    return {
        "name": NAME,
        "document_type": "01",
        "document_number": _id_number(),  # 1987-03-14, female (even sequence)
        "sex": "",
        "birth_date": "",
        "ethnicity": "01",
        "residence_type": "1",
        "phone": PHONE,
        "contact_name": "",
        "contact_phone": "",
        "work_unit": "",
        "current_region_code": VILLAGE,
        "current_address": "三组 12 号",
        "registered_region_code": "",
        "registered_address": "",
        "household_mode": "new",
        "household_number": "",
        "relationship": "",
        "responsible_doctor_id": "",
        "filed_on": "",
        "paper_location": "",
        "mother": "",
    } | changes


def _file(client, **changes: str):  # type: ignore[no-untyped-def]
    return post_form(client, "/residents/new", _filing(**changes))


def _filed(client, **changes: str) -> uuid.UUID:  # type: ignore[no-untyped-def]
    response = _file(client, **changes)
    assert response.status_code == 303, response.text[:3000]
    match = re.fullmatch(r"/residents/([0-9a-f-]{36})\?saved=filed", response.headers["location"])
    assert match, response.headers["location"]
    return uuid.UUID(match.group(1))


def _persons_named(db, name: str = NAME) -> int:
    return db.scalar(select(func.count()).select_from(Person).where(Person.name == name))


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'<small id="e-{field}" class="field-error">([^<]*)</small>', html)
    assert match, f"no error shown next to {field}"
    return match.group(1)


# --- filing --------------------------------------------------------------------------------------------


def test_filing_with_a_new_household_opens_the_record_page_with_the_household_and_its_head(web_login, db):
    client = web_login("cunyi")
    form = client.get("/residents/new")
    assert form.status_code == 200
    assert 'id="f-name"' in form.text and "autofocus" in form.text
    assert f'<option value="{VILLAGE}" selected>' in form.text  # the doctor's own village by default

    record_id = _filed(client)

    page = client.get(f"/residents/{record_id}?saved=filed")
    assert page.status_code == 200
    assert "建档成功" in page.text
    record = db.get(HealthRecord, record_id)
    assert record.record_number.startswith(VILLAGE) and len(record.record_number) == 20
    assert group_number(record.record_number) in page.text
    household = re.search(r'data-testid="household-number">(\d{17})<', page.text)
    assert household and household.group(1).startswith(VILLAGE)
    assert "本人是户主" in page.text
    assert "1987-03-14" in page.text and "女" in page.text  # birth date and sex read from the ID number
    assert "暂无服务记录" in page.text
    assert "建档" in page.text and f"姓名：{NAME}" in page.text  # the history's first line


def test_joining_an_existing_household_by_its_number_lists_both_members(web_login, db):
    client = web_login("cunyi")
    head_id = _filed(client)
    number = re.search(r'data-testid="household-number">(\d{17})<', client.get(f"/residents/{head_id}").text).group(1)

    spouse_id = _filed(
        client,
        name="周志明",
        document_number=_id_number("19850607", "031"),
        phone="13705720011",
        household_mode="join",
        household_number=number,
        relationship="11",
    )

    page = client.get(f"/residents/{spouse_id}").text
    assert number in page
    assert "本人是夫" in page
    assert f'href="/residents/{head_id}">{NAME}</a>' in page


def test_joining_an_unknown_household_is_refused_next_to_the_number(web_login, db):
    client = web_login("cunyi")
    response = _file(client, household_mode="join", household_number="33052110220099999", relationship="10")
    assert response.status_code == 422
    assert "未找到该家庭编号" in _field_error(response.text, "household_number")
    assert _persons_named(db) == 0


def test_every_problem_of_the_form_shows_at_once(web_login, db):
    client = web_login("cunyi")
    wrong_check = _id_number()[:17] + ("0" if not _id_number().endswith("0") else "1")
    response = _file(client, document_number=wrong_check, household_mode="join", household_number="", mother="x")
    assert response.status_code == 422
    assert "请填写要加入的家庭编号" in _field_error(response.text, "household_number")
    assert "请输入母亲的身份证号或档案编号" in _field_error(response.text, "mother")
    assert "校验位不正确" in _field_error(response.text, "document_number")
    assert _persons_named(db) == 0


def test_a_valid_form_with_a_problem_of_its_own_keeps_nothing(web_login, db):
    client = web_login("cunyi")
    records = db.scalar(select(func.count()).select_from(HealthRecord))
    response = _file(client, household_mode="join", household_number="33052110220099999", relationship="10")
    assert response.status_code == 422
    assert _persons_named(db) == 0
    assert db.scalar(select(func.count()).select_from(HealthRecord)) == records
    assert _filed(client)  # the serial checked in the savepoint was given back, filing still works


def test_invalid_id_numbers_show_the_reason_in_chinese_and_save_nothing(web_login, db):
    client = web_login("cunyi")
    good = _id_number()
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    impossible_date = _id_number("19990230", "052")
    cases = [
        ({"document_number": wrong_check}, "document_number", "校验位不正确"),
        ({"document_number": impossible_date}, "document_number", "出生日期不存在"),
        ({"sex": "1"}, "sex", "性别与身份证号不一致（身份证号为女）"),
        ({"birth_date": "1987-03-15"}, "birth_date", "出生日期与身份证号不一致"),
    ]
    for changes, field, reason in cases:
        response = _file(client, **changes)
        assert response.status_code == 422, changes
        assert reason in _field_error(response.text, field), changes
        assert 'data-testid="form-errors"' in response.text
        assert f'value="{NAME}"' in response.text  # what was typed stays in the form
    assert _persons_named(db) == 0


def test_a_document_already_on_file_is_refused_with_the_existing_record_number(web_login, db):
    client = web_login("cunyi")
    first = db.get(HealthRecord, _filed(client))

    response = _file(client, name="仇小兰", phone="13705720099")

    assert response.status_code == 422
    assert first.record_number in _field_error(response.text, "document_number")
    assert _persons_named(db, "仇小兰") == 0


def test_a_likely_duplicate_must_be_confirmed_before_it_is_saved(web_login, db):
    client = web_login("cunyi")
    first = db.get(HealthRecord, _filed(client))
    twin = {"document_number": _id_number("19870314", "064"), "phone": "13705720077"}

    response = _file(client, **twin)

    assert response.status_code == 422
    assert 'data-testid="duplicates"' in response.text
    assert group_number(first.record_number) in response.text
    assert f'href="/residents/{first.id}"' in response.text
    assert "已核对，不是同一人，仍要建档" in response.text
    assert _persons_named(db) == 1

    confirmed = _file(client, **twin, confirm_duplicates="1")
    assert confirmed.status_code == 303
    assert _persons_named(db) == 2


def test_a_newborn_without_a_document_is_filed_under_the_mother_found_by_her_record_number(web_login, db):
    client = web_login("cunyi")
    mother = db.get(HealthRecord, _filed(client))
    baby = {"name": "仇小宝", "document_number": "", "sex": "1", "phone": "", "household_mode": "none"}

    not_found = _file(client, **baby, birth_date=_recent_birth(), mother="33052110220099999999")
    assert not_found.status_code == 422
    assert "未找到母亲的档案" in _field_error(not_found.text, "mother")

    baby_id = _filed(client, **baby, birth_date=_recent_birth(), mother=mother.record_number)
    page = client.get(f"/residents/{baby_id}").text
    assert f'<a href="/residents/{mother.id}">{NAME}</a>' in page
    assert "无证件（新生儿）" in page


def _recent_birth() -> str:
    from datetime import timedelta

    from kangdang.core.clock import today_local

    return (today_local() - timedelta(days=20)).isoformat()


# --- search --------------------------------------------------------------------------------------------


def test_search_finds_the_resident_by_pinyin_name_id_number_record_number_and_phone(web_login, db):
    client = web_login("cunyi")
    record = db.get(HealthRecord, _filed(client))
    queries = {
        "qxl": "按拼音或首字母",
        "qiuxiaolan": "按拼音或首字母",
        NAME: "按姓名",
        _id_number(): "按身份证号",
        record.short_number: "按档案编号后 8 位",
        record.record_number: "按档案编号",
        PHONE: "按电话",
    }
    for query, hint in queries.items():
        page = client.get("/residents", params={"q": query})
        assert page.status_code == 200
        assert f'href="/residents/{record.id}"' in page.text, query
        assert hint in page.text, query
    listed = client.get("/residents", params={"q": "qxl"}).text
    assert "3305************" in listed or "*" in listed  # the document number is masked
    assert _id_number() not in listed


def test_search_box_is_focused_and_the_empty_page_explains_what_to_type(web_login):
    page = web_login("cunyi").get("/residents")
    assert page.status_code == 200
    assert re.search(r'<input id="q" name="q" type="search"[^>]*autofocus data-search', page.text)
    assert 'data-testid="search-empty"' in page.text
    assert 'href="/residents/new"' in page.text


def test_an_htmx_search_returns_only_the_results_fragment(web_login, db):
    client = web_login("cunyi")
    record_id = _filed(client)
    fragment = client.get("/residents", params={"q": "qxl"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert 'data-testid="resident-results"' in fragment.text
    assert f'href="/residents/{record_id}"' in fragment.text
    assert "<html" not in fragment.text and "主导航" not in fragment.text
    full = client.get("/residents", params={"q": "qxl"})
    assert "<html" in full.text and 'hx-trigger="input changed delay:300ms, search"' in full.text


def test_closed_filter_and_unknown_village_do_not_break_the_search(web_login, db):
    client = web_login("cunyi")
    _filed(client)
    page = client.get("/residents", params={"q": "qxl", "village": "not-a-code", "closed": "1", "page": "99"})
    assert page.status_code == 200
    by_village = client.get("/residents", params={"village": VILLAGE})
    assert NAME in by_village.text


# --- scope and permissions -----------------------------------------------------------------------------


def test_a_village_doctor_of_another_township_neither_finds_nor_opens_the_record(web_login, db):
    client = web_login("cunyi")
    record_id = _filed(client)
    client = web_login("cunyi2")
    assert client.get(f"/residents/{record_id}").status_code == 404
    assert client.get(f"/residents/{record_id}/card.pdf").status_code == 404
    assert client.get(f"/residents/{record_id}/edit").status_code == 404
    for query in ("qxl", NAME, _id_number(), PHONE):
        page = client.get("/residents", params={"q": query})
        assert page.status_code == 200
        assert f"/residents/{record_id}" not in page.text


def test_an_institution_admin_has_no_access_to_residents(web_login):
    client = web_login("jigou")
    assert client.get("/residents").status_code == 403
    assert client.get("/residents/new").status_code == 403


def test_a_county_manager_reads_records_but_cannot_file_or_edit(web_login, db):
    client = web_login("cunyi")
    record_id = _filed(client)
    client = web_login("xianju")
    page = client.get(f"/residents/{record_id}")
    assert page.status_code == 200
    assert f"/residents/{record_id}/edit" not in page.text and "显示完整证件号" not in page.text
    assert client.get("/residents/new").status_code == 403
    assert client.get(f"/residents/{record_id}/edit").status_code == 403


# --- the record page, corrections, reveal, card --------------------------------------------------------


def test_editing_the_phone_keeps_the_change_in_the_history_masked(web_login, db):
    client = web_login("cunyi")
    record_id = _filed(client)
    form = client.get(f"/residents/{record_id}/edit")
    assert form.status_code == 200
    assert _id_number() not in form.text  # the full number is never put into the form
    data = {k: v for k, v in _filing().items() if k not in ("household_mode", "household_number", "relationship")}
    data |= {"document_number": "", "phone": "13905720002", "sex": "2", "birth_date": "1987-03-14"}
    data = {k: v for k, v in data.items() if k not in ("filed_on", "mother")}

    response = client.post(
        f"/residents/{record_id}/edit", data={**data, "csrf_token": csrf_from(form.text)}, follow_redirects=False
    )

    assert response.status_code == 303, response.text[:2000]
    page = client.get(response.headers["location"]).text
    assert "已保存" in page
    assert f"本人电话：{mask_phone(PHONE)} → 139****0002" in page  # history keeps phone numbers masked
    assert "13905720002" in page  # the care team still sees the full current number
    assert "修改个人信息" in page
    assert db.scalar(select(Person.phone).where(Person.name == NAME)) == "13905720002"


def test_an_invalid_correction_shows_the_reason_and_changes_nothing(web_login, db):
    client = web_login("cunyi")
    record_id = _filed(client)
    form = client.get(f"/residents/{record_id}/edit")
    data = {k: v for k, v in _filing().items() if k not in ("household_mode", "household_number", "relationship")}
    data |= {"document_number": _id_number()[:17] + "0", "phone": "13905720002", "sex": "2", "birth_date": ""}
    data = {k: v for k, v in data.items() if k not in ("filed_on", "mother")}
    if _id_number().endswith("0"):
        data["document_number"] = _id_number()[:17] + "1"

    response = client.post(
        f"/residents/{record_id}/edit", data={**data, "csrf_token": csrf_from(form.text)}, follow_redirects=False
    )

    assert response.status_code == 422
    assert "校验位不正确" in _field_error(response.text, "document_number")
    assert db.scalar(select(Person.phone).where(Person.name == NAME)) == PHONE


def test_revealing_the_full_document_number_is_audited(web_login, db):
    client = web_login("cunyi")
    record_id = _filed(client)
    page = client.get(f"/residents/{record_id}").text
    assert _id_number() not in page
    response = post_form(client, f"/residents/{record_id}/reveal", {}, page_url=f"/residents/{record_id}")
    assert response.status_code == 200
    assert f'data-testid="document-full">{_id_number()}<' in response.text
    assert response.headers["cache-control"] == "no-store"
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "person.reveal_document"))


def test_the_info_card_is_a_pdf_for_the_doctor_and_missing_for_another_township(web_login, db):
    client = web_login("cunyi")
    record_id = _filed(client)
    response = client.get(f"/residents/{record_id}/card.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"
    number = db.get(HealthRecord, record_id).record_number
    assert f"filename*=UTF-8''%E4%BF%A1%E6%81%AF%E5%8D%A1-{number}.pdf" in response.headers["content-disposition"]
    assert response.headers["content-disposition"].startswith("inline;")
    printed = db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "record.print_card"))
    assert printed == 1
    assert web_login("cunyi2").get(f"/residents/{record_id}/card.pdf").status_code == 404


def test_the_info_card_page_explains_when_pdfs_cannot_be_made(web_login, db, monkeypatch):
    from kangdang.exchange.card_pdf import CardUnavailable
    from kangdang.web import residents as pages

    client = web_login("cunyi")
    record_id = _filed(client)

    def unavailable(_card):  # type: ignore[no-untyped-def]
        raise CardUnavailable()

    monkeypatch.setattr(pages, "render_info_card", unavailable)
    response = client.get(f"/residents/{record_id}/card.pdf")
    assert response.status_code == 503
    assert "无法生成 PDF" in response.text


def test_an_unknown_record_answers_404_not_500(web_login):
    client = web_login("cunyi")
    assert client.get(f"/residents/{uuid.uuid4()}").status_code == 404
    assert client.get("/residents/not-a-uuid").status_code in (400, 404, 422)


def test_the_access_log_shows_who_opened_and_printed_the_record(web_login, client, db, actor_of):
    from tests.residents.factories import file_resident

    record = file_resident(db, actor_of("cunyi"), name="查阅者甲")
    web_login("dangan")
    client.get(f"/residents/{record.id}")
    client.get(f"/residents/{record.id}/card.pdf")
    log = client.get(f"/residents/{record.id}/access-log")
    assert log.status_code == 200
    assert "查阅档案" in log.text and "打印信息卡" in log.text and "dangan" in log.text
    client.cookies.clear()
    web_login("cunyi2")
    assert client.get(f"/residents/{record.id}/access-log").status_code == 404
