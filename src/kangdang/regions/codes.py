"""Pure rules of the NBS statistical division codes (统计用区划代码) and urban–rural classes."""

from __future__ import annotations

from enum import IntEnum

URBAN_RURAL_CLASSES = {
    "111": "主城区",
    "112": "城乡结合区",
    "121": "镇中心区",
    "122": "镇乡结合区",
    "123": "特殊区域",
    "210": "乡中心区",
    "220": "村庄",
}

AREA_TYPE_LABELS = {"urban": "城镇", "rural": "乡村"}


class Level(IntEnum):
    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5

    @property
    def digits(self) -> int:
        return LEVEL_DIGITS[self]

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_DIGITS = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}
LEVEL_LABELS = {
    Level.PROVINCE: "省级",
    Level.CITY: "地级",
    Level.COUNTY: "县级",
    Level.TOWNSHIP: "乡级",
    Level.VILLAGE: "村级",
}
DIGITS_LEVEL = {digits: level for level, digits in LEVEL_DIGITS.items()}


def level_of(code: str) -> Level | None:
    """The level a code's length implies, or None when the code is not a division code."""
    if not code.isdigit() or not code.isascii():
        return None
    return DIGITS_LEVEL.get(len(code))


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level is None or level is Level.PROVINCE:
        return None
    return code[: Level(level - 1).digits]


def area_type_of_class(urban_rural_class: str) -> str:
    return "urban" if urban_rural_class.startswith("1") else "rural"


def derived_area_type(village_code: str, name: str) -> str:
    """Urban for a residents' committee (居委会, NBS 001–199), rural for a villagers' committee."""
    if name.endswith("居委会") or name.endswith("社区"):
        return "urban"
    if name.endswith("村委会"):
        return "rural"
    return "urban" if int(village_code[-3:]) < 200 else "rural"


def is_valid_class(value: str) -> bool:
    return value in URBAN_RURAL_CLASSES
