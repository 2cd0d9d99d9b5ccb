"""Filing residents in tests through the real service."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from kangdang.core.idnumber import check_character
from kangdang.residents.schemas import ResidentRegistration
from kangdang.residents.service import register_resident

XINSHI_VILLAGE = "330521102200"  # 句城村委会 (新市镇) — the demo village doctor cunyi's catchment
XINSHI_OTHER = "330521102201"  # 梅林村委会 (新市镇)
MOGANSHAN_VILLAGE = "330521115200"  # a village of 莫干山镇

_serial = itertools.count(100)


def id_number(born: date, sex: str = "1") -> str:
    n = (next(_serial) % 500) * 2 + (1 if sex == "1" else 0)
    first17 = f"330521{born:%Y%m%d}{n:03d}"
    return first17 + check_character(first17)


def file_resident(
    db: Any,
    actor: Any,
    *,
    name: str = "王建国",
    born: date = date(1958, 3, 4),
    sex: str = "1",
    village: str = XINSHI_VILLAGE,
    **extra: Any,
) -> Any:
    data = {
        "document_number": id_number(born, sex),
        "name": name,
        "current_region_code": village,
        "confirm_duplicates": True,
    } | extra
    return register_resident(db, actor, ResidentRegistration(**data))
