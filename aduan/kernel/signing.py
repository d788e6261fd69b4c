"""Agency identity: every agency action is signed with that agency's key, and the lifecycle checks the signature.

An officer's action names the agency it acts for (``actor.agency``). That claim is worth nothing on its own: any
client that can write to ``<p>.agency-actions`` could name another agency. So the action travels in an
``id.aduan.agency.SignedAction`` envelope: ``agency``, ``action`` (the command's exact Confluent wire bytes, which
are canonical: Avro binary has one encoding per record) and ``signature`` = HMAC-SHA256(agency key, action).
The lifecycle recomputes the signature with the key of the agency the envelope names, dead-letters a mismatch
(``bad_signature``) and refuses an action whose ``actor.agency`` differs from the signing agency
(``forbidden_actor``).

**Keys.** Each agency's key is derived from one master secret, so no key table has to be kept or shipped::

    agency key = HMAC-SHA256(master secret, "aduan agency action key v1\\0" + agency code)

The master secret is ``ADUAN_AGENCY_SIGNING_SECRET``; without it, the embedded default keeps one in
``<ADUAN_HOME>/agency-signing.key`` (created once, mode 0600). Only the lifecycle and the operator need the
master secret. ``aduan agency key CODE`` prints one agency's key, which the operator hands to that agency; the
agency's client needs only its own key (``ADUAN_AGENCY_KEY`` or ``--key-file``). Changing the master secret
changes every agency's key at once.

**Limits, and the production alternative.** Signing proves which agency sent an action; it does not hide the
topic: a client that can read ``<p>.agency-actions`` sees every agency's actions (not their keys), and one that
can write may flood it (refused actions only cost a dead letter). A resent valid action is harmless: the
lifecycle carries out a command id once. On a Kafka cluster with authentication, the stronger layout is one action
topic per agency, ``<p>.agency.<code>.actions``, with ACLs giving the agency's principal ``User:agency-<code>``
WRITE on its own actions topic and READ on its own inbox ``<p>.agency.<code>.inbox`` (plus its consumer group
``<p>.agency.<code>``), and only the lifecycle's principal READ on the action topics; identity then comes from the
topic an action arrives on. Signatures remain useful there as an end-to-end check.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from aduan.kernel.config import Settings
from aduan.kernel.privacy import secret_file

SECRET_FILE = "agency-signing.key"
KEY_ENV = "ADUAN_AGENCY_KEY"
SIGNED_ACTION = "id.aduan.agency.SignedAction"
_KEY_CONTEXT = b"aduan agency action key v1\0"


def master_secret(settings: Settings) -> str:
    """``settings.agency_signing_secret``, else the secret kept in ``<home>/agency-signing.key`` (made once)."""
    return settings.agency_signing_secret or secret_file(settings.home, SECRET_FILE)


class AgencyKeys:
    """Every agency's key, derived from the master secret."""

    def __init__(self, master: str) -> None:
        if not master:
            raise ValueError("the agency signing secret is empty: set ADUAN_AGENCY_SIGNING_SECRET to a long random "
                             "string")
        self._master = master.encode()
        self._derive = lru_cache(maxsize=4096)(self._key)

    @classmethod
    def from_settings(cls, settings: Settings) -> "AgencyKeys":
        """The keys of the configured master secret."""
        return cls(master_secret(settings))

    def key(self, agency: str) -> bytes:
        """The 32-byte key of ``agency``."""
        return self._derive(agency)

    def _key(self, agency: str) -> bytes:
        return hmac.new(self._master, _KEY_CONTEXT + agency.encode(), hashlib.sha256).digest()


def sign(key: bytes, action: bytes) -> bytes:
    """The signature of ``action`` (wire bytes of a command) with an agency's ``key``."""
    return hmac.new(key, action, hashlib.sha256).digest()


def signed_action(agency: str, key: bytes, action: bytes) -> dict[str, Any]:
    """The ``id.aduan.agency.SignedAction`` record of ``action`` signed by ``agency``."""
    return {"agency": agency, "action": action, "signature": sign(key, action)}


def is_authentic(keys: AgencyKeys, envelope: dict[str, Any]) -> bool:
    """Whether ``envelope`` was signed with the key of the agency it names (constant-time comparison)."""
    expected = sign(keys.key(envelope["agency"]), envelope["action"])
    return hmac.compare_digest(expected, envelope["signature"])


@dataclass(frozen=True)
class AgencyCredential:
    """What an agency's client holds: its code and its key."""

    agency: str
    key: bytes

    @classmethod
    def resolve(cls, agency: str, settings: Settings, key_file: Path | None = None) -> "AgencyCredential":
        """The agency's key from ``key_file``, else ``$ADUAN_AGENCY_KEY`` (hex), else derived from the master secret.

        The last works only where the master secret is (the operator's machine, the embedded stack).
        """
        text = key_file.read_text().strip() if key_file is not None else os.environ.get(KEY_ENV, "").strip()
        if not text:
            return cls(agency, AgencyKeys.from_settings(settings).key(agency))
        try:
            key = bytes.fromhex(text)
        except ValueError:
            where = key_file or KEY_ENV
            raise ValueError(f"{where} does not hold a hex key: paste the output of `aduan agency key {agency}`"
                             ) from None
        return cls(agency, key)
