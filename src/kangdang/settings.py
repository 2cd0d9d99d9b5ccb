"""The one settings class. Every setting is read from the environment with the prefix ``KANGDANG_``.

Each field is documented in docs/settings.md (a test checks that every field appears there).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "kangdang-development-secret-do-not-use-in-production"  # noqa: S105


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KANGDANG_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default="sqlite:///./var/kangdang.sqlite3")
    secret_key: str = DEFAULT_SECRET_KEY
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = Field(default=12, ge=1, le=24 * 7)
    token_hours: int = Field(default=8, ge=1, le=24 * 30)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    password_min_length: int = Field(default=8, ge=6, le=128)
    cookie_secure: bool = False
    # 健康档案编号: "village20" = 12-digit village code + 8-digit serial per village (the 2023 work plan);
    # "national17" = 12-digit village code + 5-digit serial (the 2011 national 17-digit form).
    record_number_pattern: Literal["village20", "national17"] = "village20"
    # How long a break-the-glass (紧急查阅) opening of a record outside one's jurisdiction lasts.
    break_glass_hours: int = Field(default=3, ge=1, le=24)
    # A browser session ends after this many minutes without a request (等保: idle session timeout).
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Sign-in attempts (page or API) accepted per client address per minute; more get 429.
    login_attempts_per_minute: int = Field(default=30, ge=1, le=10_000)
    # How often the app recomputes the figures of villages changed since (seconds; 0 = never, e.g. when
    # `kangdang indicators refresh` runs from cron instead). Not started in the test environment.
    indicator_refresh_seconds: float = Field(default=2.0, ge=0, le=3600)
    sql_echo: bool = False

    @model_validator(mode="after")
    def _refuse_default_secret_outside_development(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "KANGDANG_SECRET_KEY still has the development default; production refuses it. "
                "Set KANGDANG_SECRET_KEY to a long random value (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)."
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("KANGDANG_SECRET_KEY must be at least 32 characters in production.")
        return self

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file of a ``sqlite:///`` URL (None for in-memory or non-SQLite URLs)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[1] if "///" in self.database_url else ""
        return Path(path) if path and path != ":memory:" else None
