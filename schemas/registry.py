"""A file-based schema registry: ``registry.json`` maps ids to schema files, each parsed once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastavro.schema import expand_schema, load_schema

SCHEMA_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Subject:
    """One registered version of a message type."""

    id: int
    name: str
    version: int
    path: Path
    parsed: Any

    def expanded(self) -> dict:
        """The schema with every named type inlined: what a plain Avro reader or a registry serves."""
        return expand_schema(self.parsed)


class SchemaRegistry:
    """Schema ids, versions and parsed schemas, loaded from ``registry.json`` in a schema folder."""

    def __init__(self, directory: Path = SCHEMA_DIR) -> None:
        self.directory = directory
        listing = json.loads((directory / "registry.json").read_text())
        self._by_id: dict[int, Subject] = {}
        self._latest: dict[str, Subject] = {}
        for entry in listing["subjects"]:
            subject = Subject(
                id=int(entry["id"]),
                name=entry["name"],
                version=int(entry["version"]),
                path=directory / entry["file"],
                parsed=load_schema(str(directory / entry["file"])),
            )
            if subject.id in self._by_id:
                raise ValueError(f"schema id {subject.id} is listed twice in {directory / 'registry.json'}")
            self._by_id[subject.id] = subject
            current = self._latest.get(subject.name)
            if current is None or subject.version > current.version:
                self._latest[subject.name] = subject

    def by_id(self, schema_id: int) -> Subject | None:
        """The subject registered under ``schema_id``, or None."""
        return self._by_id.get(schema_id)

    def latest(self, name: str) -> Subject:
        """The newest version of the message type ``name`` (an Avro full name)."""
        try:
            return self._latest[name]
        except KeyError:
            raise KeyError(f"no schema named {name!r} in {self.directory / 'registry.json'}") from None

    def subjects(self) -> list[Subject]:
        """Every registered version, by id."""
        return [self._by_id[i] for i in sorted(self._by_id)]

    def names(self) -> list[str]:
        """Every message type name."""
        return sorted(self._latest)
