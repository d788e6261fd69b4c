"""``aduan agency``: an agency's inbox, its signed actions, and the key an operator hands to it.

Examples::

    aduan agency key pemkab-74-04                      # the agency's signing key (operator only)
    aduan agency inbox pemkab-74-04                    # new items since the last call, then exit
    aduan agency inbox pemkab-74-04 --follow --json    # one JSON object per line, waiting for more
    aduan agency inbox pemkab-74-04 --all              # the whole inbox again, each event once
    aduan agency act pemkab-74-04 acknowledge LPR-3K9XQ2 --note "Dinkes is checking"
    aduan agency act pemkab-74-04 request-info LPR-3K9XQ2 --question "Which puskesmas?"
    aduan agency act pemkab-74-04 follow-up LPR-3K9XQ2 --text "Staff were added on 3 March"
    aduan agency act pemkab-74-04 forward LPR-3K9XQ2 --reason NOT_OUR_AUTHORITY --suggest-agency kemenkes
    aduan agency act pemkab-74-04 resolve LPR-3K9XQ2 --resolution "Opening hours restored"

An agency's machine needs only its own key: ``ADUAN_AGENCY_KEY=<hex>`` or ``--key-file``. Without either, the key
is derived from the master secret, which only the operator's machine (or the embedded stack) has.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from aduan.clients.agency import ActionSender, InboxReader
from aduan.clients.command_sender import (
    add_sending_options,
    command_fields,
    default_user,
    find_complaint,
    send_and_report,
)
from aduan.domain.commands import (
    Acknowledge,
    Command,
    Forward,
    ForwardReason,
    PostFollowUp,
    RequestInformation,
    Resolve,
)
from aduan.kernel.config import Settings
from aduan.kernel.signing import AgencyCredential, AgencyKeys

Build = Callable[[argparse.Namespace, dict[str, Any]], Command]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``agency`` to the ``aduan`` parser."""
    agency = sub.add_parser("agency", help="an agency's inbox and actions, and agency keys")
    asub = agency.add_subparsers(dest="agency_command", required=True)

    p = asub.add_parser("key", help="print the signing key to hand to an agency (needs the master secret)")
    p.add_argument("agency", help="agency code, e.g. pemkab-74-04")
    p.add_argument("--any-code", action="store_true", help="also for a code that is not in the directory")
    p.set_defaults(handler=_key)

    p = asub.add_parser("inbox", help="print the agency's inbox items, each once")
    p.add_argument("agency", help="agency code, e.g. pemkab-74-04")
    p.add_argument("--follow", action="store_true", help="keep waiting for new items (Ctrl-C to stop)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--all", action="store_true", help="the whole inbox from the beginning; marks nothing as read")
    p.set_defaults(handler=_inbox)

    p = asub.add_parser("act", help="send a signed action on a complaint dispositioned to the agency")
    p.add_argument("agency", help="the acting agency's code")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = _action(actions, "acknowledge", "acknowledge the complaint (first response)", _acknowledge)
    a.add_argument("--note")
    a = _action(actions, "request-info", "ask the reporter a question", _request_info)
    a.add_argument("--question", required=True)
    a = _action(actions, "follow-up", "post the follow-up (tindak lanjut)", _follow_up)
    a.add_argument("--text", required=True)
    a = _action(actions, "forward", "not our authority: routing picks another agency", _forward)
    a.add_argument("--reason", default=ForwardReason.NOT_OUR_AUTHORITY.value, choices=[r.value for r in ForwardReason])
    a.add_argument("--suggest-agency", help="an agency that could handle it (recorded for the admins)")
    a.add_argument("--suggest-category", help="a category code that fits better (used by routing)")
    a.add_argument("--suggest-region", help="a region code that fits better (used by routing)")
    a.add_argument("--note")
    a = _action(actions, "resolve", "declare the complaint resolved (after the follow-up)", _resolve)
    a.add_argument("--resolution", required=True)


def _action(sub: argparse._SubParsersAction, name: str, help_text: str, build: Build) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text)
    p.add_argument("tracking_id", help="the complaint's tracking id (or complaint id)")
    p.add_argument("--officer", default=default_user(), help="the officer's id (default: your user name)")
    p.add_argument("--key-file", type=Path, help="file holding the agency's key (default: $ADUAN_AGENCY_KEY)")
    add_sending_options(p)
    p.set_defaults(handler=lambda args, settings: _act(args, settings, build))
    return p


def _key(args: argparse.Namespace, settings: Settings) -> int:
    if not args.any_code:
        from aduan.domain.directory import Directory

        if Directory.load().find_agency(args.agency) is None:
            raise KeyError(f"no agency {args.agency!r} in the directory: check the code (e.g. pemkab-74-04, kemenkes), "
                           "or pass --any-code")
    print(AgencyKeys.from_settings(settings).key(args.agency).hex())
    return 0


def _inbox(args: argparse.Namespace, settings: Settings) -> int:
    with InboxReader(settings, args.agency, whole_inbox=args.all) as inbox:
        for item in inbox.items(follow=args.follow):
            print(json.dumps(item, default=_json_value, ensure_ascii=False) if args.json else describe(item),
                  flush=True)
    return 0


def _act(args: argparse.Namespace, settings: Settings, build: Build) -> int:
    complaint = find_complaint(settings, args.tracking_id)
    sender = ActionSender(settings, AgencyCredential.resolve(args.agency, settings, args.key_file))
    try:
        command = build(args, {**command_fields(args, complaint), "actor": sender.officer(args.officer)})
        return send_and_report(args, settings, command, sender.send, complaint.tracking_id)
    finally:
        sender.close()


def describe(item: dict[str, Any]) -> str:
    """An inbox item in a few lines of text."""
    where = item["unit"] or item["handling_agency"] or "-"
    lines = [f"{item['kind']:<17} {item['tracking_id']}  {_when(item['occurred_at'])}  handled by {where}"]
    if item["due_at"]:
        lines.append(f"  due ({item['due_stage']}): {_when(item['due_at'])}")
    if item["message"]:
        lines.append(f"  {item['message']}")
    privacy = ", ".join(word for word, on in (("anonymous", item["anonymous"]), ("confidential",
                                                                                  item["confidential"])) if on)
    lines.append(f"  [{item['report_type']}] {item['category'] or 'uncategorised'} in {item['region_code']}"
                 f" via {item['channel']}{f' ({privacy})' if privacy else ''}: {item['title']}")
    lines.append(f"  {item['description']}")
    reporter = item["reporter"]
    if reporter:
        lines.append("  reporter: " + ", ".join(value for value in reporter.values() if value))
    if item["kind"] in ("NEW", "FORWARDED") and item["routing_reason"]:
        lines.append(f"  why you: {item['routing_reason']}")
    return "\n".join(lines)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _acknowledge(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Acknowledge(**common, note=args.note)


def _request_info(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return RequestInformation(**common, question=args.question)


def _follow_up(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return PostFollowUp(**common, text=args.text)


def _forward(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Forward(**common, reason=ForwardReason(args.reason), suggested_agency=args.suggest_agency,
                   suggested_category=args.suggest_category, suggested_region=args.suggest_region, note=args.note)


def _resolve(args: argparse.Namespace, common: dict[str, Any]) -> Command:
    return Resolve(**common, resolution=args.resolution)
