"""Citizen identity numbers (公民身份号码, GB 11643-1999): validation, 15→18 conversion, birth date, sex.

A pure module shared by the person index and the staff register.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kangdang.core.clock import today_local

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


@dataclass(frozen=True)
class IdNumber:
    value: str  # 18 characters, upper-case X
    birth_date: date
    sex: str  # GB/T 2261.1: "1" male, "2" female

    @property
    def address_code(self) -> str:
        return self.value[:6]


class IdNumberError(ValueError):
    """The Chinese reason an identity number is invalid."""


def check_character(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Validate an 18-digit number (or convert a 15-digit legacy one) and read its birth date and sex."""
    value = raw.strip().upper().replace(" ", "")
    if len(value) == 15:
        if not value.isdigit():
            raise IdNumberError("15 位身份证号只能由数字组成")
        first17 = value[:6] + "19" + value[6:]
        value = first17 + check_character(first17)
    if len(value) != 18:
        raise IdNumberError("身份证号应为 18 位（或旧式 15 位）")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise IdNumberError("身份证号前 17 位须为数字，最后一位为数字或 X")
    if value[0] == "0" or value[:2] in {"00", "10", "20", "30", "40", "60", "70", "80", "90"}:
        raise IdNumberError("身份证号的地址码不正确")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError("身份证号中的出生日期不存在") from None
    if birth > (today or today_local()):
        raise IdNumberError("身份证号中的出生日期晚于今天")
    if birth.year < 1880:
        raise IdNumberError("身份证号中的出生日期不合理")
    if check_character(value[:17]) != value[17]:
        raise IdNumberError("身份证号校验位不正确，请核对")
    return IdNumber(value=value, birth_date=birth, sex="1" if int(value[16]) % 2 else "2")
