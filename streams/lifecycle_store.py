"""The lifecycle's state in PostgreSQL: each complaint's :class:`ComplaintState` and the outcome of each command.

The state is a ``jsonb`` document made by :data:`aduan.domain.records.DOCUMENTS` (times ISO 8601 with their offset).

Only the lifecycle processor writes here (in the transaction that also records its consumed offsets); the command
line tools read it to turn a tracking id into a complaint id and to wait for a command's outcome.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

import psycopg2.extensions
import psycopg2.extras

from aduan.domain.lifecycle import ComplaintState
from aduan.domain.records import DOCUMENTS

ACCEPTED = "accepted"


def load_states(cur: psycopg2.extensions.cursor, complaint_ids: Iterable[str]) -> dict[str, ComplaintState]:
    """The known complaints among ``complaint_ids``, locked until the transaction ends."""
    cur.execute("SELECT complaint_id, state FROM lifecycle_complaints WHERE complaint_id = ANY(%s) "
                "ORDER BY complaint_id FOR UPDATE", (sorted(set(complaint_ids)),))
    return {complaint_id: DOCUMENTS.structure(state, ComplaintState) for complaint_id, state in cur.fetchall()}


def save_states(cur: psycopg2.extensions.cursor, states: Iterable[ComplaintState]) -> None:
    """Insert or replace these complaints' states."""
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO lifecycle_complaints (complaint_id, tracking_id, status, agency, state) VALUES %s "
        "ON CONFLICT (complaint_id) DO UPDATE SET tracking_id = EXCLUDED.tracking_id, status = EXCLUDED.status, "
        "agency = EXCLUDED.agency, state = EXCLUDED.state, updated_at = now()",
        [(s.complaint_id, s.tracking_id, s.status.value, s.agency, json.dumps(DOCUMENTS.unstructure(s)))
         for s in states],
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
    return DOCUMENTS.structure(rows[0][0], ComplaintState) if rows else None
