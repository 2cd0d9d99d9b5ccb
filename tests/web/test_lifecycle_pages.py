"""Lifecycle pages of a record: transfer (confirmed or returned by the receiving side), closure and reopening,
the transfer worklist, and who may not use them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import func, select

from kangdang.access.actor import system_actor
from kangdang.core.clock import today_local
from kangdang.core.idnumber import check_character
from kangdang.institutions.models import Institution, Membership
from kangdang.institutions.schemas import AccountCreate
from kangdang.institutions.staff import create_account
from kangdang.residents.models import HealthRecord, RecordTransfer, ResidentChange
from kangdang.residents.schemas import ResidentRegistration
from kangdang.residents.service import register_resident
from tests.conftest import DEMO_PASSWORD
from tests.helpers import post_form

VILLAGE = "330521102200"  # 句城村 (新市镇)
OTHER_VILLAGE = "330521102201"  # 梅林村 (新市镇), served by 梅林卫生室
MOGANSHAN_VILLAGE = "330521115200"  # 高峰村 (莫干山镇), served by 高峰卫生室 where cunyi2 works
_serial = itertools.count(401)


def _file(db, actor, name: str, *, born: date = date(1966, 4, 5), sex: str = "1") -> HealthRecord:
    n = next(_serial) * 2 + (1 if sex == "1" else 0)
    first17 = f"330521{born:%Y%m%d}{n % 1000:03d}"
    data = {
        "document_number": first17 + check_character(first17),
        "name": name,
        "current_region_code": VILLAGE,
        "confirm_duplicates": True,
    }
    return register_resident(db, actor, ResidentRegistration(**data))


def _institution_id(db, code: str) -> str:
    return str(db.scalar(select(Institution.id).where(Institution.code == code)))


def _moganshan_records_manager(db) -> str:
    """A records manager (档案管理员) account at 莫干山镇中心卫生院, the receiving side of a transfer."""
    practitioner_id = db.scalar(
        select(Membership.practitioner_id)
        .join(Institution, Institution.id == Membership.institution_id)
        .where(Institution.code == "330521115-01", Membership.role == "records_manager")
    )
    create_account(db, system_actor(), practitioner_id, AccountCreate(login="dangan-mgs", password=DEMO_PASSWORD))
    db.flush()
    return "dangan-mgs"


def _transfers(db, record_id) -> list[RecordTransfer]:
    db.expire_all()
    return list(db.scalars(select(RecordTransfer).where(RecordTransfer.record_id == record_id)))


def _actions(db, person_id, entity: str) -> list[str]:
    return list(
        db.scalars(
            select(ResidentChange.action)
            .where(ResidentChange.person_id == person_id, ResidentChange.entity == entity)
            .order_by(ResidentChange.at, ResidentChange.id)
        )
    )


def test_a_record_transferred_to_another_township_is_confirmed_there_and_keeps_its_number(
    web_login, actor_of, db, client
):
    record = _file(db, actor_of("dangan"), "蒋志远")
    number, record_id = record.record_number, record.id
    receiver = _moganshan_records_manager(db)
    gaofeng = _institution_id(db, f"{MOGANSHAN_VILLAGE}-01")
    url = f"/residents/{record_id}/transfer"

    web_login("dangan")
    page = client.get(url)
    assert page.status_code == 200 and "蒋志远" in page.text
    assert f"{number[:6]}-{number[6:9]}-{number[9:12]}-{number[12:]}" in page.text
    receivers = client.get(f"{url}/receivers?to_village_code={MOGANSHAN_VILLAGE}")
    assert "高峰卫生室" in receivers.text and "句城卫生室" not in receivers.text
    empty = post_form(client, url, {"to_institution_id": "", "to_village_code": "", "reason": ""})
    assert empty.status_code == 422 and "此项为必填项" in empty.text and "迁移申请未提交" in empty.text
    wrong = post_form(client, url, {"to_institution_id": gaofeng, "to_village_code": OTHER_VILLAGE, "reason": "迁居"})
    assert wrong.status_code == 422 and "接收机构的服务范围不包括该村/居委会" in wrong.text
    assert _transfers(db, record_id) == []
    sent = post_form(
        client,
        url,
        {"to_institution_id": gaofeng, "to_village_code": MOGANSHAN_VILLAGE, "reason": "随子女迁居莫干山镇"},
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/residents/{record_id}"
    outgoing = client.get("/transfers?direction=outgoing")
    assert "蒋志远" in outgoing.text and "撤回" in outgoing.text
    assert 'data-testid="pending-outgoing">1<' in outgoing.text
    again = post_form(client, url, {"to_institution_id": gaofeng, "to_village_code": MOGANSHAN_VILLAGE, "reason": "x"})
    assert again.status_code == 422 and "该档案已有待确认的迁移申请" in again.text

    web_login("cunyi2")  # the receiving village's doctor cannot see the record before it is confirmed
    assert client.get(f"/residents/{record_id}/close").status_code == 404

    web_login(receiver)
    incoming = client.get("/transfers")
    assert incoming.status_code == 200 and "蒋志远" in incoming.text and "确认迁入" in incoming.text
    assert 'data-testid="pending-incoming">1<' in incoming.text
    (transfer,) = _transfers(db, record_id)
    confirmed = post_form(client, f"/transfers/{transfer.id}/confirm", {}, page_url="/transfers")
    assert confirmed.status_code == 303
    done = client.get(confirmed.headers["location"])
    assert "已确认迁入" in done.text and 'data-testid="pending-incoming">0<' in done.text
    assert "已确认" in client.get("/transfers?status=confirmed").text

    db.expire_all()
    moved = db.get(HealthRecord, record_id)
    assert moved.record_number == number  # type: ignore[union-attr]
    assert (str(moved.managing_institution_id), moved.village_code) == (gaofeng, MOGANSHAN_VILLAGE)  # type: ignore[union-attr]
    assert _actions(db, moved.person_id, "transfer") == ["request", "confirm"]  # type: ignore[union-attr]
    web_login("cunyi2")  # now in the village doctor's territory: visible, but closing is not theirs
    assert client.get(f"/residents/{record_id}/close").status_code == 403
    web_login("dangan")  # the sending township no longer sees it
    assert client.get(url).status_code == 404


def test_a_transfer_within_the_township_is_returned_with_a_reason_or_withdrawn(web_login, actor_of, db):
    record = _file(db, actor_of("dangan"), "韩美玲", sex="2")
    meilin = _institution_id(db, f"{OTHER_VILLAGE}-01")
    client = web_login("dangan")
    url = f"/residents/{record.id}/transfer"
    fields = {"to_institution_id": meilin, "to_village_code": OTHER_VILLAGE, "reason": "搬到梅林村"}
    assert post_form(client, url, fields).status_code == 303
    (transfer,) = _transfers(db, record.id)
    incoming = client.get("/transfers?direction=incoming")
    assert "韩美玲" in incoming.text and "退回" in incoming.text
    no_reason = post_form(client, f"/transfers/{transfer.id}/return", {"note": " "}, page_url="/transfers")
    assert no_reason.status_code == 422 and "请填写退回原因" in no_reason.text
    assert _transfers(db, record.id)[0].status == "pending"
    returned = post_form(client, f"/transfers/{transfer.id}/return", {"note": "查无此人"}, page_url="/transfers")
    assert returned.status_code == 303
    (transfer,) = _transfers(db, record.id)
    assert (transfer.status, transfer.decision_note) == ("returned", "查无此人")
    assert db.get(HealthRecord, record.id).village_code == VILLAGE  # type: ignore[union-attr]
    listed = client.get("/transfers?status=returned")
    assert "韩美玲" in listed.text and "查无此人" in listed.text
    twice = post_form(client, f"/transfers/{transfer.id}/confirm", {}, page_url="/transfers")
    assert twice.status_code == 422 and "该迁移申请已处理" in twice.text

    assert post_form(client, url, fields).status_code == 303
    page = client.get(url)
    assert "该档案已有待确认的迁移申请" in page.text
    pending = next(t for t in _transfers(db, record.id) if t.status == "pending")
    withdrawn = post_form(client, f"/transfers/{pending.id}/cancel", {"next": f"/residents/{record.id}"}, page_url=url)
    assert withdrawn.status_code == 303 and withdrawn.headers["location"] == f"/residents/{record.id}"
    assert sorted(t.status for t in _transfers(db, record.id)) == ["cancelled", "returned"]
    assert _actions(db, record.person_id, "transfer") == ["request", "return", "request", "cancel"]


def test_closing_a_record_for_death_and_reopening_it(web_login, actor_of, db):
    record = _file(db, actor_of("dangan"), "曹德胜", born=date(1940, 1, 2))
    client = web_login("dangan")
    url = f"/residents/{record.id}/close"
    page = client.get(url)
    assert page.status_code == 200 and "曹德胜" in page.text and "死亡" in page.text
    tomorrow = (today_local() + timedelta(days=1)).isoformat()
    bad = post_form(client, url, {"reason": "", "closed_on": tomorrow, "note": ""})
    assert bad.status_code == 422 and "请选择注销原因" in bad.text
    future = post_form(client, url, {"reason": "1", "closed_on": tomorrow, "note": ""})
    assert future.status_code == 422 and "注销日期不能晚于今天" in future.text
    db.expire_all()
    assert db.get(HealthRecord, record.id).status == "active"  # type: ignore[union-attr]
    closed = post_form(client, url, {"reason": "1", "closed_on": today_local().isoformat(), "note": "病故"})
    assert closed.status_code == 303 and closed.headers["location"] == f"/residents/{record.id}"
    db.expire_all()
    kept = db.get(HealthRecord, record.id)
    assert (kept.status, kept.closure_reason, kept.closure_note) == ("closed", "1", "病故")  # type: ignore[union-attr]
    assert "该档案已注销" in client.get(url).text

    reopen = f"/residents/{record.id}/reopen"
    blank = post_form(client, reopen, {"reason": ""})
    assert blank.status_code == 422 and "此项为必填项" in blank.text
    reopened = post_form(client, reopen, {"reason": "误报死亡，居民健在"})
    assert reopened.status_code == 303 and reopened.headers["location"] == f"/residents/{record.id}"
    db.expire_all()
    assert db.get(HealthRecord, record.id).status == "active"  # type: ignore[union-attr]
    assert _actions(db, record.person_id, "record") == ["file", "close", "reopen"]
    assert "该档案未注销" in client.get(reopen).text


def test_a_village_doctor_may_not_close_or_transfer_records(web_login, actor_of, db):
    record = _file(db, actor_of("cunyi"), "魏秀英", sex="2")
    client = web_login("cunyi")
    assert client.get(f"/residents/{record.id}/close").status_code == 403
    refused = post_form(
        client,
        f"/residents/{record.id}/close",
        {"reason": "1", "closed_on": today_local().isoformat()},
        page_url="/households",
    )
    assert refused.status_code == 403
    assert client.get(f"/residents/{record.id}/transfer").status_code == 403
    assert client.get("/transfers").status_code == 403
    db.expire_all()
    assert db.get(HealthRecord, record.id).status == "active"  # type: ignore[union-attr]


def test_lifecycle_pages_of_another_townships_record_are_not_found(web_login, actor_of, db):
    record = _file(db, actor_of("cunyi"), "沈永康")
    client = web_login("cunyi2")
    for action in ("transfer", "close", "reopen"):
        response = client.get(f"/residents/{record.id}/{action}")
        assert response.status_code == 404 and "未找到该居民档案" in response.text
    posted = post_form(client, f"/residents/{record.id}/reopen", {"reason": "x"}, page_url="/households")
    assert posted.status_code == 404
    assert db.scalar(select(func.count()).select_from(RecordTransfer)) == 0
