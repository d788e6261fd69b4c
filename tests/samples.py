"""Deterministic sample records derived from a schema: every field filled, every optional branch taken."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

SAMPLE_TIME = datetime(2026, 3, 2, 8, 30, 0, tzinfo=timezone.utc)


def sample(schema: Any, path: str = "x") -> Any:
    """A value that fits ``schema`` (a parsed fastavro schema), the same on every run."""
    if isinstance(schema, list):  # union: the first non-null branch
        branch = next((b for b in schema if b != "null"), "null")
        return sample(branch, path)
    if isinstance(schema, str):
        return _primitive(schema, path)
    kind = schema["type"]
    if schema.get("logicalType") == "timestamp-millis":
        return SAMPLE_TIME
    if kind == "record":
        return {f["name"]: sample(f["type"], f"{path}.{f['name']}") for f in schema["fields"]}
    if kind == "enum":
        return schema["symbols"][0]
    if kind == "array":
        return [sample(schema["items"], path)]
    if kind == "map":
        return {"k": sample(schema["values"], path)}
    return sample(kind, path)


def _primitive(kind: str, path: str) -> Any:
    return {
        "null": None,
        "boolean": True,
        "int": 3,
        "long": 7000,
        "float": 1.5,
        "double": -4.0125,
        "bytes": path.encode(),
        "string": path.rsplit(".", 1)[-1] + "-value",
    }[kind]
