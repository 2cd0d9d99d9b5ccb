"""Household pages: list and search, create for a resident, edit the living environment with history,
members moving between households, changing the head, and an emptied household staying on file."""

from __future__ import annotations

import itertools
import re
from datetime import date

from sqlalchemy import select

from kangdang.access.models import User
from kangdang.core.idnumber import check_character
from kangdang.institutions.models import Practitioner
from kangdang.residents.models import HealthRecord, Household, HouseholdMember
from kangdang.residents.schemas import ResidentRegistration
from kangdang.residents.service import register_resident
from tests.helpers import post_form

VILLAGE = "330521102200"  # 句城村 (新市镇), the village doctor cunyi's catchment
_serial = itertools.count(301)


def _id_number(born: date, sex: str) -> str:
    n = next(_serial) * 2 + (1 if sex == "1" else 0)
    first17 = f"330521{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def _file(db, actor, name: str, *, born: date = date(1970, 5, 6), sex: str = "1", **extra) -> HealthRecord:
    number = _id_number(born, sex)
    data = {"document_number": number, "name": name, "current_region_code": VILLAGE, "confirm_duplicates": True}
    record = register_resident(db, actor, ResidentRegistration(**(data | extra)))
    record.id_number = number  # type: ignore[attr-defined]  # for the test to type into the page
    return record


def _household_of(db, person_id) -> Household | None:
    return db.scalar(
        select(Household)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.person_id == person_id, HouseholdMember.valid_to.is_(None))
    )


def _name_of(db, login: str) -> str:
    return db.scalar(
        select(Practitioner.name).join(User, User.practitioner_id == Practitioner.id).where(User.login == login)
    )


def _members_table(html: str) -> str:
    found = re.search(r'data-testid="members".*?</table>', html, re.S)
    return found.group(0) if found else ""


def test_create_a_household_for_a_resident_and_find_it_in_the_list(web_login, actor_of, db):
    record = _file(db, actor_of("cunyi"), "钱文海")
    client = web_login("cunyi")
    form = client.get(f"/households/new?head={record.person_id}")
    assert form.status_code == 200 and "钱文海" in form.text
    bad = post_form(
        client,
        "/households/new",
        {"head": str(record.person_id), "region_code": "", "toilet_type": "8"},
        page_url=f"/households/new?head={record.person_id}",
    )
    assert bad.status_code == 422
    assert "此项为必填项" in bad.text and "厕所代码“8”无效" in bad.text
    assert _household_of(db, record.person_id) is None
    created = post_form(
        client,
        "/households/new",
        {"head": str(record.person_id), "region_code": VILLAGE, "address": "句城村 12 号", "fuel_type": "3"},
        page_url=f"/households/new?head={record.person_id}",
    )
    assert created.status_code == 303, created.text[:800]
    household = _household_of(db, record.person_id)
    assert household is not None and created.headers["location"].startswith(f"/households/{household.id}")
    page = client.get(created.headers["location"])
    assert "家庭档案已建立" in page.text
    assert "天然气" in page.text and "句城村 12 号" in page.text
    assert f'href="/residents/{record.id}"' in _members_table(page.text)
    listed = client.get(f"/households?q={household.household_number}")
    assert household.household_number in listed.text and "钱文海" in listed.text
    by_head = client.get("/households?q=钱文")
    assert household.household_number in by_head.text


def test_a_household_is_created_for_a_resident_typed_by_id_number(web_login, actor_of, db):
    record = _file(db, actor_of("cunyi"), "孙玉兰", sex="2")
    client = web_login("cunyi")
    unknown = post_form(client, "/households/new", {"head_lookup": "查无此人", "region_code": VILLAGE})
    assert unknown.status_code == 422 and "未找到“查无此人”" in unknown.text
    created = post_form(client, "/households/new", {"head_lookup": record.id_number, "region_code": VILLAGE})
    assert created.status_code == 303
    assert _household_of(db, record.person_id) is not None


def test_editing_the_living_environment_keeps_old_and_new_values_in_the_history(web_login, actor_of, db):
    record = _file(db, actor_of("cunyi"), "周德明", new_household=True)
    household = _household_of(db, record.person_id)
    assert household is not None
    client = web_login("cunyi")
    url = f"/households/{household.id}/edit"
    first = post_form(client, url, {"kitchen_ventilation": "1", "water_source": "3", "address": "老屋"})
    assert first.status_code == 303
    bad = post_form(client, url, {"kitchen_ventilation": "7", "phone": "abc"})
    assert bad.status_code == 422 and "厨房排风设施代码“7”无效" in bad.text and "格式不正确" in bad.text
    second = post_form(
        client, url, {"kitchen_ventilation": "2", "water_source": "1", "economic_status": "2", "address": "老屋"}
    )
    assert second.status_code == 303
    page = client.get(f"/households/{household.id}")
    assert "油烟机" in page.text and "低保户" in page.text
    history = page.text.split("变更记录", 1)[1]
    assert "厨房排风设施：无 → 油烟机" in history
    assert "饮水：井水 → 自来水" in history
    assert "<div>厨房排风设施：无</div>" in history  # the first value set
    assert _name_of(db, "cunyi") in history


def test_adding_a_resident_of_another_household_moves_them_and_both_histories_record_it(web_login, actor_of, db):
    cunyi = actor_of("cunyi")
    head = _file(db, cunyi, "吴国强", new_household=True)
    mover = _file(db, cunyi, "郑丽华", sex="2", born=date(1972, 8, 9), new_household=True)
    home, old_home = _household_of(db, head.person_id), _household_of(db, mover.person_id)
    assert home is not None and old_home is not None and home.id != old_home.id
    client = web_login("cunyi")
    url = f"/households/{home.id}/members"
    page_url = f"/households/{home.id}"
    missing = post_form(client, url, {"resident": "", "relationship": "12"}, page_url=page_url)
    assert missing.status_code == 422 and "请输入居民的身份证号、档案编号或姓名" in missing.text
    no_relationship = post_form(client, url, {"resident": mover.id_number, "relationship": ""}, page_url=page_url)
    assert no_relationship.status_code == 422 and "请选择与户主关系" in no_relationship.text
    moved = post_form(client, url, {"resident": mover.id_number, "relationship": "12"}, page_url=page_url)
    assert moved.status_code == 303, moved.text[:800]
    db.expire_all()
    assert _household_of(db, mover.person_id).id == home.id  # type: ignore[union-attr]
    page = client.get(page_url)
    assert "郑丽华" in _members_table(page.text) and "妻" in _members_table(page.text)
    assert "加入家庭：郑丽华" in page.text.split("变更记录", 1)[1]
    old_page = client.get(f"/households/{old_home.id}")
    assert "该家庭目前没有成员" in old_page.text
    assert "离开家庭：郑丽华" in old_page.text.split("变更记录", 1)[1]
    assert "郑丽华" in old_page.text.split("原成员", 1)[1]
    again = post_form(client, url, {"resident": mover.record_number, "relationship": "12"}, page_url=page_url)
    assert again.status_code == 422 and "该居民已是本家庭成员" in again.text


def test_an_ambiguous_name_is_refused_when_adding_a_member(web_login, actor_of, db):
    cunyi = actor_of("cunyi")
    head = _file(db, cunyi, "冯建华", new_household=True)
    _file(db, cunyi, "陈小明", born=date(1990, 1, 2))
    _file(db, cunyi, "陈小明", born=date(1991, 3, 4))
    home = _household_of(db, head.person_id)
    client = web_login("cunyi")
    response = post_form(
        client,
        f"/households/{home.id}/members",
        {"resident": "陈小明", "relationship": "20"},  # type: ignore[union-attr]
        page_url=f"/households/{home.id}",  # type: ignore[union-attr]
    )
    assert response.status_code == 422
    assert "对应 2 位居民，请输入身份证号或档案编号" in response.text


def test_changing_the_head_and_removing_the_last_member_keeps_the_household_listed(web_login, actor_of, db):
    cunyi = actor_of("cunyi")
    head = _file(db, cunyi, "何永福", new_household=True)
    home = _household_of(db, head.person_id)
    assert home is not None
    son = _file(db, cunyi, "何家辉", born=date(1995, 2, 3), household_id=home.id, relationship="22")
    client = web_login("cunyi")
    page_url = f"/households/{home.id}"
    bad = post_form(
        client, f"{page_url}/head", {"new_head_id": str(son.person_id), "old_head_relationship": ""}, page_url=page_url
    )
    assert bad.status_code == 422 and "请选择原户主与新户主的关系" in bad.text
    changed = post_form(
        client,
        f"{page_url}/head",
        {"new_head_id": str(son.person_id), "old_head_relationship": "51"},
        page_url=page_url,
    )
    assert changed.status_code == 303
    db.expire_all()
    assert db.get(Household, home.id).head_person_id == son.person_id  # type: ignore[union-attr]
    page = client.get(changed.headers["location"])
    assert "户主已更换" in page.text and "户主 何家辉" in page.text
    assert "父亲" in _members_table(page.text)
    assert "户主：何永福 → 何家辉" in page.text.split("变更记录", 1)[1]
    for person_id in (head.person_id, son.person_id):
        removed = post_form(client, f"{page_url}/members/{person_id}/remove", {}, page_url=page_url)
        assert removed.status_code == 303
    page = client.get(page_url)
    assert "该家庭目前没有成员" in page.text and "（暂无户主）" in page.text
    listed = client.get(f"/households?q={home.household_number}")
    row = re.search(rf"<tr>\s*<td><a href=\"/households/{home.id}\">.*?</tr>", listed.text, re.S)
    assert row is not None and '<td class="num">0</td>' in row.group(0)


def test_households_of_another_township_are_not_found(web_login, actor_of, db):
    record = _file(db, actor_of("cunyi"), "林海生", new_household=True)
    household = _household_of(db, record.person_id)
    client = web_login("cunyi2")
    assert client.get(f"/households/{household.id}").status_code == 404  # type: ignore[union-attr]
    assert household.household_number not in client.get("/households").text  # type: ignore[union-attr]
    jigou = web_login("jigou")
    assert jigou.get("/households").status_code == 403
