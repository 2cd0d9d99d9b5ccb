"""The flaws a real county's data has, put in on purpose so that quality control and duplicate search have
something to find: persons filed twice, 个人基本信息表 with empty items, forms entered weeks after the service,
and a sex that contradicts the ID number (a legacy entry).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from kangdang.core.clock import LOCAL_ZONE, utcnow
from kangdang.demo.synthetic.population import COUNTY, SynthPerson, id_number
from kangdang.indicators.quality_rules import basic_items
from kangdang.records.catalogue import catalogue

DUPLICATE_SHARE = 0.004  # persons filed a second time, in another village, under another (mistyped) number
EMPTY_BASIC_SHARE = 0.07  # 个人基本信息表 with 1–5 required items left empty (3 or more: 无效档案)
LATE_SHARE = 0.04  # forms signed 31–150 days after the service day
WRONG_SEX_SHARE = 0.002  # persons whose recorded sex contradicts the ID number
DUPLICATE_SEQUENCES = range(300, 400)  # sequences 600–799: never those of the first filing (100–599)


def duplicate_of(rng: random.Random, person: SynthPerson, village: str, used: set[str], today: date) -> SynthPerson:
    """The same person filed again elsewhere: same name, sex and birth date, another valid number (a typing
    slip in the sequence digits), no household, filed later."""
    row = person.row
    assert row.birth_date is not None and row.sex is not None and row.filed_on is not None
    number = id_number(rng, COUNTY, row.birth_date, row.sex, used, sequences=DUPLICATE_SEQUENCES)
    filed = min(today, row.filed_on + timedelta(days=rng.randrange(200, 2500)))
    duplicate = replace(
        row,
        document_number=number,
        current_region_code=village,
        registered_region_code=None,
        registered_address=None,
        residence_type="2",
        household=None,
        relationship=None,
        filed_on=filed,
    )
    return SynthPerson(duplicate)


@cache
def _basic_keys() -> tuple[str, ...]:
    return tuple(key for key, _label in basic_items(catalogue().form("personal_basic_info")))


def spoil(rng: random.Random, forms: list[dict[str, Any]]) -> None:
    """Leave items of some 个人基本信息表 empty and sign some forms weeks late (in place)."""
    now = utcnow()
    for row in forms:
        if row["form_code"] == "personal_basic_info" and rng.random() < EMPTY_BASIC_SHARE:
            answers = dict(row["answers"])
            for key in rng.sample(_basic_keys(), rng.choice((1, 1, 2, 3, 4, 5))):
                answers.pop(key, None)
            row["answers"] = answers
        if rng.random() < LATE_SHARE and row["service_date"] is not None:
            day: date = row["service_date"] + timedelta(days=rng.randrange(31, 150))
            signed = datetime.combine(day, time(10, 0), LOCAL_ZONE)
            if signed < now:
                row["signed_at"] = row["created_at"] = row["updated_at"] = signed
