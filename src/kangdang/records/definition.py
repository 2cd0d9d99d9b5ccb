"""The shape of a form definition (表单定义) and a value set (值域), as read from the data files.

Definitions are data: one YAML file per form under ``records/forms/`` and shared value sets under
``records/valuesets/``. These pydantic models check a file when it is loaded, so a mistake in a
definition fails the test suite, not a doctor's save.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ItemType = Literal["text", "phone", "integer", "decimal", "date", "month", "code", "codes", "boolean", "repeat"]
Operator = Literal["exists", "=", "!=", ">", "<", ">=", "<="]
Category = Literal["record", "examination", "programme", "clinical"]
# what a ``bind:`` item may show from the resident's record (records/bound.py fills them)
BINDINGS = (
    "person.name",
    "person.sex",
    "person.birth_date",
    "person.id_number",
    "person.phone",
    "person.contact_name",
    "person.contact_phone",
    "person.residence_type",
    "person.ethnicity",
    "person.work_unit",
    "person.current_address",
    "person.registered_address",
    "record.number",
    "record.short_number",
    "record.township",
    "record.village",
    "record.filing_institution",
    "record.filed_by",
    "record.doctor",
    "record.filed_on",
    "record.managing_institution",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """One printed option: its code as on the paper form and its Chinese label."""

    code: str
    label: str
    label_en: str | None = None
    exclusive: bool = False  # e.g. "1 无": cannot be ticked together with another option


class PreviousOption(_Strict):
    """An option of an earlier edition; ``maps_to`` names the current label it means (default: same label)."""

    code: str
    label: str
    maps_to: str | None = None


class ValueSet(_Strict):
    code: str
    title: str
    title_en: str | None = None
    standard: str | None = None  # e.g. "GB/T 2261.1-2003", "WS 364 CV04.10.004", "2017 form numbering"
    options: tuple[Option, ...]
    previous: dict[str, tuple[PreviousOption, ...]] = Field(default_factory=dict)  # edition → its options

    def label_of(self, code: str) -> str | None:
        return next((o.label for o in self.options if o.code == code), None)


class Condition(_Strict):
    """FHIR-style enableWhen: ``item`` compared with ``value`` (for several codes, '=' means 'includes')."""

    item: str
    op: Operator = "="
    value: str | int | float | bool | None = None

    @model_validator(mode="after")
    def _value_needed(self) -> Condition:
        if self.op != "exists" and self.value is None:
            raise ValueError(f"condition on {self.item} needs a value")
        return self


class Formula(_Strict):
    """A derived value computed by a named generic function (``records/formulas.py``) from other items."""

    fn: str
    args: tuple[str, ...] = ()


class Item(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    label_en: str
    type: ItemType
    required: bool = False
    unit: str | None = None
    min: float | None = None  # physiological or plausible range (decimal, integer)
    max: float | None = None
    decimals: int | None = None
    max_length: int | None = None
    multiline: bool = False
    value_set: str | None = None  # a shared value set (records/valuesets/<code>.yaml)
    options: tuple[Option, ...] = ()  # or options written in place
    enable_when: tuple[Condition, ...] = ()
    enable_behavior: Literal["all", "any"] = "all"
    derived: bool = False  # computed on the server; never typed in
    formula: Formula | None = None
    default: Literal["today"] | None = None
    default_from: str | None = None  # when left blank, take this (derived) item's value
    not_future: bool = True  # dates: not after today
    not_before_birth: bool = True  # dates: not before the resident's birth
    ws363: str | None = None  # WS 363 data-element identifier, where known
    starred: bool = False  # "*" on the paper: not in the free package for every resident
    extension: bool = False  # not on the 2017 paper form (local post-2019 addition or system field)
    bind: str | None = None  # shown from the resident's record instead of stored (e.g. "person.name")
    items: tuple[Item, ...] = ()  # columns of a repeating group
    max_rows: int | None = None
    print_rows: int | None = None  # rows printed on paper
    help: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        coded = self.type in ("code", "codes")
        if coded and not (self.value_set or self.options):
            raise ValueError(f"{self.key}: a coded item needs value_set or options")
        if not coded and (self.value_set or self.options):
            raise ValueError(f"{self.key}: only coded items have options")
        if self.value_set and self.options:
            raise ValueError(f"{self.key}: value_set and options are exclusive")
        if (self.type == "repeat") != bool(self.items):
            raise ValueError(f"{self.key}: a repeat has items, and only a repeat has items")
        if self.formula and not self.derived:
            raise ValueError(f"{self.key}: an item with a formula must be derived")
        if self.bind and (self.required or self.derived):
            raise ValueError(f"{self.key}: a bound item is shown from the record, neither required nor derived")
        return self

    def walk(self) -> Iterator[Item]:
        yield self
        for child in self.items:
            yield from child.walk()


class Section(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    label_en: str
    items: tuple[Item, ...]
    enable_when: tuple[Condition, ...] = ()
    enable_behavior: Literal["all", "any"] = "all"


class Check(_Strict):
    """A cross-field rule: ``item`` compared with ``than`` ("less_than": item < than; "not_before": item ≥ than)."""

    rule: Literal["less_than", "not_before", "not_after"]
    item: str
    than: str
    message: str | None = None


class AppliesTo(_Strict):
    """Who the form is for, checked against the resident's age on the service date and sex."""

    min_age_days: int | None = None
    max_age_days: int | None = None  # exclusive: age in days must be below it
    sex: str | None = None
    label: str  # e.g. "1岁以内儿童", shown in the error message

    def admits_age(self, days: int) -> bool:
        """Whether a resident this many days old on the service date is one the form is for."""
        return (self.min_age_days is None or days >= self.min_age_days) and (
            self.max_age_days is None or days < self.max_age_days
        )


class FormDefinition(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str
    title: str
    title_en: str
    category: Category
    source: str  # where the fields come from (the specification's annex)
    one_per_record: bool = False  # cover, 个人基本信息表: corrected by amendment, never filled twice
    date_item: str  # the item holding the service date
    doctor_item: str | None = None  # "随访医生签名" etc.: filled from the signing user
    applies_to: AppliesTo | None = None
    derivation: str | None = None  # a named rule set in records/derivations
    validation: str | None = None  # a named form-specific check in records/derivations (VALIDATIONS)
    checks: tuple[Check, ...] = ()
    sections: tuple[Section, ...]

    def items(self) -> Iterator[Item]:
        """Every item, depth first (columns of repeating groups included)."""
        for section in self.sections:
            for item in section.items:
                yield from item.walk()

    def top_items(self) -> Iterator[tuple[Section, Item]]:
        for section in self.sections:
            for item in section.items:
                yield section, item
