"""A deployment of its own for a test: its own topic prefix, consumer groups, database and home, on the session's
broker and PostgreSQL (the ``settings`` fixture of tests/conftest.py, and the tests that need a second one)."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg2

from aduan.kernel import db
from aduan.kernel.config import Settings
from aduan.runtime.embedded.process import free_port


def _database(postgres_url: str, name: str, template: str | None = None) -> str:
    conn = psycopg2.connect(postgres_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    conn.close()
    base, _, _ = postgres_url.rpartition("/")
    return f"{base}/{name}"


_MIGRATED: dict[str, str] = {}  # server URL -> its database migrated once this session, copied by every test


def _migrated_template(postgres_url: str) -> str:
    """A database with every migration applied, made once per server and session: a copy of it is a migrated
    database in a few milliseconds (nothing ever connects to it after it was made, as a template requires)."""
    if postgres_url not in _MIGRATED:
        name = f"template_{uuid.uuid4().hex[:10]}"
        db.migrate(Settings(database_url=_database(postgres_url, name)))
        _MIGRATED[postgres_url] = name
    return _MIGRATED[postgres_url]


def new_deployment(kafka_bootstrap: str, postgres_url: str, work_dir: Path) -> Settings:
    """Settings of a deployment of its own: its own topic prefix, consumer groups, database (a copy of the migrated
    template), home."""
    name = f"t{uuid.uuid4().hex[:10]}"
    home = work_dir / name
    home.mkdir()
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        database_url=_database(postgres_url, name, _migrated_template(postgres_url)),
        home=home,
        topic_prefix=name,
        partitions=4,
        session_timeout_ms=3000,
        metrics_port=free_port(),
        http_port=free_port(),
        sealing_key="test-sealing-key-0123456789abcdef",
        agency_signing_secret="test-agency-secret",
    )
