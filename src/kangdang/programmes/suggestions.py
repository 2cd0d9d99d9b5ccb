"""Which programmes a resident could be enrolled in, and why (建议纳入管理), from what the record already says.

A suggestion is only a hint shown to the doctor: enrolment is always their decision (``service.enrol``).
The rules, each giving a reason in Chinese:

* 0～6岁儿童 — the child is under 7 on the day (未满7周岁).
* 65岁及以上老年人 — the resident is 65, or turns 65 this year (年满65岁 / 今年年满65岁).
* 高血压 / 2型糖尿病 / 严重精神障碍 — the latest signed 个人基本信息表 lists the disease in its past
  history (既往史, codes 2 / 3 / 8), or a signed follow-up form of the programme exists (高血压 and 糖尿病
  also need the age of 35, as enrolment does). A past history of 结核病 is not a reason.
* 肺结核 — a signed 第一次入户随访记录表 or 随访服务记录表 of the last 12 months whose latest visit did
  not stop the treatment (a treatment course that has ended needs no management).
* 孕产妇 — a woman aged 12–55 with a signed 第1次产前检查 within the last 300 days (about 10 months: a
  pregnancy and its 42 days after delivery).

Whatever the source, a reason counts only when it is dated after the close of the programme's last
episode (the evidence of a closed episode is that episode's own; age counts on the day). A programme is
never suggested while the resident has an active episode of it, nor when its last episode was closed
because the resident refused management (拒绝管理), nor when enrolment would refuse the resident
(``enrolment.ineligible``). A resident whose record is closed, or who is recorded as dead (an episode
closed with 死亡, a follow-up recording the death), gets no suggestion.

Reads are few and fixed: the record, the person, the person's episodes, and one query for the latest
signed form of each code that matters (a window over the person's forms). The read is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.clock import today_local
from kangdang.programmes.codes import Programme
from kangdang.programmes.enrolment import ineligible
from kangdang.programmes.models import Episode
from kangdang.programmes.schedule.types import parse_date
from kangdang.records.context import age_in_years
from kangdang.records.models import ServiceRecord
from kangdang.residents.models import Person
from kangdang.residents.scope import get_visible_record

BASIC_INFO = "personal_basic_info"
PAST_DISEASES = {"2": Programme.HYPERTENSION, "3": Programme.DIABETES, "8": Programme.MENTAL}
# the forms that show a resident is (or was) managed in a programme, with the reason each one gives
FORM_REASONS: dict[str, tuple[Programme, str]] = {
    "hypertension_followup": (Programme.HYPERTENSION, "已有高血压患者随访记录"),
    "diabetes_followup": (Programme.DIABETES, "已有2型糖尿病患者随访记录"),
    "mental_supplement": (Programme.MENTAL, "已有严重精神障碍患者个人信息补充表"),
    "mental_followup": (Programme.MENTAL, "已有严重精神障碍患者随访记录"),
    "tb_first_visit": (Programme.TUBERCULOSIS, "已有肺结核患者第一次入户随访记录"),
    "tb_followup": (Programme.TUBERCULOSIS, "已有肺结核患者随访记录"),
    "antenatal_first": (Programme.MATERNAL, "已有第1次产前检查记录"),
}
RECENT_DAYS = {Programme.TUBERCULOSIS: 365, Programme.MATERNAL: 300}
TB_DIED = "2"


@dataclass(frozen=True)
class Suggestion:
    programme: Programme
    reason: str


@dataclass(frozen=True)
class _Form:
    code: str
    day: date
    answers: dict[str, Any]


def suggest_programmes(
    session: Session, actor: Actor, record_id: uuid.UUID, *, today: date | None = None
) -> list[Suggestion]:
    """The programmes the resident of this record could be enrolled in, in the programmes' order."""
    actor.require(Action.RESIDENT_VIEW)
    record = get_visible_record(session, actor, record_id)
    if record.status != "active":
        return []
    today = today or today_local()
    person = session.get_one(Person, record.person_id)
    episodes = list(session.scalars(select(Episode).where(Episode.person_id == person.id)))
    forms = _latest_forms(session, person.id)
    record_event(
        session,
        actor,
        "programme.suggest",
        subject_type="person",
        subject_id=person.id,
        details={"record_id": record.id},
    )
    if _died(episodes, forms):
        return []
    reasons = _reasons(person, forms, today)
    last = _last_episodes(episodes)
    suggestions = []
    for programme in Programme:
        episode = last.get(programme)
        if episode is not None and (episode.status == "active" or episode.outcome == "refused"):
            continue
        if ineligible(programme, person.birth_date, person.sex, today):
            continue
        closed = episode.closed_on if episode is not None else None
        found = [text for day, text in reasons.get(programme, []) if closed is None or day > closed]
        if found:
            suggestions.append(Suggestion(programme, "；".join(dict.fromkeys(found))))
    return suggestions


def _latest_forms(session: Session, person_id: uuid.UUID) -> dict[str, _Form]:
    """The latest signed form of each code that can give a reason (one query)."""
    codes = [BASIC_INFO, *FORM_REASONS]
    ranked = (
        select(
            ServiceRecord.form_code,
            ServiceRecord.service_date,
            ServiceRecord.answers,
            func.row_number()
            .over(
                partition_by=ServiceRecord.form_code,
                order_by=(ServiceRecord.service_date.desc(), ServiceRecord.signed_at.desc(), ServiceRecord.id.desc()),
            )
            .label("position"),
        )
        .where(
            ServiceRecord.person_id == person_id,
            ServiceRecord.status == "completed",
            ServiceRecord.form_code.in_(codes),
        )
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.form_code, ranked.c.service_date, ranked.c.answers).where(ranked.c.position == 1)
    )
    return {code: _Form(code, day, answers or {}) for code, day, answers in rows}


def _last_episodes(episodes: list[Episode]) -> dict[Programme, Episode]:
    last: dict[Programme, Episode] = {}
    for episode in sorted(episodes, key=lambda e: (e.status == "active", e.enrolled_on, e.closed_on or date.max)):
        last[Programme(episode.programme)] = episode
    return last


def _died(episodes: list[Episode], forms: dict[str, _Form]) -> bool:
    if any(e.outcome == "died" for e in episodes):
        return True
    mental = forms.get("mental_followup")
    tb = forms.get("tb_followup")
    return (mental is not None and _records_death(mental)) or (
        tb is not None and tb.answers.get("stop_reason") == TB_DIED
    )


def _records_death(form: _Form) -> bool:
    return parse_date(form.answers.get("death_date")) is not None


def _reasons(person: Person, forms: dict[str, _Form], today: date) -> dict[Programme, list[tuple[date, str]]]:
    """Each programme's reasons, with the day each one is dated (age: today)."""
    reasons: dict[Programme, list[tuple[date, str]]] = {}

    def add(programme: Programme, day: date, text: str) -> None:
        reasons.setdefault(programme, []).append((day, text))

    if age_in_years(person.birth_date, today) < 7:
        add(Programme.CHILD, today, "未满7周岁")
    if today.year - person.birth_date.year >= 65:
        add(Programme.ELDERLY, today, "年满65岁" if age_in_years(person.birth_date, today) >= 65 else "今年年满65岁")
    basic = forms.get(BASIC_INFO)
    if basic is not None:
        for row in basic.answers.get("past_diseases") or []:
            programme = PAST_DISEASES.get(str(row.get("disease"))) if isinstance(row, dict) else None
            if programme is not None:
                add(programme, basic.day, f"个人基本信息表既往史：{_disease_label(programme)}")
    for code, (programme, text) in FORM_REASONS.items():
        form = forms.get(code)
        if form is None or not _counts(programme, form, forms, today):
            continue
        add(programme, form.day, text)
    return reasons


def _disease_label(programme: Programme) -> str:
    return "糖尿病" if programme is Programme.DIABETES else programme.label


def _counts(programme: Programme, form: _Form, forms: dict[str, _Form], today: date) -> bool:
    """Whether this latest form of its code is still a reason on the day."""
    recent = RECENT_DAYS.get(programme)
    if recent is not None and form.day <= today - timedelta(days=recent):
        return False
    if programme is Programme.TUBERCULOSIS:
        followup = forms.get("tb_followup")
        stopped = followup is not None and followup.answers.get("stop_reason") not in (None, "")
        # a course that has stopped is over unless a first visit of a new course came after the stop
        return not stopped or (followup is not None and form.code == "tb_first_visit" and form.day > followup.day)
    return True
