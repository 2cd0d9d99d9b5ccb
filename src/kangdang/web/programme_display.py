"""How programme data reads on the pages: episode facts, task states and an episode's change history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kangdang.access.actor import SYSTEM_LOGIN
from kangdang.programmes.codes import OUTCOME_LABELS, PROGRAMME_LABELS
from kangdang.residents.models import ResidentChange
from kangdang.web.resident_display import lookup_names

DETAIL_LABELS = {
    "lmp": "末次月经",
    "gestational_weeks": "纳入时孕周",
    "gestational_days": "孕周天数",
    "delivery_date": "分娩日期",
    "discharge_date": "出院日期",
    "notified_on": "接到管理通知日期",
    "treatment_start": "开始治疗日期",
    "patient_type": "患者类型",
}
PATIENT_TYPES = [("1", "初治"), ("2", "复治")]
# a task's state in words (the worklist's tabs say 本周应随访 for "due")
STATE_TEXT = {
    "overdue": "已逾期",
    "due": "本周应随访",
    "upcoming": "即将到期",
    "later": "未到期",
    "expired": "已过期",
    "done": "已完成",
}
EPISODE_STATUS = {"active": "管理中", "closed": "已结案"}
ACTION_TEXT = {
    "programme.enrol": "纳入管理",
    "programme.update": "修改管理信息",
    "programme.close": "结案",
    "programme.move": "随档案迁移",
}
FIELD_TEXT = {
    **DETAIL_LABELS,
    "programme": "管理项目",
    "enrolled_on": "纳入管理日期",
    "managing_doctor_id": "责任医生",
    "status": "状态",
    "outcome": "转归",
    "closed_on": "结案日期",
}
EMPTY = "（空）"


def fact_lines(details: dict[str, Any]) -> list[tuple[str, str]]:
    """The episode's facts as (label, value), in the labels' order."""
    return [(label, value_text(key, details[key])) for key, label in DETAIL_LABELS.items() if details.get(key)]


def value_text(key: str, value: Any, doctors: dict[str, str] | None = None) -> str:
    if value is None or value == "":
        return EMPTY
    text = str(value)
    if key == "patient_type":
        return dict(PATIENT_TYPES).get(text, text)
    if key == "programme":
        return next((label for code, label in PROGRAMME_LABELS.items() if code.value == text), text)
    if key == "status":
        return EPISODE_STATUS.get(text, text)
    if key == "outcome":
        return OUTCOME_LABELS.get(text, text)
    if key == "managing_doctor_id" and doctors is not None:
        return doctors.get(text, text)
    return text


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    what: str
    changes: list[str]


def episode_history(session: Session, rows: list[ResidentChange]) -> list[HistoryLine]:
    """Each change in words: "字段：旧值 → 新值"; the facts (``details``) key by key."""
    doctors: set[Any] = set()
    for row in rows:
        value = (row.changes or {}).get("managing_doctor_id")
        if isinstance(value, list):
            doctors.update(v for v in value if v)
    names = lookup_names(session, practitioners=doctors, logins={row.login for row in rows})
    lines = []
    for row in rows:
        changes: list[str] = []
        for key, value in (row.changes or {}).items():
            if key == "details" and isinstance(value, list) and len(value) == 2:
                old, new = (v if isinstance(v, dict) else {} for v in value)
                for fact in sorted(set(old) | set(new)):
                    if old.get(fact) != new.get(fact):
                        changes.append(_change(fact, [old.get(fact), new.get(fact)], names.practitioners))
            else:
                changes.append(_change(key, value, names.practitioners))
        lines.append(
            HistoryLine(
                at=row.at,
                who=names.logins.get(row.login, "系统" if row.login == SYSTEM_LOGIN else row.login),
                what=ACTION_TEXT.get(row.action, row.action),
                changes=changes,
            )
        )
    return lines


def _change(key: str, value: Any, doctors: dict[str, str]) -> str:
    label = FIELD_TEXT.get(key, key)
    if isinstance(value, list) and len(value) == 2:
        old, new = (value_text(key, v, doctors) for v in value)
        return f"{label}：{new}" if value[0] is None else f"{label}：{old} → {new}"
    return f"{label}：{value_text(key, value, doctors)}"
