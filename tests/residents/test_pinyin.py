"""Pinyin search keys for residents' names: display readings, surname readings, keys, queries.

Pure tests — no database fixtures, so each runs once.
"""

from __future__ import annotations

import random
import time

import pytest

from kangdang.residents.pinyin import (
    MAX_COMBINATIONS,
    SURNAME_READINGS,
    is_pinyin_query,
    name_pinyin,
    normalize_query,
    search_keys,
)

# Every surname the module must read as a surname, with its display syllables.
SURNAMES = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "区": "ou",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "覃": "qin",
    "盖": "ge",
    "繁": "po",
    "乐": "yue",
    "员": "yun",
    "种": "chong",
    "秘": "bi",
    "折": "she",
    "缪": "miao",
    "召": "shao",
    "隗": "kui",
    "句": "gou",
    "黑": "he",
    "宓": "fu",
    "逄": "pang",
    "晟": "cheng",
    "冼": "xian",
    "燕": "yan",
    "华": "hua",
    "任": "ren",
    "沈": "shen",
    "石": "shi",
    "薄": "bo",
    "柏": "bai",
    "纪": "ji",
    "过": "guo",
    "欧阳": "ou yang",
    "司马": "si ma",
    "诸葛": "zhu ge",
    "上官": "shang guan",
    "东方": "dong fang",
    "皇甫": "huang fu",
    "尉迟": "yu chi",
    "公孙": "gong sun",
    "长孙": "zhang sun",
    "慕容": "mu rong",
    "司徒": "si tu",
    "令狐": "ling hu",
    "宇文": "yu wen",
    "夏侯": "xia hou",
    "轩辕": "xuan yuan",
    "端木": "duan mu",
    "独孤": "du gu",
    "南宫": "nan gong",
    "万俟": "mo qi",
    "闻人": "wen ren",
    "澹台": "tan tai",
    "公冶": "gong ye",
    "太史": "tai shi",
    "申屠": "shen tu",
    "呼延": "hu yan",
    "西门": "xi men",
    "司空": "si kong",
    "钟离": "zhong li",
    "拓跋": "tuo ba",
}

# Surnames whose common-word reading must NOT become a key when the character is a surname.
NOT_SURNAME_READINGS = [
    ("单", "dan"),
    ("单", "chan"),
    ("曾", "ceng"),
    ("解", "jie"),
    ("区", "qu"),
    ("仇", "chou"),
    ("朴", "pu"),
    ("查", "cha"),
    ("覃", "tan"),
    ("盖", "gai"),
    ("繁", "fan"),
    ("乐", "le"),
    ("员", "yuan"),
    ("种", "zhong"),
    ("秘", "mi"),
    ("折", "zhe"),
    ("缪", "mou"),
    ("召", "zhao"),
    ("宓", "mi"),
    ("薄", "bao"),
    ("柏", "bo"),
    ("尉迟", "weichi"),
    ("万俟", "wanqi"),
    ("长孙", "changsun"),
]


@pytest.mark.parametrize(
    ("name", "reading"),
    [
        ("张三丰", "zhang san feng"),
        ("单雄信", "shan xiong xin"),
        ("曾国藩", "zeng guo fan"),
        ("欧阳修", "ou yang xiu"),
        ("尉迟恭", "yu chi gong"),
        ("李长江", "li chang jiang"),
        # the surname is no part of a word with the given name (郑重 "solemn", 宋朝 "Song dynasty" are not read)
        ("郑重阳", "zheng chong yang"),
        ("宋朝阳", "song zhao yang"),
        ("王小明", "wang xiao ming"),
        ("吕布", "lv bu"),
        ("绿绿", "lv lv"),
        ("Anna李", "anna li"),
        ("李 Anna", "li anna"),
        ("张 三", "zhang san"),
        ("李2号", "li hao"),
        ("阿依古丽·买买提", "a yi gu li mai mai ti"),
        ("Ｌｉ明", "li ming"),  # full-width letters
        ("", ""),
        ("·123", ""),
    ],
)
def test_display_reading_is_lower_case_toneless_and_spaced(name: str, reading: str) -> None:
    assert name_pinyin(name) == reading


@pytest.mark.parametrize(("surname", "reading"), sorted(SURNAMES.items()))
def test_surname_is_read_as_a_surname(surname: str, reading: str) -> None:
    assert name_pinyin(surname + "明") == f"{reading} ming"
    keys = search_keys(surname + "明")
    assert reading.replace(" ", "") + "ming" in keys
    assert "".join(s[0] for s in reading.split()) + "m" in keys


def test_surname_table_covers_every_required_surname() -> None:
    for surname, reading in SURNAMES.items():
        assert SURNAME_READINGS[surname] == tuple(reading.split())


@pytest.mark.parametrize(("surname", "wrong"), NOT_SURNAME_READINGS)
def test_polyphonic_surname_gives_only_its_surname_reading(surname: str, wrong: str) -> None:
    keys = search_keys(surname + "明")
    assert wrong + "ming" not in keys, sorted(keys)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三丰", {"zhangsanfeng", "zsf", "sanfeng", "sf"}),
        ("曾国藩", {"zengguofan", "zgf", "guofan", "gf"}),
        ("欧阳修", {"ouyangxiu", "oyx", "xiu"}),
        ("尉迟恭", {"yuchigong", "ycg", "gong"}),
        ("万俟卨", {"moqixie", "mqx", "xie"}),
        ("长孙无忌", {"zhangsunwuji", "zswj", "wuji", "wj"}),
        ("吕布", {"lvbu", "lb", "bu"}),
        ("Anna李", {"annali", "al"}),
    ],
)
def test_keys_include_full_pinyin_initials_and_given_name(name: str, expected: set[str]) -> None:
    assert expected <= search_keys(name)


def test_plain_name_gives_exactly_its_four_keys() -> None:
    assert search_keys("张三丰") == {"zhangsanfeng", "zsf", "sanfeng", "sf"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张乐", {"zhangle", "zhangyue", "zl", "zy", "le", "yue"}),
        ("李长江", {"lichangjiang", "lizhangjiang", "lcj", "lzj", "changjiang", "zhangjiang"}),
        ("王单", {"wangdan", "wangshan", "wangchan"}),  # 单 is only a surname at the start
        ("刘曾", {"liuzeng", "liuceng"}),
        ("单雄信", {"shanxiongxin", "shanxiongshen"}),  # 信 has a second reading too
    ],
)
def test_polyphonic_given_name_characters_give_every_reading(name: str, expected: set[str]) -> None:
    assert expected <= search_keys(name)


def test_middle_dot_name_gives_keys_for_the_whole_and_each_part() -> None:
    keys = search_keys("阿依古丽·买买提")
    assert {"ayigulimaimaiti", "ayglmmt", "ayiguli", "aygl", "maimaiti", "mmt"} <= keys
    assert "maimaidi" in keys  # 提 is polyphonic


def test_pathological_long_name_is_capped() -> None:
    name = "单乐长行重朝曾解区仇朴查覃乐长行重朝"
    keys = search_keys(name)
    # Every combination gives at most four keys: full, initials, given name full and initials.
    assert 0 < len(keys) <= 4 * MAX_COMBINATIONS
    first = "shan" + "lezhangxingzhongchaocengjiequchoupuchatanlezhangxingzhongchao"  # pypinyin's first readings
    assert first in keys  # the likeliest reading is always kept
    assert name_pinyin(name).replace(" ", "") in keys  # and so is the display reading
    assert all(k.startswith("shan") or not k.startswith(("dan", "chan")) for k in keys)


@pytest.mark.parametrize("name", ["", " ", "·", "123", "？！"])
def test_name_without_readable_characters_gives_no_keys(name: str) -> None:
    assert search_keys(name) == frozenset()
    assert name_pinyin(name) == ""


@pytest.mark.parametrize("name", ["张三丰", "阿依古丽·买买提", "Anna李", "单乐长行重朝曾解区仇朴查覃", "吕绿女"])
def test_keys_are_lower_case_ascii_letters_only(name: str) -> None:
    keys = search_keys(name)
    assert keys
    assert all(k.isascii() and k.isalpha() and k.islower() for k in keys), sorted(keys)


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("Zhang San", "zhangsan"),
        ("zsf", "zsf"),
        ("xi'an", "xian"),
        ("lü bu", "lvbu"),
        ("LÜ", "lv"),
        ("lu:bu", "lvbu"),
        ("nǚ", "nv"),
        ("zhāng", "zhang"),
        ("ｚｈａｎｇ", "zhang"),
        ("li 3", "li"),
        ("  ", ""),
        ("张三", ""),
    ],
)
def test_normalize_query_keeps_only_letters_and_writes_u_umlaut_as_v(typed: str, normalized: str) -> None:
    assert normalize_query(typed) == normalized


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("zhangsan", True),
        ("Zhang San", True),
        (" xi'an ", True),
        ("zsf", True),
        ("", False),
        ("   ", False),
        ("张三", False),
        ("zhang三", False),
        ("li3", False),
        ("lü", False),
        ("zhang-san", False),
    ],
)
def test_is_pinyin_query_accepts_only_ascii_letters_spaces_and_apostrophes(typed: str, expected: bool) -> None:
    assert is_pinyin_query(typed) is expected


def test_typed_query_matches_a_key() -> None:
    assert normalize_query("Zhang San Feng") in search_keys("张三丰")
    assert normalize_query("lü bu") in search_keys("吕布")
    assert normalize_query("Ou Yang") + "xiu" in search_keys("欧阳修")


def test_ten_thousand_names_are_keyed_quickly() -> None:
    """A sanity loop, not a timed assertion: prints how long 10,000 typical three-character names take."""
    rng = random.Random(20240601)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉春梅海燕文斌晓东长乐行重朝单"
    names = [rng.choice(surnames) + rng.choice(given) + rng.choice(given) for _ in range(10_000)]
    started = time.perf_counter()
    keyed = [search_keys(n) for n in names]
    shown = [name_pinyin(n) for n in names]
    elapsed = time.perf_counter() - started
    print(f"\n10,000 names: search_keys + name_pinyin in {elapsed:.3f} s")
    assert all(keyed) and all(s.count(" ") == 2 for s in shown)


@pytest.mark.parametrize(("name", "wrong"), [("方明", "wang"), ("王芳", "yu"), ("叶青", "xie"), ("陆军", "liu")])
def test_common_surnames_do_not_match_their_rare_readings(name: str, wrong: str) -> None:
    assert not any(key.startswith(wrong) for key in search_keys(name))
