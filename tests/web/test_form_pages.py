"""The generic form pages: fill, see errors beside fields, sign, view, amend, void, print, the timeline."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

from kangdang.core.clock import today_local
from kangdang.records.models import ServiceRecord
from tests.helpers import csrf_from, post_form
from tests.residents.factories import file_resident

FILED = date(2020, 1, 1)
FORM_ID = re.compile(r"/forms/([0-9a-f-]{36})")


def filled(**changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "visit_date": (today_local() - timedelta(days=2)).isoformat(),
        "visit_mode": "2",
        "symptoms": ["2", "4"],
        "sbp": "139",
        "dbp": "89",
        "weight": "65",
        "height": "160",
        "medication_adherence": "1",
        "adverse_reaction": "1",
        "medicines.0.name": "缬沙坦胶囊",
        "medicines.0.times_per_day": "1",
        "medicines.0.dose": "80",
        "intent": "sign",
    }
    data.update(changes)
    return data


def test_a_village_doctor_fills_signs_and_prints_a_follow_up(db: Any, actor_of: Any, web_login: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="沈秀英", born=date(1962, 8, 1), sex="2", filed_on=FILED)
    client = web_login("cunyi")
    page = client.get(f"/residents/{record.id}")
    assert "高血压患者随访服务记录表" in page.text and "建档未完成" in page.text
    url = f"/residents/{record.id}/forms/new?form=hypertension_followup"
    form_page = client.get(url)
    assert form_page.status_code == 200
    assert 'name="sbp"' in form_page.text and "mmHg" in form_page.text
    assert f'value="{today_local().isoformat()}"' in form_page.text  # today as the default date
    response = post_form(client, url, filled())
    assert response.status_code == 303, re.findall(r'class="field-error">([^<]*)', response.text)
    form_id = FORM_ID.search(response.headers["location"]).group(1)  # type: ignore[union-attr]
    view = client.get(f"/forms/{form_id}")
    assert "已签名" in view.text and "控制满意" in view.text  # 139/89 is below 140/90
    assert "缬沙坦胶囊" in view.text and "头痛头晕、眼花耳鸣" in view.text
    record_page = client.get(f"/residents/{record.id}")
    assert f"/forms/{form_id}" in record_page.text
    pdf = client.get(f"/forms/{form_id}/print.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_errors_show_beside_their_fields_and_nothing_is_saved(db: Any, actor_of: Any, web_login: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="钱国强", born=date(1955, 2, 3), filed_on=FILED)
    client = web_login("cunyi")
    url = f"/residents/{record.id}/forms/new?form=hypertension_followup"
    before = db.query(ServiceRecord).count()
    response = post_form(client, url, filled(sbp="120", dbp="130", visit_mode=""))
    assert response.status_code == 422
    assert "舒张压：应低于收缩压" in response.text
    assert "随访方式：此项为必填项" in response.text
    assert 'value="120"' in response.text  # what was typed stays
    assert db.query(ServiceRecord).count() == before


def test_amending_keeps_both_versions_and_voiding_marks_the_form(db: Any, actor_of: Any, web_login: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="陆美华", born=date(1950, 1, 9), sex="2", filed_on=FILED)
    client = web_login("cunyi")
    created = post_form(client, f"/residents/{record.id}/forms/new?form=hypertension_followup", filled())
    form_id = FORM_ID.search(created.headers["location"]).group(1)  # type: ignore[union-attr]
    no_reason = post_form(client, f"/forms/{form_id}/amend", filled(sbp="160", reason=""))
    assert no_reason.status_code == 422 and "修订原因：此项为必填项" in no_reason.text
    amended = post_form(client, f"/forms/{form_id}/amend", filled(sbp="160", reason="血压抄录错误"))
    assert amended.status_code == 303
    new_id = FORM_ID.search(amended.headers["location"]).group(1)  # type: ignore[union-attr]
    view = client.get(f"/forms/{new_id}")
    assert "第 2 版" in view.text and "血压抄录错误" in view.text
    assert "控制不满意" in view.text  # 160 ≥ 150, the target at 76
    old = client.get(f"/forms/{form_id}")
    assert "已被修订" in old.text and "修订" in old.text
    manager = web_login("dangan")
    page = manager.get(f"/forms/{new_id}")
    voided = manager.post(
        f"/forms/{new_id}/void", data={"reason": "重复录入", "csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert voided.status_code == 303
    assert "已作废" in manager.get(f"/forms/{new_id}").text


def test_another_township_doctor_cannot_open_the_form(db: Any, actor_of: Any, web_login: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="费建华", born=date(1960, 6, 6), filed_on=FILED)
    client = web_login("cunyi")
    created = post_form(client, f"/residents/{record.id}/forms/new?form=hypertension_followup", filled())
    form_id = FORM_ID.search(created.headers["location"]).group(1)  # type: ignore[union-attr]
    other = web_login("cunyi2")
    assert other.get(f"/forms/{form_id}").status_code == 404
    assert other.get(f"/forms/{form_id}/print.pdf").status_code == 404
    assert other.get(f"/residents/{record.id}/forms/new?form=hypertension_followup").status_code == 404


def test_a_signed_form_cannot_be_changed_through_the_page(db: Any, actor_of: Any, web_login: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="褚国平", born=date(1958, 9, 9), filed_on=FILED)
    client = web_login("cunyi")
    created = post_form(client, f"/residents/{record.id}/forms/new?form=hypertension_followup", filled())
    form_id = FORM_ID.search(created.headers["location"]).group(1)  # type: ignore[union-attr]
    assert client.get(f"/forms/{form_id}/edit", follow_redirects=False).status_code == 303  # back to the view
    changed = post_form(client, f"/forms/{form_id}/edit", filled(sbp="180"), page_url=f"/forms/{form_id}")
    assert changed.status_code == 409 and "该表单已签名，不能再修改" in changed.text
    row = db.get(ServiceRecord, uuid.UUID(form_id))
    db.refresh(row)
    assert row.answers["sbp"] == 139 and row.status == "completed"
