"""Test fixtures: a real broker and a real PostgreSQL for the session, own topics and database per test.

With ``ADUAN_KAFKA_BOOTSTRAP`` / ``ADUAN_DATABASE_URL`` set, those are used; otherwise the embedded tansu
broker and an embedded PostgreSQL are started on free ports and stopped at the end. Never the machine's own
PostgreSQL on 5432: a fresh machine has none.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from aduan.kernel import topics
from aduan.kernel.config import Settings
from aduan.runtime.embedded.broker import EmbeddedBroker
from aduan.runtime.embedded.postgres import EmbeddedPostgres
from aduan.runtime.embedded.process import free_port
from tests.support import Process
from tests.support.deployment import new_deployment

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
