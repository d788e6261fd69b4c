"""Test fixtures: a real broker and a real PostgreSQL for the session, own topics and database per test.

With ``ADUAN_KAFKA_BOOTSTRAP`` / ``ADUAN_DATABASE_URL`` set, those are used; otherwise the embedded tansu
broker and an embedded PostgreSQL are started on free ports and stopped at the end. Never the machine's own
PostgreSQL on 5432: a fresh machine has none. A test that needs a working stack but not all 569 agencies (each
with its inbox topic) asks for ``small_directory``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from aduan.domain.directory_data import PACKAGED, SETTING
from aduan.domain.regions import REGIONS_FILE
from aduan.kernel import topics
from aduan.kernel.config import Settings
from aduan.runtime.embedded.broker import EmbeddedBroker
from aduan.runtime.embedded.postgres import EmbeddedPostgres
from aduan.runtime.embedded.process import free_port
from tests.support import Process
from tests.support.deployment import new_deployment

REAL_SERVERS = {"kafka_bootstrap", "postgres_url"}
# The regions of the small directory: Sulawesi Tenggara, where the tests place their complaints, and Kota Jakarta
# Pusat (test_routing routes one report outside Sulawesi Tenggara), each with its districts and its province.
SMALL_DIRECTORY_REGIONS = ("74", "31.71")


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


@pytest.fixture(scope="session")
def small_directory_data(work_dir: Path) -> Path:
    """A folder for ``ADUAN_DIRECTORY_DATA``: the packaged ``regions.csv`` cut to :data:`SMALL_DIRECTORY_REGIONS`,
    every other file packaged: 37 agencies (so 37 inbox topics) today, against 569."""
    folder = work_dir / "small-directory"
    folder.mkdir()
    header, *rows = (PACKAGED / REGIONS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [row for row in rows if _in_small_directory(row.partition(",")[0])]
    (folder / REGIONS_FILE).write_text(header + "".join(kept), encoding="utf-8")
    return folder


def _in_small_directory(code: str) -> bool:
    """Whether a region is one of :data:`SMALL_DIRECTORY_REGIONS`, inside one, or the province of one."""
    return any(code == kept or code.startswith(f"{kept}.") or kept.startswith(f"{code}.")
               for kept in SMALL_DIRECTORY_REGIONS)


@pytest.fixture
def small_directory(small_directory_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small directory for the test and every process it starts (``run_process``, ``Up``): for tests that
    need a working stack, not every agency of Indonesia."""
    monkeypatch.setenv(SETTING, str(small_directory_data))
    return small_directory_data
