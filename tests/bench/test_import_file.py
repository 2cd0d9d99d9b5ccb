"""The bench's import file is a valid residents table: the import page and `kangdang import residents` read it
without a problem, with its households (one head each) and the people as written."""

from __future__ import annotations

import random
from datetime import date

from kangdang.bench.inprocess import import_rows, resident_csv
from kangdang.bench.picks import NewPerson
from kangdang.core.idnumber import check_character
from kangdang.exchange.resident_table import read_resident_table


def person(sequence: int, sex: str) -> NewPerson:
    first17 = f"33052119800101{sequence:03d}"
    return NewPerson("王小" + str(sequence), sex, date(1980, 1, 1), first17 + check_character(first17), "13800000000")


def test_the_import_file_reads_back_without_problems() -> None:
    people = [person(n, "1" if n % 2 else "2") for n in range(1, 41)]
    content = resident_csv(people, ["330521102200", "330521115200"], rng=random.Random(1))
    rows = read_resident_table("bench.csv", content)
    assert [r.document_number for r in rows] == [p.id_number for p in people]
    assert all(not r.problems for r in rows)
    assert {r.current_region_code for r in rows} <= {"330521102200", "330521115200"}
    households: dict[str, list[str]] = {}
    for row in rows:
        assert row.household is not None and row.relationship is not None
        households.setdefault(row.household, []).append(row.relationship)
    assert all(relationships.count("02") == 1 and relationships[0] == "02" for relationships in households.values())
    assert all(len({r.current_region_code for r in rows if r.household == key}) == 1 for key in households)


def test_the_import_holds_five_percent_of_the_size_and_at_least_200_rows() -> None:
    assert import_rows(500_000) == 25_000
    assert import_rows(50_000) == 2_500
    assert import_rows(300) == 200
