"""Issue 6, quality rules: each record carries its quality status with reasons; records managers get a worklist of
records to fix, and fixing one updates the figures."""

from __future__ import annotations

from typing import Any

import pytest

from kangdang.core.errors import PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.indicators.quality import quality_worklist
from kangdang.indicators.read import figures
from kangdang.indicators.refresh import refresh_dirty, refresh_villages
from kangdang.records.service import amend_form
from tests.indicators.fixture_village import TODAY, VILLAGE, basic, build_village


@pytest.fixture
def village(db: Any, actor_of: Any, time_machine: Any) -> dict[str, Any]:
    people = build_village(db, actor_of, time_machine)
    refresh_villages(db, [VILLAGE], today=TODAY)
    return people


def faulty(db: Any, actor: Any) -> dict[str, tuple[str, list[str]]]:
    page = quality_worklist(db, actor, village=VILLAGE, page=PageRequest(size=100))
    return {item.name: (item.status, [r["text"] for r in item.reasons]) for item in page.items}


def test_the_records_manager_sees_the_records_to_fix_with_reasons(db: Any, actor_of: Any, village: Any) -> None:
    assert faulty(db, actor_of("dangan")) == {
        "乙测试": ("invalid", ["个人基本信息表未填写"]),
        "丙测试": ("invalid", ["个人基本信息表缺3项：ABO血型、文化程度、职业"]),
    }


def test_fixing_a_record_takes_it_off_the_list_and_raises_the_qualified_rate(
    db: Any, actor_of: Any, village: Any
) -> None:
    from sqlalchemy import select

    from kangdang.records.models import ServiceRecord

    keeper = actor_of("dangan")
    form = db.scalar(
        select(ServiceRecord).where(
            ServiceRecord.record_id == village["C"].id,
            ServiceRecord.form_code == "personal_basic_info",
            ServiceRecord.superseded_at.is_(None),
        )
    )
    amend_form(db, actor_of("yisheng"), form.id, basic(TODAY), reason="补全血型、文化程度、职业")
    refresh_dirty(db, today=TODAY)
    assert set(faulty(db, keeper)) == {"乙测试"}
    (qualified,) = figures(db, keeper, period="2027Q1", units=[VILLAGE], indicators=["qualified_rate"])
    assert (qualified.numerator, qualified.denominator) == (5, 6)


def test_a_village_doctor_elsewhere_sees_none_and_a_hospital_doctor_is_refused(
    db: Any, actor_of: Any, village: Any
) -> None:
    assert faulty(db, actor_of("cunyi2")) == {}
    with pytest.raises(PermissionDenied):
        quality_worklist(db, actor_of("yiyuan"))


def test_the_quality_page_lists_the_records(client: Any, web_login: Any, village: Any) -> None:
    web_login("dangan")
    page = client.get(f"/quality?village={VILLAGE}")
    assert page.status_code == 200
    assert "丙测试" in page.text and "个人基本信息表缺3项" in page.text
    assert client.get("/api/v1/quality/counts").status_code == 401  # the API wants a token


def test_the_quality_api_lists_the_records(client: Any, api_as: Any, village: Any) -> None:
    found = client.get(f"/api/v1/quality?village={VILLAGE}", headers=api_as("dangan")).json()
    assert {item["name"] for item in found["items"]} == {"乙测试", "丙测试"}
    bad = client.get("/api/v1/quality?village=12", headers=api_as("dangan"))
    assert bad.status_code == 422
