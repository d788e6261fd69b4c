"""Sending commands about a complaint and learning what became of them; shared by ``aduan admin``,
``aduan reporter`` and ``aduan agency act``.

A complaint is named by its tracking id (or complaint id), looked up in the lifecycle's state
(:mod:`streams.lifecycle_store`), so a command is only sent for a complaint the lifecycle already knows. After
sending, the tools wait for the lifecycle to record the command's outcome (accepted, or refused with the reason).
"""

from __future__ import annotations

import argparse
import getpass
import time
import uuid
from typing import Callable

from aduan.domain.commands import Command
from aduan.domain.lifecycle import ComplaintState
from aduan.kernel import db, kafka_clients
from aduan.kernel.clock import clock_from_env
from aduan.kernel.config import Settings
from aduan.kernel.topics import Topics
from schemas.command_wire import encode_command
from streams.lifecycle_store import Outcome, find_state, outcome

REFUSED_EXIT = 2
NO_OUTCOME_EXIT = 3


class CommandSender:
    """Publishes admin, reporter and system commands to ``<p>.commands``, keyed by complaint id."""

    def __init__(self, settings: Settings) -> None:
        self.topic = Topics(settings.topic_prefix).commands
        self.publisher = kafka_clients.Publisher(kafka_clients.producer(settings))

    def send(self, command: Command) -> None:
        """Publish ``command`` and wait until the broker acknowledged it."""
        self.publisher.send(self.topic, command.complaint_id.encode(), encode_command(command),
                            [("type", type(command).__name__.encode())])
        self.publisher.flush()

    def close(self) -> None:
        self.publisher.close()


def find_complaint(settings: Settings, tracking_id: str) -> ComplaintState:
    """The complaint with this tracking id (or complaint id); KeyError says what to check when it is unknown."""
    conn = db.connect(settings, autocommit=True)
    try:
        with conn.cursor() as cur:
            state = find_state(cur, tracking_id)
    finally:
        conn.close()
    if state is None:
        raise KeyError(f"no complaint {tracking_id!r} is known to the lifecycle: check the tracking id, and that "
                       "the lifecycle process runs (`aduan up` or `aduan run lifecycle`)")
    return state


def await_outcome(settings: Settings, command_id: str, timeout: float) -> Outcome | None:
    """The outcome the lifecycle recorded for ``command_id``, or None when there is none after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    conn = db.connect(settings, autocommit=True)
    try:
        with conn.cursor() as cur:
            while True:
                found = outcome(cur, command_id)
                if found is not None or time.monotonic() >= deadline:
                    return found
                time.sleep(0.2)
    finally:
        conn.close()


def add_sending_options(parser: argparse.ArgumentParser) -> None:
    """``--command-id``, ``--no-wait`` and ``--timeout``."""
    parser.add_argument("--command-id", help="the command's id (default: a new one); resend with the same id to "
                                             "make sure it is carried out once")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the lifecycle's decision")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the decision (default 30)")


def command_fields(args: argparse.Namespace, complaint: ComplaintState) -> dict[str, object]:
    """``command_id``, ``complaint_id`` and ``issued_at`` of a command built from the command line."""
    return {
        "command_id": args.command_id or str(uuid.uuid4()),
        "complaint_id": complaint.complaint_id,
        "issued_at": clock_from_env().now(),
    }


def default_user() -> str:
    """The operating-system user, as a default admin or officer id."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def send_and_report(args: argparse.Namespace, settings: Settings, command: Command,
                    send: Callable[[Command], None], tracking_id: str) -> int:
    """Send ``command``, then print the lifecycle's decision; the exit status says it (0, 2 refused, 3 none)."""
    what = f"{type(command).__name__} of {tracking_id} (command id {command.command_id})"
    send(command)
    if args.no_wait:
        print(f"sent {what}")
        return 0
    decided = await_outcome(settings, command.command_id, args.timeout)
    if decided is None:
        print(f"sent {what}, but no decision after {args.timeout:.0f} s: is the lifecycle process running? Resend "
              f"with --command-id {command.command_id} to be sure it is carried out once")
        return NO_OUTCOME_EXIT
    if decided.accepted:
        print(f"accepted {what}")
        return 0
    print(f"refused {what}: {decided.outcome}: {decided.reason}")
    return REFUSED_EXIT
