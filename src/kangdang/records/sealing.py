"""Phone numbers inside filled forms are sealed at rest (AES-GCM), like every other phone number.

``phone`` items are stored as ``{"sealed": "<base64 ciphertext>"}`` in the answers JSON; the service
unseals them for the people allowed to read the form. Everything else in the answers stays queryable.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from kangdang.access.crypto import IdentityCipher
from kangdang.records.definition import FormDefinition, Item


def _phone_keys(items: tuple[Item, ...]) -> set[str]:
    return {item.key for item in items if item.type == "phone"}


def _apply(form: FormDefinition, answers: Mapping[str, Any], change: Any) -> dict[str, Any]:
    out = dict(answers)
    top = {item.key: item for _, item in form.top_items()}
    for key, value in answers.items():
        item = top.get(key)
        if item is None:
            continue
        if item.type == "phone":
            out[key] = change(value)
        elif item.type == "repeat" and isinstance(value, list):
            columns = _phone_keys(item.items)
            if columns:
                out[key] = [{k: change(v) if k in columns else v for k, v in row.items()} for row in value]
    return out


def seal(form: FormDefinition, answers: Mapping[str, Any], cipher: IdentityCipher) -> dict[str, Any]:
    def one(value: Any) -> Any:
        if isinstance(value, str) and value:
            return {"sealed": base64.b64encode(cipher.encrypt(value)).decode()}
        return value

    return _apply(form, answers, one)


def unseal(form: FormDefinition, answers: Mapping[str, Any], cipher: IdentityCipher) -> dict[str, Any]:
    def one(value: Any) -> Any:
        if isinstance(value, dict) and "sealed" in value:
            return cipher.decrypt(base64.b64decode(value["sealed"]))
        return value

    return _apply(form, answers, one)
