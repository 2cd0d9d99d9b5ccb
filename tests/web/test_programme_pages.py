"""Programme pages: the resident page's 重点人群健康管理 section with suggestions, enrolment through the page
(errors beside the fields, nothing saved), the episode page with its tasks and history, edits and the close."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from kangdang.access.models import AuditEvent
from kangdang.programmes.models import CareTask, Episode
from kangdang.programmes.service import enrol
from tests.helpers import post_form
from tests.residents.factories import file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2027, 3, 2)
EPISODE = re.compile(r"/programmes/episodes/([0-9a-f-]{36})\?saved=enrolled$")


@pytest.fixture(autouse=True)
def in_2027(time_machine: Any) -> None:
    time_machine.move_to(datetime(2027, 3, 2, 9, 30, tzinfo=SHANGHAI), tick=False)


def episodes_of(db: Any, record: Any) -> int:
    return db.scalar(select(func.count()).select_from(Episode).where(Episode.record_id == record.id))


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<small id="e-{field}" class="field-error">([^<]*)</small>', html)
    return found.group(1) if found else ""


def test_the_resident_page_suggests_programmes_with_a_button_to_enrol(db: Any, actor_of: Any, web_login: Any) -> None:
    elder = file_resident(db, actor_of("cunyi"), name="韩长寿", born=date(1958, 5, 1))
    page = web_login("cunyi").get(f"/residents/{elder.id}")
    assert "重点人群健康管理" in page.text and "尚未纳入重点人群健康管理" in page.text
    suggestions = page.text[page.text.index('data-testid="suggestions"') :]
    assert "65岁及以上老年人" in suggestions and "年满65岁" in suggestions
    assert f'href="/residents/{elder.id}/programmes/new?programme=elderly"' in page.text
    # the menu of other programmes leaves out those the resident cannot join (a man of 68: no child, no pregnancy)
    menu = page.text[page.text.index('data-testid="enrol-menu"') :].split("</select>")[0]
    assert 'value="hypertension"' in menu and 'value="child"' not in menu and 'value="maternal"' not in menu


def test_enrolment_shows_errors_beside_the_fields_then_succeeds(db: Any, actor_of: Any, web_login: Any) -> None:
    mother = file_resident(db, actor_of("cunyi"), name="郑孕妇", born=date(1997, 7, 7), sex="2")
    client = web_login("cunyi")
    url = f"/residents/{mother.id}/programmes/new?programme=maternal"
    page = client.get(url)
    assert page.status_code == 200 and "纳入孕产妇健康管理" in page.text
    assert f'value="{TODAY.isoformat()}"' in page.text  # 纳入管理日期 defaults to today
    missing = post_form(client, url, {"enrolled_on": TODAY.isoformat(), "lmp": "", "gestational_weeks": ""})
    assert missing.status_code == 422
    assert field_error(missing.text, "lmp") == "末次月经：请填写末次月经日期，或填写纳入时的孕周"
    wrong = post_form(client, url, {"enrolled_on": "2027-02-30", "gestational_weeks": "50"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "enrolled_on") == "纳入管理日期：请填写正确的日期，如 2026-03-01"
    later = post_form(client, url, {"enrolled_on": "2027-03-03", "gestational_weeks": "50"})
    assert field_error(later.text, "enrolled_on") == "纳入管理日期：不能晚于今天"
    weeks = post_form(client, url, {"enrolled_on": TODAY.isoformat(), "gestational_weeks": "50"})
    assert field_error(weeks.text, "gestational_weeks") == "孕周：应在 1～42 之间"
    assert 'value="50"' in weeks.text  # what was typed stays
    assert episodes_of(db, mother) == 0

    done = post_form(
        client, url, {"enrolled_on": TODAY.isoformat(), "gestational_weeks": "10", "gestational_days": "2"}
    )
    assert done.status_code == 303, done.text[:2000]
    episode_id = EPISODE.search(done.headers["location"]).group(1)  # type: ignore[union-attr]
    page = client.get(done.headers["location"])
    assert "已纳入管理" in page.text and "孕产妇健康管理" in page.text
    assert "末次月经" in page.text and "2026-12-20" in page.text  # 2 March − (10 weeks + 2 days)
    assert "第1次产前检查（孕13周前建册）" in page.text and "纳入管理" in page.text  # task and history
    assert episodes_of(db, mother) == 1
    again = post_form(client, url, {"enrolled_on": TODAY.isoformat(), "gestational_weeks": "11"})
    assert again.status_code == 422 and "该居民已在孕产妇健康管理中" in again.text
    record = client.get(f"/residents/{mother.id}")
    assert f'href="/programmes/episodes/{episode_id}"' in record.text and "管理中" in record.text


def test_a_programme_that_does_not_fit_and_a_missing_fact_are_refused(db: Any, actor_of: Any, web_login: Any) -> None:
    young = file_resident(db, actor_of("cunyi"), name="冯青年", born=date(2000, 1, 1))
    client = web_login("cunyi")
    refused = post_form(
        client, f"/residents/{young.id}/programmes/new?programme=hypertension", {"enrolled_on": TODAY.isoformat()}
    )
    assert refused.status_code == 422 and "高血压患者健康管理的服务对象为35岁及以上的居民" in refused.text
    tb = post_form(client, f"/residents/{young.id}/programmes/new?programme=tuberculosis", {"patient_type": "3"})
    assert field_error(tb.text, "notified_on") == "接到管理通知日期：此项为必填项"
    assert field_error(tb.text, "patient_type") == "患者类型：请选择初治或复治"
    assert episodes_of(db, young) == 0


def test_close_with_an_outcome_and_edit_the_facts(db: Any, actor_of: Any, web_login: Any) -> None:
    cunyi = actor_of("cunyi")
    patient = file_resident(db, cunyi, name="褚结核", born=date(1980, 2, 2))
    episode = enrol(db, cunyi, patient.id, "tuberculosis", details={"notified_on": "2027-03-01"})
    client = web_login("cunyi")
    url = f"/programmes/episodes/{episode.id}"
    page = client.get(url)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "肺结核健康管理" in page.text and "接到管理通知日期" in page.text and "初治" in page.text
    assert 'data-testid="episode-close"' in page.text and "转入耐多药治疗" in page.text
    read = db.scalar(select(AuditEvent).where(AuditEvent.action == "programme.read").order_by(AuditEvent.id.desc()))
    assert read.details["episode_id"] == str(episode.id)

    edited = post_form(
        client,
        f"{url}/edit",
        {"notified_on": "2027-03-01", "treatment_start": "2027-02-26", "patient_type": "2"},
        page_url=url,
    )
    assert edited.status_code == 303
    page = client.get(edited.headers["location"])
    assert "管理信息已保存" in page.text and "复治" in page.text
    assert "开始治疗日期：2027-02-26" in page.text and "患者类型：初治 → 复治" in page.text  # the history
    bad = post_form(client, f"{url}/edit", {"notified_on": "2027-03-01", "treatment_start": "2027-03-09"}, page_url=url)
    assert bad.status_code == 422 and field_error(bad.text, "treatment_start") == "开始治疗日期：不能晚于2027-03-02"

    no_note = post_form(client, f"{url}/close", {"outcome": "other", "closed_on": TODAY.isoformat()}, page_url=url)
    assert no_note.status_code == 422
    assert field_error(no_note.text, "outcome_note") == "说明：结案原因为“其他”时请说明"
    assert db.get(Episode, episode.id).status == "active"
    closed = post_form(
        client,
        f"{url}/close",
        {"outcome": "moved_out", "closed_on": TODAY.isoformat(), "outcome_note": "迁往杭州"},
        page_url=url,
    )
    assert closed.status_code == 303
    page = client.get(closed.headers["location"])
    assert "已结案" in page.text and "迁出" in page.text and "迁往杭州" in page.text
    assert 'data-testid="episode-close"' not in page.text  # a closed episode is not edited any more
    db.expire_all()
    assert not db.scalars(select(CareTask).where(CareTask.episode_id == episode.id, CareTask.status == "open")).all()


def test_who_may_see_and_change_an_episode(db: Any, actor_of: Any, web_login: Any) -> None:
    patient = file_resident(db, actor_of("cunyi"), name="卫高压", born=date(1962, 2, 2))
    episode = enrol(db, actor_of("cunyi"), patient.id, "hypertension")
    url = f"/programmes/episodes/{episode.id}"
    other = web_login("cunyi2")
    assert other.get(url).status_code == 404  # another township's resident: as if missing
    assert other.get(f"/residents/{patient.id}/programmes/new?programme=elderly").status_code == 404
    other.cookies.clear()
    inspector = web_login("ducha")  # reads records, manages no programme
    page = inspector.get(url)
    assert page.status_code == 200 and 'data-testid="episode-close"' not in page.text
    refused = inspector.post(f"{url}/close", data={"outcome": "died"})  # refused before the body (and its CSRF token)
    assert refused.status_code == 403 and "您没有执行此操作的权限" in refused.text
    assert inspector.get(f"/residents/{patient.id}/programmes/new?programme=elderly").status_code == 403
    assert db.get(Episode, episode.id).status == "active"


def test_the_resident_history_tells_programme_changes_in_words(db: Any, actor_of: Any, web_login: Any) -> None:
    record = file_resident(db, actor_of("cunyi"), name="韩记史", born=date(1958, 5, 1))
    enrol(db, actor_of("cunyi"), record.id, "hypertension")
    page = web_login("cunyi").get(f"/residents/{record.id}").text
    assert "纳入重点人群管理" in page
    assert "管理项目：高血压" in page
    assert "programme_episode" not in page
