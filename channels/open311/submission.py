"""A ``POST requests`` form as an intake report of channel ``OPEN311``, or every reason it is refused (400).

Open311 fields -> the report: ``service_code`` -> category, ``description``, ``attribute[judul]`` (else the start
of the description) -> title, ``attribute[jenis]`` -> report type, ``attribute[anonim]`` / ``attribute[rahasia]``
-> privacy, the region by :func:`channels.open311.placing.region_of`, ``lat``/``long`` -> coordinates,
``address_string`` -> address, ``media_url`` -> an attachment, ``first_name``/``last_name``/``email``/``phone``
-> the reporter. ``jurisdiction_id``, ``address_id``, ``device_id`` and ``account_id`` are accepted and ignored.

Open311 has no idempotency key, so the delivery is named by the client and a digest of everything it posted
(the API key aside): a retry of the same request is the same delivery, hence the same tracking id and never a
second complaint. Two reports meant to be distinct differ in some field anyway (a description, a photo).
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime
from typing import Any, Mapping

from aduan.domain.intake import title_from
from channels.door import Door
from channels.open311.formats import Open311Error
from channels.open311.placing import region_of
from channels.open311.services import REPORT_TYPES, YES_NO
from channels.region_in_text import region_finder

CHANNEL = "OPEN311"
# Report field -> the Open311 field a problem is about.
_FIELDS = {"title": "attribute[judul]", "region": "attribute[wilayah]", "coordinates": "lat/long",
           "address": "address_string", "reporter": "email or phone", "reporter.email": "email",
           "reporter.phone": "phone", "category": "service_code"}


def read_request(form: Mapping[str, str], client: str, received_at: datetime, door: Door) -> dict[str, Any]:
    """The intake report of an acceptable form; otherwise :class:`Open311Error` (400) with every problem."""
    errors: list[str] = []
    code = form.get("service_code") or ""
    if code not in door.rules.taxonomy:
        errors.append(f"service_code: unknown service {code!r}; GET services lists them" if code
                      else "service_code is required: GET services lists them")
    coordinates = _coordinates(form, errors)
    report_type = _choice(form, "jenis", REPORT_TYPES, "COMPLAINT", errors)
    anonymous = _choice(form, "anonim", YES_NO, False, errors)
    confidential = _choice(form, "rahasia", YES_NO, False, errors)
    try:
        region = region_of(form.get("attribute[wilayah]"), form.get("address_string"), region_finder())
    except Open311Error as refusal:
        errors.extend(refusal.descriptions)
        region = None
    description = form.get("description") or ""
    name = " ".join(filter(None, (form.get("first_name"), form.get("last_name")))) or None
    report = door.report(
        channel=CHANNEL, message_id=f"{client}:{_digest(form)}", received_at=received_at,
        title=form.get("attribute[judul]") or title_from(description), description=description,
        report_type=report_type, category=code or None, region_code=region, coordinates=coordinates,
        address=form.get("address_string") or None,
        attachments=[{"url": form["media_url"]}] if form.get("media_url") else [],
        anonymous=anonymous, confidential=confidential,
        reporter={"name": name, "email": form.get("email"), "phone": form.get("phone")})
    said = {"category", "region"} | ({"title"} if not form.get("attribute[judul]") else set())
    for problem in door.rules.problems(report):
        if problem.field not in said:  # said above in Open311 terms, or (a title from the description) below
            errors.append(f"{_field(problem.field)}: {problem.message.removeprefix(problem.field + ': ')}")
    if errors:
        door.refused(CHANNEL)
        raise Open311Error(400, *errors)
    return report


def _field(name: str) -> str:
    return _FIELDS.get(name, "media_url" if name.startswith("attachments") else name)


def _digest(form: Mapping[str, str]) -> str:
    fields = sorted((name, value) for name, value in form.items() if name != "api_key")
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()[:40]


def _coordinates(form: Mapping[str, str], errors: list[str]) -> dict[str, float] | None:
    lat, lon = form.get("lat"), form.get("long")
    if not lat and not lon:
        return None
    try:
        point = {"lat": float(lat or ""), "lon": float(lon or "")}
    except ValueError:
        point = {}
    if not point or not all(math.isfinite(v) for v in point.values()):
        errors.append("lat and long: give both, as decimal degrees (WGS84), e.g. lat=-3.9778&long=122.5151")
        return None
    return point


def _choice(form: Mapping[str, str], code: str, values: Mapping[str, Any], default: Any, errors: list[str]) -> Any:
    given = form.get(f"attribute[{code}]")
    if not given:
        return default
    if given not in values:
        errors.append(f"attribute[{code}]: {given!r} is not one of {', '.join(values)}")
        return default
    return values[given]
