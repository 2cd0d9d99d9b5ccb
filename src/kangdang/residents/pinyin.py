"""Pinyin search keys for Chinese personal names (姓名拼音检索).

A pure module: ``name_pinyin`` gives the display reading (张三丰 → "zhang san feng"), ``search_keys`` every
full-pinyin and initials key a user might type (zhangsanfeng, zsf, sanfeng, sf, …), ``normalize_query`` and
``is_pinyin_query`` prepare what was typed. Readings are tone-less, lower-case, with ü written as "v".

It runs for every resident when the index is built, so per-character readings are cached and pypinyin is only
ever asked about one character (or one given name) at a time.
"""

from __future__ import annotations

import heapq
import itertools
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

MAX_COMBINATIONS = 64

# Our own table of surname readings: pypinyin has no surname mode, and its first reading of a polyphonic
# character is the common-word one (单 → dan, 曾 → ceng). A name starting with one of these is read this way
# only — the other readings are not search keys for the surname. Compound (two-character) surnames are
# listed with their syllables; they are recognised before single ones.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    # common surnames whose rare readings would make false matches (searching "yu" must not find 王)
    "王": ("wang",),
    "吴": ("wu",),
    "朱": ("zhu",),
    "许": ("xu",),
    "冯": ("feng",),
    "邓": ("deng",),
    "彭": ("peng",),
    "董": ("dong",),
    "潘": ("pan",),
    "蔡": ("cai",),
    "余": ("yu",),
    "杜": ("du",),
    "叶": ("ye",),
    "丁": ("ding",),
    "姚": ("yao",),
    "陆": ("lu",),
    "汪": ("wang",),
    "夏": ("xia",),
    "方": ("fang",),
    "白": ("bai",),
    "尹": ("yin",),
    "陶": ("tao",),
    "郝": ("hao",),
    "万": ("wan",),
    "莫": ("mo",),
    "汤": ("tang",),
    # compound surnames (复姓)
    "欧阳": ("ou", "yang"),
    "司马": ("si", "ma"),
    "诸葛": ("zhu", "ge"),
    "上官": ("shang", "guan"),
    "东方": ("dong", "fang"),
    "皇甫": ("huang", "fu"),
    "尉迟": ("yu", "chi"),
    "公孙": ("gong", "sun"),
    "长孙": ("zhang", "sun"),
    "慕容": ("mu", "rong"),
    "司徒": ("si", "tu"),
    "令狐": ("ling", "hu"),
    "宇文": ("yu", "wen"),
    "夏侯": ("xia", "hou"),
    "轩辕": ("xuan", "yuan"),
    "端木": ("duan", "mu"),
    "独孤": ("du", "gu"),
    "南宫": ("nan", "gong"),
    "万俟": ("mo", "qi"),
    "闻人": ("wen", "ren"),
    "澹台": ("tan", "tai"),
    "公冶": ("gong", "ye"),
    "太史": ("tai", "shi"),
    "申屠": ("shen", "tu"),
    "呼延": ("hu", "yan"),
    "西门": ("xi", "men"),
    "司空": ("si", "kong"),
    "钟离": ("zhong", "li"),
    "拓跋": ("tuo", "ba"),
    # single surnames read differently from the character's first (common-word) reading, or worth pinning
    "单": ("shan",),
    "曾": ("zeng",),
    "解": ("xie",),
    "区": ("ou",),
    "仇": ("qiu",),
    "朴": ("piao",),
    "查": ("zha",),
    "覃": ("qin",),
    "盖": ("ge",),
    "繁": ("po",),
    "乐": ("yue",),
    "员": ("yun",),
    "种": ("chong",),
    "秘": ("bi",),
    "折": ("she",),
    "缪": ("miao",),
    "召": ("shao",),
    "隗": ("kui",),
    "句": ("gou",),
    "黑": ("he",),
    "宓": ("fu",),
    "逄": ("pang",),
    "晟": ("cheng",),
    "冼": ("xian",),
    "燕": ("yan",),
    "华": ("hua",),
    "任": ("ren",),
    "沈": ("shen",),
    "石": ("shi",),
    "薄": ("bo",),
    "柏": ("bai",),
    "纪": ("ji",),
    "过": ("guo",),
    "翟": ("zhai",),
    "贾": ("jia",),
    "车": ("che",),
    "褚": ("chu",),
    "都": ("du",),
    "藏": ("zang",),
}

# A middle dot (and its look-alikes) separates the parts of a transliterated name: 阿依古丽·买买提.
_SEPARATORS = frozenset("·・•‧∙.")
_TOKEN = re.compile(r"[A-Za-z]+|.", re.DOTALL)
_APOSTROPHES = "'’‘"

Token = tuple[str, ...]  # the readings of one character, or a lower-cased ASCII run as its only "reading"


def _is_syllable(text: str) -> bool:
    return text.isascii() and text.isalpha()


@lru_cache(maxsize=1 << 16)
def _readings(char: str) -> tuple[str, ...]:
    """Every tone-less reading of one character, in pypinyin's order (most common first); () if none."""
    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    seen = dict.fromkeys(r for group in found for r in group if _is_syllable(r))
    return tuple(r.lower() for r in seen)


@lru_cache(maxsize=65536)
def _phrase_reading(text: str) -> tuple[str, ...]:
    """The likeliest reading of a run of characters, using pypinyin's phrase dictionary (长江 → chang jiang)."""
    return tuple(r.lower() for r in lazy_pinyin(text, style=Style.NORMAL, errors="ignore") if _is_syllable(r))


def _parts(name: str) -> list[list[str]]:
    """The name's dot-separated parts, each a list of tokens: one Chinese character or one ASCII letter run."""
    parts: list[list[str]] = [[]]
    for tok in _TOKEN.findall(unicodedata.normalize("NFKC", name or "")):
        if tok in _SEPARATORS:
            parts.append([])
        elif _is_syllable(tok) or _readings(tok):
            parts[-1].append(tok)
    return [p for p in parts if p]


def _surname_length(tokens: Sequence[str]) -> int:
    """How many leading tokens are a surname from our table (2 for a compound one, 1, or 0)."""
    if len(tokens) >= 2 and tokens[0] + tokens[1] in SURNAME_READINGS:
        return 2
    return 1 if tokens and tokens[0] in SURNAME_READINGS else 0


@lru_cache(maxsize=1 << 16)  # the display reading and the search keys both start here
def _analyse(name: str) -> tuple[tuple[Token, ...], tuple[Token, ...], tuple[tuple[int, int], ...]]:
    """Readings per token (all of them, and the display one), and the spans that are keys of their own.

    A plain name has one part: its leading table surname is read as a surname and its given name (after the
    surname, or after the first character) is a span. A dotted name has no surname; each part is a span.
    """
    parts = _parts(name)
    options: list[Token] = []
    display: list[Token] = []
    spans: list[tuple[int, int]] = []
    for tokens in parts:
        start = len(options)
        fixed = _surname_length(tokens) if len(parts) == 1 else 0
        if fixed:
            syllables = SURNAME_READINGS["".join(tokens[:fixed])]
            options += [(s,) for s in syllables]
            display += [(s,) for s in syllables]
        run: list[str] = []
        # a first character not in the table is still read apart from the given name (so a phrase reading is
        # the given name's, shared by every family's 建国 or 秀英, and cached once)
        apart = len(parts) == 1 and not fixed and len(tokens) > 1 and not _is_syllable(tokens[0])
        for index, tok in enumerate([*tokens[fixed:], ""]):
            if tok and not _is_syllable(tok):
                options.append(_readings(tok))
                run.append(tok)
                if not (apart and index == 0):
                    continue
                tok = ""  # the surname's run ends here
            if run:  # a run of Chinese characters ends: read it as a phrase
                display.append(_phrase_reading("".join(run)))
                run = []
            if tok:
                options.append((tok.lower(),))
                display.append((tok.lower(),))
        if len(parts) > 1:
            spans.append((start, len(options)))
        elif len(tokens) > 1:
            spans.append((start + max(fixed, 1), len(options)))
    return tuple(options), tuple(display), tuple(spans)


@lru_cache(maxsize=1 << 16)  # names repeat a lot; the result is an immutable string
def name_pinyin(name: str) -> str:
    """The display reading: "zhang san feng", "shan xiong xin", "ou yang xiu", "anna li"."""
    _, display, _ = _analyse(name)
    return " ".join(s for group in display for s in group)


def _combinations(options: Sequence[Token]) -> list[Token]:
    """Up to MAX_COMBINATIONS choices of one reading per token, likeliest (lowest reading ranks) first."""
    total = 1
    for o in options:
        total *= len(o)
    if total <= MAX_COMBINATIONS:
        return list(itertools.product(*options))
    start = (0,) * len(options)
    heap, seen = [(0, start)], {start}
    chosen: list[Token] = []
    while heap and len(chosen) < MAX_COMBINATIONS:
        rank, index = heapq.heappop(heap)
        chosen.append(tuple(o[i] for o, i in zip(options, index, strict=True)))
        for pos, i in enumerate(index):
            if i + 1 < len(options[pos]):
                nxt = (*index[:pos], i + 1, *index[pos + 1 :])
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (rank + 1, nxt))
    return chosen


@lru_cache(maxsize=1 << 16)  # the result is an immutable frozenset, safe to share
def search_keys(name: str) -> frozenset[str]:
    """Full pinyin and initials of the whole name and of its given name, for every likely reading."""
    options, display, spans = _analyse(name)
    if not options:
        return frozenset()
    combos = _combinations(options)
    phrase = tuple(s for group in display for s in group)
    if len(phrase) == len(options) and phrase not in combos:  # the phrase reading (长江 → chang) is kept
        combos = [phrase, *combos[: MAX_COMBINATIONS - 1]]
    keys: set[str] = set()
    for combo in combos:
        for lo, hi in [(0, len(combo)), *spans]:
            keys.add("".join(combo[lo:hi]))
            keys.add("".join(s[0] for s in combo[lo:hi]))
    keys.discard("")
    return frozenset(keys)


def normalize_query(text: str) -> str:
    """What a typed search becomes before matching keys: "Zhang San" → "zhangsan", "lü" / "lu:" → "lv"."""
    folded = unicodedata.normalize("NFKD", text.lower()).replace("u\u0308", "v").replace("u:", "v")
    return "".join(c for c in folded if "a" <= c <= "z")


def is_pinyin_query(text: str) -> bool:
    """True when the text is pinyin as typed: ASCII letters, spaces and apostrophes, with at least one letter."""
    stripped = text.strip()
    return any(c.isascii() and c.isalpha() for c in stripped) and all(
        (c.isascii() and c.isalpha()) or c == " " or c in _APOSTROPHES for c in stripped
    )
