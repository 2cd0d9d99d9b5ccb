"""Chinese labels the templates use for codes (the message catalogue of the foundation pages)."""

from __future__ import annotations

from kangdang.access.roles import ROLE_LABELS
from kangdang.institutions.types import INSTITUTION_TYPE_LABELS, QUALIFICATION_LABELS, SEX_LABELS, STATUS_LABELS
from kangdang.regions.codes import AREA_TYPE_LABELS, LEVEL_LABELS, URBAN_RURAL_CLASSES

GLOBALS = {
    "roles": {k.value: v for k, v in ROLE_LABELS.items()},
    "institution_types": {k.value: v for k, v in INSTITUTION_TYPE_LABELS.items()},
    "qualifications": {k.value: v for k, v in QUALIFICATION_LABELS.items()},
    "sexes": SEX_LABELS,
    "institution_status": STATUS_LABELS,
    "levels": {int(k): v for k, v in LEVEL_LABELS.items()},
    "area_types": AREA_TYPE_LABELS,
    "urban_rural_classes": URBAN_RURAL_CLASSES,
}
