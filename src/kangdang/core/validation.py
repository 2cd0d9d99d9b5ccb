"""Turning pydantic validation errors into field errors with Chinese messages (for pages and the API)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kangdang.core.errors import FieldError

_MESSAGES: dict[str, str] = {
    "missing": "此项为必填项",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "请输入整数",
    "int_type": "请输入整数",
    "float_parsing": "请输入数字",
    "decimal_parsing": "请输入数字",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "date_from_datetime_parsing": "请输入日期，格式为 YYYY-MM-DD",
    "date_parsing": "请输入日期，格式为 YYYY-MM-DD",
    "date_type": "请输入日期，格式为 YYYY-MM-DD",
    "enum": "请从列表中选择",
    "literal_error": "请从列表中选择",
    "uuid_parsing": "请选择有效的项目",
    "uuid_type": "请选择有效的项目",
    "bool_parsing": "请选择是或否",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "格式不正确",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为列表",
    "string_type": "应为文本",
    "extra_forbidden": "不支持的字段",
}


def chinese_message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if error.get("input") == "" and kind != "value_error":
        return _MESSAGES["missing"]  # a blank form field is a missing one, whatever rule it broke
    if kind == "value_error":
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ")
    template = _MESSAGES.get(kind)
    if template is None:
        return "输入有误"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


def field_errors(errors: Iterable[Mapping[str, Any]], *, skip_prefix: tuple[str, ...] = ("body",)) -> list[FieldError]:
    result = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ())]
        while location and location[0] in skip_prefix:
            location = location[1:]
        result.append(FieldError(".".join(location) or "__root__", chinese_message(error)))
    return result
