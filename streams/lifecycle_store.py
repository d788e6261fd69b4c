"""The lifecycle's state in PostgreSQL: each complaint's :class:`ComplaintState` and the outcome of each command.

Only the lifecycle processor writes here (in the transaction that also records its consumed offsets); the command
line tools read it to turn a tracking id into a complaint id and to wait for a command's outcome.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

import psycopg2.extensions
import psycopg2.extras

from aduan.domain.lifecycle import ComplaintState, Status

ACCEPTED = "accepted"

_TYPES = typing.get_type_hints(ComplaintState)


def state_to_json(state: ComplaintState) -> str:
    """``state`` as JSON text (times in ISO 8601 with their offset)."""
    return json.dumps({f.name: _plain(getattr(state, f.name)) for f in dataclasses.fields(state)})


def state_from_json(document: dict[str, Any]) -> ComplaintState:
    """The state :func:`state_to_json` wrote."""
    return ComplaintState(**{f.name: _typed(_TYPES[f.name], document[f.name])
                             for f in dataclasses.fields(ComplaintState) if f.name in document})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _typed(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    kinds = set(typing.get_args(hint)) or {hint}
    if datetime in kinds:
        return datetime.fromisoformat(value)
    if Status in kinds:
        return Status(value)
    if typing.get_origin(hint) is tuple:
        return tuple(value)
    return value


def load_states(cur: psycopg2.extensions.cursor, complaint_ids: Iterable[str]) -> dict[str, ComplaintState]:
    """The known complaints among ``complaint_ids``, locked until the transaction ends."""
    cur.execute("SELECT complaint_id, state FROM lifecycle_complaints WHERE complaint_id = ANY(%s) "
                "ORDER BY complaint_id FOR UPDATE", (sorted(set(complaint_ids)),))
    return {complaint_id: state_from_json(state) for complaint_id, state in cur.fetchall()}


def save_states(cur: psycopg2.extensions.cursor, states: Iterable[ComplaintState]) -> None:
    """Insert or replace these complaints' states."""
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO lifecycle_complaints (complaint_id, tracking_id, status, agency, state) VALUES %s "
        "ON CONFLICT (complaint_id) DO UPDATE SET tracking_id = EXCLUDED.tracking_id, status = EXCLUDED.status, "
        "agency = EXCLUDED.agency, state = EXCLUDED.state, updated_at = now()",
        [(s.complaint_id, s.tracking_id, s.status.value, s.agency, state_to_json(s)) for s in states],
        page_size=1000,
    )


def accepted_commands(cur: psycopg2.extensions.cursor, command_ids: Iterable[str]) -> set[str]:
    """The command ids among ``command_ids`` that were carried out already."""
    cur.execute("SELECT command_id FROM lifecycle_commands WHERE command_id = ANY(%s) AND outcome = %s",
                (list(set(command_ids)), ACCEPTED))
    return {row[0] for row in cur.fetchall()}


@dataclass(frozen=True)
class Outcome:
    """What became of a command: ``accepted``, or a refusal code with its reason."""

    command_id: str
    complaint_id: str
    command: str
    outcome: str
    reason: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome == ACCEPTED


def save_outcomes(cur: psycopg2.extensions.cursor, outcomes: Iterable[Outcome]) -> None:
    """Record outcomes; an accepted command is never overwritten by a later refusal of the same id."""
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO lifecycle_commands (command_id, complaint_id, command, outcome, reason) VALUES %s "
        "ON CONFLICT (command_id) DO UPDATE SET outcome = EXCLUDED.outcome, reason = EXCLUDED.reason, "
        "decided_at = now() WHERE lifecycle_commands.outcome <> 'accepted'",
        [(o.command_id, o.complaint_id, o.command, o.outcome, o.reason) for o in outcomes],
        page_size=1000,
    )


def outcome(cur: psycopg2.extensions.cursor, command_id: str) -> Outcome | None:
    """The outcome of ``command_id``, None while it is not decided."""
    cur.execute("SELECT command_id, complaint_id, command, outcome, reason FROM lifecycle_commands "
                "WHERE command_id = %s", (command_id,))
    row = cur.fetchone()
    return Outcome(*row) if row else None


def find_state(cur: psycopg2.extensions.cursor, tracking_or_complaint_id: str) -> ComplaintState | None:
    """The complaint with this tracking id (or complaint id); None when the lifecycle does not know it.

    Raises LookupError when a tracking id names several complaints.
    """
    cur.execute("SELECT state FROM lifecycle_complaints WHERE tracking_id = %s OR complaint_id = %s LIMIT 2",
                (tracking_or_complaint_id, tracking_or_complaint_id))
    rows = cur.fetchall()
    if len(rows) > 1:
        raise LookupError(f"{tracking_or_complaint_id} names {len(rows)} complaints: use the complaint id instead")
    return state_from_json(rows[0][0]) if rows else None
