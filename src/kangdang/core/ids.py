"""Globally unique, time-ordered ids for rows that may travel between deployments (house rule 10)."""

from __future__ import annotations

import uuid

from uuid6 import uuid7


def new_id() -> uuid.UUID:
    return uuid7()
