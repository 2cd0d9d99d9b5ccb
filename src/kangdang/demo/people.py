"""Deterministic synthetic staff identities: common Chinese names and valid ID numbers (GB 11643)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from kangdang.core.idnumber import check_character

# Frequent surnames (by population share, most common first) and given-name characters.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程魏苏吕丁沈任姚卢姜崔钟谭陆汪范金石廖贾韦夏付方邹熊白孟秦邱侯江尹薛闫段雷黎"
    "史龙陶贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志文"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪琳颖慧莉倩洁梅晶琴红英萍兰丹月华秀佳宁"


def gauss_in(rng: random.Random, mean: float, sd: float, low: float, high: float, digits: int = 1) -> float:
    """A normal draw kept within plausible bounds (a form refuses a weight of 25 kg, and at a county's scale
    a four-sigma draw happens)."""
    return round(min(high, max(low, rng.gauss(mean, sd))), digits)


@dataclass(frozen=True)
class Person:
    name: str
    sex: str
    id_number: str
    phone: str


def make_person(rng: random.Random, *, address_code: str, born_after: int = 1965, born_before: int = 1998) -> Person:
    sex = rng.choice("12")
    pool = GIVEN_MALE if sex == "1" else GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2))))
    start = date(born_after, 1, 1)
    birth = start + timedelta(days=rng.randrange((date(born_before, 12, 31) - start).days))
    sequence = rng.randrange(0, 500) * 2 + (1 if sex == "1" else 0)
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    phone = "1" + rng.choice("3578") + "".join(str(rng.randrange(10)) for _ in range(9))
    return Person(name=rng.choice(SURNAMES) + given, sex=sex, id_number=first17 + check_character(first17), phone=phone)
