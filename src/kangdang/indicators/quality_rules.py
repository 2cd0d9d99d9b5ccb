"""Automatic quality rules (质量控制) of a health record, as pure functions of its bundle.

Three kinds (issue 6, REFERENCE.md §1.6 item 5, §1.7 "无效档案"):
- completeness: the 个人基本信息表 is missing, or required basic items are empty; ``invalid_empty_items`` (3) or
  more empty items make the record invalid (无效档案);
- logic: sex and birth date against the identity number, a form for another age or sex, impossible values
  (systolic not above diastolic), dates out of order (a service before birth, a form signed before its service);
- timeliness: a form entered more than ``late_entry_days`` after the service.

Each issue knows the days it holds (``since`` … ``until``), so the status of a record on any day — the
qualified rate of a past month — comes from one pass over its forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from kangdang.core.errors import NotFound
from kangdang.core.idnumber import IdNumberError, parse_id_number
from kangdang.indicators.bundle import Bundle, FormFact
from kangdang.indicators.parameters import Parameters
from kangdang.programmes.facts_courses import number
from kangdang.records.catalogue import catalogue
from kangdang.records.context import add_months
from kangdang.records.definition import FormDefinition

CHILD_MONTHS = 84  # children 0–6 file the newborn visit instead of the 个人基本信息表
SEVERITY = {"ok": 0, "defective": 1, "invalid": 2}
STATUS_LABELS = {"ok": "合格", "defective": "有缺陷", "invalid": "无效档案"}
ID_CARD = "01"


@dataclass(frozen=True)
class Issue:
    # basic_info_missing | basic_info_empty | id_mismatch | age_form | impossible_value | date_order | late_entry
    rule: str
    text: str  # Chinese, shown to the records manager
    severity: str  # defective | invalid
    since: date
    until: date | None = None  # the day a newer form replaced the one at fault (exclusive)
    form: str | None = None  # the form to open to fix it

    def holds_on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)


@dataclass(frozen=True)
class Quality:
    status: str  # ok | defective | invalid
    issues: tuple[Issue, ...]

    @property
    def summary(self) -> str | None:
        return "；".join(i.text for i in self.issues) or None


def quality_on(issues: list[Issue], day: date) -> Quality:
    """The record's quality on a day, from its issues (``record_issues``)."""
    holding = tuple(i for i in issues if i.holds_on(day))
    status = max((i.severity for i in holding), key=SEVERITY.__getitem__, default="ok")
    return Quality(status, holding)


def record_issues(bundle: Bundle, params: Parameters) -> list[Issue]:
    """Every quality issue of the record, each with the days it holds."""
    return [*_basic_info(bundle, params), *_identity(bundle), *_record_dates(bundle), *_forms_issues(bundle, params)]


@cache
def _applies(code: str) -> tuple[int | None, int | None, str | None]:
    """Who a form is for: (minimum age in days, maximum age in days (exclusive), sex), None where free."""
    definition = _definition(code)
    applies = definition.applies_to if definition else None
    return (applies.min_age_days, applies.max_age_days, applies.sex) if applies else (None, None, None)


def _forms_issues(bundle: Bundle, params: Parameters) -> list[Issue]:
    """The issues of every form, in order; a form passes a quick look first, and only a form that may be at fault
    is judged in full (``_form_issues``)."""
    found: list[Issue] = []
    born, sex, late_days = bundle.birth_date, bundle.sex, params.late_entry_days
    for form in bundle.forms:
        day, signed = form.day, form.signed_on
        youngest, oldest, only = _applies(form.code)
        age = (day - born).days
        suspect = (
            age < 0
            or (signed is not None and (signed < day or (signed - day).days > late_days))
            or (youngest is not None and age < youngest)
            or (oldest is not None and age >= oldest)
            or (only is not None and sex != only)
        )
        if not suspect and form.answers:
            sbp, dbp = number(form.answers.get("sbp")), number(form.answers.get("dbp"))
            suspect = sbp is not None and dbp is not None and sbp <= dbp
        if suspect:
            found.extend(_form_issues(bundle, form, params))
    return found


@cache
def _definition(code: str) -> FormDefinition | None:
    try:
        return catalogue().form(code)
    except NotFound:
        return None


@cache
def _basic_items() -> tuple[tuple[str, str], ...]:
    definition = _definition("personal_basic_info")
    return tuple(basic_items(definition)) if definition else ()


def basic_item_keys() -> tuple[str, ...]:
    """The keys of the required basic items (what ``_basic_info`` reads of the 个人基本信息表)."""
    return tuple(key for key, _label in _basic_items())


def basic_items(form: FormDefinition) -> list[tuple[str, str]]:
    """The required items of the 个人基本信息表 asked of everyone (not those enabled by another answer)."""
    return [
        (item.key, item.label)
        for section, item in form.top_items()
        if item.required and not item.enable_when and not section.enable_when and not item.bind and not item.derived
    ]


def _basic_info(bundle: Bundle, params: Parameters) -> list[Issue]:
    adult_from = add_months(bundle.birth_date, CHILD_MONTHS)  # until the 7th birthday the newborn visit files
    forms = bundle.by_code.get("personal_basic_info", [])
    issues: list[Issue] = []
    first = forms[0].day if forms else None
    # no basic form: an adult's record is invalid from filing (or the 7th birthday) until the first one
    missing_from = max(bundle.filed_on, adult_from)
    if first is None or first > missing_from:
        issues.append(
            Issue("basic_info_missing", "个人基本信息表未填写", "invalid", missing_from, first, "personal_basic_info")
        )
    items = _basic_items()
    for index, form in enumerate(forms):
        until = forms[index + 1].day if index + 1 < len(forms) else None
        answers = form.answers
        empty = [label for key, label in items if (v := answers.get(key)) is None or v == "" or v == [] or v == {}]
        if not empty:
            continue
        severity = "invalid" if len(empty) >= params.invalid_empty_items else "defective"
        text = f"个人基本信息表缺{len(empty)}项：{'、'.join(empty[:6])}{'等' if len(empty) > 6 else ''}"
        issues.append(Issue("basic_info_empty", text, severity, form.day, until, "personal_basic_info"))
    return issues


def _identity(bundle: Bundle) -> list[Issue]:
    if bundle.document_type != ID_CARD or not bundle.document_number:
        return []
    try:
        parsed = parse_id_number(bundle.document_number, today=date.max - timedelta(days=1))
    except IdNumberError as error:
        return [Issue("id_mismatch", f"身份证号有误：{error}", "defective", bundle.filed_on)]
    issues = []
    if parsed.birth_date != bundle.birth_date:
        issues.append(Issue("id_mismatch", "出生日期与身份证号不符", "defective", bundle.filed_on))
    if bundle.sex in ("1", "2") and parsed.sex != bundle.sex:
        issues.append(Issue("id_mismatch", "性别与身份证号不符", "defective", bundle.filed_on))
    return issues


def _record_dates(bundle: Bundle) -> list[Issue]:
    if bundle.filed_on < bundle.birth_date:
        return [Issue("date_order", "建档日期早于出生日期", "defective", bundle.filed_on)]
    return []


def _form_issues(bundle: Bundle, form: FormFact, params: Parameters) -> list[Issue]:
    definition = _definition(form.code)
    title = definition.title if definition else form.code
    issues = []
    if form.day < bundle.birth_date:
        issues.append(Issue("date_order", f"{title}：服务日期早于出生日期", "defective", form.day, form=form.code))
    if form.signed_on is not None and form.signed_on < form.day:
        issues.append(Issue("date_order", f"{title}：签名日期早于服务日期", "defective", form.day, form=form.code))
    if form.signed_on is not None and (form.signed_on - form.day).days > params.late_entry_days:
        late = (form.signed_on - form.day).days
        issues.append(
            Issue("late_entry", f"{title}：服务后{late}天才录入", "defective", form.signed_on, form=form.code)
        )
    applies = definition.applies_to if definition else None
    if applies is not None:
        age_days = (form.day - bundle.birth_date).days
        wrong_age = (applies.min_age_days is not None and age_days < applies.min_age_days) or (
            applies.max_age_days is not None and age_days >= applies.max_age_days
        )
        wrong_sex = applies.sex is not None and bundle.sex != applies.sex
        if wrong_age or wrong_sex:
            issues.append(
                Issue(
                    "age_form",
                    f"{title}：适用于{applies.label}，与居民年龄或性别不符",
                    "defective",
                    form.day,
                    form=form.code,
                )
            )
    sbp, dbp = number(form.answers.get("sbp")), number(form.answers.get("dbp"))
    if sbp is not None and dbp is not None and sbp <= dbp:
        issues.append(
            Issue(
                "impossible_value",
                f"{title}：收缩压（{sbp}）不高于舒张压（{dbp}）",
                "defective",
                form.day,
                form=form.code,
            )
        )
    return issues
