"""The parameters a county sets for its indicators (REFERENCE.md §1.7 "make them configurable", §8), kept as
versioned rows (``IndicatorParameter``: the newest setting of a key wins; the older ones are its history).

``Parameters`` is what the rules read; ``PARAMETER_SPECS`` says, per key, its Chinese label, its kind and the
values it accepts, so that pages and the API check input the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from kangdang.access.actor import Actor
from kangdang.access.audit import record_event
from kangdang.access.roles import Action
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.indicators.models import IndicatorParameter
from kangdang.programmes.facts import FactRules

USAGE_FORMS_EXCLUDED = ("cover", "personal_basic_info")  # filling the record itself is not a dynamic record


@dataclass(frozen=True)
class Parameters:
    usage_window: str = "rolling_12m"  # rolling_12m: the 12 months to the day | calendar_year: the year so far
    usage_denominator: str = "all"  # all: every record | electronic: records with the basic form entered
    usage_clinical: bool = True  # a clinical visit (接诊记录, 会诊, 转诊) counts as a dynamic record
    paper_counts_as_filed: bool = True  # a record kept complete on paper (纸质档案存放位置) counts as 建档
    invalid_empty_items: int = 3  # a 个人基本信息表 with this many empty basic items makes the record 无效档案
    late_entry_days: int = 30  # a form signed this many days after the service day is entered late (timeliness)
    rules: FactRules = field(default_factory=FactRules)


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    label: str
    kind: str  # choice | bool | int | decimal
    choices: dict[str, str] = field(default_factory=dict)
    minimum: int = 0
    maximum: int = 1000


PARAMETER_SPECS: dict[str, ParameterSpec] = {
    spec.key: spec
    for spec in (
        ParameterSpec(
            "usage_window",
            "使用率：动态记录的时间窗",
            "choice",
            {"rolling_12m": "近12个月（滚动）", "calendar_year": "本年度（自然年）"},
        ),
        ParameterSpec(
            "usage_denominator",
            "使用率：分母",
            "choice",
            {"all": "档案总份数", "electronic": "电子健康档案份数（个人基本信息表已录入）"},
        ),
        ParameterSpec("usage_clinical", "使用率：接诊、会诊、转诊记录算作动态记录", "bool"),
        ParameterSpec("paper_counts_as_filed", "建档率：纸质档案完整的算作已建档", "bool"),
        ParameterSpec(
            "invalid_empty_items", "质控：个人基本信息表空项达到几项为无效档案", "int", minimum=1, maximum=30
        ),
        ParameterSpec("late_entry_days", "质控：服务后超过几天录入为录入不及时", "int", minimum=1, maximum=365),
        ParameterSpec("followup_interval_days", "规范管理：每多少天应随访1次", "int", minimum=30, maximum=366),
        ParameterSpec("elderly_age", "血压达标：老年人年龄（岁）", "int", minimum=60, maximum=80),
        ParameterSpec("glucose_target", "血糖达标：空腹血糖低于（mmol/L）", "decimal", minimum=4, maximum=15),
        ParameterSpec("early_registration_weeks", "早孕建册：孕周低于", "int", minimum=8, maximum=20),
        ParameterSpec("postpartum_visit_days", "产后访视：出院后几天内", "int", minimum=3, maximum=42),
        ParameterSpec("tb_first_visit_days", "肺结核：通知后几天内首次入户", "int", minimum=1, maximum=14),
        ParameterSpec(
            "tb_regular_percent", "规则服药：实际服药次数不少于应服药次数的百分比", "int", minimum=50, maximum=100
        ),
    )
}
RULE_KEYS = {f.name for f in fields(FactRules)}


def check_value(key: str, value: Any) -> Any:
    """The value in its stored form, or a field error in Chinese."""
    spec = PARAMETER_SPECS.get(key)
    if spec is None:
        raise InvalidInput(errors=[FieldError("key", "参数：没有这个参数")])
    error = InvalidInput(errors=[FieldError("value", f"{spec.label}：取值无效")])
    if spec.kind == "choice":
        if value not in spec.choices:
            raise error
        return value
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "on", "是"):
            return True
        if str(value).lower() in ("false", "0", "off", "否", ""):
            return False
        raise error
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise error from None
    if not number.is_finite() or not spec.minimum <= number <= spec.maximum:
        raise InvalidInput(errors=[FieldError("value", f"{spec.label}：请填写{spec.minimum}～{spec.maximum}之间的数")])
    if spec.kind == "int":
        if number != number.to_integral_value():
            raise InvalidInput(errors=[FieldError("value", f"{spec.label}：请填写整数")])
        return int(number)
    return str(number)


def _settings(session: Session, county: str) -> dict[str, Any]:
    newest = (
        select(IndicatorParameter.key, func.max(IndicatorParameter.set_at).label("at"))
        .where(IndicatorParameter.region_code == county)
        .group_by(IndicatorParameter.key)
        .subquery()
    )
    rows = session.execute(
        select(IndicatorParameter.key, IndicatorParameter.value)
        .join(newest, and_(IndicatorParameter.key == newest.c.key, IndicatorParameter.set_at == newest.c.at))
        .where(IndicatorParameter.region_code == county)
    )
    return {key: value for key, value in rows}


def current_parameters(session: Session, county: str) -> Parameters:
    """The county's parameters: each key's newest setting, the default for keys never set."""
    stored = {key: value for key, value in _settings(session, county).items() if key in PARAMETER_SPECS}
    rules = {k: Decimal(str(v)) if k == "glucose_target" else v for k, v in stored.items() if k in RULE_KEYS}
    own = {k: v for k, v in stored.items() if k not in RULE_KEYS}
    return replace(Parameters(**own), rules=replace(FactRules(), **rules))  # type: ignore[arg-type]


def parameter_value(parameters: Parameters, key: str) -> Any:
    return getattr(parameters.rules, key) if key in RULE_KEYS else getattr(parameters, key)


def set_parameter(session: Session, actor: Actor, *, county: str, key: str, value: Any) -> Parameters:
    """Set one parameter for the county (a new version; the old one stays as history). The figures follow at the
    next full recompute, which the caller starts."""
    actor.require(Action.INDICATOR_CONFIGURE)
    if not (actor.scope.everything or any(county.startswith(p) for p in actor.scope.region_prefixes)):
        raise InvalidInput(errors=[FieldError("county", "县（区）：不在您的管辖范围内")])
    stored = check_value(key, value)
    before = parameter_value(current_parameters(session, county), key)
    session.add(IndicatorParameter(region_code=county, key=key, value=stored, set_by=actor.login))
    session.flush()
    record_event(
        session,
        actor,
        "indicator.parameter",
        subject_type="region",
        subject_id=county,
        details={"key": key, "from": str(before), "to": str(stored)},
    )
    return current_parameters(session, county)
