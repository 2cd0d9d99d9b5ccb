"""Chinese labels the templates use for codes (the message catalogue of the foundation pages)."""

from __future__ import annotations

from kangdang.access.roles import ROLE_LABELS
from kangdang.institutions.types import INSTITUTION_TYPE_LABELS, QUALIFICATION_LABELS, SEX_LABELS, STATUS_LABELS
from kangdang.regions.codes import AREA_TYPE_LABELS, LEVEL_LABELS, URBAN_RURAL_CLASSES
from kangdang.residents import codes as resident_codes

GLOBALS = {
    "roles": {k.value: v for k, v in ROLE_LABELS.items()},
    "institution_types": {k.value: v for k, v in INSTITUTION_TYPE_LABELS.items()},
    "qualifications": {k.value: v for k, v in QUALIFICATION_LABELS.items()},
    "sexes": SEX_LABELS,
    "institution_status": STATUS_LABELS,
    "levels": {int(k): v for k, v in LEVEL_LABELS.items()},
    "area_types": AREA_TYPE_LABELS,
    "urban_rural_classes": URBAN_RURAL_CLASSES,
    "document_types": resident_codes.DOCUMENT_TYPES,
    "ethnicities": resident_codes.ETHNICITIES,
    "residence_types": resident_codes.RESIDENCE_TYPES,
    "relationships": resident_codes.RELATIONSHIPS,
    "kitchen_ventilation": resident_codes.KITCHEN_VENTILATION,
    "fuel_types": resident_codes.FUEL_TYPES,
    "water_sources": resident_codes.WATER_SOURCES,
    "toilet_types": resident_codes.TOILET_TYPES,
    "livestock_pens": resident_codes.LIVESTOCK_PENS,
    "economic_status": resident_codes.ECONOMIC_STATUS,
    "closure_reasons": resident_codes.CLOSURE_REASONS,
    "record_status": resident_codes.RECORD_STATUS,
    "transfer_status": resident_codes.TRANSFER_STATUS,
    "duplicate_status": resident_codes.DUPLICATE_STATUS,
}
