"""The form engine: typed answers from raw input, enable-when, validation and derived values (pure).

``evaluate`` takes raw answers — strings from a page or JSON values from the API — and returns clean,
JSON-ready answers with the derived values filled in, plus every field error at once. A draft is
checked for types and ranges only; a form being completed is checked in full.

Speed: ``evaluate`` runs for every form saved and for every form the synthetic county generator writes
(millions), so each definition is compiled once into a ``_Plan`` (a reader per item with its option
codes and limits looked up, the items each enable-when can drop, the required items, the formulas) and
a call only visits the items that were answered; how one value is read is in ``records/readers.py``.
The results are the same, error for error and key for key, as walking every item of the definition in
page order (tests/records/test_engine_equivalence.py compares them with that plain walk, kept in
tests/records/reference_engine.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kangdang.core.errors import FieldError
from kangdang.records.catalogue import Catalogue, catalogue
from kangdang.records.context import Answers, FormContext, age_in_days
from kangdang.records.definition import Condition, FormDefinition, Item
from kangdang.records.derivations import DERIVATIONS, VALIDATIONS
from kangdang.records.formulas import FORMULAS
from kangdang.records.readers import Unreadable, blank, checker, reader


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


# --- enable-when ---------------------------------------------------------------------------------------------


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "exists":
        return not blank(left) if right in (None, True) else blank(left)
    if blank(left):
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


def enabled_items(form: FormDefinition, answers: Mapping[str, Any]) -> set[str]:
    """Keys of the items enabled by these answers (what a page shows and what is required)."""
    on: set[str] = set()
    for section in form.sections:
        section_on = is_enabled(section.enable_when, section.enable_behavior, answers)
        for item in section.items:
            if section_on and is_enabled(item.enable_when, item.enable_behavior, answers):
                on.add(item.key)
    return on


# a compiled condition: item key, operator, value, and the result when the item is unanswered
CompiledCondition = tuple[str, str, Any, bool]
Gate = tuple[tuple[CompiledCondition, ...], bool]  # enable-when conditions; True: all must hold, False: any


def _gate(conditions: tuple[Condition, ...], behavior: str) -> Gate:
    compiled = tuple((c.item, c.op, c.value, _compare(None, c.op, c.value)) for c in conditions)
    return compiled, behavior == "all"


def _holds(gate: Gate, answers: Mapping[str, Any]) -> bool:
    """``is_enabled`` of the gate's conditions (stopping at the first condition that decides)."""
    conditions, every = gate
    if not conditions:
        return True
    for key, op, value, unanswered in conditions:
        left = answers.get(key)
        result = unanswered if left is None else _compare(left, op, value)
        if every:
            if not result:
                return False
        elif result:
            return True
    return every


# --- the compiled form ---------------------------------------------------------------------------------------


class _Field:
    """An item typed in (or a column of a repeating group) and how its value is read and checked."""

    __slots__ = ("check", "column_keys", "columns", "key", "label", "max_rows", "read", "required")

    def __init__(self, item: Item, cat: Catalogue) -> None:
        self.key, self.label, self.required = item.key, item.label, item.required
        self.columns = tuple(_Field(column, cat) for column in item.items) if item.type == "repeat" else None
        self.column_keys = frozenset(column.key for column in item.items)
        self.max_rows = item.max_rows
        coded = item.type == "codes" and not (item.value_set and item.value_set not in cat.value_sets)
        exclusive = {o.code: o.label for o in cat.options(item) if o.exclusive} if coded else {}
        self.read = reader(item, cat)
        self.check = checker(item, self.read, exclusive)


class _Plan:
    """What ``evaluate`` needs of one definition, looked up once."""

    def __init__(self, form: FormDefinition, cat: Catalogue) -> None:
        top = list(form.top_items())
        self.known = frozenset(item.key for _, item in top)
        self.labels = {item.key: item.label for _, item in top}
        self.derived_keys = frozenset(item.key for _, item in top if item.derived)
        # items typed in, page order; key → their positions (a key is unique in a checked definition)
        self.fields: list[_Field] = []
        self.where: dict[str, tuple[int, ...]] = {}
        for _, item in top:
            if not (item.derived or item.bind):
                self.where[item.key] = (*self.where.get(item.key, ()), len(self.fields))
                self.fields.append(_Field(item, cat))
        # enable-when: the items a condition (their own or their section's) can drop, page order
        self.section_gates: list[Gate] = [_gate(s.enable_when, s.enable_behavior) for s in form.sections]
        self.gates: list[tuple[int, str, Gate]] = []
        self.gated: dict[str, tuple[int, ...]] = {}
        occurrences: dict[str, list[tuple[Gate, Gate]]] = {}
        always: set[str] = set()  # keys with an occurrence no condition can disable
        for number, section in enumerate(form.sections):
            for item in section.items:
                gate = _gate(item.enable_when, item.enable_behavior)
                conditional = bool(section.enable_when or item.enable_when)
                occurrences.setdefault(item.key, [])
                if not conditional:
                    always.add(item.key)
                else:
                    occurrences[item.key].append((self.section_gates[number], gate))
                    self.gated[item.key] = (*self.gated.get(item.key, ()), len(self.gates))
                    self.gates.append((number, item.key, gate))
        # required items, page order, with the gates of where they appear (none: always enabled)
        self.required = [
            (item.key, item.label, () if item.key in always else tuple(occurrences[item.key]))
            for _, item in top
            if item.required
        ]
        self.formulas = [(item.key, item.formula.fn, item.formula.args) for _, item in top if item.formula]
        self.defaults = [(item.key, item.default_from) for _, item in top if item.default_from]


_PLANS: dict[int, tuple[FormDefinition, Catalogue, _Plan]] = {}
_MAX_PLANS = 256  # forms are few (the catalogue's editions); a bound in case definitions are built on the fly


def _plan_of(form: FormDefinition, cat: Catalogue) -> _Plan:
    entry = _PLANS.get(id(form))
    if entry is not None and entry[0] is form and entry[1] is cat:
        return entry[2]
    plan = _Plan(form, cat)
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[id(form)] = (form, cat, plan)  # the entry keeps the form alive, so its id is not reused
    return plan


# --- evaluation ----------------------------------------------------------------------------------------------


def evaluate(form: FormDefinition, raw: Mapping[str, Any], context: FormContext, *, complete: bool) -> Outcome:
    """Clean answers, derived values and every error; ``complete`` also checks required items and rules."""
    plan = _plan_of(form, catalogue())
    errors: list[FieldError] = []
    if not plan.known.issuperset(raw):
        for key in sorted(set(raw) - plan.known):
            errors.append(FieldError(key, f"{key}：表单中没有这一项"))
    answers: Answers = {}
    where = plan.where
    hits = [position for key in raw if (found := where.get(key)) is not None for position in found]
    hits.sort()
    fields = plan.fields
    for position in hits:
        item = fields[position]
        value = raw.get(item.key)
        if value is None or (value.strip() == "" if type(value) is str else blank(value)):
            continue
        if item.columns is not None:
            rows = _rows(item, value, context, errors)
            if rows:
                answers[item.key] = rows
            continue
        check = item.check
        if check is None:
            try:
                answers[item.key] = item.read(value)
            except Unreadable as exc:
                errors.append(FieldError(item.key, f"{item.label}：{exc}"))
            continue
        typed, message = check(value, context)
        if message is None:
            answers[item.key] = typed
        else:
            errors.append(FieldError(item.key, f"{item.label}：{message}"))
    _apply_enable_when(plan, answers)
    if complete:
        _check_required(plan, answers, errors)
        _check_rules(form, plan, answers, context, errors)
    _derive(form, plan, answers, context)
    return Outcome(answers=answers, errors=errors)


def _rows(repeat: _Field, raw: Any, context: FormContext, errors: list[FieldError]) -> list[dict[str, Any]]:
    """The rows of a repeating group (``raw`` is not blank): rows left empty are dropped, each cell checked."""
    path, label, columns = repeat.key, repeat.label, repeat.columns or ()
    if not isinstance(raw, list) or not all(isinstance(r, Mapping) for r in raw):
        errors.append(FieldError(path, f"{label}：格式有误，应为逐行填写的列表"))
        return []
    rows = [r for r in raw if not all(blank(v) for v in r.values())]
    if repeat.max_rows and len(rows) > repeat.max_rows:
        errors.append(FieldError(path, f"{label}：最多填写 {repeat.max_rows} 行"))
        return []
    clean_rows = []
    for index, row in enumerate(rows):
        unknown = () if repeat.column_keys.issuperset(row) else set(row) - repeat.column_keys
        if unknown:
            names = "、".join(sorted(unknown))
            errors.append(FieldError(f"{path}.{index}", f"{label}：第 {index + 1} 行有未知的栏目：{names}"))
        clean: dict[str, Any] = {}
        for column in columns:
            cell = row.get(column.key)
            if cell is None or (cell.strip() == "" if type(cell) is str else blank(cell)):
                if column.required:
                    message: str | None = "此项为必填项"
                else:
                    continue
            elif column.check is None:
                try:
                    clean[column.key] = column.read(cell)
                    continue
                except Unreadable as exc:
                    message = str(exc)
            else:
                value, message = column.check(cell, context)
                if message is None:
                    clean[column.key] = value
                    continue
            where = f"{path}.{index}.{column.key}"
            errors.append(FieldError(where, f"{label}第 {index + 1} 行的{column.label}：{message}"))
        clean_rows.append(clean)
    return clean_rows


def _apply_enable_when(plan: _Plan, answers: Answers) -> None:
    """Drop answers of disabled items, in page order (a disabled item does not enable others).

    Only answered items can be dropped, so only their conditions are looked at; a section's condition is
    read when its first answered item is reached, before anything of the section is dropped.
    """
    gated = plan.gated
    hits = [position for key in answers if (found := gated.get(key)) is not None for position in found]
    if not hits:
        return
    hits.sort()
    sections_on: dict[int, bool] = {}
    for position in hits:
        number, key, gate = plan.gates[position]
        if key not in answers:
            continue
        section_on = sections_on.get(number)
        if section_on is None:
            section_on = sections_on[number] = _holds(plan.section_gates[number], answers)
        if not section_on or not _holds(gate, answers):
            del answers[key]


def _check_required(plan: _Plan, answers: Answers, errors: list[FieldError]) -> None:
    for key, label, occurrences in plan.required:
        if key in answers:
            continue
        if occurrences:
            for section_gate, item_gate in occurrences:
                if _holds(section_gate, answers) and _holds(item_gate, answers):
                    break
            else:
                continue  # disabled wherever it appears
        already = any(e.field == key or e.field.startswith(f"{key}.") for e in errors)
        if not already:
            errors.append(FieldError(key, f"{label}：此项为必填项"))


def _check_rules(
    form: FormDefinition, plan: _Plan, answers: Answers, context: FormContext, errors: list[FieldError]
) -> None:
    labels = plan.labels

    def error(key: str, label: str, message: str) -> None:
        errors.append(FieldError(key, f"{label}：{message}"))

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
            error(rule.item, labels[rule.item], rule.message or default)
    day = answers.get(form.date_item)
    if isinstance(day, date) and context.filed_on and day < context.filed_on and form.category != "record":
        error(form.date_item, labels[form.date_item], f"不能早于建档日期（{context.filed_on.isoformat()}）")
    if form.validation:
        for key, message in VALIDATIONS[form.validation](answers, context):
            error(key, labels.get(key, key), message)
    fits = form.applies_to
    if fits and isinstance(day, date) and context.birth_date:
        if not fits.admits_age(age_in_days(context.birth_date, day)):
            error(form.date_item, labels[form.date_item], f"这张表用于{fits.label}，该居民在服务日期不符合")
        if fits.sex and context.sex and context.sex != fits.sex:
            error(form.date_item, labels[form.date_item], f"这张表用于{fits.label}，该居民性别不符合")


def _derive(form: FormDefinition, plan: _Plan, answers: Answers, context: FormContext) -> None:
    for key, fn, args in plan.formulas:
        value = FORMULAS[fn](answers, context, args)
        if value is not None:
            answers[key] = value
    if form.derivation:
        derived_keys = plan.derived_keys
        for key, value in DERIVATIONS[form.derivation](answers, context).items():
            if key in derived_keys and value is not None:
                answers[key] = value
    for key, source in plan.defaults:
        if key not in answers and source in answers:
            answers[key] = answers[source]


_AS_IS = frozenset({str, int, float, bool, type(None)})  # stored unchanged


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is date:
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_json(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers as stored (dates as ISO text)."""
    return {k: _plain(v) for k, v in answers.items()}
