"""Roles a membership can carry, with their Chinese names, and what each may do (deny by default)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    # least senior first: an actor's primary role (their home page) is the last of theirs in this order
    AGGREGATE_VIEWER = "aggregate_viewer"
    HOSPITAL_DOCTOR = "hospital_doctor"
    VILLAGE_DOCTOR = "village_doctor"
    TOWNSHIP_DOCTOR = "township_doctor"
    RECORDS_MANAGER = "records_manager"
    INSTITUTION_ADMIN = "institution_admin"
    COUNTY_MANAGER = "county_manager"
    COUNTY_INSPECTOR = "county_inspector"
    SYSTEM_ADMIN = "system_admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_county_role(self) -> bool:
        """County roles see the region subtree of their institution, not a catchment."""
        return self in COUNTY_ROLES


ROLE_LABELS = {
    Role.AGGREGATE_VIEWER: "统计查看员",
    Role.HOSPITAL_DOCTOR: "医院/疾控医生",
    Role.VILLAGE_DOCTOR: "村医",
    Role.TOWNSHIP_DOCTOR: "乡镇/社区医生",
    Role.RECORDS_MANAGER: "档案管理员",
    Role.INSTITUTION_ADMIN: "机构管理员",
    Role.COUNTY_MANAGER: "县卫健局管理员",
    Role.COUNTY_INSPECTOR: "县卫健局督导员",
    Role.SYSTEM_ADMIN: "系统管理员",
}

# County roles (and the aggregate-only viewer of a city or province) see their institution's region subtree.
COUNTY_ROLES = frozenset({Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR, Role.SYSTEM_ADMIN, Role.AGGREGATE_VIEWER})


class Action(StrEnum):
    REGION_VIEW = "region.view"
    REGION_IMPORT = "region.import"
    REGION_CLASSIFY = "region.classify"
    POPULATION_EDIT = "population.edit"
    INSTITUTION_VIEW = "institution.view"
    INSTITUTION_CREATE = "institution.create"
    INSTITUTION_EDIT = "institution.edit"
    INSTITUTION_CLOSE = "institution.close"
    STAFF_VIEW = "staff.view"
    STAFF_MANAGE = "staff.manage"
    USER_MANAGE = "user.manage"
    AUDIT_VIEW = "audit.view"
    RESIDENT_VIEW = "resident.view"
    RESIDENT_REGISTER = "resident.register"
    RESIDENT_EDIT = "resident.edit"
    RECORD_TRANSFER = "record.transfer"
    RECORD_CLOSE = "record.close"
    DUPLICATE_MANAGE = "duplicate.manage"
    RESIDENT_IMPORT = "resident.import"
    FORM_FILL = "form.fill"
    FORM_AMEND = "form.amend"
    FORM_VOID = "form.void"
    ACCESS_APPLY = "access.apply"  # apply for a record outside one's jurisdiction (with consent)
    ACCESS_DECIDE = "access.decide"  # approve or reject applications, record consent, revoke grants
    BREAK_GLASS = "access.break_glass"  # open a record outside one's jurisdiction in an emergency
    TRAINING_MANAGE = "training.manage"  # record staff training (course, date, score, pass)
    KEEPER_DESIGNATE = "keeper.designate"  # name an institution's responsible records managers
    PROGRAMME_MANAGE = "programme.manage"  # enrol a resident in a programme, edit or close the episode
    WORKLIST_VIEW = "worklist.view"  # due and overdue follow-ups of one's residents (county roles: the counts)
    INDICATOR_VIEW = "indicator.view"  # figures (rates) of the units in one's jurisdiction
    INDICATOR_DRILL = "indicator.drill"  # the residents behind a figure (personal data: audited)
    INDICATOR_CONFIGURE = "indicator.configure"  # parameters, targets, a full recompute
    QUALITY_VIEW = "quality.view"  # the records that fail the automatic quality rules, to fix them
    INSPECTION_VIEW = "inspection.view"  # inspections, samples, checklists and findings
    INSPECTION_MANAGE = "inspection.manage"  # plan an inspection, draw its sample, fill checklists, record findings
    INSPECTION_RECTIFY = "inspection.rectify"  # report the rectification (整改) of a finding
    APPRAISAL_VIEW = "appraisal.view"  # appraisal score sheets and subsidies
    APPRAISAL_MANAGE = "appraisal.manage"  # set the scoring weights, compute a sheet with a budget


_EVERYONE = frozenset(Role)
_PERSONAL_DATA = _EVERYONE - {Role.AGGREGATE_VIEWER}  # an aggregate-only viewer sees figures, never people
_STAFF_ADMINS = frozenset({Role.INSTITUTION_ADMIN, Role.COUNTY_MANAGER, Role.SYSTEM_ADMIN})
_COUNTY_ADMINS = frozenset({Role.COUNTY_MANAGER, Role.SYSTEM_ADMIN})
_CARE = frozenset({Role.VILLAGE_DOCTOR, Role.TOWNSHIP_DOCTOR, Role.RECORDS_MANAGER})
_COUNTY_READERS = frozenset({Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR, Role.SYSTEM_ADMIN})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.REGION_VIEW: _EVERYONE,
    Action.REGION_IMPORT: frozenset({Role.SYSTEM_ADMIN}),
    Action.REGION_CLASSIFY: _COUNTY_ADMINS,
    Action.POPULATION_EDIT: _COUNTY_ADMINS,
    Action.INSTITUTION_VIEW: _EVERYONE,
    Action.INSTITUTION_CREATE: _COUNTY_ADMINS,
    Action.INSTITUTION_EDIT: _STAFF_ADMINS,
    Action.INSTITUTION_CLOSE: _COUNTY_ADMINS,
    Action.STAFF_VIEW: _PERSONAL_DATA,
    Action.STAFF_MANAGE: _STAFF_ADMINS,
    Action.USER_MANAGE: _STAFF_ADMINS,
    # County roles search the county's trail; an institution administrator their staff's and residents' events.
    Action.AUDIT_VIEW: frozenset(
        {Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR, Role.SYSTEM_ADMIN, Role.INSTITUTION_ADMIN}
    ),
    # Residents' records: care staff work on them; county roles read them (every read is audited).
    # A hospital or CDC doctor has no jurisdiction: they see a record only through a grant or break-glass.
    Action.RESIDENT_VIEW: _CARE | {Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR, Role.SYSTEM_ADMIN, Role.HOSPITAL_DOCTOR},
    Action.RESIDENT_REGISTER: _CARE,
    Action.RESIDENT_EDIT: _CARE,
    Action.RECORD_TRANSFER: frozenset({Role.TOWNSHIP_DOCTOR, Role.RECORDS_MANAGER}),
    Action.RECORD_CLOSE: frozenset({Role.RECORDS_MANAGER}),
    Action.DUPLICATE_MANAGE: frozenset({Role.RECORDS_MANAGER, Role.SYSTEM_ADMIN}),
    Action.RESIDENT_IMPORT: frozenset({Role.RECORDS_MANAGER, Role.SYSTEM_ADMIN}),
    # Forms (服务记录): care staff fill, sign and amend them; marking one entered in error needs a
    # township doctor or records manager.
    Action.FORM_FILL: _CARE,
    Action.FORM_AMEND: _CARE,
    Action.FORM_VOID: frozenset({Role.TOWNSHIP_DOCTOR, Role.RECORDS_MANAGER}),
    Action.ACCESS_APPLY: _CARE | {Role.HOSPITAL_DOCTOR},
    Action.ACCESS_DECIDE: frozenset({Role.INSTITUTION_ADMIN, Role.RECORDS_MANAGER}),
    Action.BREAK_GLASS: frozenset({Role.HOSPITAL_DOCTOR, Role.TOWNSHIP_DOCTOR, Role.VILLAGE_DOCTOR}),
    Action.TRAINING_MANAGE: frozenset({Role.INSTITUTION_ADMIN, Role.RECORDS_MANAGER, Role.COUNTY_MANAGER}),
    Action.KEEPER_DESIGNATE: frozenset({Role.INSTITUTION_ADMIN, Role.COUNTY_MANAGER}),
    # Programmes (重点人群健康管理): care staff enrol and close; worklists for care staff, and for county
    # roles as counts by township, village and doctor.
    Action.PROGRAMME_MANAGE: _CARE,
    Action.WORKLIST_VIEW: _CARE | {Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR, Role.SYSTEM_ADMIN},
    # Indicators (工作指标): figures for everyone who works on records or oversees them (the aggregate viewer
    # included); the residents behind a figure only for those who may read records; settings for the bureau.
    Action.INDICATOR_VIEW: _EVERYONE - {Role.HOSPITAL_DOCTOR},
    Action.INDICATOR_DRILL: _CARE | _COUNTY_READERS,
    Action.INDICATOR_CONFIGURE: _COUNTY_ADMINS,
    Action.QUALITY_VIEW: _CARE | _COUNTY_READERS,
    # Supervision (督导): the bureau plans and inspects; the inspected centre sees it and reports rectification.
    Action.INSPECTION_VIEW: _COUNTY_READERS | {Role.INSTITUTION_ADMIN, Role.RECORDS_MANAGER},
    Action.INSPECTION_MANAGE: frozenset({Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR}),
    Action.INSPECTION_RECTIFY: frozenset({Role.INSTITUTION_ADMIN, Role.RECORDS_MANAGER}),
    Action.APPRAISAL_VIEW: _COUNTY_READERS | {Role.AGGREGATE_VIEWER},
    Action.APPRAISAL_MANAGE: _COUNTY_ADMINS,
}
