"""Reference for the form engine (tests only): the plain walk over every item of a definition.

This is ``kangdang.records.engine`` as it was before it compiled definitions into plans (issue 8,
speed of the synthetic county generator), kept unchanged as the oracle that
tests/records/test_engine_equivalence.py and ``formkit.fill`` compare the engine with. It walks every
item in page order on every call: slow, but obviously what the definitions say. Do not "fix" it to
match the engine; a behaviour change goes into both, deliberately.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from kangdang.core.errors import FieldError
from kangdang.records.catalogue import Catalogue, catalogue
from kangdang.records.context import Answers, FormContext, age_in_days
from kangdang.records.definition import Condition, FormDefinition, Item
from kangdang.records.derivations import DERIVATIONS, VALIDATIONS
from kangdang.records.formulas import FORMULAS

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-()]{3,24}$")
_TRUE = {"true", "1", "yes", "是", "on"}
_FALSE = {"false", "0", "no", "否"}


class _Bad(ValueError):
    """A value that cannot be read as its item's type; the message is the Chinese reason."""


@dataclass
class Outcome:
    answers: Answers  # typed values (dates as date); see ``to_json`` for storage
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def service_date(self, form: FormDefinition) -> date | None:
        value = self.answers.get(form.date_item)
        return value if isinstance(value, date) else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _number_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Bad("请输入数字")
    text = str(value).strip().replace("，", ".").replace(",", ".")
    if len(text) > 20:
        raise _Bad("数值过长")
    return text


def _coerce(item: Item, value: Any, cat: Catalogue) -> Any:
    kind = item.type
    if kind == "text":
        if not isinstance(value, str | int | float):
            raise _Bad("请输入文字")
        text = str(value).replace("\x00", "").strip()
        if item.max_length and len(text) > item.max_length:
            raise _Bad(f"最多 {item.max_length} 个字")
        return text
    if kind == "phone":
        if not isinstance(value, str | int):
            raise _Bad("请输入电话号码")
        text = str(value).strip()
        digits = [ch for ch in text if ch.isdigit()]
        if not _PHONE.match(text) or not 5 <= len(digits) <= 20:
            raise _Bad("电话号码格式有误（只能包含数字、空格、+ 和 -）")
        return text
    if kind == "integer":
        try:
            number = Decimal(_number_text(value))
        except InvalidOperation:
            raise _Bad("请输入整数") from None
        if not number.is_finite() or abs(number) >= 10**12 or number != number.to_integral_value():
            raise _Bad("请输入整数")
        return int(number)
    if kind == "decimal":
        try:
            number = Decimal(_number_text(value))
        except InvalidOperation:
            raise _Bad("请输入数字") from None
        if not number.is_finite() or abs(number) >= 10**12:
            raise _Bad("请输入数字")
        places = item.decimals if item.decimals is not None else 2
        return float(round(number, places))
    if kind == "date":
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise _Bad("日期格式应为 年-月-日，例如 2026-05-01")
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise _Bad("日期格式应为 年-月-日，例如 2026-05-01") from None
    if kind == "month":
        match = _MONTH.match(str(value).strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise _Bad("年月格式应为 年-月，例如 2019-06")
        return f"{match.group(1)}-{int(match.group(2)):02d}"
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _Bad("请选择“是”或“否”")
    codes = {o.code for o in cat.options(item)}
    if kind == "code":
        code = str(value).strip()
        if code not in codes:
            raise _Bad("请从选项中选择")
        return code
    if kind == "codes":
        values = value if isinstance(value, list | tuple) else [value]
        if any(not isinstance(v, str | int) or isinstance(v, bool) for v in values):
            raise _Bad("请从选项中选择")
        chosen = [str(v).strip() for v in values if not _blank(v)]
        if any(c not in codes for c in chosen):
            raise _Bad("请从选项中选择")
        order = [o.code for o in cat.options(item)]
        return sorted(set(chosen), key=order.index)
    raise AssertionError(kind)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "exists":
        return not _blank(left) if right in (None, True) else _blank(left)
    if _blank(left):
        return False
    if isinstance(left, list):
        hit = str(right) in left
        return hit if op == "=" else not hit if op == "!=" else False
    if isinstance(left, bool) or isinstance(right, bool):
        return (left == right) if op == "=" else (left != right) if op == "!=" else False
    a: float | str
    b: float | str
    if isinstance(left, int | float) and isinstance(right, int | float):
        a, b = float(left), float(right)
    else:
        a, b = str(left), str(right)
    return {"=": a == b, "!=": a != b, ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]  # type: ignore[operator]


def is_enabled(conditions: Iterable[Condition], behavior: str, answers: Mapping[str, Any]) -> bool:
    results = [_compare(answers.get(c.item), c.op, c.value) for c in conditions]
    if not results:
        return True
    return all(results) if behavior == "all" else any(results)


def _range_message(item: Item) -> str:
    unit = item.unit or ""
    lo = "" if item.min is None else f"{item.min:g}"
    hi = "" if item.max is None else f"{item.max:g}"
    if item.min is not None and item.max is not None:
        return f"应在 {lo}～{hi}{unit} 之间"
    return f"不能小于 {lo}{unit}" if item.min is not None else f"不能大于 {hi}{unit}"


class _Checker:
    def __init__(self, form: FormDefinition, context: FormContext, complete: bool, cat: Catalogue) -> None:
        self.form, self.context, self.complete, self.cat = form, context, complete, cat
        self.errors: list[FieldError] = []

    def error(self, path: str, label: str, message: str) -> None:
        self.errors.append(FieldError(path, f"{label}：{message}"))

    def value(self, item: Item, raw: Any, path: str, label: str) -> Any:
        """One typed value, or None (with an error recorded) when it cannot be read or is out of range."""
        if _blank(raw):
            return None
        try:
            value = _coerce(item, raw, self.cat)
        except _Bad as exc:
            self.error(path, label, str(exc))
            return None
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and ((item.min is not None and value < item.min) or (item.max is not None and value > item.max)):
            self.error(path, label, _range_message(item))
            return None
        if isinstance(value, date):
            if item.not_future and value > self.context.today:
                self.error(path, label, "不能晚于今天")
                return None
            birth = self.context.birth_date
            if item.not_before_birth and birth and value < birth:
                self.error(path, label, f"不能早于出生日期（{birth.isoformat()}）")
                return None
        if isinstance(value, list):
            exclusive = {o.code: o.label for o in self.cat.options(item) if o.exclusive}
            both = [exclusive[c] for c in value if c in exclusive]
            if both and len(value) > 1:
                self.error(path, label, f"选了“{both[0]}”就不能再选其他项")
                return None
        return value

    def rows(self, item: Item, raw: Any, path: str) -> list[dict[str, Any]]:
        if _blank(raw):
            return []
        if not isinstance(raw, list) or not all(isinstance(r, Mapping) for r in raw):
            self.error(path, item.label, "格式有误，应为逐行填写的列表")
            return []
        rows = [r for r in raw if not all(_blank(v) for v in r.values())]
        if item.max_rows and len(rows) > item.max_rows:
            self.error(path, item.label, f"最多填写 {item.max_rows} 行")
            return []
        clean_rows = []
        for index, row in enumerate(rows):
            unknown = set(row) - {c.key for c in item.items}
            if unknown:
                names = "、".join(sorted(unknown))
                self.error(f"{path}.{index}", item.label, f"第 {index + 1} 行有未知的栏目：{names}")
            clean: dict[str, Any] = {}
            for column in item.items:
                label = f"{item.label}第 {index + 1} 行的{column.label}"
                where = f"{path}.{index}.{column.key}"
                value = self.value(column, row.get(column.key), where, label)
                if value is None and column.required and _blank(row.get(column.key)):
                    self.error(where, label, "此项为必填项")
                if value is not None:
                    clean[column.key] = value
            clean_rows.append(clean)
        return clean_rows


def evaluate(form: FormDefinition, raw: Mapping[str, Any], context: FormContext, *, complete: bool) -> Outcome:
    """Clean answers, derived values and every error; ``complete`` also checks required items and rules."""
    cat = catalogue()
    check = _Checker(form, context, complete, cat)
    known = {item.key for _, item in form.top_items()}
    for key in sorted(set(raw) - known):
        check.error(key, key, "表单中没有这一项")
    answers: Answers = {}
    for _, item in form.top_items():
        if item.derived or item.bind:
            continue
        value = raw.get(item.key)
        if item.type == "repeat":
            rows = check.rows(item, value, item.key)
            if rows:
                answers[item.key] = rows
        else:
            typed = check.value(item, value, item.key, item.label)
            if typed is not None:
                answers[item.key] = typed
    _apply_enable_when(form, answers)
    if complete:
        _check_required(form, answers, raw, check)
        _check_rules(form, answers, check)
    _derive(form, answers, context)
    return Outcome(answers=answers, errors=check.errors)


def _apply_enable_when(form: FormDefinition, answers: Answers) -> None:
    """Drop answers of disabled items, in page order (a disabled item does not enable others)."""
    for section in form.sections:
        section_on = is_enabled(section.enable_when, section.enable_behavior, answers)
        for item in section.items:
            if not section_on or not is_enabled(item.enable_when, item.enable_behavior, answers):
                answers.pop(item.key, None)


def enabled_items(form: FormDefinition, answers: Mapping[str, Any]) -> set[str]:
    """Keys of the items enabled by these answers (what a page shows and what is required)."""
    on: set[str] = set()
    for section in form.sections:
        section_on = is_enabled(section.enable_when, section.enable_behavior, answers)
        for item in section.items:
            if section_on and is_enabled(item.enable_when, item.enable_behavior, answers):
                on.add(item.key)
    return on


def _check_required(form: FormDefinition, answers: Answers, raw: Mapping[str, Any], check: _Checker) -> None:
    enabled = enabled_items(form, answers)
    for _, item in form.top_items():
        if item.required and item.key in enabled and item.key not in answers:
            already = any(e.field == item.key or e.field.startswith(f"{item.key}.") for e in check.errors)
            if not already:
                check.error(item.key, item.label, "此项为必填项")


def _check_rules(form: FormDefinition, answers: Answers, check: _Checker) -> None:
    labels = {item.key: item.label for _, item in form.top_items()}
    for rule in form.checks:
        left, right = answers.get(rule.item), answers.get(rule.than)
        if left is None or right is None:
            continue
        broken = {
            "less_than": not left < right,
            "not_before": left < right,
            "not_after": left > right,
        }[rule.rule]
        if broken:
            default = {
                "less_than": f"应低于{labels[rule.than]}",
                "not_before": f"不能早于{labels[rule.than]}",
                "not_after": f"不能晚于{labels[rule.than]}",
            }[rule.rule]
            check.error(rule.item, labels[rule.item], rule.message or default)
    day = answers.get(form.date_item)
    context = check.context
    if isinstance(day, date) and context.filed_on and day < context.filed_on and form.category != "record":
        check.error(form.date_item, labels[form.date_item], f"不能早于建档日期（{context.filed_on.isoformat()}）")
    if form.validation:
        for key, message in VALIDATIONS[form.validation](answers, context):
            check.error(key, labels.get(key, key), message)
    fits = form.applies_to
    if fits and isinstance(day, date) and context.birth_date:
        days = age_in_days(context.birth_date, day)
        too_young = fits.min_age_days is not None and days < fits.min_age_days
        too_old = fits.max_age_days is not None and days >= fits.max_age_days
        if too_young or too_old:
            check.error(form.date_item, labels[form.date_item], f"这张表用于{fits.label}，该居民在服务日期不符合")
        if fits.sex and context.sex and context.sex != fits.sex:
            check.error(form.date_item, labels[form.date_item], f"这张表用于{fits.label}，该居民性别不符合")


def _derive(form: FormDefinition, answers: Answers, context: FormContext) -> None:
    for _, item in form.top_items():
        if item.formula:
            value = FORMULAS[item.formula.fn](answers, context, item.formula.args)
            if value is not None:
                answers[item.key] = value
    if form.derivation:
        derived_keys = {item.key for _, item in form.top_items() if item.derived}
        for key, value in DERIVATIONS[form.derivation](answers, context).items():
            if key in derived_keys and value is not None:
                answers[key] = value
    for _, item in form.top_items():
        if item.default_from and item.key not in answers and item.default_from in answers:
            answers[item.key] = answers[item.default_from]


def to_json(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers as stored (dates as ISO text)."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {k: plain(v) for k, v in answers.items()}
