"""What the portal reads: only the documented views of ``projections/migrations/0002_views.sql``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg2.extensions
import psycopg2.extras

from projections.schema import SCHEMA

PAGE_SIZE = 20
RESOLVED = ("RESOLVED", "CLOSED")


@dataclass(frozen=True)
class Counters:
    """The home page's live counters."""

    this_month: int
    resolved_share: Decimal | None
    first_response_median_hours: Decimal | None


@dataclass(frozen=True)
class ReportFilter:
    """Which public reports to list: by region (province or regency/city code), category and status."""

    region: str | None = None
    category: str | None = None
    status: str | None = None


def counters(conn: psycopg2.extensions.connection, month_start: date) -> Counters:
    """Reports since ``month_start``, the share resolved or closed, and the median hours to a first response."""
    with conn.cursor() as cur:
        cur.execute(f"""
            SELECT (SELECT coalesce(sum(complaints), 0) FROM {SCHEMA}.stats_by_day WHERE day >= %s),
                   (SELECT round(sum(complaints) FILTER (WHERE status IN %s)::numeric / nullif(sum(complaints), 0), 4)
                    FROM {SCHEMA}.stats_by_status),
                   (SELECT first_response_median_hours FROM {SCHEMA}.stats_summary)""", (month_start, RESOLVED))
        this_month, share, median = cur.fetchone()
    return Counters(int(this_month), share, median)


def public_reports(conn: psycopg2.extensions.connection, wanted: ReportFilter, page: int
                   ) -> tuple[list[dict[str, Any]], bool]:
    """One page (from 1) of public reports, newest first, and whether there is a next page."""
    clauses, params = [], []
    if wanted.region:
        clauses.append("(province_code = %s OR regency_code = %s)")
        params += [wanted.region, wanted.region]
    if wanted.category:
        clauses.append("(category = %s OR category LIKE %s)")
        params += [wanted.category, wanted.category + ".%"]
    if wanted.status:
        clauses.append("status = %s")
        params.append(wanted.status)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(f"""
            SELECT tracking_id, report_type, title, category_name, region_name, regency_name, province_name,
                   province_code, status, agency_name, submitted_at
            FROM {SCHEMA}.public_complaint_status {where}
            ORDER BY submitted_at DESC, tracking_id LIMIT %s OFFSET %s""",
                    (*params, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE))
        rows = [dict(row) for row in cur.fetchall()]
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
