"""Loading the form definitions and value sets from their data files, checked once and cached."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kangdang.core.errors import NotFound
from kangdang.records.definition import BINDINGS, FormDefinition, Item, Option, ValueSet
from kangdang.records.derivations import DERIVATIONS, VALIDATIONS
from kangdang.records.formulas import FORMULAS


class DefinitionError(ValueError):
    """A form definition or value set file is inconsistent (a programming error, caught by the tests)."""


@dataclass(frozen=True)
class Catalogue:
    forms: dict[str, FormDefinition]  # code → current definition
    value_sets: dict[str, ValueSet]
    editions: dict[tuple[str, str], FormDefinition]  # (code, version) → every definition, older ones too

    def form(self, code: str) -> FormDefinition:
        try:
            return self.forms[code]
        except KeyError:
            raise NotFound("没有这种表单") from None

    def form_at(self, code: str, version: str) -> FormDefinition:
        """The definition a form was filled with (older editions live in ``<code>@<version>.yaml``)."""
        return self.editions.get((code, version)) or self.form(code)

    def options(self, item: Item) -> tuple[Option, ...]:
        return self.value_sets[item.value_set].options if item.value_set else item.options

    def label_of(self, item: Item, code: str) -> str:
        return next((o.label for o in self.options(item) if o.code == code), code)


def _read_yaml(folder: str) -> list[tuple[str, Any]]:
    base = resources.files("kangdang.records").joinpath(folder)
    out = []
    for entry in sorted(base.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            out.append((entry.name, yaml.safe_load(entry.read_text(encoding="utf-8"))))
    return out


def _check_form(form: FormDefinition, value_sets: dict[str, ValueSet]) -> None:
    top: dict[str, Item] = {}
    for _, item in form.top_items():
        if item.key in top:
            raise DefinitionError(f"{form.code}: item {item.key} appears twice")
        top[item.key] = item
        columns = [c.key for c in item.items]
        if len(columns) != len(set(columns)):
            raise DefinitionError(f"{form.code}: repeated column key in {item.key}")
    for item in form.items():
        if item.bind and item.bind not in BINDINGS:
            raise DefinitionError(f"{form.code}.{item.key}: unknown binding {item.bind}")
        if item.value_set and item.value_set not in value_sets:
            raise DefinitionError(f"{form.code}.{item.key}: unknown value set {item.value_set}")
        if item.formula and item.formula.fn not in FORMULAS:
            raise DefinitionError(f"{form.code}.{item.key}: unknown formula {item.formula.fn}")
        if item.formula:
            for arg in item.formula.args:
                if arg not in top:
                    raise DefinitionError(f"{form.code}.{item.key}: formula argument {arg} is not an item")
        if item.default_from and (item.default_from not in top or not top[item.default_from].derived):
            raise DefinitionError(f"{form.code}.{item.key}: default_from must name a derived item")
        codes = [o.code for o in (value_sets[item.value_set].options if item.value_set else item.options)]
        if len(codes) != len(set(codes)):
            raise DefinitionError(f"{form.code}.{item.key}: repeated option code")
    conditions = [c for s in form.sections for c in s.enable_when]
    conditions += [c for i in form.items() for c in i.enable_when]
    for condition in conditions:
        if condition.item not in top:
            raise DefinitionError(f"{form.code}: enable_when refers to unknown item {condition.item}")
    if form.date_item not in top or top[form.date_item].type != "date":
        raise DefinitionError(f"{form.code}: date_item must be a date item")
    if form.doctor_item and (form.doctor_item not in top or top[form.doctor_item].type != "text"):
        raise DefinitionError(f"{form.code}: doctor_item must be a text item")
    for check in form.checks:
        for key in (check.item, check.than):
            if key not in top:
                raise DefinitionError(f"{form.code}: check refers to unknown item {key}")
    if form.derivation and form.derivation not in DERIVATIONS:
        raise DefinitionError(f"{form.code}: unknown derivation {form.derivation}")
    if form.validation and form.validation not in VALIDATIONS:
        raise DefinitionError(f"{form.code}: unknown validation {form.validation}")


@cache
def catalogue() -> Catalogue:
    value_sets: dict[str, ValueSet] = {}
    for name, data in _read_yaml("valuesets"):
        vs = ValueSet.model_validate(data)
        labels = {o.label for o in vs.options}
        for edition, previous in vs.previous.items():
            for option in previous:
                if (option.maps_to or option.label) not in labels:
                    raise DefinitionError(f"{vs.code}: {edition} code {option.code} maps to no current label")
        if f"{vs.code}.yaml" != name:
            raise DefinitionError(f"value set file {name} must be named {vs.code}.yaml")
        value_sets[vs.code] = vs
    forms: dict[str, FormDefinition] = {}
    editions: dict[tuple[str, str], FormDefinition] = {}
    for name, data in _read_yaml("forms"):
        form = FormDefinition.model_validate(data)
        current = name == f"{form.code}.yaml"
        if not current and name != f"{form.code}@{form.version}.yaml":
            raise DefinitionError(f"form file {name} must be named {form.code}.yaml or {form.code}@{form.version}.yaml")
        _check_form(form, value_sets)
        editions[(form.code, form.version)] = form
        if current:
            forms[form.code] = form
    return Catalogue(forms=forms, value_sets=value_sets, editions=editions)
