"""The two Open311 formats, chosen by the resource's extension (``services.json``, ``services.xml``), and the
spec's error body: ``[{"code": 400, "description": "..."}]`` or ``<errors><error><code>400</code>...``.

XML follows the spec's element names: a list is an element holding one child per item, named by
:data:`ITEMS` (``services`` -> ``service``, ``attributes`` -> ``attribute``, ...); None is an empty element,
booleans are ``true``/``false``.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from aiohttp import web

CONTENT_TYPES = {"json": "application/json", "xml": "text/xml"}
ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "values": "value", "endpoints": "endpoint", "formats": "format"}
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class Open311Error(Exception):
    """A request the API refuses: the HTTP status and one description per problem."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


def format_of(extension: str) -> str:
    """The format named by a resource's extension; an unknown one is refused (404: no such representation)."""
    if extension not in CONTENT_TYPES:
        raise Open311Error(404, f"unknown format {extension!r}: end the resource with .json or .xml")
    return extension


def render(fmt: str, root: str, body: Any, status: int = 200) -> web.Response:
    """``body`` (a list or a dict) in ``fmt``; ``root`` names the XML root element."""
    if fmt == "xml":
        text = _DECLARATION + ElementTree.tostring(_element(root, body), encoding="unicode").encode()
    else:
        text = json.dumps(body, ensure_ascii=False).encode()
    return web.Response(body=text, status=status, content_type=CONTENT_TYPES[fmt], charset="utf-8")


def render_error(fmt: str, error: Open311Error) -> web.Response:
    """The spec's error body for ``error``."""
    return render(fmt, "errors", [{"code": error.status, "description": d} for d in error.descriptions],
                  error.status)


def _element(name: str, value: Any) -> ElementTree.Element:
    element = ElementTree.Element(name)
    if isinstance(value, list):
        element.extend(_element(ITEMS.get(name, "item"), item) for item in value)
    elif isinstance(value, dict):
        element.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element
