"""Reading one raw answer as its item's type, and the checks the typed value gets (pure; for the form engine).

A page sends text, the API JSON values; ``reader`` builds, once per item, the function that turns either
into the typed value (or raises ``Unreadable`` with the Chinese reason), and ``checker`` the range, date
and exclusive-option checks that follow. Plain cases (an ``int`` for an integer item, a ``float`` or plain
decimal text with no more decimals than the item keeps) skip ``Decimal``: they give the same value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from kangdang.records.catalogue import Catalogue
from kangdang.records.context import FormContext
from kangdang.records.definition import Item

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-()]{3,24}$")
_DIGITS = re.compile(r"[0-9]{1,12}")  # a plain non-negative integer: read without Decimal (same value)
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.([0-9]*))?")
_TRUE = {"true", "1", "yes", "是", "on"}
_FALSE = {"false", "0", "no", "否"}
_LIMIT = 10**12  # numbers must stay below this in magnitude
_MAX_CHARS = 20  # longest number text accepted
_EXACT_PLACES = 15  # up to this many decimals, a value with no more decimals is kept as is (no rounding)

Reader = Callable[[Any], Any]  # raw value (not blank) → typed value, or raises Unreadable


class Unreadable(ValueError):
    """A value that cannot be read as its item's type; the message is the Chinese reason."""


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _number_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Unreadable("请输入数字")
    text = str(value).strip().replace("，", ".").replace(",", ".")
    if len(text) > _MAX_CHARS:
        raise Unreadable("数值过长")
    return text


# --- readers: one per item, built when the form is compiled -------------------------------------------------


def _text_reader(max_length: int | None) -> Reader:
    def read(value: Any) -> str:
        if type(value) is str:
            text = value.replace("\x00", "").strip()
        elif isinstance(value, str | int | float):
            text = str(value).replace("\x00", "").strip()
        else:
            raise Unreadable("请输入文字")
        if max_length and len(text) > max_length:
            raise Unreadable(f"最多 {max_length} 个字")
        return text

    return read


def _read_phone(value: Any) -> str:
    if not isinstance(value, str | int):
        raise Unreadable("请输入电话号码")
    text = str(value).strip()
    digits = [ch for ch in text if ch.isdigit()]
    if not _PHONE.match(text) or not 5 <= len(digits) <= 20:
        raise Unreadable("电话号码格式有误（只能包含数字、空格、+ 和 -）")
    return text


def _too_big(value: int, message: str) -> Unreadable:
    """An integer at or beyond the limit: too long to read at all, or out of range."""
    return Unreadable("数值过长" if len(str(value)) > _MAX_CHARS else message)


def _read_integer(value: Any) -> int:
    kind = type(value)
    if kind is int:  # what Decimal(str(value)) would give back
        if -_LIMIT < value < _LIMIT:
            return value
        raise _too_big(value, "请输入整数")
    if kind is str:
        text = value.strip()
        if _DIGITS.fullmatch(text):
            return int(text)
    elif kind is float and -1e12 < value < 1e12 and value.is_integer():  # 3.0: repr "3.0", no exponent
        return int(value)
    try:
        number = Decimal(_number_text(value))
    except InvalidOperation:
        raise Unreadable("请输入整数") from None
    if not number.is_finite() or abs(number) >= _LIMIT or number != number.to_integral_value():
        raise Unreadable("请输入整数")
    return int(number)


def _decimal_reader(places: int) -> Reader:
    """Numbers rounded to ``places`` decimals (half to even, on the decimal text as typed)."""
    exact = 0 <= places <= _EXACT_PLACES  # then a value with at most ``places`` decimals reads as itself

    def read(value: Any) -> float:
        if exact:
            kind = type(value)
            if kind is int:
                if -_LIMIT < value < _LIMIT:
                    return float(value)
                raise _too_big(value, "请输入数字")
            if kind is float:
                text = repr(value)
                if -1e12 < value < 1e12 and "e" not in text and len(text) - text.index(".") - 1 <= places:
                    return value
            elif kind is str:
                text = value.strip()
                match = _PLAIN_DECIMAL.fullmatch(text)
                if match and len(text) <= _MAX_CHARS and len(match.group(1) or "") <= places:
                    return float(text)
        try:
            number = Decimal(_number_text(value))
        except InvalidOperation:
            raise Unreadable("请输入数字") from None
        if not number.is_finite() or abs(number) >= _LIMIT:
            raise Unreadable("请输入数字")
        return float(round(number, places))

    return read


def _read_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise Unreadable("日期格式应为 年-月-日，例如 2026-05-01")
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise Unreadable("日期格式应为 年-月-日，例如 2026-05-01") from None


def _read_month(value: Any) -> str:
    match = _MONTH.match(str(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise Unreadable("年月格式应为 年-月，例如 2019-06")
    return f"{match.group(1)}-{int(match.group(2)):02d}"


def _read_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Unreadable("请选择“是”或“否”")


def _code_reader(codes: frozenset[str]) -> Reader:
    def read(value: Any) -> str:
        code = str(value).strip()
        if code not in codes:
            raise Unreadable("请从选项中选择")
        return code

    return read


def _codes_reader(codes: frozenset[str], order: dict[str, int]) -> Reader:
    def read(value: Any) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if type(v) is not str and (not isinstance(v, str | int) or isinstance(v, bool)):
                raise Unreadable("请从选项中选择")
        chosen: list[str] = []
        for v in values:
            if type(v) is str:
                text = v.strip()
                if text:
                    chosen.append(text)
            elif not blank(v):
                chosen.append(str(v).strip())
        for code in chosen:
            if code not in codes:
                raise Unreadable("请从选项中选择")
        return chosen if len(chosen) == 1 else sorted(set(chosen), key=order.__getitem__)

    return read


def _read_row_by_row(value: Any) -> Any:
    raise AssertionError("a repeating group is read row by row (_rows)")


def reader(item: Item, cat: Catalogue) -> Reader:
    kind = item.type
    if kind == "repeat":
        return _read_row_by_row
    if kind == "text":
        return _text_reader(item.max_length)
    if kind == "decimal":
        return _decimal_reader(item.decimals if item.decimals is not None else 2)
    simple: dict[str, Reader] = {
        "phone": _read_phone,
        "integer": _read_integer,
        "date": _read_date,
        "month": _read_month,
        "boolean": _read_boolean,
    }
    if kind in simple:
        return simple[kind]
    if item.value_set and item.value_set not in cat.value_sets:
        return lambda value: cat.options(item)  # an unchecked definition: fails on use, as the lookup would
    options = cat.options(item)
    codes = frozenset(o.code for o in options)
    if kind == "code":
        return _code_reader(codes)
    if kind == "codes":
        order: dict[str, int] = {}
        for index, option in enumerate(options):
            order.setdefault(option.code, index)
        return _codes_reader(codes, order)
    raise AssertionError(kind)


def _range_message(item: Item) -> str:
    unit = item.unit or ""
    lo = "" if item.min is None else f"{item.min:g}"
    hi = "" if item.max is None else f"{item.max:g}"
    if item.min is not None and item.max is not None:
        return f"应在 {lo}～{hi}{unit} 之间"
    return f"不能小于 {lo}{unit}" if item.min is not None else f"不能大于 {hi}{unit}"


Check = Callable[[Any, FormContext], tuple[Any, str | None]]  # raw value (not blank) → (typed value, refusal)


def checker(item: Item, read: Reader, exclusive: dict[str, str]) -> Check | None:
    """The checks a value of ``item`` gets after it is read (range, date limits, exclusive options), if any."""
    kind = item.type
    lo, hi = item.min, item.max
    if kind in ("integer", "decimal") and (lo is not None or hi is not None):
        refused = _range_message(item)

        def in_range(raw: Any, context: FormContext) -> tuple[Any, str | None]:
            try:
                value = read(raw)
            except Unreadable as exc:
                return None, str(exc)
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                return None, refused
            return value, None

        return in_range
    if kind == "date" and (item.not_future or item.not_before_birth):
        not_future, not_before_birth = item.not_future, item.not_before_birth

        def dated(raw: Any, context: FormContext) -> tuple[Any, str | None]:
            try:
                value = read(raw)
            except Unreadable as exc:
                return None, str(exc)
            if not_future and value > context.today:
                return None, "不能晚于今天"
            birth = context.birth_date
            if not_before_birth and birth and value < birth:
                return None, f"不能早于出生日期（{birth.isoformat()}）"
            return value, None

        return dated
    if exclusive:

        def alone(raw: Any, context: FormContext) -> tuple[Any, str | None]:
            try:
                value = read(raw)
            except Unreadable as exc:
                return None, str(exc)
            both = [exclusive[c] for c in value if c in exclusive]
            if both and len(value) > 1:
                return None, f"选了“{both[0]}”就不能再选其他项"
            return value, None

        return alone
    return None  # reading is all there is to it
