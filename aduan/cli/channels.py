"""``aduan import mail PATH`` and ``aduan import csv PATH``: reports from a mailbox or a CSV file."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from aduan.kernel import kafka_clients
from aduan.kernel.config import Settings
from channels.bulk import csv_reads
from channels.door import Door
from channels.importer import Progress, Summary, publish_reads
from channels.mail import mail_reads


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``import`` to the ``aduan`` parser."""
    p = sub.add_parser("import", help="import reports: email from a Maildir or mbox, historical reports from CSV")
    isub = p.add_subparsers(dest="import_command", required=True)
    m = isub.add_parser("mail", help="every message of a Maildir folder or an mbox file becomes a report")
    m.add_argument("path", type=Path, help="Maildir folder (with cur/ and new/) or mbox file")
    m.set_defaults(handler=_import_mail)
    c = isub.add_parser("csv", help="historical reports from a CSV file (columns: see channels/bulk.py)")
    c.add_argument("path", type=Path, help="UTF-8 CSV file with a header line")
    c.add_argument("--source", default="", help="prefix of the row ids, when ids of several old systems overlap")
    c.set_defaults(handler=_import_csv)


def _import_mail(args: argparse.Namespace, settings: Settings) -> int:
    door = Door(settings)
    total, reads = mail_reads(args.path, door, datetime.now(timezone.utc))
    return _publish(settings, door, total, reads, "messages", args.path)


def _import_csv(args: argparse.Namespace, settings: Settings) -> int:
    door = Door(settings)
    total, reads = csv_reads(args.path, door, args.source)
    return _publish(settings, door, total, reads, "rows", args.path)


def _publish(settings: Settings, door: Door, total: int, reads, unit: str, path: Path) -> int:
    publisher = kafka_clients.Publisher(kafka_clients.producer(settings, client_id="aduan-import"))
    try:
        summary: Summary = publish_reads(reads, door, publisher, Progress(total, unit))
    finally:
        publisher.close()
    print(f"{path}: {summary.published:,} {unit} published to {door.topic}, {len(summary.skipped):,} skipped")
    for line in summary.skipped:
        print(f"  skipped {line}")
    return 1 if summary.skipped else 0
