"""Commands of the read models: ``aduan status``, ``aduan stats``, ``aduan projections rebuild|lag``."""

from __future__ import annotations

import argparse
import json
import sys

from aduan.kernel import db
from aduan.kernel.config import Settings
from projections.output import FORMATS, render
from projections.stats import DIMENSIONS, statistics
from projections.status import find_complaint, render_text


def register(sub: argparse._SubParsersAction) -> None:
    """Add the read-model commands to the ``aduan`` parser."""
    p = sub.add_parser("status", help="one complaint by tracking id, as its reporter sees it (public view)")
    p.add_argument("tracking_id", help="the tracking id given to the reporter")
    p.add_argument("--internal", action="store_true",
                   help="the admins' view: confidential reports too, with the reporter's data")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=_status)

    p = sub.add_parser("stats", help="statistics: counts per region, agency, category...; times; on-time rates")
    p.add_argument("--by", choices=list(DIMENSIONS), default="summary", help="what to group by (default summary)")
    p.add_argument("--province", help="only this province (code, e.g. 74), with --by regency or --by province")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(handler=_stats)

    p = sub.add_parser("projections", help="the read models in PostgreSQL")
    psub = p.add_subparsers(dest="projections_command", required=True)
    r = psub.add_parser("rebuild", help="replay the whole log into fresh read models and swap them in atomically")
    r.add_argument("--workers", type=int, default=None, help="replay processes (default: one per core)")
    r.set_defaults(handler=_rebuild)
    lag = psub.add_parser("lag", help="how many log events each partition's read models are behind")
    lag.add_argument("--format", choices=FORMATS, default="table")
    lag.set_defaults(handler=_lag)


def _status(args: argparse.Namespace, settings: Settings) -> int:
    conn = db.connect(settings, autocommit=True)
    try:
        view = find_complaint(conn, args.tracking_id, internal=args.internal)
    finally:
        conn.close()
    if view is None:
        print(f"Laporan #{args.tracking_id} tidak ditemukan (atau tidak terbuka untuk publik): periksa nomor "
              "pelacakannya.", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(view.to_json(), indent=2, ensure_ascii=False))
    else:
        print(render_text(view), end="")
    return 0


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    conn = db.connect(settings, autocommit=True)
    try:
        table = statistics(conn, args.by, args.province)
    finally:
        conn.close()
    print(render(table.columns, table.rows, args.format), end="")
    return 0


def _rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from projections.rebuild import rebuild

    report = rebuild(settings, workers=args.workers)
    print(f"rebuilt the read models from {report.messages:,} log messages: {report.events:,} events "
          f"({report.duplicates:,} repeated, {report.undecodable:,} undecodable skipped), "
          f"{report.complaints:,} complaints; replay {report.replay_seconds:.1f} s "
          f"({report.replay_rate:,.0f} messages/s), {report.caught_up:,} events caught up, "
          f"total {report.total_seconds:.1f} s")
    return 0


def _lag(args: argparse.Namespace, settings: Settings) -> int:
    from projections.lag import projection_lag

    lags = projection_lag(settings)
    rows = [(p.partition, p.next_offset, p.head, p.lag) for p in lags]
    rows.append(("total", sum(p.next_offset for p in lags), sum(p.head for p in lags), sum(p.lag for p in lags)))
    print(render(["partition", "applied_up_to", "log_head", "lag_events"], rows, args.format), end="")
    return 0
