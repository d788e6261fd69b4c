"""Operations commands: ``aduan health``."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from aduan import health
from aduan.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``health`` to the ``aduan`` parser."""
    default = health.Limits()
    p = sub.add_parser(
        "health",
        help="check the broker, the database and every process; exit status 1 when something is down or stalled",
        description="Checks the broker (metadata request, shared topics present), PostgreSQL (SELECT 1) and each "
                    "process's /metrics: a consumer that is behind and has not committed for --max-commit-age "
                    "seconds is stalled. Without --target, the processes are looked for where `aduan up` runs them "
                    "(process i of `aduan run`'s list on ADUAN_METRICS_PORT + i).",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--target", action="append", default=[], metavar="NAME=URL",
                   help="check the process NAME at URL (its /metrics); repeatable; replaces the `aduan up` layout")
    p.add_argument("--processes-only", action="store_true", help="skip the broker and database checks")
    p.add_argument("--max-commit-age", type=float, default=None, metavar="SECONDS",
                   help=f"stalled when behind and no commit for this long (default ${health.MAX_COMMIT_AGE_ENV} "
                        f"or {default.max_commit_age:.0f})")
    p.add_argument("--max-lag", type=int, default=None, metavar="MESSAGES",
                   help=f"behind (a warning) above this many messages (default ${health.MAX_LAG_ENV} or "
                        f"{default.max_lag})")
    p.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="per check (default 5)")
    p.set_defaults(handler=_health)


def _targets(pairs: list[str]) -> dict[str, str]:
    targets = {}
    for pair in pairs:
        name, sep, url = pair.partition("=")
        if not sep or not name or not url:
            raise ValueError(f"--target {pair!r}: write NAME=URL, e.g. intake=http://10.0.0.5:9400/metrics")
        targets[name] = url
    return targets


def _health(args: argparse.Namespace, settings: Settings) -> int:
    limits = health.Limits.from_env()
    if args.max_commit_age is not None:
        limits = replace(limits, max_commit_age=args.max_commit_age)
    if args.max_lag is not None:
        limits = replace(limits, max_lag=args.max_lag)
    targets = _targets(args.target) if args.target else health.local_targets(settings)
    checks = health.run_checks(settings, targets, limits, infrastructure=not args.processes_only,
                               timeout=args.timeout)
    print(json.dumps(health.as_json(checks), indent=2) if args.json else health.table(checks))
    return 1 if any(check.failing for check in checks) else 0
