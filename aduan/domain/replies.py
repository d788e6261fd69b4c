"""Replies to reporters (``id.aduan.ReporterNotification``): where they go and what they say, in Indonesian.

A reply goes back the way the report came: SMS to the sender's number, email to the sender's address, social media
to the author's handle. A web, app or Open311 report is answered by email when the reporter gave one, else by
SMS (an Open311 client has no channel of its own to reply on; it follows the request with ``GET requests``). A
historical bulk import is never answered. For an anonymous reporter the notification carries the sealed identity
instead of an address; only the sender unseals it (:func:`reply_address` then picks the address).

Other components announce status changes with :func:`notification` (kind ``STATUS_UPDATE``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from aduan.domain.events import event_id, to_millis
from aduan.domain.intake import Problem

REPORTER_NOTIFICATION = "id.aduan.ReporterNotification"
ACCEPTED, REJECTED_INPUT, STATUS_UPDATE = "ACCEPTED", "REJECTED_INPUT", "STATUS_UPDATE"
# The reporter's field that each reply channel sends to.
ADDRESS_FIELDS = {"SMS": "phone", "EMAIL": "email", "SOCIAL_MEDIA": "social_handle"}
_DIRECT = {"SMS", "EMAIL", "SOCIAL_MEDIA"}
# Channels that answer with the tracking id at once: they get an ACCEPTED notification only when the tracking id
# changed after a collision.
ANSWERED_AT_THE_DOOR = {"WEB", "MOBILE_APP", "SMS", "OPEN311"}
_NO_REPLY = {"BULK_IMPORT"}

SMS_HELP = ("Format SMS 1708: [kode/nama wilayah] isi laporan. Contoh: KENDARI jalan rusak di depan pasar. "
            "Tambahkan #anonim agar identitas Anda dirahasiakan.")


def accepted_text(tracking_id: str) -> str:
    """The acknowledgement of a report that became a complaint (fits one SMS)."""
    return f"Laporan Anda diterima. Nomor lacak: {tracking_id}. Simpan nomor ini untuk memantau tindak lanjutnya."


def rejected_text(problems: Iterable[Problem]) -> str:
    """Why a report could not be accepted, and what to do."""
    reasons = "; ".join(p.pesan for p in problems)
    return f"Laporan Anda belum dapat kami terima: {reasons}. Silakan kirim ulang laporan yang sudah diperbaiki."


def reply_address(channel: str, reporter: dict[str, Any] | None) -> tuple[str, str] | None:
    """``(reply channel, address)`` for a reporter who came through ``channel``, or None when there is none."""
    if channel in _NO_REPLY or not reporter:
        return None
    routes = [channel] if channel in _DIRECT else ["EMAIL", "SMS"]
    for route in routes:
        address = reporter.get(ADDRESS_FIELDS[route])
        if address:
            return route, address
    return None


def notification(
    *,
    kind: str,
    cause: str,
    channel: str,
    reporter: dict[str, Any] | None,
    reporter_sealed: bytes | None,
    text: str,
    created_at: datetime,
    complaint_id: str | None = None,
    tracking_id: str | None = None,
) -> dict[str, Any] | None:
    """A ReporterNotification record for the reporter of a report that came through ``channel``, or None when
    the reporter cannot be reached (no contact, an anonymous reporter without a sealed identity, a bulk import)."""
    if channel in _NO_REPLY:
        return None
    if reporter_sealed is not None:
        route, address = channel, None
    else:
        found = reply_address(channel, reporter)
        if found is None:
            return None
        route, address = found
    return {
        "notification_id": event_id(cause, f"{REPORTER_NOTIFICATION}:{kind}"),
        "kind": kind,
        "channel": route,
        "address": address,
        "reporter_sealed": reporter_sealed,
        "complaint_id": complaint_id,
        "tracking_id": tracking_id,
        "text": text,
        "cause": cause,
        "created_at": to_millis(created_at),
    }
