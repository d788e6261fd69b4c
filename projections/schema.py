"""Where the read models live: schema ``projection``, created by the SQL files in ``projections/migrations``.

Every migration file starts with :data:`HEADER`, which puts its objects in schema ``projection``. A rebuild runs
the rest of each file (:func:`model_sql`) in a fresh schema and swaps it in by renaming schemas, so live and
rebuilt read models come from the same SQL.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg2.extensions

from aduan.kernel.read_models import SCHEMA

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEADER = f"CREATE SCHEMA IF NOT EXISTS {SCHEMA};\nSET LOCAL search_path TO {SCHEMA}, public;\n"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def checked(schema: str) -> str:
    """``schema`` if it is a plain lower-case SQL identifier (it is put into SQL text unquoted)."""
    if not _IDENTIFIER.fullmatch(schema):
        raise ValueError(f"{schema!r} is not a plain schema name: use lower-case letters, digits and underscores")
    return schema


def model_sql() -> list[tuple[str, str]]:
    """``(file name, SQL without the header)`` of every read-model migration, in order."""
    bodies = []
    for path in sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        text = path.read_text()
        if not text.startswith(HEADER):
            raise ValueError(f"{path} must start with these two lines, so that a rebuild can run it in a fresh "
                             f"schema:\n{HEADER}")
        bodies.append((path.name, text[len(HEADER):]))
    return bodies


def create_model(cur: psycopg2.extensions.cursor, schema: str) -> None:
    """Create schema ``schema`` with every read-model table and view, inside the caller's transaction."""
    cur.execute(f"CREATE SCHEMA {checked(schema)}")
    cur.execute(f"SET LOCAL search_path TO {schema}, public")
    for _name, sql in model_sql():
        cur.execute(sql)
    cur.execute("SET LOCAL search_path TO DEFAULT")
