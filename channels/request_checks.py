"""Checks a request body against an OpenAPI 3.0 schema object of :mod:`channels.openapi` with the ``jsonschema``
library, and lists every error by field path with our codes and messages.

The schema object is translated once to JSON Schema (draft 4, the base of OpenAPI 3.0): ``nullable: true`` becomes
a type that also allows null. ``pattern`` is searched as in JavaScript, where ``$`` means the very end (Python's
``$`` also matches before a final newline).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from jsonschema import Draft4Validator, ValidationError, validators
from jsonschema.protocols import Validator

FieldError = tuple[str, str, str]  # (field path, code, message)

_NAMES = {"object": "an object", "array": "an array", "string": "a string", "boolean": "true or false",
          "integer": "an integer", "number": "a number"}


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


def _pattern(validator: Validator, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft4Validator, {"pattern": _pattern})


def _json_schema(openapi: Any) -> Any:
    """The JSON Schema of an OpenAPI 3.0 schema object (or of any value inside one)."""
    if isinstance(openapi, list):
        return [_json_schema(item) for item in openapi]
    if not isinstance(openapi, dict):
        return openapi
    schema = {key: _json_schema(value) for key, value in openapi.items()}
    if schema.get("nullable") is True and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


class RequestChecks:
    """The checks of one request schema object, translated and checked against the draft 4 meta-schema once."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        schema = _json_schema(openapi)
        _Validator.check_schema(schema)
        self._validator = _Validator(schema)

    def field_errors(self, value: Any) -> list[FieldError]:
        """Every way ``value`` breaks the schema, at most one per field path (``location.region``,
        ``attachments[0]``; ``body`` is the whole value): a value of the wrong type is told only that."""
        found: dict[str, FieldError] = {}
        for error in self._validator.iter_errors(value):
            for field_error in _explained(error):
                if field_error[0] not in found or error.validator == "type":  # JSON Schema checks enum too
                    found[field_error[0]] = field_error
        return list(found.values())


def _explained(error: ValidationError) -> list[FieldError]:
    """``error`` as field errors; ``required`` and ``additionalProperties`` name every such field of the object (the
    library gives one ``required`` error per missing field: the repeats merge in :meth:`RequestChecks.field_errors`)."""
    where = _field(error.absolute_path) or "body"
    value, limit, schema = error.instance, error.validator_value, error.schema
    match error.validator:
        case "type" if value is None:
            return [(where, "null", f"{where} must not be null")]
        case "type":
            return [(where, "type", f"{where} must be {_NAMES[limit if isinstance(limit, str) else limit[0]]}")]
        case "enum":
            return [(where, "enum", f"{where} must be one of {', '.join(map(str, limit))}")]
        case "minLength":
            return [(where, "too_short", f"{where}: at least {limit} characters (got {len(value)})")]
        case "maxLength":
            return [(where, "too_long", f"{where}: at most {limit:,} characters (got {len(value):,})")]
        case "pattern":
            return [(where, "pattern", f"{where} must match {limit}")]
        case "minimum" | "maximum":
            return [(where, "range", f"{where} must be between {schema.get('minimum')} and {schema.get('maximum')}")]
        case "maxItems":
            return [(where, "too_many", f"{where}: at most {limit} items")]
        case "required":
            missing = (_field([*error.absolute_path, name]) for name in limit if name not in value)
            return [(field, "required", f"{field} is required") for field in missing]
        case "additionalProperties":
            known = schema.get("properties", {})
            unknown = (_field([*error.absolute_path, name]) for name in value if name not in known)
            return [(field, "unknown_field", f"{field} is not a field here; known: {', '.join(known)}")
                    for field in unknown]
    return [(where, str(error.validator), error.message)]  # a keyword channels.openapi does not use (yet)


def _field(path: Iterable[str | int]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).removeprefix(".")
