"""Identity numbers at rest: AES-256-GCM encryption plus an HMAC-SHA256 blind index for exact lookup."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_VERSION = b"\x01"


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kangdang", info=purpose).derive(secret.encode())


class IdentityCipher:
    def __init__(self, secret_key: str) -> None:
        self._aead = AESGCM(_derive(secret_key, b"identity-encryption"))
        self._index_key = _derive(secret_key, b"identity-blind-index")

    def encrypt(self, plaintext: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), _VERSION)

    def decrypt(self, blob: bytes) -> str:
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        return self._aead.decrypt(nonce, body, blob[:1]).decode()

    def blind_index(self, value: str) -> str:
        return hmac.new(self._index_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_identity(number: str) -> str:
    """Keep the first 6 (address code) and the last 4 characters: 330521********123X."""
    number = number.strip().upper()
    if len(number) <= 10:
        return number[:2] + "*" * max(0, len(number) - 4) + number[-2:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(value: str | None) -> str:
    """138****5678 for mobiles; shorter numbers keep their first 2 and last 2 digits."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) <= 7:
        return digits[:2] + "*" * max(0, len(digits) - 4) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def redact(key: str, value: object) -> object:
    """What history and audit keep of a value: phone numbers masked (the full one lives encrypted only)."""
    if "phone" in key and isinstance(value, str):
        return mask_phone(value)
    if "phone" in key and isinstance(value, list):
        return [mask_phone(v) if isinstance(v, str) else v for v in value]
    return value


_ciphers: dict[str, IdentityCipher] = {}


def cipher_for(session: object) -> IdentityCipher:
    """The cipher of the deployment whose settings the session carries (keys derived once)."""
    from kangdang.db.engine import settings_of

    secret = settings_of(session).secret_key  # type: ignore[arg-type]
    if secret not in _ciphers:
        _ciphers[secret] = IdentityCipher(secret)
    return _ciphers[secret]
