"""孕产妇健康管理 forms: gestational weeks against the visit, 早孕建册 and days after discharge.

From the 2017 孕产妇健康管理服务规范 (REFERENCE.md §2.4.3 and §8): the first antenatal check and
the 建册 are due before 13 weeks (早孕建册率 counts women registered "孕13周之前"); the 2nd to 5th
antenatal visits fall at 16–20, 21–24, 28–36 and 37–40 weeks; the postpartum home visit is counted
for 产后访视率 when it happens within 28 days of discharge, and the 42-day check closes the episode.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kangdang.records.context import Answers, FormContext

# 第2～5次产前随访: the gestational weeks printed on the form for each visit (inclusive)
VISIT_WEEKS: dict[str, tuple[int, int]] = {"2": (16, 20), "3": (21, 24), "4": (28, 36), "5": (37, 40)}
EARLY_REGISTRATION_WEEKS = 13  # 早孕建册: registered and first check before 13 weeks
LMP_TOLERANCE_DAYS = 14  # 孕周 may differ from the LMP-derived age by at most 2 weeks (early dating scans)


def _date(answers: Answers, key: str) -> date | None:
    value = answers.get(key)
    return value if isinstance(value, date) else None


def _int(answers: Answers, key: str) -> int | None:
    value = answers.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def days_since_lmp(answers: Answers) -> int | None:
    """Days from the last menstrual period (末次月经) to the service date, when both are known."""
    lmp, day = _date(answers, "lmp"), _date(answers, "visit_date")
    if lmp is None or day is None or day < lmp:
        return None
    return (day - lmp).days


def stated_gestation_days(answers: Answers) -> int | None:
    """The 孕周 written on the form in days (weeks × 7 + the extra days, 孕12+3周 = 87 days)."""
    weeks = _int(answers, "gestational_weeks")
    if weeks is None:
        return None
    return weeks * 7 + (_int(answers, "gestational_days") or 0)


def derive_first(answers: Answers, context: FormContext) -> dict[str, Any]:
    """孕13周之前建册 = the 孕周 on the first check (or, if not written, the LMP-derived weeks) is below 13."""
    weeks = _int(answers, "gestational_weeks")
    if weeks is None:
        since = days_since_lmp(answers)
        weeks = None if since is None else since // 7
    if weeks is None:
        return {}
    return {"early_registration": weeks < EARLY_REGISTRATION_WEEKS}


def validate_first(answers: Answers, context: FormContext) -> list[tuple[str, str]]:
    """第1次产前检查: 末次月经 given or 不详; 孕周 agrees with it (±2 weeks); 孕次 covers 产次 and 流产."""
    problems: list[tuple[str, str]] = []
    lmp, day = _date(answers, "lmp"), _date(answers, "visit_date")
    if lmp is None and answers.get("lmp_unknown") is not True:
        problems.append(("lmp", "请填写末次月经日期，或勾选“末次月经不详”"))
    if lmp is not None and day is not None and lmp > day:
        problems.append(("lmp", "不能晚于填表日期"))
    since, stated = days_since_lmp(answers), stated_gestation_days(answers)
    if since is not None and stated is not None and abs(stated - since) > LMP_TOLERANCE_DAYS:
        problems.append(
            ("gestational_weeks", f"与末次月经推算的孕{since // 7}+{since % 7}周相差超过2周，请核对孕周或末次月经")
        )
    gravidity = _int(answers, "gravidity")
    if gravidity is not None:
        keys = ("parity_vaginal", "parity_caesarean", "spontaneous_abortions", "induced_abortions")
        before = sum(_int(answers, key) or 0 for key in keys)
        if before > gravidity - 1:
            problems.append(("gravidity", f"以往分娩与流产共{before}次，加上本次妊娠，孕次至少应为{before + 1}"))
    return problems


def validate_followup(answers: Answers, context: FormContext) -> list[tuple[str, str]]:
    """第2～5次产前随访: the 孕周 must fall in the weeks printed for the visit (第3次: 21–24周, inclusive)."""
    number, weeks = answers.get("visit_number"), _int(answers, "gestational_weeks")
    if not isinstance(number, str) or number not in VISIT_WEEKS or weeks is None:
        return []
    low, high = VISIT_WEEKS[number]
    if low <= weeks <= high:
        return []
    return [("gestational_weeks", f"第{number}次产前随访应在孕{low}～{high}周，本次填写为孕{weeks}周")]


def derive_postpartum(answers: Answers, context: FormContext) -> dict[str, Any]:
    """出院后天数 = 随访日期 − 出院日期 (产后访视率: within 28 days); 产后天数 = 随访日期 − 分娩日期."""
    day = _date(answers, "visit_date")
    if day is None:
        return {}
    out: dict[str, Any] = {}
    discharged, delivered = _date(answers, "discharge_date"), _date(answers, "delivery_date")
    if discharged is not None and day >= discharged:
        out["days_after_discharge"] = (day - discharged).days
    if delivered is not None and day >= delivered:
        out["days_after_delivery"] = (day - delivered).days
    return out


RULES = {"antenatal_first": derive_first, "postpartum": derive_postpartum}
VALIDATIONS = {"antenatal_first": validate_first, "antenatal_weeks": validate_followup}
