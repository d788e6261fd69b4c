"""Statistics for analysts (``aduan stats``, ``GET /api/v1/stats``), read from the documented views of
``projections/migrations/0002_views.sql``.

=============  ==============================  ============================================================
``by``         view                            rows
=============  ==============================  ============================================================
summary        ``stats_summary``               one: totals, forwarded share, response/resolution times, rating
province       ``stats_by_province``           every province (0 where no report)
regency        ``stats_by_regency``            every regency and city (0 where no report); ``province`` filter
agency         ``stats_by_agency``             agencies handling complaints: times, on-time rate, rating
category       ``stats_by_category``           every category
type           ``stats_by_report_type``        complaint, aspiration, information request
channel        ``stats_by_channel``            every channel
status         ``stats_by_status``             every status
day            ``stats_by_day``                every local day from the first report to the last
stage          ``stats_on_time_by_stage``      on-time rate per clocked stage
agency-stage   ``stats_on_time_by_agency``     on-time rate per agency and stage
=============  ==============================  ============================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg2.extensions

from projections.schema import SCHEMA


@dataclass(frozen=True)
class StatsView:
    """A statistics view, how its rows are ordered, and whether it can be narrowed to one province."""

    view: str
    order_by: str
    by_province: bool = False


DIMENSIONS: dict[str, StatsView] = {
    "summary": StatsView("stats_summary", "1"),
    "province": StatsView("stats_by_province", "complaints DESC, province", by_province=True),
    "regency": StatsView("stats_by_regency", "complaints DESC, regency", by_province=True),
    "agency": StatsView("stats_by_agency", "complaints DESC, agency"),
    "category": StatsView("stats_by_category", "complaints DESC, category"),
    "type": StatsView("stats_by_report_type", "complaints DESC, report_type"),
    "channel": StatsView("stats_by_channel", "complaints DESC, channel"),
    "status": StatsView("stats_by_status", "complaints DESC, status"),
    "day": StatsView("stats_by_day", "day"),
    "stage": StatsView("stats_on_time_by_stage", "stage"),
    "agency-stage": StatsView("stats_on_time_by_agency", "agency, stage"),
}


@dataclass(frozen=True)
class StatsTable:
    """Column names and rows of one statistics query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def statistics(conn: psycopg2.extensions.connection, by: str = "summary", province: str | None = None) -> StatsTable:
    """The statistics ``by`` one dimension of :data:`DIMENSIONS`, optionally for one province (code, e.g. 74)."""
    spec = DIMENSIONS.get(by)
    if spec is None:
        raise ValueError(f"cannot group statistics by {by!r}: choose one of {', '.join(DIMENSIONS)}")
    if province is not None and not spec.by_province:
        raise ValueError(f"a province can only narrow statistics by province or by regency, not by {by}")
    where, params = ("WHERE province_code = %s", (province,)) if province is not None else ("", ())
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {SCHEMA}.{spec.view} {where} ORDER BY {spec.order_by}", params)
        return StatsTable([d.name for d in cur.description], cur.fetchall())
