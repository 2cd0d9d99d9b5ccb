"""Demo residents of 德清县: a few thousand people in households, filed through the bulk import service.

Deterministic (one seed, dates counted from a fixed day, not from today) and idempotent: a second run builds
the same rows, whose documents are all on file, so nothing is added. The population is that of an ageing rural
county: many people aged 50–75, elderly couples and widows living alone, three-generation families. Children
carry their father's surname; ID numbers (GB 11643) use the county's address code 330521 and agree with each
person's birth date and sex.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.core.idnumber import check_character
from kangdang.demo.people import GIVEN_FEMALE, GIVEN_MALE, SURNAMES
from kangdang.regions.codes import Level
from kangdang.regions.models import Region
from kangdang.residents.bulk import ImportResult, ImportRow, import_residents

COUNTY_CODE = "330521"
FOCUS_TOWNSHIPS = {"330521102": 2, "330521115": 2}  # 新市镇, 莫干山镇: twice as many households
REFERENCE_DAY = date(2025, 12, 31)  # ages are counted from here, so that the rows never change
FILED_FROM = date(2018, 1, 1)
SEED = 3305210
SOURCE = "演示居民"


@dataclass
class _Member:
    relationship: str  # GB/T 4761 code, to the head
    sex: str
    age: int
    surname: str


def load_demo_residents(
    session: Session,
    actor: Actor,
    *,
    per_village: int = 4,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """File about ``per_village`` households in every village of the county (twice as many in 新市镇 and
    莫干山镇), around 3,000 residents with the default; documents already on file are skipped."""
    villages: list[tuple[str, str, str | None]] = [
        (code, name, area_type)
        for code, name, area_type in session.execute(
            select(Region.code, Region.name, Region.area_type)
            .where(Region.code.startswith(COUNTY_CODE), Region.level == Level.VILLAGE)
            .order_by(Region.code)
        )
    ]
    return import_residents(
        session, actor, demo_resident_rows(villages, per_village=per_village), filename=SOURCE, progress=progress
    )


def demo_resident_rows(villages: list[tuple[str, str, str | None]], *, per_village: int = 4) -> list[ImportRow]:
    """The rows of the demo residents of ``villages`` (code, name, urban/rural), as an import would read them."""
    rng = random.Random(SEED)
    used: set[str] = set()
    rows: list[ImportRow] = []
    for code, name, area_type in villages:
        count = per_village * FOCUS_TOWNSHIPS.get(code[:9], 1)
        for number in range(1, count + 1):
            key = f"{code}-{number}"
            address = household_address(rng, name, area_type)
            filed_on = FILED_FROM + timedelta(days=rng.randrange((REFERENCE_DAY - FILED_FROM).days))
            members = _household(rng)
            head: ImportRow | None = None
            for member in members:
                row = _resident_row(rng, len(rows) + 2, member, code, address, key, filed_on, head, used)
                head = head or row
                rows.append(row)
    return rows


def _household(rng: random.Random) -> list[_Member]:
    """One household's members, the head first, with realistic ages and relationships."""
    surname = rng.choice(SURNAMES)
    other = lambda: rng.choice(SURNAMES)  # noqa: E731 - a spouse's or an in-law's own surname
    kind = rng.choices(
        ("elderly_couple", "widowed", "three_generations", "family", "young_couple", "with_parents"),
        weights=(30, 14, 20, 20, 6, 10),
    )[0]
    if kind == "widowed":
        sex = rng.choices("21", weights=(3, 1))[0]
        return [_Member("02", sex, rng.randint(68, 92), surname if sex == "1" else other())]
    if kind == "elderly_couple":
        age = rng.randint(58, 84)
        return [_Member("02", "1", age, surname), _Member("10", "2", _near(rng, age - 2, 60), other())]
    if kind == "young_couple":
        age = rng.randint(24, 34)
        members = [_Member("02", "1", age, surname), _Member("10", "2", _near(rng, age - 1, 22), other())]
        if rng.random() < 0.6:
            members.append(_child(rng, surname, rng.randint(0, 4)))
        return members
    if kind == "three_generations":
        age = rng.randint(52, 70)
        members = [_Member("02", "1", age, surname), _Member("10", "2", _near(rng, age - 2, 50), other())]
        son_age = rng.randint(max(24, age - 35), age - 22)
        members.append(_Member("20", "1", son_age, surname))
        members.append(_Member("38", "2", _near(rng, son_age - 1, 22), other()))
        for _ in range(rng.choice((1, 1, 2))):
            sex = rng.choice("12")
            members.append(_Member("41" if sex == "1" else "42", sex, rng.randint(0, min(12, son_age - 21)), surname))
        return members
    # a couple in their thirties to fifties with children, perhaps with the head's parents
    age = rng.randint(36, 58)
    members = [_Member("02", "1", age, surname), _Member("10", "2", _near(rng, age - 2, 30), other())]
    for _ in range(rng.choice((1, 1, 1, 2, 2))):
        members.append(_child(rng, surname, rng.randint(max(0, age - 45), age - 24)))
    if kind == "with_parents" or rng.random() < 0.25:
        parent_age = age + rng.randint(24, 32)
        if rng.random() < 0.6:
            members.append(_Member("51", "1", parent_age, surname))
        members.append(_Member("52", "2", parent_age - rng.randint(0, 4), other()))
    return members


def _child(rng: random.Random, surname: str, age: int) -> _Member:
    sex = rng.choice("12")
    return _Member("20" if sex == "1" else "30", sex, max(0, age), surname)


def _near(rng: random.Random, age: int, minimum: int) -> int:
    return max(minimum, age + rng.randint(-3, 3))


def _resident_row(
    rng: random.Random,
    row: int,
    member: _Member,
    village: str,
    address: str,
    household: str,
    filed_on: date,
    head: ImportRow | None,
    used: set[str],
) -> ImportRow:
    birth = _birth_date(rng, member.age)
    number = _id_number(rng, birth, member.sex, used)
    pool = GIVEN_MALE if member.sex == "1" else GIVEN_FEMALE
    name = member.surname + "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2))))
    adult = member.age >= 18
    has_phone = adult and (member.age < 78 or rng.random() < 0.4)
    phone = "1" + rng.choice("3578") + "".join(str(rng.randrange(10)) for _ in range(9)) if has_phone else None
    contact = head if head is not None and head.phone and not (adult and phone) else None
    registered = rng.random() < 0.93
    return ImportRow(
        row=row,
        name=name,
        current_region_code=village,
        document_type="01",
        document_number=number,
        sex=member.sex,
        birth_date=birth,
        ethnicity="22" if rng.random() < 0.01 else "01",  # a few 畲族, Zhejiang's own minority
        phone=phone,
        contact_name=contact.name if contact else None,
        contact_phone=contact.phone if contact else None,
        residence_type="1" if registered else "2",
        current_address=address,
        registered_region_code=village if registered else None,
        registered_address=address if registered else None,
        filed_on=max(filed_on, birth),
        household=household,
        relationship=member.relationship,
    )


def _birth_date(rng: random.Random, age: int) -> date:
    latest = date(REFERENCE_DAY.year - age, REFERENCE_DAY.month, REFERENCE_DAY.day)
    return latest - timedelta(days=rng.randrange(365))


def _id_number(rng: random.Random, birth: date, sex: str, used: set[str]) -> str:
    """A valid 18-character number: 330521 + birth date + sequence (odd for men) + check character.

    Sequences 600–989 only, so that numbers made up by hand in tests (001, 123 …) do not meet demo ones."""
    while True:
        sequence = rng.randrange(300, 495) * 2 + (1 if sex == "1" else 0)
        first17 = f"{COUNTY_CODE}{birth:%Y%m%d}{sequence:03d}"
        if first17 not in used:
            used.add(first17)
            return first17 + check_character(first17)


def household_address(rng: random.Random, village_name: str, area_type: str | None) -> str:
    if area_type == "urban" or village_name.endswith("居委会"):
        street = village_name.removesuffix("社区居委会").removesuffix("居委会")
        return f"{street}路{rng.randint(1, 300)}号{rng.randint(1, 12)}幢{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
    village = village_name.removesuffix("村委会").removesuffix("村民委员会")
    return f"{village}村{rng.randint(1, 15)}组{rng.randint(1, 120)}号"
