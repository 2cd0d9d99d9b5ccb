"""The indicator catalogue (``catalogue.yaml``): each indicator's code, Chinese name, group and what its
numerator and denominator count. Read once; the rules themselves are in ``indicators.evaluate``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    name: str
    group: str
    numerator: str
    denominator: str
    denominator_source: str  # population | counted

    @property
    def from_population(self) -> bool:
        return self.denominator_source == "population"


@cache
def catalogue() -> dict[str, IndicatorDef]:
    """Every indicator by code, in the catalogue's order."""
    entries = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return {entry["code"]: IndicatorDef(**entry) for entry in entries}


def indicator(code: str) -> IndicatorDef | None:
    return catalogue().get(code)
