"""The identity of a delivery: its key, the complaint id, the tracking id and the reporter token, all derived.

Everything is computed from the channel and the channel's own message id, so the adapter answers with the tracking
id at once and a redelivery gets the same ids:

* delivery key ``<channel>:<message id>`` (``web:3f0c...``, ``sms:gw-991``): the intake topic's Kafka key;
* complaint id: a uuid5 of the delivery key;
* tracking id: 10 characters of Crockford base32 (no I, L, O, U), shown as ``K7Q2M-9XH4D``, from an HMAC of the
  delivery key under the tracking secret, so a neighbour's id tells nothing about the next one. 50 bits: the
  intake processor keeps them unique (``intake_receipts.tracking_id`` is a unique index) and, on a collision,
  takes the next candidate (``attempt`` 1, 2, ...);
* reporter token (handed to a web reporter with the tracking id) and reporter ref (the pseudonym on the log:
  ``header.actor.id``), a hash of the token, so whoever holds the token can prove to be the reporter.

The tracking secret is ``ADUAN_TRACKING_SECRET``; without it, ``<ADUAN_HOME>/tracking.secret`` (created once,
0600; :func:`aduan.kernel.privacy.tracking_ids`). Every process that takes reports (``channels-http``, ``intake``, the importers) needs the same one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

TRACKING_SECRET_ENV = "ADUAN_TRACKING_SECRET"
# Fixed for the life of the project: changing it changes every complaint id.
COMPLAINT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "complaints.aduan.id")
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_LENGTH = 10
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.#]")


def delivery_key(channel: str, message_id: str) -> str:
    """``<channel>:<message id>`` with the channel in lower case: the intake topic's key."""
    return f"{channel.lower()}:{message_id}"


def complaint_id(key: str) -> str:
    """The complaint id of the delivery ``key``."""
    return str(uuid.uuid5(COMPLAINT_ID_NAMESPACE, key))


def format_tracking_id(symbols: str) -> str:
    """``K7Q2M9XH4D`` -> ``K7Q2M-9XH4D``."""
    half = TRACKING_LENGTH // 2
    return f"{symbols[:half]}-{symbols[half:]}"


def normalise_tracking_id(text: str) -> str | None:
    """A tracking id as a person typed it (any case, spaces or dashes, O for 0, I or L for 1), or None."""
    symbols = _SEPARATORS.sub("", text.upper()).translate(_LOOKALIKES)
    if len(symbols) != TRACKING_LENGTH or any(c not in ALPHABET for c in symbols):
        return None
    return format_tracking_id(symbols)


def reporter_ref(token: str) -> str:
    """The pseudonymous reporter ref of whoever holds ``token``: never a name or a contact."""
    return "rr-" + hashlib.sha256(token.encode()).hexdigest()[:32]


class TrackingIds:
    """Derives tracking ids and reporter tokens under one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError(f"the tracking secret is empty: set {TRACKING_SECRET_ENV} to a long random string")
        self._secret = secret.encode()

    def _mac(self, purpose: str, key: str) -> bytes:
        return hmac.new(self._secret, f"{purpose}\0{key}".encode(), hashlib.sha256).digest()

    def tracking_id(self, key: str, attempt: int = 0) -> str:
        """The tracking id of delivery ``key``; ``attempt`` > 0 gives the next candidates after a collision."""
        number = int.from_bytes(self._mac(f"tracking/{attempt}", key)[:8], "big") >> (64 - 5 * TRACKING_LENGTH)
        symbols = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(TRACKING_LENGTH)))
        return format_tracking_id(symbols)

    def reporter_token(self, key: str) -> str:
        """The secret token that lets the reporter of delivery ``key`` act on the complaint."""
        return self._mac("reporter-token", key).hex()[:32]

    def reporter_ref(self, key: str) -> str:
        """The reporter ref of delivery ``key`` (what :func:`reporter_ref` gives for its token)."""
        return reporter_ref(self.reporter_token(key))
