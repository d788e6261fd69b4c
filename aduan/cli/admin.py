"""``aduan admin`` (verify, postpone, reject, close) and ``aduan reporter`` (add-info, rate, reopen, withdraw).

Both publish commands to ``<p>.commands`` and print the lifecycle's decision. They trust their operator: the
admin console and the reporter gateway of a deployment authenticate people before commands reach the topic.
``aduan reporter`` acts as that gateway: it sends the complaint's own reporter ref (or ``--reporter-ref``).

Examples::

    aduan admin verify LPR-3K9XQ2 --category health --region 74.04 --tag puskesmas
    aduan admin postpone LPR-3K9XQ2 --note "waiting for the photo" --until 2026-03-05T09:00:00+08:00
    aduan admin reject LPR-3K9XQ2 --reason DUPLICATE --duplicate-of LPR-7Q2M4A
    aduan reporter add-info LPR-3K9XQ2 --text "The clinic is on Jl. Betoambari"
    aduan reporter rate LPR-3K9XQ2 5 --comment "Fixed in two days"
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any, Callable

from aduan.clients.command_sender import (
    CommandSender,
    add_sending_options,
    command_fields,
    default_user,
    find_complaint,
    send_and_report,
)
from aduan.domain.commands import (
    Actor,
    ActorKind,
    AddInformation,
    Close,
    CloseReason,
    Command,
    Postpone,
    Rate,
    Reject,
    RejectionReason,
    Reopen,
    ReportType,
    Verify,
    Withdraw,
)
from aduan.domain.lifecycle import ComplaintState
from aduan.kernel.config import Settings

Build = Callable[[argparse.Namespace, dict[str, Any]], Command]
ActorOf = Callable[[argparse.Namespace, ComplaintState], Actor]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``admin`` and ``reporter`` to the ``aduan`` parser."""
    admin = sub.add_parser("admin", help="admin decisions on a report: verify, postpone, reject, close")
    asub = admin.add_subparsers(dest="admin_command", required=True)

    p = _admin_command(asub, "verify", "verify the report and disposition it (routing picks the agency)", _verify)
    p.add_argument("--category", required=True, help="category code, e.g. health, village-funds")
    p.add_argument("--region", required=True, help="official region code, e.g. 74.04 or 74.04.11")
    p.add_argument("--type", choices=[t.value for t in ReportType], help="report type (default: as reported)")
    p.add_argument("--tag", action="append", default=[], help="a tag; repeat for more")

    p = _admin_command(asub, "postpone", "postpone verification (tunda)", _postpone)
    p.add_argument("--note", help="why")
    p.add_argument("--until", type=_instant, help="until when, ISO 8601 with a time zone")

    p = _admin_command(asub, "reject", "reject the report", _reject)
    p.add_argument("--reason", required=True, choices=[r.value for r in RejectionReason])
    p.add_argument("--duplicate-of", help="tracking id of the original report (with --reason DUPLICATE)")
    p.add_argument("--note", help="free text")

    p = _admin_command(asub, "close", "close a complaint after its follow-up or resolution", _close)
    p.add_argument("--reason", default=CloseReason.ADMIN_DECISION.value, choices=[r.value for r in CloseReason])
    p.add_argument("--note", help="free text")

    reporter = sub.add_parser("reporter", help="reporter actions on a complaint: add-info, rate, reopen, withdraw")
    rsub = reporter.add_subparsers(dest="reporter_command", required=True)
    p = _reporter_command(rsub, "add-info", "answer the agency's question or reply to its follow-up", _add_info)
    p.add_argument("--text", required=True)
    p = _reporter_command(rsub, "rate", "rate the agency's answer", _rate)
    p.add_argument("rating", type=int, help="1 (worst) to 5 (best)")
    p.add_argument("--comment")
    p = _reporter_command(rsub, "reopen", "reopen a resolved or closed complaint", _reopen)
    p.add_argument("--reason", required=True, help="why it is not settled")
    p = _reporter_command(rsub, "withdraw", "withdraw the complaint", _withdraw)
    p.add_argument("--reason")


def _admin_command(sub: argparse._SubParsersAction, name: str, help_text: str,
                   build: Build) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text)
    p.add_argument("tracking_id", help="the complaint's tracking id (or complaint id)")
    p.add_argument("--admin", default=default_user(), help="the admin's id (default: your user name)")
    add_sending_options(p)
    p.set_defaults(handler=_handler(build, lambda args, c: Actor(ActorKind.ADMIN, args.admin)))
    return p


def _reporter_command(sub: argparse._SubParsersAction, name: str, help_text: str,
                      build: Build) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text)
    p.add_argument("tracking_id", help="the complaint's tracking id (or complaint id)")
    p.add_argument("--reporter-ref", help="the reporter ref to act as (default: the complaint's own)")
    add_sending_options(p)
    p.set_defaults(handler=_handler(build, lambda args, c: Actor(ActorKind.REPORTER,
                                                                 args.reporter_ref or c.reporter_ref or "")))
    return p


def _handler(build: Build, actor: ActorOf) -> Callable[[argparse.Namespace, Settings], int]:
    def handle(args: argparse.Namespace, settings: Settings) -> int:
        complaint = find_complaint(settings, args.tracking_id)
        command = build(args, {**command_fields(args, complaint), "actor": actor(args, complaint)})
        sender = CommandSender(settings)
        try:
            return send_and_report(args, settings, command, sender.send, complaint.tracking_id)
        finally:
            sender.close()
    return handle


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text} has no time zone: add one, e.g. {text}+08:00")
    return value


def _verify(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Verify(**common, category=args.category, region_code=args.region,
                  report_type=ReportType(args.type) if args.type else None, tags=tuple(args.tag))


def _postpone(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Postpone(**common, note=args.note, until=args.until)


def _reject(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Reject(**common, reason=RejectionReason(args.reason), duplicate_of=args.duplicate_of, note=args.note)


def _close(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Close(**common, reason=CloseReason(args.reason), note=args.note)


def _add_info(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return AddInformation(**common, text=args.text)


def _rate(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Rate(**common, rating=args.rating, comment=args.comment)


def _reopen(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Reopen(**common, reason=args.reason)


def _withdraw(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Withdraw(**common, reason=args.reason)

