"""Reference data for the statistics views: regions (so that a region without reports shows 0), agencies and
categories with their names, loaded from ``aduan/data`` (the agency directory's snapshot)."""

from __future__ import annotations

import psycopg2.extensions

from aduan.domain.directory import Directory
from projections import pgcopy
from projections.schema import SCHEMA, checked

_TABLES = {
    "regions": ("code", "name", "level", "parent_code", "province_code"),
    "agencies": ("code", "name", "kind", "region_code"),
    "categories": ("code", "name", "name_en"),
}


def reference_rows(directory: Directory) -> dict[str, list[tuple]]:
    """The rows of each reference table."""
    return {
        "regions": [(r.code, r.name, r.level.value, r.parent_code, r.code.split(".")[0]) for r in directory.regions],
        "agencies": [(a.code, a.name, a.kind.value, a.region_code) for a in directory.agencies()],
        "categories": [(c.code, c.name_id, c.name_en) for c in directory.taxonomy],
    }


def load_reference(cur: psycopg2.extensions.cursor, schema: str = SCHEMA, directory: Directory | None = None) -> None:
    """Replace the reference tables of ``schema`` with the directory's data, in the caller's transaction
    (readers keep seeing the old rows until it commits)."""
    rows = reference_rows(directory or Directory.load())
    for table, columns in _TABLES.items():
        name = f"{checked(schema)}.{table}"
        cur.execute(f"DELETE FROM {name}")
        lines = ("\t".join(pgcopy.text(v) for v in row) + "\n" for row in rows[table])
        pgcopy.copy_lines(cur, name, columns, lines)
