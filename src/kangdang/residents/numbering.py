"""Record and household numbers: the configured pattern, and serial allocation that is safe under concurrency.

A serial comes from one atomic ``UPDATE … RETURNING`` on the unit's counter row: PostgreSQL row-locks it
until the filing transaction ends, SQLite's single writer serialises it. The unique constraint on
``record_number`` is the last line of defence. Numbers are never reused: a rolled-back filing returns
its serial with the transaction, a committed one keeps it for ever.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kangdang.core.errors import Conflict
from kangdang.residents.models import NumberCounter

PATTERNS = {"village20": 8, "national17": 5}  # serial digits after the 12-digit village code


@dataclass(frozen=True)
class RecordNumber:
    value: str
    unit: str
    serial: int

    @property
    def short(self) -> str:
        """The last 8 digits, which every service form prints (编号 □□□-□□□□□)."""
        return self.value[-8:]


def format_record_number(pattern: str, village_code: str, serial: int) -> str:
    digits = PATTERNS[pattern]
    if serial >= 10**digits:
        raise Conflict(f"村级单位 {village_code} 的档案编号已用完（{digits} 位流水号）")
    return f"{village_code}{serial:0{digits}d}"


def group_number(number: str) -> str:
    """For reading aloud and printing: 20 digits as 6-3-3-8, 17 digits as 6-3-3-5."""
    if len(number) in (17, 20):
        return f"{number[:6]}-{number[6:9]}-{number[9:12]}-{number[12:]}"
    return number


def allocate_serials(session: Session, counts: Mapping[str, int]) -> dict[str, int]:
    """Reserve ``counts[unit]`` consecutive serials of each unit; returns each unit's first one.

    One upsert for all the units (a bulk import's file spans a county's villages: one statement, not two per
    village): a new unit's counter starts after its serials, an existing one moves on by them. Units are taken
    in sorted order, so two imports lock the counters they share in the same order."""
    if not counts:
        return {}
    if min(counts.values()) < 1:
        raise ValueError("serials are reserved in counts of at least one")
    build = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    proposed = build(NumberCounter).values([{"unit": u, "next_serial": 1 + counts[u]} for u in sorted(counts)])
    upsert = proposed.on_conflict_do_update(
        index_elements=["unit"],
        # the existing row's next serial, plus the count (the proposed row's next serial, less the one it starts at)
        set_={"next_serial": NumberCounter.next_serial + proposed.excluded.next_serial - 1},
    ).returning(NumberCounter.unit, NumberCounter.next_serial)
    return {unit: int(after) - counts[unit] for unit, after in session.execute(upsert)}


def _serial_ranges(session: Session, kind: str, counts: Mapping[str, int]) -> dict[str, range]:
    """Each village's new serials of one kind ("R" records, "H" households), reserved together."""
    firsts = allocate_serials(session, {f"{kind}{village}": count for village, count in counts.items()})
    return {village: range(firsts[f"{kind}{village}"], firsts[f"{kind}{village}"] + n) for village, n in counts.items()}


def allocate_record_numbers(session: Session, pattern: str, counts: Mapping[str, int]) -> dict[str, list[RecordNumber]]:
    """``counts[village]`` new record numbers of each village."""
    return {
        village: [RecordNumber(format_record_number(pattern, village, s), village, s) for s in serials]
        for village, serials in _serial_ranges(session, "R", counts).items()
    }


def allocate_household_numbers(session: Session, counts: Mapping[str, int]) -> dict[str, list[str]]:
    """家庭编号 (12-digit village code + 5-digit serial, 17 digits): ``counts[village]`` new ones of each village."""
    numbers: dict[str, list[str]] = {}
    for village, serials in _serial_ranges(session, "H", counts).items():
        if serials[-1] >= 10**5:
            raise Conflict(f"村级单位 {village} 的家庭编号已用完")
        numbers[village] = [f"{village}{s:05d}" for s in serials]
    return numbers
