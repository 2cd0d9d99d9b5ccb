"""Codes of earlier editions (2009/2011) mapped to the current ones — by meaning, through the labels.

Numbers changed meaning between editions (2011 asked "RH阴性？ 1 否 2 是", 2017 asks "RH血型 1 阴性
2 阳性"; education counted upwards in 2011 and downwards in 2017; 重性精神疾病 became 严重精神障碍), so a
code is never carried over by its number: each value set lists its earlier options with the current label
they mean (``maps_to``), and this module follows the label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kangdang.records.catalogue import catalogue
from kangdang.records.definition import FormDefinition, ValueSet


class UnknownLegacyCode(ValueError):
    pass


def current_code(value_set: ValueSet, edition: str, old: str) -> str:
    """The current code meaning what ``old`` meant in ``edition``."""
    options = value_set.previous.get(edition)
    if options is None:
        return old  # the value set did not change in that edition
    previous = next((o for o in options if o.code == old), None)
    if previous is None:
        raise UnknownLegacyCode(f"{value_set.code}: {edition} has no code {old}")
    label = previous.maps_to or previous.label
    found = next((o.code for o in value_set.options if o.label == label), None)
    if found is None:
        raise UnknownLegacyCode(f"{value_set.code}: no current option is labelled {label}")
    return found


def upgrade_answers(form: FormDefinition, answers: Mapping[str, Any], edition: str) -> dict[str, Any]:
    """Answers saved under an earlier edition, with every coded value re-coded to the current edition."""
    value_sets = catalogue().value_sets
    upgraded = dict(answers)
    if edition == form.version:
        return upgraded

    def recode(set_code: str | None, value: Any) -> Any:
        if set_code is None:
            return value
        vs = value_sets[set_code]
        if isinstance(value, list):
            return [current_code(vs, edition, str(v)) for v in value]
        return current_code(vs, edition, str(value)) if value not in (None, "") else value

    for _, item in form.top_items():
        if item.key not in upgraded:
            continue
        if item.type in ("code", "codes"):
            upgraded[item.key] = recode(item.value_set, upgraded[item.key])
        elif item.type == "repeat" and isinstance(upgraded[item.key], list):
            upgraded[item.key] = [
                {
                    key: recode(next((c.value_set for c in item.items if c.key == key), None), value)
                    if any(c.key == key and c.type in ("code", "codes") for c in item.items)
                    else value
                    for key, value in row.items()
                }
                for row in upgraded[item.key]
            ]
    return upgraded
