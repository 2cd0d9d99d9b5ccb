"""Duplicate worklist pages: pairs confirmed at filing, merging into a survivor and undoing it, marking a pair as
two people, scanning for new pairs, and who may not use them."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from sqlalchemy import delete, select

from kangdang.core.idnumber import check_character
from kangdang.residents.duplicates import LikelyDuplicates
from kangdang.residents.models import DuplicateCandidate, HealthRecord, HouseholdMember, Person, PersonMerge
from kangdang.residents.numbering import group_number
from kangdang.residents.schemas import ResidentRegistration
from kangdang.residents.service import register_resident
from tests.helpers import post_form

VILLAGE = "330521102200"
BORN = date(1981, 7, 15)
_serial = itertools.count(201)


def _file(db, actor, name: str, *, confirm: bool = True, **extra) -> HealthRecord:
    n = next(_serial) * 2 + 1  # male
    first17 = f"330521{BORN:%Y%m%d}{n % 1000:03d}"
    data = {
        "document_number": first17 + check_character(first17),
        "name": name,
        "sex": "1",
        "current_region_code": VILLAGE,
        "confirm_duplicates": confirm,
    }
    return register_resident(db, actor, ResidentRegistration(**(data | extra)))


def _pair(db, actor, name: str = "张建军") -> tuple[HealthRecord, HealthRecord]:
    first = _file(db, actor, name, new_household=True)
    with pytest.raises(LikelyDuplicates):
        _file(db, actor, name, confirm=False)
    second = _file(db, actor, name, new_household=True)
    return first, second


def _candidate(db, a, b) -> DuplicateCandidate:
    db.expire_all()
    first, second = sorted((a, b))
    found = db.scalar(
        select(DuplicateCandidate).where(
            DuplicateCandidate.person_id == first, DuplicateCandidate.other_person_id == second
        )
    )
    assert found is not None
    return found


def _open_memberships(db, person_id) -> list[HouseholdMember]:
    return list(
        db.scalars(
            select(HouseholdMember).where(HouseholdMember.person_id == person_id, HouseholdMember.valid_to.is_(None))
        )
    )


def test_a_pair_confirmed_at_filing_is_merged_into_the_survivor_and_the_merge_is_undone(web_login, actor_of, db):
    kept, extra = _pair(db, actor_of("dangan"))
    kept_person, extra_person = kept.person_id, extra.person_id
    extra_home = _open_memberships(db, extra_person)[0].household_id
    client = web_login("dangan")
    worklist = client.get("/duplicates")
    assert worklist.status_code == 200
    assert group_number(kept.record_number) in worklist.text and group_number(extra.record_number) in worklist.text
    assert "姓名、出生日期、性别相同" in worklist.text
    candidate = _candidate(db, kept_person, extra_person)

    merge_url = f"/duplicates/{candidate.id}/merge"
    page = client.get(merge_url)
    assert page.status_code == 200 and "确认合并" in page.text
    assert page.text.count('name="survivor_id"') == 2
    unchosen = post_form(client, merge_url, {"survivor_id": ""})
    assert unchosen.status_code == 422 and "请选择要保留的居民" in unchosen.text
    db.expire_all()
    assert db.get(Person, extra_person).status == "active"  # type: ignore[union-attr]
    merged = post_form(client, merge_url, {"survivor_id": str(kept_person)})
    assert merged.status_code == 303, merged.text[:800]

    db.expire_all()
    gone = db.get(Person, extra_person)
    assert (gone.status, gone.merged_into_id) == ("merged", kept_person)  # type: ignore[union-attr]
    moved = db.get(HealthRecord, extra.id)
    assert (moved.person_id, moved.status) == (kept_person, "closed")  # type: ignore[union-attr]
    assert db.scalar(
        select(HouseholdMember.id).where(
            HouseholdMember.household_id == extra_home, HouseholdMember.person_id == kept_person
        )
    )  # the membership went with the records
    assert "张建军" not in client.get("/duplicates").text  # no longer open
    survivor_page = client.get(f"/residents/{kept.id}")
    assert survivor_page.status_code == 200
    assert group_number(extra.record_number) in survivor_page.text.split("其他档案", 1)[1]

    listed = client.get(merged.headers["location"])
    assert "已合并" in listed.text and "撤销合并" in listed.text
    merge = db.scalar(select(PersonMerge).where(PersonMerge.merged_id == extra_person))
    undone = post_form(client, f"/duplicates/merges/{merge.id}/undo", {}, page_url="/duplicates?status=merged")  # type: ignore[union-attr]
    assert undone.status_code == 303
    db.expire_all()
    assert db.get(Person, extra_person).status == "active"  # type: ignore[union-attr]
    restored = db.get(HealthRecord, extra.id)
    assert (restored.person_id, restored.status) == (extra_person, "active")  # type: ignore[union-attr]
    assert [m.household_id for m in _open_memberships(db, extra_person)] == [extra_home]
    assert _candidate(db, kept_person, extra_person).status == "open"
    assert "撤销合并" not in client.get("/duplicates?status=merged").text
    assert group_number(extra.record_number) in client.get("/duplicates").text


def test_marking_a_pair_as_two_people_takes_it_off_the_open_list(web_login, actor_of, db):
    first, second = _pair(db, actor_of("dangan"), "李国平")
    candidate = _candidate(db, first.person_id, second.person_id)
    client = web_login("dangan")
    assert "李国平" in client.get("/duplicates").text
    marked = post_form(client, f"/duplicates/{candidate.id}/not-duplicate", {}, page_url="/duplicates")
    assert marked.status_code == 303
    assert "已标记为不是同一人" in client.get(marked.headers["location"]).text
    assert "李国平" not in client.get("/duplicates").text
    assert "李国平" in client.get("/duplicates?status=not_duplicate").text
    twice = post_form(client, f"/duplicates/{candidate.id}/not-duplicate", {}, page_url="/duplicates")
    assert twice.status_code == 422 and "该记录已处理" in twice.text


def test_scanning_adds_pairs_that_read_alike(web_login, actor_of, db):
    dangan = actor_of("dangan")
    _file(db, dangan, "章志明")
    _file(db, dangan, "张志明")  # same reading (zhang zhi ming), birth date and sex
    db.execute(delete(DuplicateCandidate))
    db.flush()
    client = web_login("dangan")
    scanned = post_form(client, "/duplicates/scan", {}, page_url="/duplicates")
    assert scanned.status_code == 303
    page = client.get(scanned.headers["location"])
    assert re.search(r"新增 1 对", page.text)
    assert "章志明" in page.text and "张志明" in page.text and "姓名读音、出生日期、性别相同" in page.text
    again = post_form(client, "/duplicates/scan", {}, page_url="/duplicates")
    assert "新增 0 对" in client.get(again.headers["location"]).text


def test_village_doctors_have_no_duplicate_worklist(web_login, actor_of, db):
    first, second = _pair(db, actor_of("cunyi"), "赵春生")
    candidate = _candidate(db, first.person_id, second.person_id)
    client = web_login("cunyi")
    assert client.get("/duplicates").status_code == 403
    assert client.get(f"/duplicates/{candidate.id}/merge").status_code == 403
    refused = post_form(
        client, f"/duplicates/{candidate.id}/merge", {"survivor_id": str(first.person_id)}, page_url="/households"
    )
    assert refused.status_code == 403
    assert post_form(client, "/duplicates/scan", {}, page_url="/households").status_code == 403
    db.expire_all()
    assert db.get(Person, second.person_id).status == "active"  # type: ignore[union-attr]
