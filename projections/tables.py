"""The read-model tables as the code writes them: columns, COPY lines, and how status rows are read back.

Each table's COPY line function is generated once from its column kinds (one f-string, no per-column loop):
the replay formats every event through it, so it is the hottest code of a rebuild.
"""

from __future__ import annotations

from functools import cached_property
from typing import Callable, Iterable, Sequence

import psycopg2.extensions

from projections import pgcopy
from projections.model import (
    STAGE_COLUMNS,
    STATUS_COLUMNS,
    TIMELINE_COLUMNS,
    TIMESTAMP_COLUMNS,
)
from projections.schema import checked

# Values that are Avro enum symbols or the fold's own constants: never anything COPY must escape.
_SYMBOLS = frozenset({"report_type", "channel", "status", "deadline_stage", "escalation_level", "event", "actor_kind",
                      "stage", "submitted_day"})
_BOOLEAN = frozenset({"anonymous", "confidential", "personal_data_erased", "deadline_breached", "missed_deadline",
                      "on_time"})
_NUMBER = frozenset({"latitude", "longitude", "routing_round", "forwards", "reopen_count", "rating", "events",
                     "log_partition", "log_offset", "paused_ms"})
_TEXT_ARRAY = frozenset({"copies", "attachment_urls"})
_JSON = frozenset({"open_deadlines"})


def _expression(column: str, index: int) -> str:
    """The f-string expression that formats column ``index`` of a row ``v`` (``N`` is NULL)."""
    value = f"v[{index}]"
    if column in _SYMBOLS:
        return f"N if {value} is None else {value}"
    if column in _NUMBER:
        return f"N if {value} is None else repr({value})"
    if column in _BOOLEAN:
        return f"N if {value} is None else ('t' if {value} else 'f')"
    if column.endswith("_at") or column in TIMESTAMP_COLUMNS:
        return f"N if {value} is None else timestamp({value})"
    if column in _TEXT_ARRAY:
        return f"text_array({value})"
    if column in _JSON:
        return f"json({value})"
    return f"N if {value} is None else text({value})"


class Table:
    """A read-model table: its name in the schema and the columns the code writes, in order."""

    def __init__(self, name: str, columns: tuple[str, ...]) -> None:
        self.name = name
        self.columns = columns

    @cached_property
    def line(self) -> Callable[[Sequence[object]], str]:
        """The function that turns a row (column values in order) into its COPY line."""
        fields = "\\t".join("{" + _expression(c, i) + "}" for i, c in enumerate(self.columns))
        namespace = {"N": pgcopy.NULL, "text": pgcopy.text, "timestamp": pgcopy.timestamp,
                     "text_array": pgcopy.text_array, "json": pgcopy.json_text}
        exec(f'def line(v):\n    return f"{fields}\\n"\n', namespace)  # noqa: S102 - generated from constants
        return namespace["line"]  # type: ignore[return-value]

    def lines(self, rows: Iterable[Sequence[object]]) -> list[str]:
        """COPY lines of ``rows``."""
        line = self.line
        return [line(row) for row in rows]

    def copy(self, cur: psycopg2.extensions.cursor, schema: str, lines: Iterable[str]) -> None:
        """COPY ready-made lines into ``schema.name``."""
        pgcopy.copy_lines(cur, f"{checked(schema)}.{self.name}", self.columns, lines)


STATUS = Table("complaint_status", STATUS_COLUMNS)
TIMELINE = Table("complaint_timeline", TIMELINE_COLUMNS)
STAGES = Table("stage_completions", STAGE_COLUMNS)


def status_select_list() -> str:
    """The SELECT list that reads ``complaint_status`` back in the fold's representation (timestamps in ms)."""
    return ", ".join(
        f"(extract(epoch FROM {c}) * 1000)::bigint" if c in TIMESTAMP_COLUMNS
        else f"{c}::text" if c == "submitted_day" else c
        for c in STATUS_COLUMNS
    )
