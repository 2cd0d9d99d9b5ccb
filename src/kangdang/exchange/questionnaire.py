"""Any form definition as a FHIR R4B Questionnaire (validated with fhir.resources before it leaves).

Sections become ``group`` items; coded items ``choice`` items with their options as codings of a
kangdang value-set system; ``codes`` items repeat; repeating groups are ``group`` items that repeat;
enable-when conditions map one to one; derived and bound items are read-only; units, ranges and WS 363
data-element identifiers travel as the standard extensions and item codes.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire

from kangdang.records.catalogue import Catalogue, catalogue
from kangdang.records.definition import Condition, FormDefinition, Item

WS363_SYSTEM = "urn:oid:2.16.156.10011.2.2.1"  # 卫生信息数据元目录 (WS 363), as used in CDA exchange
BASE = "urn:kangdang"
UNIT_EXT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
MIN_EXT = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_EXT = "http://hl7.org/fhir/StructureDefinition/maxValue"
HIDDEN_EXT = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"

_TYPES = {
    "text": "string",
    "phone": "string",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "month": "date",  # FHIR dates may be partial (YYYY-MM)
    "code": "choice",
    "codes": "choice",
    "boolean": "boolean",
    "repeat": "group",
}


def _system(form: FormDefinition, item: Item) -> str:
    return f"{BASE}:valueset:{item.value_set}" if item.value_set else f"{BASE}:valueset:{form.code}.{item.key}"


def _answer(form: FormDefinition, target: Item | None, condition: Condition) -> dict[str, Any]:
    if condition.op == "exists":
        return {"answerBoolean": condition.value in (None, True)}
    value = condition.value
    if target is not None and target.type in ("code", "codes"):
        return {"answerCoding": {"system": _system(form, target), "code": str(value)}}
    if isinstance(value, bool):
        return {"answerBoolean": value}
    if target is not None and target.type == "integer":
        return {"answerInteger": int(value)}  # type: ignore[arg-type]
    if target is not None and target.type == "decimal":
        return {"answerDecimal": float(value)}  # type: ignore[arg-type]
    return {"answerString": str(value)}


def _enable(form: FormDefinition, conditions: tuple[Condition, ...], behavior: str) -> dict[str, Any]:
    if not conditions:
        return {}
    targets = {i.key: i for _, i in form.top_items()}
    out: dict[str, Any] = {
        "enableWhen": [
            {"question": c.item, "operator": c.op, **_answer(form, targets.get(c.item), c)} for c in conditions
        ]
    }
    if len(conditions) > 1:
        out["enableBehavior"] = behavior
    return out


def _item(form: FormDefinition, item: Item, cat: Catalogue, prefix: str = "") -> dict[str, Any]:
    link = f"{prefix}{item.key}"
    out: dict[str, Any] = {"linkId": link, "text": item.label, "type": _TYPES[item.type]}
    if item.bind:
        out.update(type="string", readOnly=True, definition=f"{BASE}:binding#{item.bind}")
    if item.required:
        out["required"] = True
    if item.derived:
        out["readOnly"] = True
    if item.type in ("codes",) or item.type == "repeat":
        out["repeats"] = True
    if item.type == "text" and item.multiline:
        out["type"] = "text"
    if item.max_length and item.type == "text":
        out["maxLength"] = item.max_length
    if item.ws363:
        out["code"] = [{"system": WS363_SYSTEM, "code": item.ws363, "display": item.label}]
    if item.type in ("code", "codes"):
        system = _system(form, item)
        out["answerOption"] = [
            {"valueCoding": {"system": system, "code": o.code, "display": o.label}} for o in cat.options(item)
        ]
    extensions: list[dict[str, Any]] = []
    if item.unit:
        extensions.append({"url": UNIT_EXT, "valueCoding": {"display": item.unit}})
    if item.type in ("integer", "decimal"):
        kind = "valueInteger" if item.type == "integer" else "valueDecimal"
        cast = int if item.type == "integer" else float
        if item.min is not None:
            extensions.append({"url": MIN_EXT, kind: cast(item.min)})
        if item.max is not None:
            extensions.append({"url": MAX_EXT, kind: cast(item.max)})
    if extensions:
        out["extension"] = extensions
    out.update(_enable(form, item.enable_when, item.enable_behavior))
    if item.type == "repeat":
        out["item"] = [_item(form, column, cat, prefix=f"{link}.") for column in item.items]
    return out


def questionnaire(form: FormDefinition) -> dict[str, Any]:
    """The definition as a FHIR R4B Questionnaire resource (JSON-ready dict, validated)."""
    cat = catalogue()
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": form.code.replace("_", "-"),
        "url": f"{BASE}:questionnaire:{form.code}",
        "version": form.version,
        "name": "".join(part.capitalize() for part in form.code.split("_")),
        "title": form.title,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "kangdang",
        "description": f"{form.title_en}. {form.source}",
        "language": "zh-CN",
        "item": [
            {
                "linkId": section.key,
                "text": section.label,
                "type": "group",
                **_enable(form, section.enable_when, section.enable_behavior),
                "item": [_item(form, item, cat) for item in section.items],
            }
            for section in form.sections
        ],
    }
    return Questionnaire.model_validate(resource).model_dump(mode="json", exclude_none=True)
