"""Operations commands: ``aduan health``, ``aduan offsets check`` and ``aduan offsets reset``."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from aduan.kernel import health, log_guard
from aduan.kernel.config import Settings
from aduan.runtime import stack
from aduan.runtime.processes import PROCESSES, metrics_targets


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

    p = sub.add_parser("offsets", help="the offsets processors stored in PostgreSQL, against the broker's log")
    osub = p.add_subparsers(dest="offsets_command", required=True)
    c = osub.add_parser("check", help="check that the stored offsets belong to the broker's log (exit 1 if not)")
    c.set_defaults(handler=_offsets_check)
    r = osub.add_parser(
        "reset", help="after the log was lost or replaced: every processor reads the log again from its start",
        description="Forgets every offset the processors and the projector stored, so that each reads the broker's "
                    "log from its start; records that log as this database's; marks the read models stale until "
                    "`aduan projections rebuild`. Run it with `aduan up` and every processor stopped. Reports, "
                    "commands and events that were only on the lost log are not brought back by this: restore the "
                    "broker's data from a backup if you have one (README, \"Backup and restore\").")
    r.add_argument("--to-log-start", action="store_true", required=True, help="read every topic from its start")
    r.add_argument("--yes", action="store_true", help="really do it (without it, nothing is changed)")
    r.set_defaults(handler=_offsets_reset)


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
    targets = _targets(args.target) if args.target else metrics_targets(settings)
    checks = health.run_checks(settings, targets, limits, infrastructure=not args.processes_only,
                               timeout=args.timeout)
    print(json.dumps(health.as_json(checks), indent=2) if args.json else health.table(checks))
    return 1 if any(check.failing for check in checks) else 0


def _offsets_check(args: argparse.Namespace, settings: Settings) -> int:
    if settings.kafka_bootstrap and settings.database_url:  # configured, or a running `aduan up`
        name = log_guard.verify(settings, adopt=False)
    else:
        with stack.infrastructure(settings, print) as (settings, _):
            name = log_guard.verify(settings, adopt=False)
    print(f"ok: the stored offsets belong to log {name} and none is beyond its end" if name else
          "ok: no log named yet (the database adopts the broker's log when `aduan up` or a processor starts)")
    return 0


def _offsets_reset(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        print("nothing changed: add --yes to forget every stored offset and read the log again from its start")
        return 1
    with stack.infrastructure(settings, print) as (settings, _):
        stack.prepare(settings, print)
        name = log_guard.reset_to_log_start(settings, [f"{settings.topic_prefix}-{process.name}"
                                                        for process in PROCESSES if process.consumes])
    print(f"offsets reset: every processor reads log {name} from its start when started again; the read models "
          "are stale: start the stack (`aduan up`) and run `aduan projections rebuild`")
    return 0
