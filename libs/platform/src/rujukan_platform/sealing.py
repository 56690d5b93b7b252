"""Personal values sealed at rest: AES-256-GCM under a key id, bound to the row they live in.

A sealed value is ``v1.<key id>.<base64url(nonce | ciphertext and tag)>``: it names its key, so
keys rotate without a flag day. New values are sealed under the current key id; every key still
configured opens what it sealed; ``needs_resealing`` tells which values a reseal pass
(``rujukan_platform.resealing``) rewrites before an old key is dropped. Each value is sealed with a
*context*, ``<table>.<column>:<row key>`` (``context``), as associated data: authenticated, not
stored, so a value copied into another row or column does not open.

What it does not protect against: a process that holds the key (the service itself, or anyone
with its settings) reads every value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
DEV_KEY_ID = "dev"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_SEALED = re.compile(rf"{VERSION}\.({_KEY_ID.pattern})\.([A-Za-z0-9_-]{{38,}})")


class SealError(ValueError):
    """A value that does not open: not sealed, an unknown key id, or altered (its bytes, or the
    row it was moved to)."""


def context(table_name: str, column_name: str, key: object) -> str:
    """Where a value lives, sealed with it: ``members.name:<member id>``."""
    return f"{table_name}.{column_name}:{key}"


def dev_key(service: str) -> str:
    """A service's development key (base64), different per service; production refuses it."""
    digest = hashlib.sha256(f"rujukan-local-data-key-{service}-do-not-use".encode()).digest()
    return base64.b64encode(digest).decode()


def decode_key(key_id: str, encoded: str) -> bytes:
    """A configured key: 32 bytes in base64 (``openssl rand -base64 32``)."""
    if not _KEY_ID.fullmatch(key_id):
        raise ValueError(f"key id {key_id!r}: 1-32 letters, digits, '-' or '_'")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"key {key_id!r} is not base64") from exc
    if len(raw) != KEY_BYTES:
        raise ValueError(f"key {key_id!r} has {len(raw)} bytes, not {KEY_BYTES}")
    return raw


class Sealer:
    """Seals and opens values with the keys it is given; seals new ones under ``current``."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError(f"the current key id {current!r} is not among the keys")
        self.current = current
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}

    @classmethod
    def from_base64(cls, keys: Mapping[str, str], current: str) -> Sealer:
        return cls({kid: decode_key(kid, key) for kid, key in keys.items()}, current)

    def seal(self, text: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.current].encrypt(nonce, text.encode(), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        return f"{VERSION}.{self.current}.{body}"

    def open(self, token: str, *, context: str) -> str:
        kid, body = _parts(token)
        aead = self._aead.get(kid)
        if aead is None:
            raise SealError(f"sealed under key {kid!r}, which is not configured")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, binascii.Error) as exc:
            raise SealError("does not open here: altered, or moved from another row") from exc

    def key_id(self, token: str) -> str:
        return _parts(token)[0]

    def needs_resealing(self, token: str) -> bool:
        """Sealed under a key other than the current one."""
        return self.key_id(token) != self.current

    # -- a column's rewrites (``rujukan_platform.resealing``): the new value, or None ---------

    def seal_plain(self, value: str, context: str) -> str | None:
        """A value stored before sealing, sealed (one already sealed is left)."""
        return None if is_sealed(value) else self.seal(value, context=context)

    def reseal(self, value: str, context: str) -> str | None:
        """A value under an older key, sealed again under the current one."""
        if not self.needs_resealing(value):
            return None
        return self.seal(self.open(value, context=context), context=context)

    def unseal(self, value: str, context: str) -> str | None:
        """Back to plain text (a migration's downgrade)."""
        return self.open(value, context=context) if is_sealed(value) else None


def is_sealed(value: str) -> bool:
    return _SEALED.fullmatch(value) is not None


def _parts(token: str) -> tuple[str, str]:
    found = _SEALED.fullmatch(token)
    if found is None:
        raise SealError("not a sealed value")
    return found.group(1), found.group(2)


def sealer_from_settings(
    keys: Mapping[str, SecretStr], current: str, *, dev: str, production: bool, variable: str
) -> Sealer:
    """A service's sealer from its ``data_keys`` and ``data_key_id`` settings; production
    refuses the service's development key (``dev``), even as an old one."""
    plain = {kid: key.get_secret_value() for kid, key in keys.items()}
    if production and dev in plain.values():
        raise ValueError(f"{variable} must hold the production keys, not the development key")
    return Sealer.from_base64(plain, current)
