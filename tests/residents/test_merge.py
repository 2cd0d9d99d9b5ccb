"""Duplicates: detection, the worklist, merging into a survivor and undoing it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kangdang.core.errors import InvalidInput, NotFound, PermissionDenied
from kangdang.core.pagination import PageRequest
from kangdang.residents.duplicates import detect_duplicates, list_duplicate_candidates, mark_not_duplicate
from kangdang.residents.merge import merge_persons, unmerge_persons
from kangdang.residents.models import HealthRecord, HouseholdMember, Person
from kangdang.residents.search import search_residents
from kangdang.residents.service import get_record_view
from tests.residents.factories import file_resident


def _pair(db, actor_of):
    doctor = actor_of("cunyi")
    first = file_resident(db, doctor, name="何双", born=date(1948, 8, 8), new_household=True)
    second = file_resident(db, doctor, name="何双", born=date(1948, 8, 8))
    return first, second


def test_confirmed_likely_duplicates_reach_the_records_managers_worklist(db, actor_of):
    first, second = _pair(db, actor_of)
    lines = list_duplicate_candidates(db, actor_of("dangan"), page=PageRequest()).items
    assert any({line.person.id, line.other.id} == {first.person_id, second.person_id} for line in lines)
    with pytest.raises(PermissionDenied):
        list_duplicate_candidates(db, actor_of("cunyi"), page=PageRequest())


def test_a_scan_finds_pairs_with_the_same_reading_birth_date_and_sex(db, actor_of):
    from kangdang.residents.schemas import PersonUpdate
    from kangdang.residents.service import update_person

    file_resident(db, actor_of("cunyi"), name="林晓", born=date(1960, 1, 1))
    other = file_resident(db, actor_of("cunyi"), name="林峰", born=date(1960, 1, 1))
    update_person(db, actor_of("cunyi"), other.person_id, PersonUpdate(name="林筱"))  # 晓/筱 both read xiao
    assert detect_duplicates(db, actor_of("dangan")) >= 1
    assert detect_duplicates(db, actor_of("dangan")) == 0  # nothing new the second time


def test_merging_moves_records_and_households_and_undo_restores_them(db, actor_of):
    manager = actor_of("dangan")
    first, second = _pair(db, actor_of)
    survivor_id, merged_id = first.person_id, second.person_id  # records move with the merge: keep the ids
    merge = merge_persons(db, manager, survivor_id=survivor_id, merged_id=merged_id)
    db.expire_all()
    merged = db.get(Person, merged_id)
    assert (merged.status, merged.merged_into_id) == ("merged", survivor_id)
    second_record = db.get(HealthRecord, second.id)
    assert second_record.person_id == survivor_id and second_record.status == "closed"
    view = get_record_view(db, manager, first.id)
    assert [r.id for r in view.other_records] == [second.id]
    hits = search_residents(db, manager, query="何双", page=PageRequest(), include_closed=True)
    assert {h.person.id for h in hits.items} == {survivor_id}
    with pytest.raises(NotFound):  # the merged person is now only a pointer, with no record of its own
        merge_persons(db, manager, survivor_id=survivor_id, merged_id=merged_id)
    unmerge_persons(db, manager, merge.id)
    db.expire_all()
    assert db.get(Person, merged_id).status == "active"
    restored = db.get(HealthRecord, second.id)
    assert (restored.person_id, restored.status) == (merged_id, "active")
    with pytest.raises(InvalidInput):
        unmerge_persons(db, manager, merge.id)


def test_merging_a_person_with_a_household_moves_the_membership(db, actor_of):
    manager = actor_of("dangan")
    first = file_resident(db, actor_of("cunyi"), name="贺一", born=date(1970, 7, 7))
    second = file_resident(db, actor_of("cunyi"), name="贺一", born=date(1970, 7, 7), new_household=True)
    merged_id = second.person_id
    merge = merge_persons(db, manager, survivor_id=first.person_id, merged_id=merged_id)
    members = db.scalars(select(HouseholdMember).where(HouseholdMember.person_id == first.person_id)).all()
    assert len(members) == 1 and members[0].valid_to is None
    unmerge_persons(db, manager, merge.id)
    db.expire_all()
    assert db.scalars(select(HouseholdMember).where(HouseholdMember.person_id == merged_id)).all()


def test_a_pair_marked_not_duplicate_leaves_the_open_list(db, actor_of):
    manager = actor_of("dangan")
    first, second = _pair(db, actor_of)
    line = next(
        line
        for line in list_duplicate_candidates(db, manager, page=PageRequest()).items
        if {line.person.id, line.other.id} == {first.person_id, second.person_id}
    )
    mark_not_duplicate(db, manager, line.candidate.id)
    open_ids = {ln.candidate.id for ln in list_duplicate_candidates(db, manager, page=PageRequest()).items}
    assert line.candidate.id not in open_ids


def test_outsiders_cannot_merge(db, actor_of):
    first, second = _pair(db, actor_of)
    with pytest.raises(PermissionDenied):
        merge_persons(db, actor_of("cunyi"), survivor_id=first.person_id, merged_id=second.person_id)
