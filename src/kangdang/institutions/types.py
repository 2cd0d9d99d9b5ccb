"""Code lists of the institutions domain: institution types, staff qualifications, sex."""

from __future__ import annotations

from enum import StrEnum

from kangdang.access.roles import Role


class InstitutionType(StrEnum):
    HEALTH_ADMIN = "health_admin"
    TOWNSHIP_CENTRAL = "township_central"
    TOWNSHIP_GENERAL = "township_general"
    VILLAGE_OFFICE = "village_office"
    COMMUNITY_CENTRE = "community_centre"
    COMMUNITY_STATION = "community_station"
    COUNTY_HOSPITAL = "county_hospital"
    CDC = "cdc"
    MATERNAL_CHILD = "maternal_child"
    OTHER = "other"

    @property
    def label(self) -> str:
        return INSTITUTION_TYPE_LABELS[self]


INSTITUTION_TYPE_LABELS = {
    InstitutionType.HEALTH_ADMIN: "卫生健康行政部门",
    InstitutionType.TOWNSHIP_CENTRAL: "乡镇卫生院（中心）",
    InstitutionType.TOWNSHIP_GENERAL: "乡镇卫生院（一般）",
    InstitutionType.VILLAGE_OFFICE: "村卫生室",
    InstitutionType.COMMUNITY_CENTRE: "社区卫生服务中心",
    InstitutionType.COMMUNITY_STATION: "社区卫生服务站",
    InstitutionType.COUNTY_HOSPITAL: "县级医院",
    InstitutionType.CDC: "疾病预防控制中心",
    InstitutionType.MATERNAL_CHILD: "妇幼保健院",
    InstitutionType.OTHER: "其他",
}

# Institutions that keep residents' health records for a catchment (primary care).
PRIMARY_CARE_TYPES = frozenset(
    {
        InstitutionType.TOWNSHIP_CENTRAL,
        InstitutionType.TOWNSHIP_GENERAL,
        InstitutionType.VILLAGE_OFFICE,
        InstitutionType.COMMUNITY_CENTRE,
        InstitutionType.COMMUNITY_STATION,
    }
)

STATUS_LABELS = {"active": "正常", "merged": "已合并", "closed": "已撤销"}


class Qualification(StrEnum):
    PHYSICIAN = "physician"
    ASSISTANT_PHYSICIAN = "assistant_physician"
    RURAL_DOCTOR = "rural_doctor"
    NURSE = "nurse"
    PUBLIC_HEALTH = "public_health"
    MANAGER = "manager"

    @property
    def label(self) -> str:
        return QUALIFICATION_LABELS[self]


QUALIFICATION_LABELS = {
    Qualification.PHYSICIAN: "执业医师",
    Qualification.ASSISTANT_PHYSICIAN: "执业助理医师",
    Qualification.RURAL_DOCTOR: "乡村医生",
    Qualification.NURSE: "护士",
    Qualification.PUBLIC_HEALTH: "公共卫生人员",
    Qualification.MANAGER: "管理人员",
}

SEX_LABELS = {"1": "男", "2": "女", "0": "未知的性别", "9": "未说明的性别"}

# Which roles a membership may carry in each kind of institution.
_CLINICAL = frozenset({Role.TOWNSHIP_DOCTOR, Role.RECORDS_MANAGER, Role.INSTITUTION_ADMIN})
# Hospitals, the CDC and MCH hospitals keep no catchment: their doctors read records only through grants.
_HOSPITAL = _CLINICAL | {Role.HOSPITAL_DOCTOR}

ROLES_BY_INSTITUTION_TYPE: dict[InstitutionType, frozenset[Role]] = {
    InstitutionType.HEALTH_ADMIN: frozenset(
        {Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR, Role.SYSTEM_ADMIN, Role.INSTITUTION_ADMIN, Role.AGGREGATE_VIEWER}
    ),
    InstitutionType.TOWNSHIP_CENTRAL: _CLINICAL,
    InstitutionType.TOWNSHIP_GENERAL: _CLINICAL,
    InstitutionType.COMMUNITY_CENTRE: _CLINICAL,
    InstitutionType.COMMUNITY_STATION: _CLINICAL | {Role.VILLAGE_DOCTOR},
    InstitutionType.VILLAGE_OFFICE: frozenset({Role.VILLAGE_DOCTOR, Role.INSTITUTION_ADMIN}),
    InstitutionType.COUNTY_HOSPITAL: _HOSPITAL,
    InstitutionType.CDC: _HOSPITAL,
    InstitutionType.MATERNAL_CHILD: _HOSPITAL,
    InstitutionType.OTHER: _HOSPITAL,
}


def grantable_roles(granter_roles: frozenset[Role]) -> frozenset[Role]:
    """Roles a user may give others: never more than county level unless a system administrator."""
    if Role.SYSTEM_ADMIN in granter_roles:
        return frozenset(Role)
    if Role.COUNTY_MANAGER in granter_roles:
        return frozenset(Role) - {Role.SYSTEM_ADMIN}
    if Role.INSTITUTION_ADMIN in granter_roles:
        return frozenset(Role) - {Role.SYSTEM_ADMIN, Role.COUNTY_MANAGER, Role.COUNTY_INSPECTOR}
    return frozenset()
