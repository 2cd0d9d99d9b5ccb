"""Pages: the staff page's 培训记录 section and the institution page's 档案管理责任人 section."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import select

from kangdang.access.models import User
from kangdang.core.clock import today_local
from kangdang.institutions.models import Institution
from kangdang.institutions.models_training import RecordsKeeper, TrainingRecord
from tests.helpers import post_form

XINSHI_CENTRE = "330521102-01"


def _pid(db, login: str) -> uuid.UUID:
    return db.scalar(select(User.practitioner_id).where(User.login == login))


def _centre(db) -> uuid.UUID:
    return db.scalar(select(Institution.id).where(Institution.code == XINSHI_CENTRE))


def _training_form(**changes: str) -> dict[str, str]:
    return {
        "course": "居民健康档案管理培训",
        "held_on": (today_local() - timedelta(days=10)).isoformat(),
        "hours": "8",
        "score": "88.5",
        "passed": "1",
        "organiser": "德清县卫生健康局",
        "certificate_no": "DQ-2026-007",
    } | changes


def test_jigou_adds_a_training_for_a_staff_member_and_designates_them(web_login, db):
    client = web_login("jigou")
    yisheng, centre = _pid(db, "yisheng"), _centre(db)

    page = client.get(f"/staff/{yisheng}")
    assert page.status_code == 200 and "培训记录" in page.text and "暂无培训记录" in page.text
    response = post_form(client, f"/staff/{yisheng}/training", _training_form(), page_url=f"/staff/{yisheng}")
    assert response.status_code == 303 and response.headers["location"].startswith(f"/staff/{yisheng}?saved=training")
    page = client.get(response.headers["location"])
    assert "已添加培训记录" in page.text
    table = page.text.split('data-testid="training"', 1)[1].split("</table>", 1)[0]
    assert "居民健康档案管理培训" in table and "88.5" in table and "合格" in table and "DQ-2026-007" in table

    page = client.get(f"/institutions/{centre}")
    assert "档案管理责任人" in page.text
    assert re.search(rf'<option value="{yisheng}"[^>]*>[^<（]+</option>', page.text), "yisheng is now eligible"
    response = post_form(
        client, f"/institutions/{centre}/keepers", {"practitioner_id": str(yisheng)}, page_url=f"/institutions/{centre}"
    )
    assert response.status_code == 303
    page = client.get(f"/institutions/{centre}")
    keepers = page.text.split('data-testid="keepers"', 1)[1].split("</table>", 1)[0]
    assert f"/staff/{yisheng}" in keepers and "居民健康档案管理培训" in keepers and "88.5 分" in keepers
    keeper = db.scalar(select(RecordsKeeper).where(RecordsKeeper.practitioner_id == yisheng))
    assert keeper.valid_to is None and keeper.designated_by == "jigou"


def test_designating_someone_without_a_passed_training_shows_the_chinese_reason(web_login, db):
    client = web_login("jigou")
    yisheng, centre = _pid(db, "yisheng"), _centre(db)
    page = client.get(f"/institutions/{centre}")
    assert re.search(rf'<option value="{yisheng}"[^>]*>[^<]*（无合格培训记录）</option>', page.text)
    response = post_form(
        client, f"/institutions/{centre}/keepers", {"practitioner_id": str(yisheng)}, page_url=f"/institutions/{centre}"
    )
    assert response.status_code == 422
    assert "该人员没有合格的档案管理培训记录，不能指定为档案管理责任人" in response.text
    assert db.scalar(select(RecordsKeeper.id).where(RecordsKeeper.practitioner_id == yisheng)) is None


def test_an_invalid_training_form_is_shown_again_with_field_errors(web_login, db):
    client = web_login("jigou")
    yisheng = _pid(db, "yisheng")
    future = (today_local() + timedelta(days=3)).isoformat()
    response = post_form(
        client, f"/staff/{yisheng}/training", _training_form(held_on=future), page_url=f"/staff/{yisheng}"
    )
    assert response.status_code == 422 and "培训日期不能晚于今天" in response.text
    response = post_form(
        client, f"/staff/{yisheng}/training", _training_form(score="101"), page_url=f"/staff/{yisheng}"
    )
    assert response.status_code == 422 and "不能大于 100" in response.text
    assert db.scalar(select(TrainingRecord.id).where(TrainingRecord.practitioner_id == yisheng)) is None


def test_withdrawing_a_training_and_ending_a_designation_through_the_pages(web_login, db):
    client = web_login("jigou")
    dangan, centre = _pid(db, "dangan"), _centre(db)
    training = db.scalar(select(TrainingRecord).where(TrainingRecord.practitioner_id == dangan))
    response = post_form(
        client,
        f"/staff/{dangan}/training/{training.id}/withdraw",
        {"reason": "证书编号录错"},
        page_url=f"/staff/{dangan}",
    )
    assert response.status_code == 303
    page = client.get(f"/staff/{dangan}")
    assert "已撤销" in page.text and "证书编号录错" in page.text
    keeper = db.scalar(select(RecordsKeeper).where(RecordsKeeper.practitioner_id == dangan))
    page = client.get(f"/institutions/{centre}")
    assert "无有效的合格培训记录" in page.text  # the keeper's training was withdrawn: the page flags it
    response = post_form(
        client, f"/institutions/{centre}/keepers/{keeper.id}/end", {"reason": ""}, page_url=f"/institutions/{centre}"
    )
    assert response.status_code == 422 and "请填写结束原因" in response.text
    response = post_form(
        client,
        f"/institutions/{centre}/keepers/{keeper.id}/end",
        {"reason": "培训记录已撤销"},
        page_url=f"/institutions/{centre}",
    )
    assert response.status_code == 303
    db.refresh(keeper)
    assert keeper.reason_ended == "培训记录已撤销"
    assert "尚未指定档案管理责任人" in client.get(f"/institutions/{centre}").text


def test_a_village_doctor_sees_the_keepers_but_no_forms(web_login, db):
    client = web_login("cunyi")
    page = client.get(f"/institutions/{_centre(db)}")
    assert page.status_code == 200 and 'data-testid="keepers"' in page.text
    assert "/keepers/" not in page.text and 'action="/institutions/' not in page.text
    page = client.get(f"/staff/{_pid(db, 'dangan')}")
    assert 'data-testid="training"' in page.text and "/training" not in page.text.split('data-testid="training"')[1]


def test_the_aggregate_viewer_sees_the_institution_but_no_keepers(web_login, db):
    client = web_login("tongji")
    page = client.get(f"/institutions/{_centre(db)}")
    assert page.status_code == 200 and "档案管理责任人" not in page.text
    assert 'href="/staff' not in page.text
