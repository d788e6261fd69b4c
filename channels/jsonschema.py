"""Checks a JSON value against an OpenAPI 3.0 schema object and lists every error, by field path.

Only what :mod:`channels.openapi` uses: ``type``, ``nullable``, ``enum``, ``minLength``, ``maxLength``,
``pattern`` (anchored with ``^...$``, where ``$`` means the very end as in JavaScript), ``minimum``, ``maximum``,
``maxItems``, ``items``, ``properties``, ``required`` and ``additionalProperties: false``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

FieldError = tuple[str, str, str]  # (field path, code, message)

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}
_NAMES = {"object": "an object", "array": "an array", "string": "a string", "boolean": "true or false",
          "integer": "an integer", "number": "a number"}


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


def field_errors(schema: dict[str, Any], value: Any, path: str = "") -> list[FieldError]:
    """Every way ``value`` breaks ``schema``; ``path`` names the value (``location.region``, ``attachments[0]``)."""
    where = path or "body"
    if value is None:
        return [] if schema.get("nullable") else [(where, "null", f"{where} must not be null")]
    kind = schema.get("type")
    if kind and not _TYPES[kind](value):
        return [(where, "type", f"{where} must be {_NAMES[kind]}")]
    if "enum" in schema and value not in schema["enum"]:
        return [(where, "enum", f"{where} must be one of {', '.join(map(str, schema['enum']))}")]
    if kind == "string":
        return _string(schema, value, where)
    if kind in ("number", "integer"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            return [(where, "range", f"{where} must be between {low} and {high}")]
        return []
    if kind == "array":
        return _array(schema, value, path)
    if kind == "object":
        return _object(schema, value, path)
    return []


def _string(schema: dict[str, Any], value: str, where: str) -> list[FieldError]:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(value) < low:
        return [(where, "too_short", f"{where}: at least {low} characters (got {len(value)})")]
    if high is not None and len(value) > high:
        return [(where, "too_long", f"{where}: at most {high:,} characters (got {len(value):,})")]
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        return [(where, "pattern", f"{where} must match {schema['pattern']}")]
    return []


def _array(schema: dict[str, Any], value: list, path: str) -> list[FieldError]:
    where = path or "body"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return [(where, "too_many", f"{where}: at most {schema['maxItems']} items")]
    found: list[FieldError] = []
    for index, item in enumerate(value):
        found += field_errors(schema.get("items", {}), item, f"{path}[{index}]")
    return found


def _object(schema: dict[str, Any], value: dict, path: str) -> list[FieldError]:
    prefix = f"{path}." if path else ""
    properties = schema.get("properties", {})
    found: list[FieldError] = [(f"{prefix}{name}", "required", f"{prefix}{name} is required")
                               for name in schema.get("required", []) if name not in value]
    if schema.get("additionalProperties") is False:
        found += [(f"{prefix}{name}", "unknown_field",
                   f"{prefix}{name} is not a field here; known: {', '.join(properties)}")
                  for name in value if name not in properties]
    for name, sub in properties.items():
        if name in value:
            found += field_errors(sub, value[name], f"{prefix}{name}")
    return found
