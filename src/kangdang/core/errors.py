"""Domain errors. Services raise these; each transport maps them once (page message, JSON, FHIR)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str  # Chinese, shown to the user as is
    row: int | None = None  # 1-based data row of an imported file, when the error comes from one


class DomainError(Exception):
    status_code = 400
    code = "domain_error"
    default_message = "请求无法完成"

    def __init__(self, message: str | None = None, *, errors: list[FieldError] | None = None) -> None:
        self.message = message or self.default_message
        self.errors: list[FieldError] = errors or []
        super().__init__(self.message)


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_message = "未找到该记录，或您无权查看"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"
    default_message = "您没有执行此操作的权限"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"
    default_message = "请先登录"


class ConsentRequired(DomainError):
    status_code = 403
    code = "consent_required"
    default_message = "查看该档案需要经批准的申请和居民本人同意"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = "与现有数据冲突"


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"
    default_message = "输入有误，请检查标出的项目"


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"
    default_message = "登录尝试过于频繁，请一分钟后再试"


class AccountLocked(DomainError):
    status_code = 423
    code = "account_locked"
    default_message = "登录失败次数过多，账号已暂时锁定"


class Busy(DomainError):
    """The database could not give this request its turn in time (SQLite's one write lock, a deadlock)."""

    status_code = 503
    code = "busy"
    default_message = "系统繁忙，请稍后重试"


@dataclass
class ErrorCollector:
    """Collects field errors while validating, then raises them all at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, message: str, row: int | None = None) -> None:
        self.errors.append(FieldError(field_name, message, row))

    def raise_if_any(self, message: str | None = None) -> None:
        if self.errors:
            raise InvalidInput(message, errors=self.errors)
