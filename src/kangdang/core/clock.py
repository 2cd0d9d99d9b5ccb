"""The one source of "now". Stored times are UTC; pages show them in the configured zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_local() -> date:
    """The calendar date in China, which is what a filing or service date means."""
    return utcnow().astimezone(LOCAL_ZONE).date()


def to_local(moment: datetime | None, zone: ZoneInfo = LOCAL_ZONE) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)
