"""Open311 GeoReport v2 against the running stack (channels-http, intake, lifecycle, dispatcher, deadlines,
projector on the real broker and PostgreSQL): every endpoint in both formats with the fields, types and status
codes the spec defines, XML answers that parse and say what the JSON answers say, every error in the spec's error
body, a request's deadline from the moment it is dispositioned, and a request followed from its agency's inbox to
``closed``; never a confidential report, never an anonymous identity.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any, Iterator
from xml.etree import ElementTree

import pytest

from aduan.domain.directory import Directory
from aduan.kernel import db, topics
from aduan.kernel.config import Settings
from aduan.runtime.embedded.process import free_port, port_open
from channels.open311.reading import STAGE_NOTICES
from tests.support import Process, wait_for
from tests.support.deployment import new_deployment
from tests.support.lifecycle import inbox

KEY = "open311-test-key-0123456789"
TRACKING_ID = re.compile(r"^[0-9A-Z]{5}-[0-9A-Z]{5}$")
# The spec's XML: a list element -> the name of each of its items.
XML_LISTS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "values": "value", "endpoints": "endpoint", "formats": "format"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
PUBLIC = {"service_code": "health", "description": "Puskesmas Pasarwajo tutup pada jam kerja tanpa pemberitahuan.",
          "address_string": "Jl. Poros Pasarwajo, Kabupaten Buton, Sulawesi Tenggara", "lat": "-5.47",
          "long": "122.6", "email": "budi@example.id", "first_name": "Budi", "last_name": "Santoso",
          "media_url": "https://foto.example.id/puskesmas.jpg"}
ANONYMOUS = {"service_code": "infrastructure.roads", "description": "Jalan berlubang besar di depan pasar sentral.",
             "attribute[wilayah]": "74.71", "first_name": "Siti", "last_name": "Rahmawati",
             "email": "siti.rahmawati@example.id", "attribute[anonim]": "ya"}
CONFIDENTIAL = {"service_code": "health", "description": "Pungutan liar di loket rumah sakit umum daerah Kendari.",
                "attribute[wilayah]": "74.71", "phone": "081234567890", "attribute[rahasia]": "ya"}


class Stack:
    """The running processes' base URL, the settings, and every answer body seen (for the privacy checks)."""

    def __init__(self, settings: Settings, base: str) -> None:
        self.settings = settings
        self.base = base
        self.bodies: list[bytes] = []
        self.ids: dict[str, str] = {}

    def fetch(self, path: str, form: dict[str, str] | None = None, *, data: bytes | None = None,
              content_type: str = "application/x-www-form-urlencoded", method: str | None = None
              ) -> tuple[int, str, bytes]:
        """``(status, content type, body)`` of a GET (or a POST of ``form``/``data``) to ``/open311/v2/PATH``."""
        body = data if data is not None else (urllib.parse.urlencode(form).encode() if form is not None else None)
        request = urllib.request.Request(f"{self.base}/open311/v2/{path}", data=body, method=method,
                                         headers={"Content-Type": content_type} if body is not None else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = (response.status, response.headers.get_content_type(), response.read())
        except urllib.error.HTTPError as error:
            answer = (error.code, error.headers.get_content_type(), error.read())
        self.bodies.append(answer[2])
        return answer

    def both(self, resource: str, form: dict[str, str] | None = None) -> tuple[int, Any]:
        """The resource as JSON and as XML: same status, right content types, XML saying what JSON says.

        The stack keeps working between two reads, so the XML is compared with a JSON answer read just before and
        just after it that did not change (a request moving on mid-comparison is read again, a few times at most).
        """
        path, _, query = resource.partition("?")
        for _ in range(5):
            status, ctype, raw = self.fetch(f"{path}.json?{query}", form)
            xml_status, xml_ctype, xml_raw = self.fetch(f"{path}.xml?{query}", form)
            if self.fetch(f"{path}.json?{query}", form) == (status, ctype, raw):
                break
        assert (ctype, xml_ctype) == ("application/json", "text/xml") and status == xml_status, (resource, raw)
        assert xml_raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        answer = json.loads(raw)
        root = ElementTree.fromstring(xml_raw)
        assert from_xml(root) == textual(answer), resource
        return status, answer

    def post(self, fields: dict[str, str], fmt: str = "json") -> tuple[int, Any]:
        status, _, raw = self.fetch(f"requests.{fmt}", {"api_key": KEY, **fields})
        return status, json.loads(raw) if fmt == "json" else ElementTree.fromstring(raw)


def from_xml(element: ElementTree.Element) -> Any:
    """An element as the JSON it mirrors, leaves as text (None when empty)."""
    if element.tag in XML_LISTS:
        assert all(child.tag == XML_LISTS[element.tag] for child in element), element.tag
        return [from_xml(child) for child in element]
    if len(element):
        return {child.tag: from_xml(child) for child in element}
    return element.text


def textual(value: Any) -> Any:
    """A JSON value with its leaves as XML text."""
    if isinstance(value, list):
        return [textual(v) for v in value]
    if isinstance(value, dict):
        return {k: textual(v) for k, v in value.items()}
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value in (None, "") else str(value)


def awaits_first_response(stack: Stack, tracking_id: str) -> bool:
    """Whether the request is with its agency and its first-response deadline is set: it moves on no further
    until the agency acts, so two reads of it answer the same."""
    status, _, raw = stack.fetch(f"requests/{tracking_id}.json")
    if status != 200:
        return False  # not in the read model yet
    (request,) = json.loads(raw)
    return request["service_notice"] == STAGE_NOTICES["FIRST_RESPONSE"] and bool(request["expected_datetime"])


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, postgres_url: str, work_dir, small_directory_data) -> Iterator[Stack]:
    """One deployment for the module on the small directory, with three requests posted through Open311,
    projected and with their agencies."""
    settings = new_deployment(kafka_bootstrap, postgres_url, work_dir)
    topics.ensure(settings, topics.Topics(settings.topic_prefix).shared(settings))
    processes: list[Process] = []
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ADUAN_DIRECTORY_DATA", str(small_directory_data))
        env.setenv("ADUAN_OPEN311_KEYS", f"test-client={KEY}")
        env.setenv("ADUAN_AUTO_VERIFY_CHANNELS", "OPEN311")
        try:
            for name in ("channels-http", "intake", "lifecycle", "dispatcher", "deadlines", "projector"):
                processes.append(Process(settings.with_(metrics_port=free_port()), "run", name))
            http = processes[0]
            wait_for(lambda: http.proc.poll() is not None or port_open(settings.http_port), 60, "channels-http")
            assert http.proc.poll() is None, http.output()
            stack = Stack(settings, f"http://127.0.0.1:{settings.http_port}")
            for name, fields in (("public", PUBLIC), ("anonymous", ANONYMOUS), ("confidential", CONFIDENTIAL)):
                status, answer = stack.post(fields)
                assert status == 200, answer
                stack.ids[name] = answer[0]["service_request_id"]
            wait_for(lambda: all(awaits_first_response(stack, stack.ids[n]) for n in ("public", "anonymous")), 120,
                     "the requests in the read model, with their agencies, first-response deadline set")
            yield stack
        finally:
            for process in processes:
                process.stop()


def test_discovery_and_services_in_both_formats(stack):
    status, discovery = stack.both("discovery")
    assert status == 200 and isinstance(discovery["changeset"], str)
    (endpoint,) = discovery["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"{stack.base}/open311/v2" and {"text/xml", "application/json"} <= set(
        endpoint["formats"])

    status, services = stack.both("services")
    taxonomy = Directory.load().taxonomy
    assert status == 200 and [s["service_code"] for s in services] == sorted(
        (c.code for c in taxonomy), key=lambda code: code == "uncategorised")
    for service in services:
        assert set(service) == {"service_code", "service_name", "description", "metadata", "type", "keywords",
                                "group"}
        assert service["metadata"] is True and service["type"] in {"realtime", "batch", "blackbox"}
        assert all(isinstance(service[f], str) and service[f] for f in ("service_name", "description", "group"))
    health = next(s for s in services if s["service_code"] == "health.insurance")
    assert (health["service_name"], health["group"]) == ("Jaminan Kesehatan Nasional (JKN)", "Kesehatan")

    status, definition = stack.both("services/infrastructure.roads")
    assert status == 200 and definition["service_code"] == "infrastructure.roads"
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert {"jenis", "anonim", "rahasia", "wilayah"} <= set(attributes)
    for attribute in attributes.values():
        assert attribute["variable"] is True and isinstance(attribute["order"], int)
        assert attribute["datatype"] in {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
        assert isinstance(attribute["required"], bool) and attribute["description"]
        if attribute["datatype"] == "singlevaluelist":
            assert all(set(v) == {"key", "name"} for v in attribute["values"])
    assert [v["key"] for v in attributes["anonim"]["values"]] == ["tidak", "ya"]


def test_a_request_answers_its_tracking_id_at_once_and_a_retry_the_same_one(stack):
    assert all(TRACKING_ID.match(i) for i in stack.ids.values())
    status, again = stack.post(PUBLIC)
    assert status == 200 and again[0]["service_request_id"] == stack.ids["public"]
    status, xml = stack.post(PUBLIC, "xml")
    assert status == 200 and xml.tag == "service_requests"
    assert xml.find("request/service_request_id").text == stack.ids["public"]
    status, token = stack.both(f"tokens/{stack.ids['public']}")
    assert status == 200 and token == [{"service_request_id": stack.ids["public"], "token": stack.ids["public"]}]


def test_get_requests_has_the_spec_fields_and_filters(stack):
    public, anonymous = stack.ids["public"], stack.ids["anonymous"]
    status, listed = stack.both("requests")
    assert status == 200 and {r["service_request_id"] for r in listed} == {public, anonymous}
    for request in listed:
        assert set(request) == REQUEST_FIELDS and request["status"] == "open"
        for field in ("requested_datetime", "updated_datetime"):
            assert datetime.fromisoformat(request[field]).utcoffset() is not None, request[field]
    (one,) = stack.both(f"requests/{public}")[1]
    assert one == next(r for r in listed if r["service_request_id"] == public)
    assert (one["service_code"], one["service_name"], one["description"]) == ("health", "Kesehatan",
                                                                              PUBLIC["description"])
    assert (one["lat"], one["long"], one["address"]) == (-5.47, 122.6, PUBLIC["address_string"])
    assert one["requested_datetime"].endswith("+08:00")  # Sulawesi Tenggara: WITA
    assert one["status_notes"] and isinstance(one["status_notes"], str)
    assert one["media_url"] == PUBLIC["media_url"]
    assert next(r for r in listed if r["service_request_id"] == anonymous)["media_url"] is None

    def ids(query: str) -> list[str]:
        status, ctype, raw = stack.fetch(f"requests.json?{query}")
        assert status == 200, raw
        return [r["service_request_id"] for r in json.loads(raw)]

    assert ids(f"service_request_id={public},{anonymous}") == ids("") and len(ids("")) == 2
    assert ids("service_code=health") == [public]
    wait_for(lambda: ids("agency=pemkab-74-04,pln") == [public], 120, "the request in its agency's list")
    assert ids("status=closed") == [] and set(ids("status=open")) == {public, anonymous}
    assert ids("start_date=2999-01-01T00:00:00Z") == []
    assert ids(urllib.parse.urlencode({"start_date": "2000-01-01T00:00:00+07:00", "end_date": "2999-01-01T00:00:00Z"
                                       })) == ids("")
    first, second = ids("page_size=1"), ids("page=2&page_size=1")
    assert len(first) == len(second) == 1 and first != second and set(first + second) == {public, anonymous}


def test_a_dispositioned_request_expects_its_first_response_by_the_stages_deadline(stack):
    public = stack.ids["public"]

    def awaiting_first_response() -> dict[str, Any] | None:
        (request,) = stack.both(f"requests/{public}")[1]
        return request if request["service_notice"] == "Menunggu tanggapan pertama instansi" else None

    request = wait_for(awaiting_first_response, 120, "the first-response deadline of the dispositioned request")

    def clock_due() -> tuple | None:  # the deadlines processor publishes DeadlineSet before it commits its clock
        conn = db.connect(stack.settings, autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT due_at FROM deadline_clocks WHERE deadline_id = complaint_id || "
                            "':FIRST_RESPONSE:1' AND complaint_id = (SELECT complaint_id FROM "
                            "projection.complaint_status WHERE tracking_id = %s)", (public,))
                return cur.fetchone()
        finally:
            conn.close()

    (due,) = wait_for(clock_due, 60, "the deadlines processor's first-response clock")
    assert datetime.fromisoformat(request["expected_datetime"]) == due.replace(microsecond=0)
    assert request["expected_datetime"].endswith("+08:00")  # Sulawesi Tenggara: WITA


def test_never_a_confidential_report_never_an_anonymous_identity(stack):
    hidden = stack.ids["confidential"]
    for resource in (f"requests/{hidden}", f"tokens/{hidden}"):
        assert stack.both(resource)[0] == 404
    assert stack.both(f"requests?service_request_id={hidden}")[1] == []
    stack.both("requests")
    seen = b"".join(stack.bodies)
    for secret in ("Siti", "Rahmawati", ANONYMOUS["email"], CONFIDENTIAL["description"], "Pungutan", "81234567890"):
        assert secret.encode() not in seen, secret


def test_every_error_answers_the_spec_error_body_with_its_status(stack):
    def refused(resource: str, status: int, form: dict[str, str] | None = None, text: str = "") -> None:
        got, answer = stack.both(resource, form)
        assert got == status and [set(e) for e in answer] == [{"code", "description"}] * len(answer), answer
        assert all(e["code"] == status for e in answer) and text in " ".join(e["description"] for e in answer)

    refused("requests", 403, dict(PUBLIC), "api_key")
    refused("requests", 403, {**PUBLIC, "api_key": "not-the-key-at-all"}, "api_key")
    refused("requests", 400, {**PUBLIC, "api_key": KEY, "service_code": "potholes"}, "potholes")
    refused("requests", 400, {"api_key": KEY, "service_code": "health", "lat": "-5.47", "long": "122.6",
                              "description": "Tidak ada wilayah pada laporan ini sama sekali.",
                              "email": "a@example.id"}, "attribute[wilayah]")
    refused("requests", 400, {**ANONYMOUS, "api_key": KEY, "attribute[wilayah]": "99.99"}, "99.99")
    refused("requests", 400, {**PUBLIC, "api_key": KEY, "email": "", "first_name": ""}, "email or phone")
    refused("services/potholes", 404, text="potholes")
    refused("requests/AAAAA-BBBBB", 404)
    refused("requests?start_date=yesterday", 400, text="start_date")
    refused("requests?end_date=2026-12-01T08:00:00", 400, text="offset")
    refused("requests?status=pending&page_size=5000", 400, text="page_size")
    for path in ("services.yaml", "requests.html", "nothing-here.json"):
        status, ctype, raw = stack.fetch(path)
        assert (status, ctype) == (404, "application/json") and json.loads(raw)[0]["code"] == 404
    status, _, raw = stack.fetch("requests.json", data=b"api_key=" + b"x" * 300_000)
    assert status == 413 and json.loads(raw)[0]["code"] == 413
    status, _, raw = stack.fetch("requests.xml", data=b"{}", content_type="application/json")
    assert status == 415 and ElementTree.fromstring(raw).find("error/code").text == "415"
    status, _, raw = stack.fetch("services.json", method="DELETE")
    assert status == 405 and json.loads(raw)[0]["code"] == 405


def test_a_request_reaches_its_agency_and_is_closed_when_the_complaint_closes(stack):
    settings, tracking_id = stack.settings, stack.ids["public"]
    agency = "pemkab-74-04"  # health in Kabupaten Buton: its Dinas Kesehatan
    items = wait_for(lambda: [i for i in inbox(settings, agency) if i["tracking_id"] == tracking_id], 120,
                     "the request in its agency's inbox")
    assert items[0]["kind"] == "NEW" and items[0]["channel"] == "OPEN311"
    (request,) = stack.both(f"requests/{tracking_id}")[1]
    assert request["agency_responsible"] == Directory.load().agency(agency).name and request["status"] == "open"

    def cli(*argv: str) -> None:
        process = Process(settings, *argv)
        try:
            assert process.wait(120).startswith("accepted"), process.output()
        finally:
            process.stop()

    cli("agency", "act", agency, "acknowledge", tracking_id)
    cli("agency", "act", agency, "follow-up", tracking_id, "--text", "Jam layanan puskesmas sudah dipulihkan")
    cli("admin", "close", tracking_id, "--reason", "REPORTER_SATISFIED")
    closed = wait_for(lambda: stack.both(f"requests/{tracking_id}")[1][0]["status"] == "closed" and
                      stack.both(f"requests/{tracking_id}")[1][0], 120, "the request to be closed")
    assert closed["status_notes"] == "Ditutup" and closed["expected_datetime"] is None
    assert stack.fetch("requests.json?status=closed")[2].count(tracking_id.encode()) == 1


def test_the_channel_statistics_count_open311_reports(stack):
    def counts() -> dict[str, int]:
        with db.connect(stack.settings, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("SELECT channel, complaints FROM projection.stats_by_channel")
            return dict(cur.fetchall())

    # The confidential one counts too: statistics show only aggregates.
    wait_for(lambda: counts()["OPEN311"] == 3, 60, "three OPEN311 complaints in the statistics")
    assert counts()["WEB"] == 0
