"""Record and household numbers: the configured pattern, and serial allocation that is safe under concurrency.

A serial comes from one atomic ``UPDATE … RETURNING`` on the unit's counter row: PostgreSQL row-locks it
until the filing transaction ends, SQLite's single writer serialises it. The unique constraint on
``record_number`` is the last line of defence. Numbers are never reused: a rolled-back filing returns
its serial with the transaction, a committed one keeps it for ever.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
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


def allocate_serials(session: Session, unit: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive serials of ``unit``; returns the first one."""
    values = {"unit": unit, "next_serial": 1}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(NumberCounter).values(values).on_conflict_do_nothing(index_elements=["unit"]))
    else:
        session.execute(sqlite_insert(NumberCounter).values(values).on_conflict_do_nothing(index_elements=["unit"]))
    after = session.execute(
        update(NumberCounter)
        .where(NumberCounter.unit == unit)
        .values(next_serial=NumberCounter.next_serial + count)
        .returning(NumberCounter.next_serial)
    ).scalar_one()
    return int(after) - count


def allocate_record_numbers(session: Session, pattern: str, village_code: str, count: int = 1) -> list[RecordNumber]:
    first = allocate_serials(session, f"R{village_code}", count)
    return [
        RecordNumber(format_record_number(pattern, village_code, s), village_code, s)
        for s in range(first, first + count)
    ]


def allocate_household_numbers(session: Session, village_code: str, count: int = 1) -> list[str]:
    """家庭编号: 12-digit village code + 5-digit serial (17 digits)."""
    first = allocate_serials(session, f"H{village_code}", count)
    if first + count - 1 >= 10**5:
        raise Conflict(f"村级单位 {village_code} 的家庭编号已用完")
    return [f"{village_code}{s:05d}" for s in range(first, first + count)]
