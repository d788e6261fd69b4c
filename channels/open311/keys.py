"""The Open311 clients the operator admitted, each with its own API key: ``ADUAN_OPEN311_KEYS``.

The value lists ``client=key`` pairs separated by commas, e.g. ``fixmystreet=3f9c...,kota-kendari=a1b2...``. A
client name (1-32 of ``a-z 0-9 _ -``) becomes part of each of its requests' delivery key; a key has at least
16 characters. Nothing configured means nobody may post (every ``POST requests`` answers 403); reading needs no key.
"""

from __future__ import annotations

import hmac
import os
import re
from typing import Mapping

KEYS_ENV = "ADUAN_OPEN311_KEYS"
KEY_MIN = 16
_CLIENT = re.compile(r"[a-z0-9_-]{1,32}")


class ApiKeys:
    """API key -> client name, compared in constant time."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        for client, key in keys.items():
            if not _CLIENT.fullmatch(client):
                raise ValueError(f"{KEYS_ENV}: client name {client!r} must be 1-32 of a-z, 0-9, _ and -")
            if len(key) < KEY_MIN:
                raise ValueError(f"{KEYS_ENV}: the key of {client!r} must have at least {KEY_MIN} characters")
        self._keys = dict(keys)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "ApiKeys":
        """The keys in ``ADUAN_OPEN311_KEYS``; ValueError says what to fix."""
        keys: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in (environ.get(KEYS_ENV) or "").split(","))):
            client, sep, key = pair.partition("=")
            if not sep or client.strip() in keys:
                raise ValueError(f"{KEYS_ENV}: expected client=key pairs separated by commas, each client once; "
                                 f"got {client.strip()!r}")
            keys[client.strip()] = key.strip()
        return cls(keys)

    def client(self, key: str | None) -> str | None:
        """The client holding ``key``, or None for a missing or unknown key."""
        found = None
        for client, known in self._keys.items():
            if key is not None and hmac.compare_digest(known.encode(), key.encode()):
                found = client
        return found
