"""The compiled form engine gives exactly what the plain walk over a definition gives.

``kangdang.records.engine`` compiles each definition once and visits only the answered items; the
reference (tests/records/reference_engine.py, the engine as it was before) walks every item on every
call. For every form of the catalogue (every edition) both are fed the same inputs — a valid example,
each input item in turn replaced by awkward values (blanks, wrong types, limits, malformed numbers and
dates, unknown and exclusive codes, broken rows), and seeded random mixes that switch enable-when
conditions on and off, under varied contexts — and must agree on the answers (values, types and key
order), the errors (fields, messages, order) and any exception. The hand-written examples of
tests/records/forms/ are compared too: ``formkit.fill`` runs both engines on every call.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from kangdang.records import engine
from kangdang.records.catalogue import _check_form, catalogue
from kangdang.records.context import FormContext
from kangdang.records.definition import FormDefinition, Item
from kangdang.records.derivations import tcm
from tests.records import reference_engine
from tests.records.formkit import TODAY, assert_same_as_reference, outcome_of

EDITIONS = sorted(catalogue().editions)
BORN = date(1960, 3, 15)
CONTEXTS = [
    FormContext(today=TODAY, birth_date=BORN, sex="1", filed_on=date(2018, 1, 10)),
    FormContext(today=TODAY, birth_date=None, sex=None, filed_on=None),
    FormContext(today=TODAY, birth_date=TODAY - timedelta(days=200), sex="2", filed_on=TODAY - timedelta(days=100)),
    FormContext(today=TODAY, birth_date=TODAY - timedelta(days=4 * 365), sex="2", filed_on=TODAY),
    FormContext(today=TODAY, birth_date=BORN, sex="1", previous={"classification": "2", "adverse_reaction": "2"}),
]
NASTY: list[Any] = [None, "", "  ", [], {}, True, False, 0, -1, 1, "abc", 3.5, "\x00", ["1"], {"a": 1}, 10**13]


def _numbers(item: Item) -> list[Any]:
    low = item.min if item.min is not None else 0
    high = item.max if item.max is not None else 100
    edges = [low, high, low - 1, high + 1, (low + high) / 2, str(low), str(high), f"{high + 0.5:g}"]
    return [
        *edges,
        "12", " 12 ", "12.0", "12.5", "007", "１２", "1,5", "1，5", "-3", "1e3", "1_0", "nan", "inf", "-inf",
        "9" * 21, "9" * 12, "9" * 13, "-" + "9" * 12, str(10**12), "1000000000000.5", "0" * 13,
        "5.", ".5", "-0.0", "36.55", "36.549", "2.675", 12, 12.0, 12.5, 36.55, 2.675,
        0.1 + 0.2, 1e-05, -0.0, 10**12, 10**12 - 1, -(10**12) + 1, 2**70, 123456789012.5, 1e12, 99999999999.99,
        float("nan"), float("inf"), True,
    ]  # fmt: skip


def probes(item: Item) -> list[Any]:
    """Values worth trying in ``item``: good ones, limits, and what a careless page or client sends."""
    kind = item.type
    if kind == "text":
        limit = item.max_length or 10
        return ["演示", " 演示 ", "a\x00b", "x" * limit, "x" * (limit + 1), 12, 1.5, ["a"], None, "", " "]
    if kind == "phone":
        return ["13800138000", "+86 138-0013-8000", "(0572) 812345", "123", "abc", 13800138000, "1" * 25, 5.5, ""]
    if kind in ("integer", "decimal"):
        return _numbers(item) + NASTY
    if kind == "date":
        days = [TODAY, TODAY - timedelta(days=30), TODAY + timedelta(days=30), BORN - timedelta(days=1), BORN]
        texts = [d.isoformat() for d in days]
        return [*texts, days[1], " 2026-05-01 ", "20260501", "2026-13-01", "2026-5-1", "2026/05/01", 20260501, ""]
    if kind == "month":
        return ["2019-06", "2019-6", "2019-13", "2019-00", " 2019-06 ", "201906", 201906, "2019-06-01", ""]
    if kind == "boolean":
        return [True, False, "true", "是", "否", "yes", "on", "off", "maybe", 1, 0, 2, "", None]
    if kind == "repeat":
        good = {c.key: probes(c)[0] for c in item.items}
        half = {c.key: probes(c)[0] for c in item.items if not c.required}
        needed = {c.key: probes(c)[0] for c in item.items if c.required}
        bad = {c.key: "不是数字" for c in item.items}
        many = [good] * ((item.max_rows or 5) + 1)
        return [
            [good],
            [good, good],
            [{}],
            [good, {}],
            [half],
            [bad],
            [needed],
            [good | {"zzz": "1"}],
            many,
            "行",
            [1],
            [],
        ]
    codes = [o.code for o in catalogue().options(item)]
    exclusive = [o.code for o in catalogue().options(item) if o.exclusive]
    if kind == "code":
        return [*codes, f" {codes[0]} ", int(codes[0]) if codes[0].isdigit() else codes[0], "zzz", [codes[0]], ""]
    chosen: list[Any] = [[c] for c in codes] + [codes, list(reversed(codes)), codes[0], [f" {codes[0]} ", codes[0]]]
    chosen += [[c, codes[-1]] for c in exclusive] + [["zzz"], [True], [1], ["", codes[0]], tuple(codes[:2]), [""]]
    return chosen


def example(form: FormDefinition, context: FormContext, rng: random.Random) -> dict[str, Any]:
    """A form the reference accepts when it can be made (required items filled, errors repaired)."""
    top = {item.key: item for _, item in form.top_items()}
    answers: dict[str, Any] = {form.date_item: (TODAY - timedelta(days=3)).isoformat()}
    for key, item in top.items():
        if item.required and not (item.derived or item.bind) and key not in answers:
            answers[key] = probes(item)[0]
    for _ in range(30):
        outcome = reference_engine.evaluate(form, answers, context, complete=True)
        if not outcome.errors:
            break
        for error in outcome.errors:
            key = error.field.split(".")[0]
            if key in top and key != form.date_item:
                answers[key] = rng.choice(probes(top[key])[:5])
    return answers


def condition_values(form: FormDefinition) -> dict[str, list[Any]]:
    """For each item an enable-when looks at, the values that switch it (so random mixes reach both ways)."""
    found: dict[str, list[Any]] = {}
    conditions = [c for s in form.sections for c in s.enable_when]
    conditions += [c for _, i in form.top_items() for c in i.enable_when]
    for condition in conditions:
        if condition.value is not None:
            value = condition.value
            found.setdefault(condition.item, []).extend([value, str(value), [str(value)]])
    return found


def assert_same(form: FormDefinition, raw: Mapping[str, Any], context: FormContext, complete: bool) -> None:
    assert_same_as_reference(form, raw, context, complete)


@pytest.mark.parametrize(("code", "version"), EDITIONS)
def test_each_item_replaced_by_awkward_values_gives_the_same_outcome(code: str, version: str) -> None:
    form = catalogue().editions[(code, version)]
    rng = random.Random(f"{code}@{version}")
    context = CONTEXTS[0]
    base = example(form, context, rng)
    assert_same(form, base, context, True)
    assert_same(form, base, context, False)
    assert_same(form, base | {"no_such_item": "1", "another": ""}, context, True)
    for _, item in form.top_items():
        for value in probes(item):
            assert_same(form, base | {item.key: value}, context, True)
        without = {k: v for k, v in base.items() if k != item.key}
        assert_same(form, without, context, True)


@pytest.mark.parametrize(("code", "version"), EDITIONS)
def test_random_mixes_of_answers_give_the_same_outcome(code: str, version: str) -> None:
    form = catalogue().editions[(code, version)]
    rng = random.Random(f"mix {code}@{version}")
    items = [item for _, item in form.top_items()]
    switches = condition_values(form)
    for round_no in range(60):
        context = CONTEXTS[round_no % len(CONTEXTS)]
        raw = example(form, context, rng) if round_no % 3 == 0 else {}
        for item in rng.sample(items, k=min(len(items), rng.randint(1, 25))):
            pool = probes(item)
            if item.key in switches and rng.random() < 0.6:
                pool = switches[item.key]
            raw[item.key] = rng.choice(pool[:4] if rng.random() < 0.6 else pool)
        if rng.random() < 0.1:
            raw[rng.choice(["zz", "aa", "表"])] = "1"
        assert_same(form, raw, context, complete=rng.random() < 0.8)


def _item(key: str, kind: str, **more: Any) -> dict[str, Any]:
    return {"key": key, "label": f"项{key}", "label_en": key, "type": kind} | more


CODES_12 = [{"code": "1", "label": "无", "exclusive": True}, {"code": "2", "label": "甲"}, {"code": "3", "label": "乙"}]
TRICKY = FormDefinition.model_validate(
    {
        "code": "tricky",
        "version": "2017",
        "title": "条件测试表",
        "title_en": "Tricky conditions",
        "category": "clinical",
        "source": "test",
        "date_item": "visit_date",
        "checks": [{"rule": "less_than", "item": "g", "than": "n"}],
        "sections": [
            {
                "key": "main",
                "label": "主要",
                "label_en": "Main",
                "items": [
                    _item("visit_date", "date", required=True),
                    _item("a", "code", value_set="followup_mode"),
                    _item("n", "integer", min=0, max=10),
                    _item("flag", "boolean"),
                ],
            },
            {  # either condition opens it; b needs a2, c needs b (a chain a dropped b does not open)
                "key": "second",
                "label": "第二",
                "label_en": "Second",
                "enable_when": [{"item": "a", "value": "2"}, {"item": "n", "op": ">", "value": 3}],
                "enable_behavior": "any",
                "items": [
                    _item("a2", "codes", options=CODES_12, required=True),
                    _item("b", "text", enable_when=[{"item": "a2", "op": "exists"}]),
                    _item("c", "text", required=True, enable_when=[{"item": "b", "op": "exists"}]),
                    _item(
                        "c2",
                        "text",
                        enable_when=[{"item": "a2", "value": "2"}, {"item": "a2", "op": "!=", "value": "3"}],
                    ),
                ],
            },
            {  # opened by its own item d, which its own condition may drop: the section stays as it was read
                "key": "third",
                "label": "第三",
                "label_en": "Third",
                "enable_when": [{"item": "d", "value": "1"}],
                "items": [
                    _item("d", "code", options=CODES_12, enable_when=[{"item": "n", "op": "<=", "value": 5}]),
                    _item("e", "text", required=True, enable_when=[{"item": "flag", "value": True}]),
                    _item("f", "text"),
                ],
            },
            {
                "key": "fourth",
                "label": "第四",
                "label_en": "Fourth",
                "enable_when": [
                    {"item": "n", "op": "!=", "value": 4},
                    {"item": "flag", "op": "exists", "value": False},
                ],
                "items": [
                    _item("g", "integer", required=True, min=-5),
                    _item("h", "text", enable_when=[{"item": "e", "op": ">=", "value": "m"}], enable_behavior="any"),
                    _item("i", "text", required=True, enable_when=[{"item": "c", "op": "<", "value": "m"}]),
                ],
            },
        ],
    }
)


def test_definitions_with_chained_and_self_referring_conditions_give_the_same_outcome() -> None:
    _check_form(TRICKY, catalogue().value_sets)
    rng = random.Random("tricky")
    pools: dict[str, list[Any]] = {
        "visit_date": ["2026-11-01", ""],
        "a": ["1", "2", "3", "", None],
        "n": [0, 3, 4, 5, 6, "7", 11, "x", None],
        "flag": [True, False, "是", None],
        "a2": [["1"], ["2"], ["3"], ["2", "3"], ["1", "2"], [], None],
        "b": ["b", "", None],
        "c": ["a", "z", None],
        "c2": ["x", None],
        "d": ["1", "2", None],
        "e": ["a", "z", None],
        "f": ["f", None],
        "g": [-9, -1, 2, 9, None],
        "h": ["h", None],
        "i": ["i", None],
    }
    for round_no in range(600):
        raw = {key: rng.choice(pool) for key, pool in pools.items() if rng.random() < 0.8}
        assert_same(TRICKY, raw, CONTEXTS[round_no % 2], complete=round_no % 4 != 0)


def test_a_date_and_time_where_a_date_is_expected_fails_the_same_way() -> None:
    form = catalogue().form("hypertension_followup")
    raw = {"visit_date": datetime(2026, 11, 1, 9, 30, tzinfo=UTC)}
    assert_same(form, raw, CONTEXTS[0], True)  # both refuse to compare a datetime with today
    with pytest.raises(TypeError):
        outcome_of(engine, form, raw, CONTEXTS[0], True)


def test_a_definition_is_compiled_once_and_every_edition_on_its_own() -> None:
    cat = catalogue()
    first = cat.form("hypertension_followup")
    assert engine._plan_of(first, cat) is engine._plan_of(first, cat)
    other = cat.form("diabetes_followup")
    assert engine._plan_of(other, cat) is not engine._plan_of(first, cat)


@pytest.mark.parametrize("number", range(1, 34))
def test_tcm_question_scores_read_as_before(number: int) -> None:
    """``tcm.item_score`` looks its key and score up in tables; the result is the old parse."""
    for code in ["1", "2", "3", "4", "5", "0", "6", "", " 1", "1.0", 1, None, ["1"]]:
        answers = {f"q{number:02d}": code}
        before = int(code) if isinstance(code, str) and code in {"1", "2", "3", "4", "5"} else None
        assert tcm.item_score(answers, number) == before
