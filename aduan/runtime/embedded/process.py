"""Child-process helpers shared by the embedded servers: free ports, waiting for a port, stopping politely."""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
from typing import Any


class PortInUse(RuntimeError):
    """Something else listens on the port an embedded server wants."""


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the parent dies (Linux), so a killed ``aduan up`` leaves nothing."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(command: list[str], **options: Any) -> subprocess.Popen:
    """Start a supervised child in its own process group (Ctrl-C reaches only the supervisor, which stops the
    children in order) that dies with its parent (a ``kill -9`` of the supervisor leaves no orphan behind)."""
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, process_group=0, preexec_fn=_die_with_parent,
                            **options)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on ``host:port``."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_for_port(port: int, proc: subprocess.Popen | None, what: str, timeout: float = 30.0) -> None:
    """Wait until ``port`` accepts connections; fail with the child's exit status if it died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before listening on port {port}")
        if port_open(port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stop_all(procs: list[subprocess.Popen], grace: float = 15.0) -> None:
    """SIGTERM to every process at once, then SIGKILL to those still running after ``grace`` seconds."""
    running = [p for p in procs if p.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in running:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
