"""The intake report (``id.aduan.intake.Report``) that every channel adapter publishes (:mod:`aduan.domain.intake`
says the rules it must meet)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aduan.domain.events import to_millis
from aduan.domain.intake import normalise_phone
from aduan.kernel.privacy import Sealer, protect


def new_report(
    *,
    channel: str,
    message_id: str,
    received_at: datetime,
    title: str,
    description: str,
    sealer: Sealer,
    report_type: str = "COMPLAINT",
    category: str | None = None,
    region_code: str | None = None,
    coordinates: dict[str, float] | None = None,
    address: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    anonymous: bool = False,
    confidential: bool = False,
    reporter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``id.aduan.intake.Report`` record; an anonymous reporter is sealed here, at the door."""
    clear, sealed = protect(_reporter(reporter), anonymous=anonymous, sealer=sealer)
    return {
        "channel": channel,
        "channel_message_id": message_id,
        "received_at": to_millis(received_at),
        "report_type": report_type,
        "title": title.strip(),
        "description": description.strip(),
        "category": category,
        "region_code": region_code or None,
        "coordinates": coordinates,
        "address": address,
        "attachments": [
            {"url": a.get("url"), "sha256": a.get("sha256"), "name": a.get("name")} for a in attachments or []
        ],
        "privacy": {"anonymous": anonymous, "confidential": confidential},
        "reporter": clear,
        "reporter_sealed": sealed,
    }


def _reporter(reporter: dict[str, Any] | None) -> dict[str, Any] | None:
    if not reporter:
        return None
    phone = reporter.get("phone")
    return {
        "name": reporter.get("name") or None,
        "email": (reporter.get("email") or "").strip() or None,
        "phone": normalise_phone(phone) if phone else None,
        "social_handle": reporter.get("social_handle") or None,
    }
