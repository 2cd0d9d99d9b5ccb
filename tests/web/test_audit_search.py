"""The audit search: an institution administrator sees their staff's events and, by record number, everything
done to one of their residents; nothing of another township; county roles see the county."""

from __future__ import annotations

from datetime import date
from typing import Any

from kangdang.residents.service import get_record_view
from tests.residents.factories import file_resident


def test_an_institution_admin_searches_their_staff_and_their_residents(
    db: Any, actor_of: Any, web_login: Any, client: Any, api_as: Any
) -> None:
    record = file_resident(db, actor_of("cunyi"), name="审计查询", born=date(1961, 2, 2))
    get_record_view(db, actor_of("ducha"), record.id)  # the county inspector opens the record
    admin = web_login("jigou")
    page = admin.get("/audit")
    assert page.status_code == 200 and "显示本机构及所辖村卫生室人员的操作" in page.text
    assert "cunyi" in page.text  # a supervised village office's doctor filed a resident
    assert "ducha" not in page.text  # the county's staff are not the institution's
    about = admin.get(f"/audit?record_number={record.record_number}")
    assert "ducha" in about.text and "cunyi" in about.text  # every touch of this resident, whoever it was
    events = client.get("/api/v1/audit-events", params={"login": "xianju"}, headers=api_as("jigou")).json()
    assert events["items"] == []  # another institution's user: nothing


def test_another_townships_record_number_is_refused_like_a_missing_one(db: Any, actor_of: Any, web_login: Any) -> None:
    record = file_resident(db, actor_of("cunyi2"), name="莫干山居民", born=date(1970, 3, 3), village="330521115200")
    page = web_login("jigou").get(f"/audit?record_number={record.record_number}")
    assert "未找到该档案编号，或不在您的管辖范围内" in page.text


def test_village_doctors_have_no_audit_search(web_login: Any) -> None:
    assert web_login("cunyi").get("/audit").status_code == 403
