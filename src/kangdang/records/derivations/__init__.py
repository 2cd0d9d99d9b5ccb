"""Named rule sets a form definition can use (``derivation:``): each maps answers to derived values.

Every module in this package that defines ``RULES = {"name": function}`` contributes its rules; a
function takes the typed answers and the ``FormContext`` and returns ``{derived item key: value}``.
A module may also define ``VALIDATIONS = {"name": function}``: form-specific checks run when a form is
completed, returning ``[(item key, Chinese message without the label)]`` (e.g. gestational week against
the antenatal visit number).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from kangdang.records.context import Answers, FormContext

Derivation = Callable[[Answers, FormContext], dict[str, Any]]
Validation = Callable[[Answers, FormContext], list[tuple[str, str]]]


def _collect(attribute: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for name, rule in getattr(module, attribute, {}).items():
            if name in found:
                raise ValueError(f"{attribute} {name} is defined twice")
            found[name] = rule
    return found


DERIVATIONS: dict[str, Derivation] = _collect("RULES")
VALIDATIONS: dict[str, Validation] = _collect("VALIDATIONS")
