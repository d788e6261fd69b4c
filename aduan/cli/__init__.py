"""The ``aduan`` command line.

Each command group is a module of this package exposing ``register(subparsers)``: ``deployment`` (up, run,
topics, migrate, schemas), ``channels`` (import), ``admin`` (admin, reporter), ``agency``, ``operations`` (health,
offsets) and ``projections`` (status, stats, projections); this module only assembles them. Settings come from
the ``ADUAN_*`` environment variables (see the README).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from aduan.kernel.config import Settings

COMMAND_MODULES = [
    "aduan.cli.deployment",
    "aduan.cli.channels",
    "aduan.cli.admin",
    "aduan.cli.agency",
    "aduan.cli.operations",
    "aduan.cli.projections",
]


def parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    top = argparse.ArgumentParser(prog="aduan", description="Event-sourced complaint routing engine (SP4N-LAPOR!).")
    top.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``aduan`` console script."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger().level > logging.DEBUG:  # kafka-python 3 warns whenever one of its own tasks ran over
        logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)  # 100 ms: a busy machine, nothing to act on
    try:
        return int(args.handler(args, Settings.from_env()) or 0)
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, KeyError, ValueError, OSError) as exc:
        print(f"aduan: {exc}", file=sys.stderr)
        return 1

