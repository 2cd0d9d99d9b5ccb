"""Programmes (重点人群健康管理项目), their forms, episode outcomes (转归) and task urgencies, in Chinese."""

from __future__ import annotations

from enum import StrEnum


class Programme(StrEnum):
    CHILD = "child"  # 0～6岁儿童健康管理: birth to the 7th birthday
    MATERNAL = "maternal"  # 孕产妇健康管理: one episode per pregnancy
    ELDERLY = "elderly"  # 65岁及以上老年人健康管理 (and 中医药健康管理)
    HYPERTENSION = "hypertension"  # 高血压患者健康管理
    DIABETES = "diabetes"  # 2型糖尿病患者健康管理
    MENTAL = "mental"  # 严重精神障碍患者管理
    TUBERCULOSIS = "tuberculosis"  # 肺结核患者健康管理: one episode per treatment course

    @property
    def label(self) -> str:
        return PROGRAMME_LABELS[self]


PROGRAMME_LABELS = {
    Programme.CHILD: "0～6岁儿童",
    Programme.MATERNAL: "孕产妇",
    Programme.ELDERLY: "65岁及以上老年人",
    Programme.HYPERTENSION: "高血压",
    Programme.DIABETES: "2型糖尿病",
    Programme.MENTAL: "严重精神障碍",
    Programme.TUBERCULOSIS: "肺结核",
}

# The forms whose signing, amendment or withdrawal can change a programme's tasks.
PROGRAMME_FORMS: dict[Programme, tuple[str, ...]] = {
    Programme.CHILD: ("newborn_visit", "child_check_infant", "child_check_toddler", "child_check_preschool"),
    Programme.MATERNAL: ("antenatal_first", "antenatal_followup", "postpartum_visit", "postpartum_42day"),
    Programme.ELDERLY: ("health_examination", "elderly_selfcare", "elderly_tcm"),
    Programme.HYPERTENSION: ("hypertension_followup", "health_examination"),
    Programme.DIABETES: ("diabetes_followup", "health_examination"),
    Programme.MENTAL: ("mental_supplement", "mental_followup", "health_examination"),
    Programme.TUBERCULOSIS: ("tb_first_visit", "tb_followup"),
}
ALL_PROGRAMME_FORMS = frozenset(code for codes in PROGRAMME_FORMS.values() for code in codes)

# Episode outcomes (转归) when an episode is closed, by code.
OUTCOME_LABELS = {
    "completed": "结案",  # e.g. 产后42天检查后结案
    "aged_out": "满7岁结案",
    "cured": "治愈",
    "course_completed": "完成疗程",
    "mdr": "转入耐多药治疗",
    "died": "死亡",
    "moved_out": "迁出",
    "lost": "失访",
    "refused": "拒绝管理",
    "not_confirmed": "排除诊断",
    "other": "其他",
}

# Which outcomes a doctor may choose when closing by hand (the others are set by the forms or the calendar).
MANUAL_OUTCOMES: dict[Programme, tuple[str, ...]] = {
    Programme.CHILD: ("died", "moved_out", "lost", "refused", "other"),
    Programme.MATERNAL: ("completed", "died", "moved_out", "lost", "refused", "other"),
    Programme.ELDERLY: ("died", "moved_out", "lost", "refused", "other"),
    Programme.HYPERTENSION: ("died", "moved_out", "lost", "refused", "not_confirmed", "other"),
    Programme.DIABETES: ("died", "moved_out", "lost", "refused", "not_confirmed", "other"),
    Programme.MENTAL: ("cured", "died", "moved_out", "lost", "refused", "not_confirmed", "other"),
    Programme.TUBERCULOSIS: ("cured", "course_completed", "mdr", "died", "moved_out", "lost", "refused", "other"),
}

# How pressing a task is: a routine visit, a 2-week recheck, a referral follow-up, an emergency referral.
URGENCY_LABELS = {
    "routine": "常规",
    "recheck": "2周内复查",
    "referral": "转诊随访",
    "emergency": "紧急转诊",
}

# What a task's dates mean on a given day (computed when listed, never stored).
STATE_LABELS = {
    "overdue": "已逾期",
    "due": "待随访",
    "upcoming": "即将到期",
    "later": "未到期",
    "expired": "已过期",
    "done": "已完成",
    "cancelled": "已取消",
}
