"""Test fixtures: a real broker and a real PostgreSQL for the session, own topics and database per test.

With ``ADUAN_KAFKA_BOOTSTRAP`` / ``ADUAN_DATABASE_URL`` set, those are used; otherwise the embedded tansu
broker and an embedded PostgreSQL are started on free ports and stopped at the end. Never the machine's own
PostgreSQL on 5432: a fresh machine has none.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import psycopg2
import pytest

from aduan import db, topics
from aduan.config import Settings
from aduan.embedded.broker import EmbeddedBroker
from aduan.embedded.postgres import EmbeddedPostgres
from aduan.embedded.process import free_port
from tests.support import Process


REAL_SERVERS = {"kafka_bootstrap", "postgres_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``integration`` every test that starts or uses a real broker or PostgreSQL: those under
    ``tests/integration/`` (some start a whole ``aduan up``) and any other that asks for the session's servers;
    ``pytest -m "not integration"`` runs the fast rest."""
    for item in items:
        uses_servers = REAL_SERVERS & set(getattr(item, "fixturenames", ()))
        if uses_servers or "integration" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def work_dir() -> Iterator[Path]:
    """A folder outside any home directory (the embedded PostgreSQL may run as another user)."""
    path = Path(tempfile.mkdtemp(prefix="aduan-test-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """The broker for the session."""
    configured = os.environ.get("ADUAN_KAFKA_BOOTSTRAP")
    if configured:
        yield configured
        return
    with EmbeddedBroker(free_port()) as broker:
        yield broker.bootstrap


@pytest.fixture(scope="session")
def postgres_url(work_dir: Path) -> Iterator[str]:
    """The PostgreSQL server for the session (a URL to its maintenance database)."""
    configured = os.environ.get("ADUAN_DATABASE_URL")
    if configured:
        yield configured
        return
    with EmbeddedPostgres(work_dir / "pgdata", free_port()) as server:
        yield server.url


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


@pytest.fixture
def settings(kafka_bootstrap: str, postgres_url: str, work_dir: Path) -> Settings:
    """Settings of a test's own deployment (:func:`new_deployment`)."""
    return new_deployment(kafka_bootstrap, postgres_url, work_dir)


@pytest.fixture
def shared_topics(settings: Settings) -> topics.Topics:
    """The test deployment's shared topics, created."""
    names = topics.Topics(settings.topic_prefix)
    topics.ensure(settings, names.shared(settings))
    return names


@pytest.fixture
def run_process(settings: Settings) -> Iterator:
    """Start ``aduan`` CLI processes for the test; every one is stopped at teardown."""
    started: list[Process] = []

    def start(*args: str, with_settings: Settings | None = None) -> Process:
        process = Process(with_settings or settings, *args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
