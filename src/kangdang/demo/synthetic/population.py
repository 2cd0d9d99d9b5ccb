"""The people of a synthetic county (pure): households of realistic size and composition, names by surname
frequency, an ageing county's age pyramid, valid ID numbers (GB 11643) agreeing with birth date, sex and
birthplace, phones, and the conditions their service history follows.

Every household draws from its own random stream (seeded by the county seed and the household's number), so
the same seed gives the same people, whatever the size asked (a larger county is a smaller one plus more
households). Registered residents (户籍) carry the county's address code; about one in ten are migrants (非户籍)
born elsewhere in China, with their home county's code.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from kangdang.core.idnumber import check_character
from kangdang.demo.residents import household_address
from kangdang.residents.bulk import ImportRow

# Surnames by national frequency (per mille, 2020 census order), with a Zhejiang lean (沈, 钱, 姚, 俞, 费 …).
SURNAME_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 53), ("杨", 31), ("黄", 22), ("赵", 20), ("吴", 22),
    ("周", 20), ("徐", 22), ("孙", 15), ("马", 14), ("朱", 16), ("胡", 14), ("郭", 13), ("何", 12), ("林", 12),
    ("高", 12), ("罗", 11), ("郑", 11), ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 8), ("韩", 7),
    ("冯", 7), ("邓", 7), ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 5), ("董", 5), ("袁", 5), ("潘", 6),
    ("于", 5), ("蒋", 6), ("蔡", 5), ("余", 5), ("杜", 4), ("叶", 6), ("程", 4), ("苏", 4), ("魏", 4), ("吕", 4),
    ("丁", 4), ("任", 4), ("沈", 14), ("姚", 7), ("卢", 3), ("姜", 3), ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 7),
    ("汪", 4), ("范", 3), ("金", 5), ("石", 3), ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 3), ("付", 3), ("方", 4),
    ("白", 2), ("邹", 2), ("孟", 2), ("熊", 2), ("秦", 2), ("邱", 2), ("江", 3), ("尹", 2), ("薛", 2), ("闫", 2),
    ("段", 2), ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 4), ("毛", 3),
    ("郝", 2), ("龚", 2), ("邵", 3), ("万", 2), ("钱", 6), ("严", 3), ("覃", 1), ("武", 2), ("戴", 2), ("莫", 2),
    ("孔", 2), ("向", 1), ("汤", 2), ("俞", 5), ("费", 3), ("闻", 1), ("施", 3), ("屠", 1), ("柏", 1),
)  # fmt: skip
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志文荣福根林海金水兴德炳"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪琳颖慧莉倩洁梅晶琴红英萍兰丹月华秀佳宁凤珍娣宝菊妹彩云"
GIVEN_CHILD = "梓涵子轩一诺欣怡浩宇雨桐思远若汐宸铭沐晨语嫣奕辰可馨俊熙紫萱"
# Counties migrants of 德清 often come from (安徽, 江西, 河南, 四川, 贵州, 云南), with real division codes.
MIGRANT_COUNTIES = ("341222", "341321", "340823", "361025", "362427", "411526", "412726", "511621", "513902",
                    "522725", "520324", "530381")  # fmt: skip
COUNTY = "330521"
MIGRANT_SHARE = 0.10
FILING_START = date(2010, 1, 1)  # 德清 began filing in 2010; most adults were filed by 2017


@dataclass(frozen=True)
class Conditions:
    """What the person's service history follows (decided with the household, from age and sex)."""

    hypertension: date | None = None  # diagnosed on (None: no hypertension)
    diabetes: date | None = None
    mental: date | None = None
    tuberculosis: date | None = None  # notified on
    pregnancy_lmp: date | None = None  # the last menstrual period of her latest pregnancy in the window


@dataclass(frozen=True)
class SynthPerson:
    row: ImportRow
    conditions: Conditions = field(default_factory=Conditions)

    @property
    def id_number(self) -> str:
        return self.row.document_number or ""


@dataclass
class _Member:
    relationship: str  # GB/T 4761, to the head
    sex: str
    birth: date
    surname: str


def _surnames() -> tuple[list[str], list[float]]:
    return [s for s, _w in SURNAME_WEIGHTS], [w for _s, w in SURNAME_WEIGHTS]


_NAMES, _WEIGHTS = _surnames()


FILED_SEQUENCES = range(50, 300)  # ID number sequences 100–599: the county as generated
IMPORT_SEQUENCES = range(400, 500)  # 800–999: newcomers for an import, never on file already


def import_rows(
    villages: Sequence[tuple[str, str, str | None]], count: int, *, seed: int, today: date
) -> list[ImportRow]:
    """``count`` newcomers in households, as rows of an import table (numbered from row 2): their ID numbers
    never meet those of a generated county, so a benchmark's import files every row."""
    rows = [
        p.row
        for household in people(villages, count, seed=seed, today=today, sequences=IMPORT_SEQUENCES)
        for p in household
    ]
    return [replace(row, row=index + 2, household=f"I{row.household}") for index, row in enumerate(rows)]


def people(
    villages: Sequence[tuple[str, str, str | None]],
    count: int,
    *,
    seed: int,
    today: date,
    sequences: range = FILED_SEQUENCES,
) -> Iterator[list[SynthPerson]]:
    """``count`` people in households, yielded one household at a time, spread over ``villages`` (code, name,
    urban/rural) in proportion to a per-village size drawn from the seed."""
    rng = random.Random(f"{seed}:villages")
    sizes = [rng.uniform(0.5, 1.5) * (1.4 if area == "urban" else 1.0) for _c, _n, area in villages]
    total = sum(sizes)
    cumulative, acc = [], 0.0
    for size in sizes:
        acc += size / total
        cumulative.append(acc)
    used: set[str] = set()
    made = 0
    number = 0
    while made < count:
        number += 1
        hh = random.Random(f"{seed}:household:{number}")
        pick = hh.random()
        index = next((i for i, edge in enumerate(cumulative) if pick <= edge), len(villages) - 1)
        code, name, area = villages[index]
        members = _household(hh, today)[: count - made]
        migrant = hh.random() < MIGRANT_SHARE
        address = household_address(hh, name, area)
        key = f"S{seed}-{number}"
        conditions = _mothers(members, [_conditions(hh, member, today) for member in members], today)
        household: list[SynthPerson] = []
        head: ImportRow | None = None
        for member, condition in zip(members, conditions, strict=True):
            row = _row(hh, len(household), member, code, address, key, head, used, migrant, today, sequences)
            head = head or row
            household.append(SynthPerson(row, condition))
        made += len(household)
        yield household


# An ageing county (德清 2020: 65+ about 19%): household kinds and their weights.
KINDS = ("elderly_couple", "elderly_alone", "three_generations", "family", "young_couple", "empty_nest", "single")
KIND_WEIGHTS = (17, 8, 22, 25, 9, 12, 7)


def _birth(rng: random.Random, age: int, today: date) -> date:
    latest = date(today.year - age, today.month, min(today.day, 28))
    return latest - timedelta(days=rng.randrange(365))


def _household(rng: random.Random, today: date) -> list[_Member]:
    surname = rng.choices(_NAMES, _WEIGHTS)[0]

    def other() -> str:
        return rng.choices(_NAMES, _WEIGHTS)[0]

    def person(relationship: str, sex: str, age: int, name: str) -> _Member:
        return _Member(relationship, sex, _birth(rng, max(0, age), today), name)

    def child_age(low: int, high: int) -> int:
        """Uniform, but with half as many under ten: births have fallen to about 7 per 1,000 a year."""
        age = rng.randint(low, high)
        for limit, share in ((10, 0.6), (5, 0.5)):
            if age < limit and rng.random() < share:
                age = rng.randint(low, high)
        return age

    def children(parent_age: int, how_many: int) -> list[_Member]:
        found = []
        for _ in range(how_many):
            sex = rng.choice("12")
            age = child_age(max(0, parent_age - 40), max(0, parent_age - 22))
            found.append(person("20" if sex == "1" else "30", sex, age, surname))
        return found

    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    if kind == "elderly_alone":
        sex = rng.choices("21", weights=(3, 1))[0]
        return [person("02", sex, rng.randint(66, 96), surname if sex == "1" else other())]
    if kind == "elderly_couple":
        age = rng.randint(60, 88)
        return [person("02", "1", age, surname), person("10", "2", max(58, age - rng.randint(-2, 5)), other())]
    if kind == "empty_nest":
        age = rng.randint(45, 64)
        return [person("02", "1", age, surname), person("10", "2", max(42, age - rng.randint(-2, 5)), other())]
    if kind == "single":
        sex = rng.choice("1112")
        return [person("02", sex, rng.randint(19, 58), surname)]
    if kind == "young_couple":
        age = rng.randint(23, 34)
        members = [person("02", "1", age, surname), person("10", "2", max(21, age - rng.randint(0, 4)), other())]
        if rng.random() < 0.3:
            sex = rng.choice("12")
            members.append(person("20" if sex == "1" else "30", sex, child_age(0, 6), surname))
        return members
    if kind == "three_generations":
        age = rng.randint(52, 76)
        members = [person("02", "1", age, surname), person("10", "2", max(50, age - rng.randint(-2, 5)), other())]
        son = rng.randint(max(25, age - 36), age - 22)
        members += [person("20", "1", son, surname), person("38", "2", max(22, son - rng.randint(-1, 4)), other())]
        for _ in range(rng.choice((1, 1, 1, 2))):
            sex = rng.choice("12")
            members.append(person("41" if sex == "1" else "42", sex, child_age(0, min(17, son - 22)), surname))
        return members
    # a couple aged 30–55 with one or two children
    age = rng.randint(30, 55)
    members = [person("02", "1", age, surname), person("10", "2", max(26, age - rng.randint(-2, 5)), other())]
    return members + children(age, rng.choice((1, 1, 1, 2, 2)))


def _conditions(rng: random.Random, member: _Member, today: date) -> Conditions:
    """Conditions at realistic prevalence: hypertension about a quarter of adults over 35 (rising with age),
    diabetes about a tenth, severe mental disorders 0.5%, tuberculosis about 40 per 100,000 a year, and a
    pregnancy for women of 20–40 by the birth rate (about 7 per 1,000 residents a year)."""
    age = (today - member.birth).days // 365
    window = today - timedelta(days=5 * 365)

    def diagnosed(earliest_age: int) -> date:
        start = max(member.birth + timedelta(days=365 * earliest_age), today - timedelta(days=365 * 15))
        return start + timedelta(days=rng.randrange(max(1, (today - start).days - 30)))

    htn_p = 0.0 if age < 35 else 0.08 if age < 45 else 0.17 if age < 55 else 0.30 if age < 65 else 0.40
    dm_p = 0.0 if age < 35 else 0.03 if age < 45 else 0.07 if age < 55 else 0.12 if age < 65 else 0.16
    hypertension = diagnosed(35) if rng.random() < htn_p else None
    diabetes = diagnosed(35) if rng.random() < dm_p else None
    mental = diagnosed(18) if 18 <= age <= 75 and rng.random() < 0.006 else None
    tuberculosis = None
    if age >= 15 and rng.random() < 0.002:  # about 40 per 100,000 a year over five years
        tuberculosis = window + timedelta(days=rng.randrange((today - window).days))
    lmp = None  # pregnant now (the household's babies of the last five years add the earlier ones)
    if member.sex == "2" and 21 <= age <= 40 and rng.random() < (0.05 if age < 33 else 0.015):
        lmp = today - timedelta(days=rng.randrange(20, 290))
    return Conditions(hypertension, diabetes, mental, tuberculosis, lmp)


MOTHER_OF = {"20": "10", "30": "10", "41": "38", "42": "38"}  # child of the head → spouse; grandchild → 儿媳


def _mothers(members: list[_Member], conditions: list[Conditions], today: date) -> list[Conditions]:
    """A baby born in the last five years was its mother's pregnancy: her latest one, unless she is pregnant now."""
    window = today - timedelta(days=5 * 365 - 290)
    latest: dict[int, date] = {}
    for member in members:
        mother = MOTHER_OF.get(member.relationship)
        if mother is None or member.birth < window:
            continue
        index = next((i for i, m in enumerate(members) if m.relationship == mother and m.sex == "2"), None)
        if index is not None and conditions[index].pregnancy_lmp is None:
            lmp = member.birth - timedelta(days=273)
            latest[index] = max(latest.get(index, lmp), lmp)
    return [replace(c, pregnancy_lmp=latest[i]) if i in latest else c for i, c in enumerate(conditions)]


def _row(
    rng: random.Random,
    position: int,
    member: _Member,
    village: str,
    address: str,
    household: str,
    head: ImportRow | None,
    used: set[str],
    migrant: bool,
    today: date,
    sequences: range,
) -> ImportRow:
    birthplace = rng.choice(MIGRANT_COUNTIES) if migrant else COUNTY
    number = id_number(rng, birthplace, member.birth, member.sex, used, sequences=sequences)
    age = (today - member.birth).days // 365
    pool = GIVEN_CHILD if age < 15 and rng.random() < 0.6 else GIVEN_MALE if member.sex == "1" else GIVEN_FEMALE
    name = member.surname + "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2, 2))))
    adult = age >= 18
    phone = mobile(rng) if adult and (age < 80 or rng.random() < 0.35) else None
    contact = head if head is not None and head.phone and not phone else None
    return ImportRow(
        row=position + 2,
        name=name,
        current_region_code=village,
        document_type="01",
        document_number=number,
        sex=member.sex,
        birth_date=member.birth,
        ethnicity="22" if rng.random() < 0.008 else "01",  # a few 畲族, Zhejiang's own minority
        phone=phone,
        contact_name=contact.name if contact else None,
        contact_phone=contact.phone if contact else None,
        residence_type="2" if migrant else "1",
        current_address=address,
        registered_region_code=None if migrant else village,
        registered_address=None if migrant else address,
        filed_on=_filed_on(rng, member.birth, migrant, today),
        household=household,
        relationship=member.relationship,
    )


def _filed_on(rng: random.Random, birth: date, migrant: bool, today: date) -> date:
    """Children are filed within weeks of birth; adults mostly in the first years of the programme; migrants
    since they arrived (the last five years)."""
    if birth >= FILING_START:
        return min(today, birth + timedelta(days=rng.randrange(3, 40)))
    start = today - timedelta(days=5 * 365) if migrant else FILING_START
    span = (today - start).days if migrant or rng.random() < 0.15 else (date(2017, 12, 31) - start).days
    return start + timedelta(days=rng.randrange(span))


def id_number(
    rng: random.Random, address: str, birth: date, sex: str, used: set[str], *, sequences: range = FILED_SEQUENCES
) -> str:
    """A valid 18-character number: address code + birth date + sequence (odd for men) + check character.

    Sequences 100–599 by default (the demo county uses 600–989, numbers made up in tests 001–099)."""
    while True:
        sequence = rng.choice(sequences) * 2 + (1 if sex == "1" else 0)
        first17 = f"{address}{birth:%Y%m%d}{sequence:03d}"
        if first17 not in used:
            used.add(first17)
            return first17 + check_character(first17)


def mobile(rng: random.Random) -> str:
    return "1" + rng.choice("35789") + "".join(str(rng.randrange(10)) for _ in range(9))
