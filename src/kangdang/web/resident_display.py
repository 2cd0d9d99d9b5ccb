"""How residents' data reads on the pages: ages, names behind codes and ids, and the change history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from kangdang.access.actor import SYSTEM_LOGIN
from kangdang.access.models import User
from kangdang.core.clock import today_local
from kangdang.institutions.actors import current
from kangdang.institutions.models import Institution, Membership, Practitioner
from kangdang.programmes.codes import OUTCOME_LABELS, Programme
from kangdang.regions.models import Region
from kangdang.residents import codes
from kangdang.residents.models import Person, ResidentChange

CARE_ROLES = ("village_doctor", "township_doctor", "records_manager")  # who may be a responsible doctor

FIELD_LABELS = {
    "name": "姓名",
    "name_pinyin": "姓名拼音",
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "document": "证件号码",
    "phone": "本人电话",
    "contact_name": "联系人姓名",
    "contact_phone": "联系人电话",
    "residence_type": "常住类型",
    "registered_region_code": "户籍地址村/居委会",
    "registered_address": "户籍详细地址",
    "current_region_code": "现住址村/居委会",
    "current_address": "现住址详细地址",
    "work_unit": "工作单位",
    "mother_id": "母亲",
    "record_number": "档案编号",
    "managing_institution": "管理机构",
    "managing_institution_id": "管理机构",
    "responsible_doctor_id": "责任医生",
    "paper_location": "纸质档案存放位置",
    "village_code": "责任村/居委会",
    "status": "状态",
    "closure_reason": "注销原因",
    "closed_on": "注销日期",
    "note": "说明",
    "reason": "原因",
    "to_institution": "迁入机构",
    "to_village": "迁入村/居委会",
    "household": "家庭编号",
    "household_number": "家庭编号",
    "head": "户主",
    "relationship": "与户主关系",
    "confirmed_duplicates": "已核对疑似重复",
    "merged_person": "并入的居民",
    "merged_into": "并入",
    "restored_person": "恢复的居民",
    "moved": "转移的数据",
    "region_code": "所在村/居委会",
    "address": "家庭地址",
    "kitchen_ventilation": "厨房排风设施",
    "fuel_type": "燃料类型",
    "water_source": "饮水",
    "toilet_type": "厕所",
    "livestock_pen": "禽畜栏",
    "economic_status": "家庭经济状况",
    "main_problems": "家庭主要问题",
}
ACTION_LABELS = {
    ("record", "file"): "建档",
    ("record", "update"): "修改档案信息",
    ("record", "close"): "注销档案",
    ("record", "reopen"): "恢复档案",
    ("person", "update"): "修改个人信息",
    ("household", "create"): "新建家庭",
    ("household", "update"): "修改家庭信息",
    ("household", "change_head"): "更换户主",
    ("member", "join"): "加入家庭",
    ("member", "leave"): "离开家庭",
    ("transfer", "request"): "申请迁出",
    ("transfer", "confirm"): "确认迁入",
    ("transfer", "return"): "退回迁移申请",
    ("transfer", "cancel"): "撤回迁移申请",
    ("merge", "merge"): "合并重复档案",
    ("merge", "merged_into"): "并入其他档案",
    ("merge", "unmerge"): "撤销合并",
    ("merge", "restored"): "撤销合并后恢复",
    ("merge", "not_duplicate"): "核对为非重复",
}
# programme episodes (programmes/) share the residents' history
ACTION_LABELS.update(
    {
        ("programme_episode", "programme.enrol"): "纳入重点人群管理",
        ("programme_episode", "programme.update"): "修改重点人群管理信息",
        ("programme_episode", "programme.close"): "重点人群管理结案",
        ("programme_episode", "programme.move"): "重点人群管理随档案迁移",
    }
)
EPISODE_FIELD_LABELS = {
    "programme": "管理项目",
    "enrolled_on": "纳入管理日期",
    "managing_doctor_id": "责任医生",
    "managing_institution_id": "管理机构",
    "status": "管理状态",
    "outcome": "转归",
    "closed_on": "结案日期",
    "lmp": "末次月经",
    "delivery_date": "分娩日期",
    "discharge_date": "出院日期",
    "notified_on": "接到管理通知日期",
    "treatment_start": "开始治疗日期",
    "patient_type": "患者类型",
    "details": "管理信息",
}
EPISODE_CODES: dict[str, dict[str, str]] = {
    "programme": {p.value: p.label for p in Programme},
    "outcome": OUTCOME_LABELS,
    "status": {"active": "管理中", "closed": "已结案"},
    "patient_type": {"1": "初治", "2": "复治"},
}
CODE_TABLES: dict[str, dict[str, str]] = {
    "sex": codes.SEXES,
    "ethnicity": codes.ETHNICITIES,
    "residence_type": codes.RESIDENCE_TYPES,
    "relationship": codes.RELATIONSHIPS,
    "closure_reason": codes.CLOSURE_REASONS,
    "kitchen_ventilation": codes.KITCHEN_VENTILATION,
    "fuel_type": codes.FUEL_TYPES,
    "water_source": codes.WATER_SOURCES,
    "toilet_type": codes.TOILET_TYPES,
    "livestock_pen": codes.LIVESTOCK_PENS,
    "economic_status": codes.ECONOMIC_STATUS,
}
REGION_FIELDS = frozenset(
    {"registered_region_code", "current_region_code", "village_code", "to_village", "region_code"}
)
MOVED_LABELS = {
    "records": "档案",
    "closed_records": "注销的档案",
    "members": "家庭成员关系",
    "ended_members": "结束的家庭成员关系",
    "children": "子女",
    "heads": "户主身份",
}
EMPTY = "（空）"


def age_on(birth: date, today: date | None = None) -> int:
    on = today or today_local()
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass
class Names:
    regions: dict[str, str] = field(default_factory=dict)
    institutions: dict[str, str] = field(default_factory=dict)
    practitioners: dict[str, str] = field(default_factory=dict)
    persons: dict[str, str] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)


def lookup_names(
    session: Session,
    *,
    regions: Iterable[str] = (),
    institutions: Iterable[Any] = (),
    practitioners: Iterable[Any] = (),
    persons: Iterable[Any] = (),
    logins: Iterable[str] = (),
) -> Names:
    """Names behind codes, ids and logins: one query per kind asked for."""
    names = Names()
    region_codes = {c for c in regions if c}
    if region_codes:
        rows = session.execute(select(Region.code, Region.name).where(Region.code.in_(region_codes)))
        names.regions = {code: name for code, name in rows}
    for target, model, wanted in (
        (names.institutions, Institution, institutions),
        (names.practitioners, Practitioner, practitioners),
        (names.persons, Person, persons),
    ):
        ids = {_uuid(value) for value in wanted} - {None}
        if ids:
            rows = session.execute(select(model.id, model.name).where(model.id.in_(ids)))
            target.update({str(key): name for key, name in rows})
    wanted_logins = {login for login in logins if login}
    if wanted_logins:
        rows = session.execute(
            select(User.login, Practitioner.name)
            .join(Practitioner, Practitioner.id == User.practitioner_id)
            .where(User.login.in_(wanted_logins))
        )
        names.logins = {login: name for login, name in rows}
    return names


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    what: str
    changes: list[str]


def history_lines(session: Session, rows: list[ResidentChange]) -> list[HistoryLine]:
    """The change history in words: who, what, and each change as "字段：旧值 → 新值"."""
    regions: set[str] = set()
    ids: dict[str, set[Any]] = {"institutions": set(), "practitioners": set(), "persons": set()}
    for row in rows:
        for key, value in (row.changes or {}).items():
            values = value if isinstance(value, list) else [value]
            if key in REGION_FIELDS:
                regions.update(str(v) for v in values if v)
            elif key == "managing_institution_id":
                ids["institutions"].update(values)
            elif key in ("responsible_doctor_id", "managing_doctor_id"):
                ids["practitioners"].update(values)
            elif key in ("head", "mother_id"):
                ids["persons"].update(values)
    names = lookup_names(session, regions=regions, logins={row.login for row in rows}, **ids)
    return [
        HistoryLine(
            at=row.at,
            who=names.logins.get(row.login, "系统" if row.login == SYSTEM_LOGIN else row.login),
            what=ACTION_LABELS.get((row.entity, row.action), f"{row.entity}.{row.action}"),
            changes=[
                _change_text(row.entity, key, value, names)
                for key, value in (row.changes or {}).items()
                if value is not False  # a flag that was not set says nothing
            ],
        )
        for row in rows
    ]


def _change_text(entity: str, key: str, value: Any, names: Names) -> str:
    label = (EPISODE_FIELD_LABELS.get(key) if entity == "programme_episode" else None) or FIELD_LABELS.get(key, key)
    if isinstance(value, list) and len(value) == 2:
        old, new = (_value_text(entity, key, v, names) for v in value)
        return f"{label}：{new}" if value[0] is None else f"{label}：{old} → {new}"
    return f"{label}：{_value_text(entity, key, value, names)}"


def _value_text(entity: str, key: str, value: Any, names: Names) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "，".join(f"{MOVED_LABELS.get(k, k)} {v} 项" for k, v in value.items() if v) or EMPTY
    text = str(value)
    if entity == "programme_episode" and key in EPISODE_CODES:
        return EPISODE_CODES[key].get(text, text)
    if key == "status":
        table = codes.TRANSFER_STATUS if entity == "transfer" else codes.RECORD_STATUS
        return table.get(text, text)
    if key in CODE_TABLES:
        return CODE_TABLES[key].get(text, text)
    if key in REGION_FIELDS:
        return f"{names.regions[text]}（{text}）" if text in names.regions else text
    lookup = {
        "managing_institution_id": names.institutions,
        "responsible_doctor_id": names.practitioners,
        "managing_doctor_id": names.practitioners,
        "head": names.persons,
        "mother_id": names.persons,
    }.get(key)
    if lookup is not None:
        return lookup.get(text, text)
    return text


def care_staff_options(
    session: Session, where: ColumnElement[bool], *, keep: uuid.UUID | None, away: str
) -> list[tuple[str, str]]:
    """(id, "name（institution）") of care staff with a current membership in the institutions ``where`` picks
    (one query); ``keep`` (the doctor on file) stays listed, marked with ``away`` when no longer among them."""
    rows = session.execute(
        select(Practitioner.id, Practitioner.name, Institution.name)
        .join(Membership, Membership.practitioner_id == Practitioner.id)
        .join(Institution, Institution.id == Membership.institution_id)
        .where(
            current(Membership.valid_from, Membership.valid_to, today_local()),
            Membership.role.in_(CARE_ROLES),
            Practitioner.status == "active",
            where,
        )
        .order_by(Institution.code, Practitioner.name, Practitioner.id)
    )
    options: dict[str, str] = {}
    for practitioner_id, name, institution in rows:
        options.setdefault(str(practitioner_id), f"{name}（{institution}）")
    if keep is not None and str(keep) not in options:
        doctor = session.get(Practitioner, keep)
        options[str(keep)] = f"{doctor.name}（{away}）" if doctor else str(keep)
    return list(options.items())
