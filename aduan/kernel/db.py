"""PostgreSQL access: connections and SQL migrations applied in order and recorded (processors keep their
consumed offsets with :class:`aduan.processing.offsets.OffsetStore`).

Migrations are plain SQL files named ``NNNN_what.sql`` in ``aduan/migrations`` (processor state) and
``projections/migrations`` (read models); each is applied once, in its own transaction, and recorded in
``schema_migrations``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import psycopg2
import psycopg2.extensions

from aduan.kernel.config import Settings

_TREE = Path(__file__).resolve().parents[2]
MIGRATION_SETS: dict[str, Path] = {
    "core": _TREE / "aduan" / "migrations",
    "projections": _TREE / "projections" / "migrations",
}


def connect(settings: Settings, *, autocommit: bool = False) -> psycopg2.extensions.connection:
    """A new connection to the configured database."""
    conn = psycopg2.connect(settings.dsn, application_name="aduan")
    conn.autocommit = autocommit
    return conn


@dataclass(frozen=True)
class Migration:
    component: str
    version: str
    path: Path


def pending_migrations(conn: psycopg2.extensions.connection) -> list[Migration]:
    """Migrations not applied yet, in order."""
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (component text NOT NULL, version text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))"
        )
        cur.execute("SELECT component, version FROM schema_migrations")
        done = set(cur.fetchall())
    conn.commit()
    found = [
        Migration(component, path.stem, path)
        for component, folder in MIGRATION_SETS.items()
        if folder.is_dir()
        for path in sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    ]
    return [m for m in found if (m.component, m.version) not in done]


def migrate(settings: Settings, report: Callable[[str], None] = lambda _: None) -> list[Migration]:
    """Apply every pending migration; safe to run from several processes at once (advisory lock)."""
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(4242001)")
        applied = []
        for migration in pending_migrations(conn):
            with conn.cursor() as cur:
                cur.execute(migration.path.read_text())
                cur.execute("INSERT INTO schema_migrations (component, version) VALUES (%s, %s)",
                            (migration.component, migration.version))
            conn.commit()
            applied.append(migration)
            report(f"applied {migration.component}/{migration.version}")
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(4242001)")
        conn.commit()
        return applied
    finally:
        conn.close()
