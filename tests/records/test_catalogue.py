"""The catalogue of definitions: files load and cross-check, editions resolve, broken definitions are caught."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kangdang.records.catalogue import DefinitionError, _check_form, catalogue
from kangdang.records.definition import FormDefinition


def test_every_current_definition_is_also_an_edition() -> None:
    cat = catalogue()
    for code, form in cat.forms.items():
        assert cat.form_at(code, form.version) is form
    assert cat.form_at("cover", "1999") is cat.form("cover")  # an unknown edition shows with the current one


def _form(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "code": "probe",
        "version": "2017",
        "title": "测试表",
        "title_en": "Probe",
        "category": "clinical",
        "source": "test",
        "date_item": "visit_date",
        "sections": [
            {
                "key": "main",
                "label": "主要",
                "label_en": "Main",
                "items": [
                    {"key": "visit_date", "label": "日期", "label_en": "Date", "type": "date"},
                    {"key": "mode", "label": "方式", "label_en": "Mode", "type": "code", "value_set": "followup_mode"},
                ],
            }
        ],
    }
    base.update(changes)
    return base


def test_a_well_formed_definition_passes_the_checks() -> None:
    _check_form(FormDefinition.model_validate(_form()), catalogue().value_sets)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date_item": "mode"}, "date_item"),
        ({"derivation": "no_such_rule"}, "unknown derivation"),
        ({"checks": [{"rule": "less_than", "item": "mode", "than": "nothing"}]}, "unknown item"),
    ],
)
def test_inconsistent_definitions_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        _check_form(FormDefinition.model_validate(_form(**changes)), catalogue().value_sets)


def test_a_coded_item_without_options_or_an_unknown_attribute_is_refused() -> None:
    items = [{"key": "visit_date", "label": "日期", "label_en": "Date", "type": "code"}]
    with pytest.raises(ValidationError, match="needs value_set or options"):
        FormDefinition.model_validate(_form(sections=[{"key": "m", "label": "m", "label_en": "m", "items": items}]))
    items = [{"key": "visit_date", "label": "日期", "label_en": "Date", "type": "date", "colour": "red"}]
    with pytest.raises(ValidationError):
        FormDefinition.model_validate(_form(sections=[{"key": "m", "label": "m", "label_en": "m", "items": items}]))
