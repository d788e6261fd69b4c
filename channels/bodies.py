"""Reading a request body at an HTTP door: the content type, the size limit, JSON or a url-encoded form."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MAX_BODY = 256 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class Refusal(Exception):
    """A request refused before its fields are read (wrong content type, too large, not JSON)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


async def read_body(request: web.Request, *, allowed: tuple[str, ...] = (JSON,)) -> Any:
    """The parsed body: JSON, or a url-encoded form as a dict of strings, if its content type is ``allowed``."""
    if request.content_type not in allowed:
        raise Refusal(415, "content_type", f"send the body as {' or '.join(allowed)}, not {request.content_type}")
    try:
        if request.content_type == FORM:
            return {name: str(value) for name, value in (await request.post()).items()}
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Refusal(413, "too_large", f"the body is larger than {MAX_BODY // 1024} KiB") from None
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except ValueError as exc:
        raise Refusal(400, "bad_json", f"the body is not valid JSON: {exc}") from None
