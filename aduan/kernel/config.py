"""Settings read from the environment (``ADUAN_*``); every setting has a default that runs on one machine."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def default_home() -> Path:
    """Where the embedded stack keeps its data.

    As root this is ``/var/lib/aduan``, never a home directory: the embedded PostgreSQL runs as an
    unprivileged system user that must be able to traverse every parent folder of its data directory.
    """
    if os.geteuid() == 0:
        return Path("/var/lib/aduan")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "aduan"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _switch(name: str) -> bool | None:
    """``on``/``off`` (or true/false, 1/0) of a variable; None when it is unset."""
    value = _env(name)
    if value is None:
        return None
    if value.lower() in ("on", "true", "1", "yes"):
        return True
    if value.lower() in ("off", "false", "0", "no"):
        return False
    raise ValueError(f"{name}={value!r}: use on or off")


STACK_FILE = "stack.json"
BROKER_STORAGES = ("durable", "memory")


def _storage(value: str) -> str:
    if value not in BROKER_STORAGES:
        raise ValueError(f"ADUAN_BROKER_STORAGE={value!r}: choose durable (the default: the log survives restarts) "
                         "or memory (a throwaway run: everything is lost when the broker stops)")
    return value


def running_stack(home: Path) -> dict[str, str]:
    """What a running ``aduan up`` with this home announced (broker and database addresses), or nothing."""
    try:
        announced = json.loads((home / STACK_FILE).read_text())
        os.kill(int(announced["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return {}
    return announced


@dataclass(frozen=True)
class Settings:
    """Every knob of an aduan process. ``docs/configuration`` in the README lists them all."""

    kafka_bootstrap: str | None = None
    database_url: str | None = None
    home: Path = field(default_factory=default_home)
    topic_prefix: str = "aduan"
    partitions: int = 6
    replication_factor: int = 1
    session_timeout_ms: int = 6000
    metrics_port: int = 9400
    http_port: int = 8080
    broker_port: int = 19092
    broker_storage: str = "durable"
    object_store_port: int = 18333
    postgres_port: int = 15432
    sealing_key: str | None = None
    agency_signing_secret: str | None = None
    fetch_wait_ms: int | None = None
    batch_window_ms: int = 5
    producer_idempotence: bool | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        """Read the ``ADUAN_*`` environment variables.

        Where no broker or database is configured, those of a running ``aduan up`` with the same ADUAN_HOME
        are used (it writes them to ``<home>/stack.json``).
        """
        home_env = _env("ADUAN_HOME")
        home = Path(home_env) if home_env else default_home()
        running = running_stack(home)
        idempotence = _switch("ADUAN_PRODUCER_IDEMPOTENCE")
        if idempotence is None and not _env("ADUAN_KAFKA_BOOTSTRAP") and running.get("kafka_bootstrap"):
            idempotence = running.get("producer_idempotence")
        return cls(
            kafka_bootstrap=_env("ADUAN_KAFKA_BOOTSTRAP") or running.get("kafka_bootstrap"),
            database_url=_env("ADUAN_DATABASE_URL") or running.get("database_url"),
            home=home,
            topic_prefix=_env("ADUAN_TOPIC_PREFIX", "aduan") or "aduan",
            partitions=int(_env("ADUAN_PARTITIONS", "6") or 6),
            replication_factor=int(_env("ADUAN_REPLICATION_FACTOR", "1") or 1),
            session_timeout_ms=int(_env("ADUAN_SESSION_TIMEOUT_MS", "6000") or 6000),
            metrics_port=int(_env("ADUAN_METRICS_PORT", "9400") or 9400),
            http_port=int(_env("ADUAN_HTTP_PORT", "8080") or 8080),
            broker_port=int(_env("ADUAN_EMBEDDED_BROKER_PORT", "19092") or 19092),
            broker_storage=_storage(_env("ADUAN_BROKER_STORAGE", "durable") or "durable"),
            object_store_port=int(_env("ADUAN_EMBEDDED_OBJECT_STORE_PORT", "18333") or 18333),
            postgres_port=int(_env("ADUAN_EMBEDDED_POSTGRES_PORT", "15432") or 15432),
            sealing_key=_env("ADUAN_SEALING_KEY"),
            agency_signing_secret=_env("ADUAN_AGENCY_SIGNING_SECRET"),
            fetch_wait_ms=int(wait) if (wait := _env("ADUAN_FETCH_WAIT_MS")) else None,
            batch_window_ms=int(_env("ADUAN_BATCH_WINDOW_MS", "5") or 5),
            producer_idempotence=idempotence,
        )

    def with_(self, **changes: object) -> "Settings":
        """A copy with some settings changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The environment that gives a child process these same settings."""
        env = {
            "ADUAN_HOME": str(self.home),
            "ADUAN_TOPIC_PREFIX": self.topic_prefix,
            "ADUAN_PARTITIONS": str(self.partitions),
            "ADUAN_REPLICATION_FACTOR": str(self.replication_factor),
            "ADUAN_SESSION_TIMEOUT_MS": str(self.session_timeout_ms),
            "ADUAN_METRICS_PORT": str(self.metrics_port),
            "ADUAN_HTTP_PORT": str(self.http_port),
            "ADUAN_BATCH_WINDOW_MS": str(self.batch_window_ms),
        }
        if self.fetch_wait_ms is not None:
            env["ADUAN_FETCH_WAIT_MS"] = str(self.fetch_wait_ms)
        if self.producer_idempotence is not None:
            env["ADUAN_PRODUCER_IDEMPOTENCE"] = "on" if self.producer_idempotence else "off"
        optional = {
            "ADUAN_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "ADUAN_DATABASE_URL": self.database_url,
            "ADUAN_SEALING_KEY": self.sealing_key,
            "ADUAN_AGENCY_SIGNING_SECRET": self.agency_signing_secret,
        }
        env.update({k: v for k, v in optional.items() if v})
        return env

    @property
    def fetch_wait(self) -> int:
        """The longest wait (ms) for a fetch on an idle partition: as set, else 50 on the in-memory embedded broker
        (shorter waits bought no latency at 10 reports/s and cost enough idle CPU to lose it at 100/s, see
        docs/design.md) and 100 otherwise (the durable embedded broker lists a partition's objects on every fetch,
        and 10 ms waits overloaded it; a Kafka cluster answers as soon as data arrives, whatever the wait)."""
        if self.fetch_wait_ms is not None:
            return self.fetch_wait_ms
        return 50 if self.broker_storage == "memory" else 100

    @property
    def idempotent_producers(self) -> bool:
        """Whether producers are idempotent: as set, else on (the embedded broker's stack turns it off)."""
        return self.producer_idempotence is not False

    @property
    def bootstrap(self) -> str:
        """The Kafka bootstrap servers; fails clearly when no broker was configured or started."""
        if not self.kafka_bootstrap:
            raise RuntimeError(
                "no Kafka broker configured: set ADUAN_KAFKA_BOOTSTRAP=host:port or start the embedded stack "
                "with `aduan up`"
            )
        return self.kafka_bootstrap

    @property
    def dsn(self) -> str:
        """The PostgreSQL connection string; fails clearly when no database was configured or started."""
        if not self.database_url:
            raise RuntimeError(
                "no PostgreSQL configured: set ADUAN_DATABASE_URL=postgresql://... or start the embedded stack "
                "with `aduan up`"
            )
        return self.database_url
