"""Privacy at the door: an anonymous reporter's identity is sealed before it leaves the channel adapter.

*Anonim* means nobody sees who reported, the handling agency included. The adapter therefore never puts an
anonymous reporter in clear on any topic: :func:`protect` moves the identity into a sealed blob (AES-256-GCM),
which only the notification sender opens to reply through the reporter's channel.

The sealing key is ``ADUAN_SEALING_KEY`` (any high-entropy string, e.g. ``python -c "import secrets;
print(secrets.token_urlsafe(32))"``; every process that seals or unseals needs the same one). Without it, the
key of the embedded default lives in ``<ADUAN_HOME>/sealing.key`` (created once, mode 0600).

Usage::

    sealer = Sealer.from_settings(settings)
    blob = sealer.seal({"name": "Budi", "email": None, "phone": "+6281234567890", "social_handle": None})
    sealer.unseal(blob)["phone"]        # '+6281234567890'
    clear, sealed = protect(reporter, anonymous=True, sealer=sealer)   # (None, b'\\x01...')
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from aduan.domain.tracking import TRACKING_SECRET_ENV, TrackingIds
from aduan.kernel.config import Settings

Reporter = dict[str, Any]

SEALING_KEY_FILE = "sealing.key"
TRACKING_SECRET_FILE = "tracking.secret"
REPORTER_FIELDS = ("name", "email", "phone", "social_handle")
_FORMAT = 1
_NONCE = 12
_FINGERPRINT = 4
_AAD = b"id.aduan.Reporter/sealed/v1"


class UnsealError(ValueError):
    """A sealed blob could not be opened: another key, a damaged blob, or not a sealed reporter at all."""


def secret_file(home: Path, name: str) -> str:
    """The secret kept in ``home/name``, created once with 32 random bytes (hex) and mode 0600.

    Safe when several processes start at once: the file appears complete or not at all, and all read the same.
    """
    path = home / name
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        draft = home / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"{path} is empty: delete it to have a new secret made, or write the one in use into it")
    return value


class Sealer:
    """Seals and unseals reporters with one key."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the sealing key is empty: set ADUAN_SEALING_KEY to a long random string")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"aduan reporter sealing v1").derive(
            secret.encode())
        self._aead = AESGCM(key)
        self.fingerprint = hashlib.sha256(key).digest()[:_FINGERPRINT]

    @classmethod
    def from_settings(cls, settings: Settings) -> "Sealer":
        """The sealer of ``settings.sealing_key``, else of the key file in ``settings.home``."""
        return cls(settings.sealing_key or secret_file(settings.home, SEALING_KEY_FILE))

    def seal(self, reporter: Reporter) -> bytes:
        """``reporter`` (an ``id.aduan.Reporter`` record) encrypted: format byte, key fingerprint, nonce, ciphertext."""
        plain = json.dumps({name: reporter.get(name) for name in REPORTER_FIELDS}, sort_keys=True).encode()
        nonce = secrets.token_bytes(_NONCE)
        return bytes([_FORMAT]) + self.fingerprint + nonce + self._aead.encrypt(nonce, plain, _AAD)

    def unseal(self, blob: bytes) -> Reporter:
        """The reporter sealed in ``blob``; raises :class:`UnsealError` saying why it cannot be opened."""
        head = 1 + _FINGERPRINT + _NONCE
        if len(blob) <= head or blob[0] != _FORMAT:
            raise UnsealError(f"not a sealed reporter (format {blob[:1].hex() or 'none'}, {len(blob)} bytes)")
        fingerprint = blob[1:1 + _FINGERPRINT]
        if fingerprint != self.fingerprint:
            raise UnsealError(
                f"sealed with key {fingerprint.hex()}, but this process has key {self.fingerprint.hex()}: give every "
                "process the same ADUAN_SEALING_KEY (or the same ADUAN_HOME with its sealing.key)")
        try:
            plain = self._aead.decrypt(blob[1 + _FINGERPRINT:head], blob[head:], _AAD)
        except InvalidTag:
            raise UnsealError("the sealed reporter is damaged (authentication failed)") from None
        return json.loads(plain)


def has_identity(reporter: Reporter | None) -> bool:
    """Whether ``reporter`` holds anything that identifies a person."""
    return bool(reporter) and any(reporter.get(name) for name in REPORTER_FIELDS)


def protect(reporter: Reporter | None, *, anonymous: bool, sealer: Sealer) -> tuple[Reporter | None, bytes | None]:
    """``(reporter in clear, sealed reporter)`` as they may travel: an anonymous reporter only sealed."""
    if not anonymous:
        return (reporter if has_identity(reporter) else None), None
    return None, (sealer.seal(reporter) if has_identity(reporter) else None)


def tracking_ids(settings: Settings) -> TrackingIds:
    """Tracking ids under ``ADUAN_TRACKING_SECRET``, else under the secret file in ``settings.home``."""
    return TrackingIds(os.environ.get(TRACKING_SECRET_ENV) or secret_file(settings.home, TRACKING_SECRET_FILE))
