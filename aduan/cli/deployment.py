"""Core commands: ``up``, ``run``, ``topics ensure``, ``migrate``, ``schemas``."""

from __future__ import annotations

import argparse
import json

from aduan.cli import demo
from aduan.kernel import db, log_guard, topics
from aduan.kernel.config import Settings
from aduan.kernel.metrics import announce_process
from aduan.runtime import stack
from aduan.runtime.processes import DEMO, PROCESSES, spec


def register(sub: argparse._SubParsersAction) -> None:
    """Add the core commands to the ``aduan`` parser."""
    p = sub.add_parser("up", help="run the whole engine (embedded broker and PostgreSQL unless configured)")
    p.add_argument("--demo", action="store_true",
                   help="also feed paced synthetic complaints and play the agencies, on a fast demo clock")
    p.set_defaults(handler=_up)

    p = sub.add_parser("run", help="run one process in the foreground (what `aduan up` starts as a child)")
    p.add_argument("name", choices=[process.name for process in (*PROCESSES, DEMO)],
                   help="the process: " + ", ".join(process.name for process in (*PROCESSES, DEMO)))
    p.set_defaults(handler=_run)

    p = sub.add_parser("topics", help="Kafka topics")
    tsub = p.add_subparsers(dest="topics_command", required=True)
    e = tsub.add_parser("ensure", help="create the missing topics (shared topics and every agency inbox)")
    e.set_defaults(handler=_topics_ensure)
    ls = tsub.add_parser("list", help="the topic naming scheme and every topic this deployment uses")
    ls.set_defaults(handler=_topics_list)

    p = sub.add_parser("migrate", help="apply pending database migrations")
    p.set_defaults(handler=_migrate)

    p = sub.add_parser("schemas", help="the event catalogue: every schema id, name and version")
    p.add_argument("--json", action="store_true", help="print the expanded schemas as JSON")
    p.add_argument("--markdown", action="store_true", help="print the catalogue table of schemas/README.md")
    p.set_defaults(handler=_schemas)


def _up(args: argparse.Namespace, settings: Settings) -> int:
    stack.up(settings, say=lambda line: print(line, flush=True), demo=demo.environment if args.demo else None)
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    process = spec(args.name)
    announce_process(process.name)
    if process.consumes:
        log_guard.verify(settings)
    process.load()(settings)
    return 0


def _specs(settings: Settings) -> list[topics.TopicSpec]:
    from aduan.domain.directory import Directory

    names = topics.Topics(settings.topic_prefix)
    return names.shared(settings) + names.inboxes([agency.code for agency in Directory.load().agencies()])


def _topics_ensure(args: argparse.Namespace, settings: Settings) -> int:
    report = topics.ensure(settings, _specs(settings))
    for name in report.created:
        print(f"created  {name}")
    print(f"{len(report.created)} created, {len(report.existing)} already existed")
    for line in report.partition_mismatch:
        print(f"warning  {line} (partitions are never changed automatically)")
    return 0


def _topics_list(args: argparse.Namespace, settings: Settings) -> int:
    for topic in _specs(settings):
        print(f"{topic.name:<60} {topic.partitions:>3}  {topic.purpose}")
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    applied = db.migrate(settings, report=print)
    print(f"{len(applied)} migrations applied")
    return 0


def _schemas(args: argparse.Namespace, settings: Settings) -> int:
    from schemas import codec

    subjects = codec().registry.subjects()
    if args.json:
        print(json.dumps({s.id: s.expanded() for s in subjects}, indent=2))
    elif args.markdown:
        print(catalogue_markdown(), end="")
    else:
        for s in subjects:
            print(f"{s.id:>4}  v{s.version}  {s.name}")
    return 0


def catalogue_markdown() -> str:
    """The event catalogue as a Markdown table: id, name, version, what it means, its own fields."""
    from schemas import codec

    lines = ["| id | message type | v | meaning | fields (besides `header`) |", "|---:|---|---:|---|---|"]
    for s in codec().registry.subjects():
        fields = ", ".join(f"`{f['name']}`" for f in s.parsed.get("fields", []) if f["name"] != "header")
        lines.append(f"| {s.id} | `{s.name}` | {s.version} | {s.parsed.get('doc', '')} | {fields} |")
    return "\n".join(lines) + "\n"
