"""Phone numbers at rest: stored encrypted (``db.types.EncryptedText``), found through an HMAC blind index,
masked where the full number is not needed (138****5678)."""

from __future__ import annotations

from typing import Any

from kangdang.access.crypto import mask_phone

__all__ = ["mask_phone", "normalise_phone", "phone_index"]


def normalise_phone(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit() or ch == "+")


def phone_index(cipher: Any, value: str | None) -> str | None:
    """The blind index of a phone number (digits only), or None without a number."""
    if not value:
        return None
    digits = normalise_phone(value)
    return cipher.blind_index(f"tel:{digits}") if digits else None
