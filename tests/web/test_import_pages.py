"""The resident import pages: upload → check (error report or preview) → confirm; templates; who may use them."""

from __future__ import annotations

import base64
import csv
import html
import io
import re
import zlib

from openpyxl import load_workbook
from sqlalchemy import func, select

from kangdang.core.idnumber import check_character
from kangdang.residents.models import Household, Person
from tests.helpers import csrf_from

JUCHENG = "330521102200"
HEADER = ["证件号码", "姓名", "现住址村居委会代码", "家庭编号", "与户主关系", "本人电话"]


def idn(birth: str, sequence: str) -> str:
    first17 = f"330521{birth}{sequence}"
    return first17 + check_character(first17)


GOOD = [
    [idn("19620101", "211"), "庹家旺", JUCHENG, "H1", "户主", "13911112222"],
    [idn("19640202", "222"), "庹桂香", JUCHENG, "H1", "配偶", ""],
    [idn("19880303", "231"), "庹明", JUCHENG, "H1", "子", ""],
]
BAD = [
    GOOD[0],
    [GOOD[1][0][:-1] + ("1" if GOOD[1][0][-1] != "1" else "2"), "庹桂香", JUCHENG, "H1", "配偶", ""],  # row 3
    [idn("19880303", "231"), "庹明", "330521115001", "H2", "子", "12ab"],  # row 4: 3 problems
]


def table(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def persons(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Person)) or 0


def check(client, content: bytes, name: str = "居民.csv"):
    page = client.get("/residents/import")
    return client.post(
        "/residents/import/check",
        data={"csrf_token": csrf_from(page.text)},
        files={"file": (name, content, "text/csv")},
    )


def confirm_fields(page_html: str) -> dict[str, list[str]]:
    """The hidden fields of the confirmation form, as the browser would post them."""
    form = page_html.split('data-testid="commit-form"', 1)[1].split("</form>", 1)[0]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form):
        fields.setdefault(name, []).append(html.unescape(value))
    return fields


def test_the_import_page_offers_an_upload_form_and_the_templates(web_login):
    page = web_login("dangan").get("/residents/import")
    assert page.status_code == 200
    assert 'type="file"' in page.text and 'accept=".xlsx,.csv' in page.text and "autofocus" in page.text
    assert '<label for="f-file">' in page.text
    assert "/residents/import/template.xlsx" in page.text and "/residents/import/template.csv" in page.text
    csrf_from(page.text)


def test_the_templates_download_with_headers_guide_and_drop_downs(web_login):
    client = web_login("dangan")
    xlsx = client.get("/residents/import/template.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames[:2] == ["居民", "说明"]
    assert [c.value for c in workbook["居民"][1]][:3] == ["证件类别", "证件号码*", "姓名*"]
    assert workbook["居民"].data_validations.dataValidation
    text = client.get("/residents/import/template.csv")
    assert text.status_code == 200 and text.content.decode("utf-8-sig").startswith("证件类别,证件号码*,姓名*")


def test_a_village_doctor_may_not_import(web_login):
    client = web_login("cunyi")
    assert client.get("/residents/import").status_code == 403
    assert client.get("/residents/import/template.xlsx").status_code == 403
    home = client.get("/")
    refused = client.post(
        "/residents/import/check",
        data={"csrf_token": csrf_from(home.text)},
        files={"file": ("x.csv", table(GOOD), "text/csv")},
    )
    assert refused.status_code == 403


def test_a_bad_file_shows_every_problem_by_row_and_column_and_imports_nothing(web_login, db):
    before = persons(db)
    answer = check(web_login("dangan"), table(BAD))
    assert answer.status_code == 422
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", answer.text)
    found = {(int(r), c) for r, c, _ in cells}
    assert {(3, "证件号码"), (4, "现住址村居委会代码"), (4, "本人电话")} <= found
    assert all(row != 2 for row, _ in found)
    assert "未导入任何数据" in answer.text and 'data-testid="commit-form"' not in answer.text
    assert 'type="file"' in answer.text  # upload the corrected file from here
    assert persons(db) == before


def test_check_then_preview_then_confirm_imports_the_file_once(web_login, db):
    client = web_login("dangan")
    before = persons(db)
    preview = check(client, table(GOOD))
    assert preview.status_code == 200, preview.text[:2000]
    assert "新建 3 人" in preview.text and "新建家庭 1 户" in preview.text and "已建档跳过 0 人" in preview.text
    assert "庹家旺" in preview.text and GOOD[0][0] not in preview.text  # documents are masked
    assert "1962-01-01" in preview.text  # birth date and sex read from the ID number
    assert persons(db) == before, "checking writes nothing"

    done = client.post("/residents/import/commit", data=confirm_fields(preview.text))
    assert done.status_code == 200 and "导入完成" in done.text
    assert persons(db) == before + 3
    head = db.scalars(select(Person).where(Person.name == "庹家旺")).one()
    assert db.scalar(select(func.count()).select_from(Household).where(Household.head_person_id == head.id)) == 1

    again = check(client, table(GOOD))
    assert "新建 0 人" in again.text and "已建档跳过 3 人" in again.text and "已建档，跳过" in again.text
    client.post("/residents/import/commit", data=confirm_fields(again.text))
    assert persons(db) == before + 3


def test_a_tampered_or_foreign_confirmation_is_refused(web_login, db):
    client = web_login("dangan")
    before = persons(db)
    fields = confirm_fields(check(client, table(GOOD)).text)
    other = table([[idn("19700101", "241"), "偷换者", JUCHENG, "", "", ""]])
    forged = fields | {"payload": [base64.b64encode(zlib.compress(other)).decode()]}
    refused = client.post("/residents/import/commit", data=forged)
    assert refused.status_code == 400 and "重新选择文件" in refused.text
    assert persons(db) == before

    admin = web_login("admin")  # another user cannot replay the manager's confirmation
    token = csrf_from(admin.get("/residents/import").text)
    replayed = fields | {"csrf_token": [token]}
    refused = admin.post("/residents/import/commit", data=replayed)
    assert refused.status_code == 400 and "重新选择文件" in refused.text
    assert persons(db) == before


def test_no_file_or_an_unreadable_file_answers_with_a_message(web_login):
    client = web_login("dangan")
    page = client.get("/residents/import")
    empty = client.post("/residents/import/check", data={"csrf_token": csrf_from(page.text)})
    assert empty.status_code == 422 and "请选择要导入的" in empty.text
    broken = check(client, b"PK\x03\x04garbage", name="x.xlsx")
    assert broken.status_code == 422 and "无法读取 Excel 文件" in broken.text


def test_a_file_that_travels_in_several_parts_is_put_back_together(web_login, db, monkeypatch):
    import kangdang.web.resident_import as pages

    monkeypatch.setattr(pages, "PAYLOAD_PART", 64)  # fields are limited in size: big files go in parts
    client = web_login("dangan")
    before = persons(db)
    fields = confirm_fields(check(client, table(GOOD)).text)
    assert len(fields["payload"]) > 3
    done = client.post("/residents/import/commit", data=fields)
    assert done.status_code == 200 and "导入完成" in done.text
    assert persons(db) == before + 3


def test_the_residents_page_links_to_the_import_only_for_those_who_may_import(client, web_login):
    web_login("dangan")
    assert 'data-testid="import-residents"' in client.get("/residents").text
    client.cookies.clear()
    web_login("cunyi")
    assert 'data-testid="import-residents"' not in client.get("/residents").text
