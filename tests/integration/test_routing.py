"""Routing end to end: reports land in the inbox of the agency the directory names (with copies), and a forward
re-routes to an agency that has not declined, down to the national triage queue."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import pytest

from aduan.clients.agency import ActionSender
from aduan.clients.command_sender import await_outcome
from aduan.domain.commands import Acknowledge, Forward, ForwardReason
from aduan.domain.directory import Directory
from aduan.domain.events import Event
from aduan.kernel.signing import AgencyCredential, AgencyKeys
from aduan.runtime.embedded.process import free_port
from streams.lifecycle import DirectoryRoute
from streams.lifecycle_store import Outcome
from tests.support import wait_for
from tests.support.lifecycle import (
    dispatched_agencies,
    inbox,
    publish_submissions,
    read_to_end,
    start_lifecycle,
    state_of,
    submitted,
)

# (category, region, handling agency, copies): what the directory and the routing rules say, written out.
KNOWN = [
    ("health", "74.04.11", "pemkab-74-04", ()),  # a district's regency: Dinas Kesehatan of Kabupaten Buton
    ("health", "74", "pemprov-74", ()),  # a complaint placed only in the province
    ("electricity", "74.71", "pln", ("pemkot-74-71",)),  # rule electricity-pln, Kota Kendari kept informed
    ("village-funds", "74.12.01", "pemkab-74-12", ("kemendes",)),  # rule village-funds-dpmd, Konawe Kepulauan
    ("social-assistance", "74.72", "pemkot-74-72", ("kemensos",)),  # rule social-assistance-dinsos, Kota Bau Bau
    ("permits.vehicle", "74.04", "pemprov-74", ()),  # Samsat is the province's
    ("civil-registration", "74", "kemendagri", ()),  # no province office: the ministry
    ("health.insurance", "74.03", "bpjs-kesehatan", ()),
    ("banking", "74.03", "ojk", ()),
    ("education", "31.71", "pemkot-31-71", ()),  # outside Sulawesi Tenggara: Kota Jakarta Pusat
    ("permits.driving-licence", "74.04", "lapor-admin", ()),  # out of scope: the national triage queue
    ("health", "99.99", "lapor-admin", ()),  # not an official region code: triage (the fallback)
]


def cases() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """The known cases, health in every regency and city of Sulawesi Tenggara, and every category of the taxonomy
    in one of them (expected: the directory's routing)."""
    directory = Directory.load()
    route = DirectoryRoute(directory)
    sultra = [region.code for region in directory.regions.children("74")]
    assert len(sultra) == 17
    table = list(KNOWN)
    table += [("health", code, f"{'pemkot' if code.endswith(('.71', '.72')) else 'pemkab'}-{code.replace('.', '-')}",
               ()) for code in sultra]
    for index, category in enumerate(c.code for c in directory.taxonomy):
        region = sultra[index % len(sultra)]
        routed = route(category, region, exclude=frozenset())
        table.append((category, region, routed.agency, tuple(routed.copies)))
    return table


@pytest.mark.usefixtures("small_directory")
def test_reports_land_in_the_inbox_of_the_agency_routing_names(settings, shared_topics, run_process, monkeypatch):
    start_lifecycle(run_process, settings, auto_verify=True, monkeypatch=monkeypatch)
    run_process("run", "dispatcher", with_settings=settings.with_(metrics_port=free_port()))
    table = cases()
    records = [submitted(category, region) for category, region, _, _ in table]
    publish_submissions(settings, records)
    ids = [r["header"]["complaint_id"] for r in records]
    wait_for(lambda: all(dispatched_agencies(settings).get(cid) for cid in ids), 120, "every report dispatched")

    expected: dict[str, list[tuple[str, str]]] = defaultdict(list)  # agency -> [(complaint id, kind)]
    for complaint_id, (_, _, handler, copies) in zip(ids, table):
        expected[handler].append((complaint_id, "NEW"))
        for copy in copies:
            expected[copy].append((complaint_id, "COPY"))
    for agency, wanted in expected.items():
        got = [(item["complaint_id"], item["kind"]) for item in inbox(settings, agency)]
        assert sorted(got) == sorted(wanted), agency

    version = Directory.load().version
    dispositions = [d.record for d in read_to_end(settings, shared_topics.complaint_events)
                    if d.name == Event.DISPOSITIONED]
    assert len(dispositions) == len(records)
    assert all(d["directory_version"] == version and d["rule_id"] and d["rule_reason"] for d in dispositions)
    by_id = {d["header"]["complaint_id"]: d for d in dispositions}
    assert by_id[ids[2]]["rule_id"] == "electricity-pln"
    assert by_id[ids[11]]["rule_id"] == "fallback.triage" and "99.99" in by_id[ids[11]]["rule_reason"]


@pytest.mark.usefixtures("small_directory")
def test_a_forward_reroutes_to_an_agency_that_has_not_declined(settings, shared_topics, run_process, monkeypatch):
    start_lifecycle(run_process, settings, auto_verify=True, monkeypatch=monkeypatch)
    run_process("run", "dispatcher", with_settings=settings.with_(metrics_port=free_port()))
    record = submitted("health", "74.04")
    publish_submissions(settings, [record])
    complaint_id = record["header"]["complaint_id"]
    wait_for(lambda: state_of(settings, complaint_id), 60, "the dispositioned complaint")
    keys = AgencyKeys(settings.agency_signing_secret)
    at = datetime(2026, 3, 3, 2, 0, tzinfo=timezone.utc)

    def act(agency: str, number: int, kind: type = Forward, **fields: Any) -> Outcome:
        sender = ActionSender(settings, AgencyCredential(agency, keys.key(agency)))
        command_id = f"{agency}-{number}"
        sender.send(kind(command_id=command_id, complaint_id=complaint_id, actor=sender.officer("officer"),
                         issued_at=at, **fields))
        sender.close()
        return wait_for(lambda: await_outcome(settings, command_id, 1), 60, f"the outcome of {command_id}")

    assert state_of(settings, complaint_id).agency == "pemkab-74-04"
    assert act("pemkab-74-04", 1, reason=ForwardReason.NOT_OUR_AUTHORITY).accepted
    assert state_of(settings, complaint_id).agency == "pemprov-74"  # the province's Dinas Kesehatan
    assert act("pemprov-74", 1, Acknowledge).accepted
    assert act("pemprov-74", 2, reason=ForwardReason.WRONG_CATEGORY, suggested_category="health.insurance").accepted
    assert state_of(settings, complaint_id).agency == "bpjs-kesehatan"
    assert act("bpjs-kesehatan", 1, reason=ForwardReason.NOT_OUR_AUTHORITY).accepted
    assert state_of(settings, complaint_id).agency == "lapor-admin"  # nobody else fits: the triage queue
    refused = act("lapor-admin", 1, reason=ForwardReason.NOT_OUR_AUTHORITY)
    assert refused.outcome == "invalid_command" and "other than" in refused.reason
    assert act("pemkab-74-04", 2, reason=ForwardReason.OTHER).outcome == "forbidden_actor"  # declined already

    final = state_of(settings, complaint_id)
    assert (final.agency, final.routing_round, final.category) == ("lapor-admin", 4, "health.insurance")
    assert final.declined_agencies == ("pemkab-74-04", "pemprov-74", "bpjs-kesehatan")
    wait_for(lambda: dispatched_agencies(settings).get(complaint_id) == "lapor-admin", 60, "the last disposition")
    received = {agency: [item["kind"] for item in inbox(settings, agency)]
                for agency in ("pemkab-74-04", "pemprov-74", "bpjs-kesehatan", "lapor-admin")}
    assert received == {"pemkab-74-04": ["NEW"], "pemprov-74": ["FORWARDED"], "bpjs-kesehatan": ["FORWARDED"],
                        "lapor-admin": ["FORWARDED"]}
    forwarded = inbox(settings, "bpjs-kesehatan")[0]
    assert forwarded["category"] == "health.insurance" and forwarded["round"] == 3
    assert "declined by" in forwarded["routing_reason"]
