"""Who may be enrolled in which programme, and the facts each programme needs at enrolment (checked, in
Chinese, field by field; nothing is saved when one is wrong).

Service populations (REFERENCE.md §2.4, §8): children from birth to their 7th birthday; women aged 12–55
for a pregnancy (given the last menstrual period, or the gestational age on the day); residents who are 65
or turn 65 this year; hypertension and type-2 diabetes patients aged 35 and over; confirmed severe mental
disorders; tuberculosis patients notified by the designated hospital (one episode per treatment course).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from kangdang.core.errors import ErrorCollector
from kangdang.programmes.codes import Programme
from kangdang.programmes.schedule.types import parse_date
from kangdang.records.context import age_in_years

FEMALE = "2"
MAX_GESTATION_WEEKS = 42


def ineligible(programme: Programme, birth_date: date, sex: str, on: date) -> str | None:
    """Why this resident cannot be enrolled on that day (None when they can)."""
    age = age_in_years(birth_date, on)
    if programme is Programme.CHILD and age >= 7:
        return "0～6岁儿童健康管理的服务对象为未满7周岁的儿童"
    if programme is Programme.ELDERLY and on.year - birth_date.year < 65:
        return "老年人健康管理的服务对象为65岁及以上（含当年满65岁）的居民"
    if programme in (Programme.HYPERTENSION, Programme.DIABETES) and age < 35:
        return f"{programme.label}患者健康管理的服务对象为35岁及以上的居民"
    if programme is Programme.MATERNAL and (sex != FEMALE or not 12 <= age <= 55):
        return "孕产妇健康管理的服务对象为辖区内的孕产妇"
    return None


def _date(
    errors: ErrorCollector, raw: Mapping[str, Any], key: str, label: str, *, low: date, high: date
) -> date | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    day = parse_date(value)
    if day is None:
        errors.add(key, f"{label}：请填写正确的日期，如 2026-03-01")
    elif day > high:
        errors.add(key, f"{label}：不能晚于{high.isoformat()}")
    elif day < low:
        errors.add(key, f"{label}：不能早于{low.isoformat()}")
    return day


def _int(errors: ErrorCollector, raw: Mapping[str, Any], key: str, label: str, low: int, high: int) -> int | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(key, f"{label}：请填写整数")
        return None
    if not low <= number <= high:
        errors.add(key, f"{label}：应在 {low}～{high} 之间")
        return None
    return number


def check_details(
    programme: Programme, raw: Mapping[str, Any], *, birth_date: date, enrolled_on: date, today: date
) -> dict[str, Any]:
    """The programme's episode facts from a form or JSON body, as stored (dates as ISO text)."""
    errors = ErrorCollector()
    details: dict[str, Any] = {}
    if programme is Programme.MATERNAL:
        lmp = _date(errors, raw, "lmp", "末次月经", low=enrolled_on - timedelta(weeks=MAX_GESTATION_WEEKS), high=today)
        weeks = _int(errors, raw, "gestational_weeks", "孕周", 1, MAX_GESTATION_WEEKS)
        days = _int(errors, raw, "gestational_days", "孕周天数", 0, 6) or 0
        if lmp is None and weeks is not None:
            lmp = enrolled_on - timedelta(days=weeks * 7 + days)
        if lmp is None and not errors.errors:
            errors.add("lmp", "末次月经：请填写末次月经日期，或填写纳入时的孕周")
        delivered = _date(errors, raw, "delivery_date", "分娩日期", low=lmp or birth_date, high=today)
        discharged = _date(errors, raw, "discharge_date", "出院日期", low=delivered or birth_date, high=today)
        if discharged is not None and delivered is None:
            errors.add("delivery_date", "分娩日期：填写出院日期时请同时填写分娩日期")
        details.update(lmp=lmp, delivery_date=delivered, discharge_date=discharged)
    elif programme is Programme.TUBERCULOSIS:
        notified = _date(errors, raw, "notified_on", "接到管理通知日期", low=birth_date, high=today)
        if notified is None and not errors.errors:
            errors.add("notified_on", "接到管理通知日期：此项为必填项")
        start = _date(errors, raw, "treatment_start", "开始治疗日期", low=birth_date, high=today)
        patient_type = str(raw.get("patient_type") or "1")
        if patient_type not in ("1", "2"):
            errors.add("patient_type", "患者类型：请选择初治或复治")
        details.update(notified_on=notified, treatment_start=start, patient_type=patient_type)
    elif programme is Programme.CHILD:
        discharged = _date(errors, raw, "discharge_date", "出院日期", low=birth_date, high=today)
        details.update(discharge_date=discharged)
    errors.raise_if_any("纳入管理的信息有误")
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in details.items() if v is not None}
