"""The worklist page (随访任务) and the home-visit list PDF: a village doctor sees their own residents' tasks and
opens the right form from one; another township's doctor does not; the township sees both villages by village
and doctor; the day's list prints with Chinese text, full phone numbers (audited) and the last values."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kangdang.access.models import AuditEvent
from kangdang.programmes.models import CareTask
from kangdang.programmes.service import enrol
from kangdang.programmes.visit_list import home_visit_list
from kangdang.programmes.worklist import WorkFilter
from kangdang.records.service import save_form
from tests.programmes.test_hypertension_episode import followup
from tests.residents.factories import MOGANSHAN_VILLAGE, XINSHI_OTHER, XINSHI_VILLAGE, file_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENROLLED = date(2027, 1, 4)
TODAY = date(2027, 2, 1)
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def patients(db: Any, actor_of: Any, time_machine: Any) -> dict[str, Any]:
    """Hypertension patients enrolled on 4 January 2027: 甲 and 丁 in cunyi's 句城村, 乙 in 梅林村 (新市镇, filed
    by the township doctor), 丙 in cunyi2's 莫干山镇 village. 丁 was seen on 20 January at 150/95."""
    time_machine.move_to(at(ENROLLED), tick=False)
    cunyi, cunyi2, yisheng = actor_of("cunyi"), actor_of("cunyi2"), actor_of("yisheng")
    late = file_resident(db, cunyi, name="甲逾期", born=date(1960, 2, 3), phone="13905721234")
    seen = file_resident(db, cunyi, name="丁复查", born=date(1958, 6, 9), current_address="句城村3组12号")
    other = file_resident(db, yisheng, name="乙梅林", born=date(1961, 2, 3), village=XINSHI_OTHER)
    far = file_resident(db, cunyi2, name="丙他乡", born=date(1962, 2, 3), village=MOGANSHAN_VILLAGE)
    for doctor, record in ((cunyi, late), (cunyi, seen), (yisheng, other), (cunyi2, far)):
        enrol(db, doctor, record.id, "hypertension")
    time_machine.move_to(at(date(2027, 1, 20)), tick=False)
    save_form(db, cunyi, seen.id, "hypertension_followup", followup(date(2027, 1, 20), 150, 95), sign=True)
    time_machine.move_to(at(TODAY), tick=False)
    return {"late": late, "seen": seen, "other": other, "far": far}


def every_page(client: Any, url: str) -> str:
    """The worklist's rows over all its pages (demo residents may have tasks of their own)."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text[:300]
        pages.append(response.text)
        found = NEXT.search(response.text)
        url = found.group(1).replace("&amp;", "&") if found else ""
        assert len(pages) < 100
    return "\n".join(pages)


def test_a_village_doctor_sees_their_own_residents_task_with_a_link_to_the_form(
    db: Any, web_login: Any, patients: Any
) -> None:
    client = web_login("cunyi")
    home = client.get("/")
    assert 'href="/worklist"' in home.text and "随访任务" in home.text
    page = client.get("/worklist?state=overdue&programme=hypertension")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'aria-current="page" data-state="overdue"' in page.text
    rows = every_page(client, "/worklist?state=overdue&programme=hypertension")
    late = patients["late"]
    assert "甲逾期" in rows and "逾期 14 天" in rows  # due 18 January (enrolment + 14 days)
    assert "乙梅林" not in rows and "丙他乡" not in rows
    task = db.scalar(select(CareTask).where(CareTask.record_id == late.id, CareTask.key == "followup:1"))
    assert f"/residents/{late.id}/forms/new?form=hypertension_followup&amp;task={task.id}" in rows
    # 丁: 第1次控制不满意 on 20 January → recheck due 3 February, this week
    due = every_page(client, "/worklist?state=due&programme=hypertension")
    assert "丁复查" in due and "2周内复查" in due and "第1次控制不满意：调整用药，2周内随访" in due
    assert "丁复查" not in rows  # nothing of 丁's is overdue
    assert 'data-testid="worklist-summary"' not in page.text  # a village doctor has no summary


def test_another_townships_doctor_does_not_see_them(web_login: Any, patients: Any) -> None:
    client = web_login("cunyi2")
    rows = every_page(client, "/worklist?programme=hypertension")
    assert "丙他乡" in rows
    assert "甲逾期" not in rows and "丁复查" not in rows and "乙梅林" not in rows
    village = every_page(client, f"/worklist?village={XINSHI_VILLAGE}")  # a village outside the scope: nothing
    assert "甲逾期" not in village and "丁复查" not in village


def test_the_township_sees_both_villages_by_village_and_doctor(web_login: Any, patients: Any) -> None:
    client = web_login("yisheng")
    page = client.get("/worklist?programme=hypertension")
    assert 'data-testid="worklist-summary"' in page.text
    assert f'data-village="{XINSHI_VILLAGE}"' in page.text and f'data-village="{XINSHI_OTHER}"' in page.text
    assert f'data-village="{MOGANSHAN_VILLAGE}"' not in page.text
    assert "孟琴佳" in page.text and "林娜" in page.text  # the managing doctors: cunyi and yisheng
    filtered = every_page(client, f"/worklist?programme=hypertension&village={XINSHI_OTHER}")
    assert "乙梅林" in filtered and "甲逾期" not in filtered and "丙他乡" not in filtered
    both = every_page(client, "/worklist?programme=hypertension&state=overdue")
    assert "乙梅林" in both and "甲逾期" in both and "丙他乡" not in both


def test_county_roles_see_the_summary_and_others_no_worklist(web_login: Any, patients: Any) -> None:
    client = web_login("xianju")
    page = client.get("/worklist?programme=hypertension")
    assert page.status_code == 200 and f'data-village="{MOGANSHAN_VILLAGE}"' in page.text
    assert 'data-testid="fill-task"' not in page.text  # the county reads; it does not fill forms
    client.cookies.clear()
    viewer = web_login("tongji")
    assert viewer.get("/worklist").status_code == 403
    assert 'href="/worklist"' not in viewer.get("/").text
    assert viewer.get("/worklist/visit-list.pdf").status_code == 403


def test_the_task_link_opens_the_form_with_the_tasks_preset(
    db: Any, actor_of: Any, web_login: Any, time_machine: Any
) -> None:
    """A pregnancy enrolled at 10 weeks: on 1 February (14 weeks) the 2nd antenatal visit (16–20 weeks) is coming up;
    its link opens the antenatal follow-up with 随访次数 = 2."""
    time_machine.move_to(at(ENROLLED), tick=False)
    mother = file_resident(db, actor_of("cunyi"), name="孕妇李", born=date(1996, 4, 2), sex="2")
    enrol(db, actor_of("cunyi"), mother.id, "maternal", details={"gestational_weeks": "10"})
    time_machine.move_to(at(TODAY), tick=False)
    task = db.scalar(select(CareTask).where(CareTask.record_id == mother.id, CareTask.key == "antenatal:2"))
    assert task.preset == {"visit_number": "2"}
    client = web_login("cunyi")
    link = f"/residents/{mother.id}/forms/new?form=antenatal_followup&task={task.id}"
    assert link.replace("&", "&amp;") in every_page(client, "/worklist?state=upcoming&programme=maternal")
    form = client.get(link)
    assert form.status_code == 200
    assert re.search(r'name="visit_number".*?<option value="2" selected>', form.text, re.S)
    plain = client.get(f"/residents/{mother.id}/forms/new?form=antenatal_followup")
    assert not re.search(r'name="visit_number".*?<option value="2" selected>', plain.text, re.S)
    client.cookies.clear()
    # another township's doctor cannot use the task (nor see the resident)
    assert web_login("cunyi2").get(link).status_code == 404


def test_the_home_visit_list_prints_chinese_text_full_phones_and_last_values(
    db: Any, actor_of: Any, web_login: Any, patients: Any
) -> None:
    import pypdfium2 as pdfium

    client = web_login("cunyi")
    page = client.get("/worklist")
    assert 'action="/worklist/visit-list.pdf"' in page.text and "打印入户随访清单" in page.text
    response = client.get(
        f"/worklist/visit-list.pdf?day={TODAY.isoformat()}&programme=hypertension&village={XINSHI_VILLAGE}"
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    document = pdfium.PdfDocument(response.content)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    first = document[0]
    assert first.get_width() > first.get_height()  # A4 landscape
    document.close()
    assert "入户随访清单" in text and "2027年2月1日" in text and "孟琴佳" in text
    assert "甲逾期" in text and "13905721234" in text  # the full number: it is needed to visit
    assert "丁复查" in text and "150/95" in text and "句城村3组12号" in text
    assert "丙他乡" not in text and "乙梅林" not in text
    assert "第 1 页" in text
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "worklist.print").order_by(AuditEvent.id.desc()))
    assert str(patients["late"].person_id) in event.details["person_ids"]
    assert event.details["filters"] == {"programme": "hypertension", "village": XINSHI_VILLAGE}


def test_the_visit_list_gives_one_row_per_resident_with_weeks_and_months(
    db: Any, actor_of: Any, time_machine: Any
) -> None:
    time_machine.move_to(at(ENROLLED), tick=False)
    cunyi = actor_of("cunyi")
    mother = file_resident(db, cunyi, name="孕妇周", born=date(1994, 3, 2), sex="2")
    enrol(db, cunyi, mother.id, "maternal", details={"lmp": "2026-10-26"})
    elder = file_resident(db, cunyi, name="双病王", born=date(1950, 3, 2))
    enrol(db, cunyi, elder.id, "hypertension")
    enrol(db, cunyi, elder.id, "diabetes")
    baby = file_resident(db, cunyi, name="宝宝陈", born=date(2026, 12, 1), sex="2")
    enrol(db, cunyi, baby.id, "child")
    time_machine.move_to(at(TODAY), tick=False)
    rows = {r.name: r for r in home_visit_list(db, cunyi, day=TODAY, filters=WorkFilter(village_code=XINSHI_VILLAGE))}
    # 26 October → 1 February is 98 days: 14 weeks + 0 days; 第1次产前检查 was due before 13 weeks (24 January)
    assert rows["孕妇周"].gestation == "孕14+0周"
    assert any(t.title.startswith("第1次产前检查") and t.state == "overdue" for t in rows["孕妇周"].due)
    both = rows["双病王"]
    assert {t.programme for t in both.due} == {"hypertension", "diabetes"}  # one row, every task due
    assert rows["宝宝陈"].age_months == 2
    assert both.address == both.village_name == "句城村委会"  # no address on file: the village's name
