"""Every form has every field of REFERENCE.md §2: each definition is compared with its checklist."""

from __future__ import annotations

from pathlib import Path

import pytest

from kangdang.records.catalogue import catalogue

CHECKLISTS = Path(__file__).parent / "checklists"
FORMS = sorted(p.stem for p in CHECKLISTS.glob("*.txt"))


def test_every_form_has_a_checklist_and_every_checklist_a_form() -> None:
    assert set(FORMS) == set(catalogue().forms)


@pytest.mark.parametrize("code", FORMS)
def test_definition_has_every_field_of_its_checklist(code: str) -> None:
    form = catalogue().form(code)
    item_labels = {item.label for item in form.items()}
    section_labels = {section.label for section in form.sections}
    missing = []
    for line in (CHECKLISTS / f"{code}.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.lstrip("# ") not in section_labels | item_labels:
                missing.append(line)
        elif line not in item_labels:
            missing.append(line)
    assert not missing, f"{code} lacks {missing}"
