"""The OpenAPI document against the running ``channels-http``: schemathesis sends generated requests (valid and
invalid) to every documented operation and checks each answer's status, content type and body against the
document; our own checks make sure the served document is the one in the code and that every route is in it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from aduan.domain.tracking import TrackingIds
from aduan.kernel import topics
from aduan.kernel.config import Settings
from aduan.kernel.privacy import Sealer
from aduan.runtime.embedded.process import port_open
from channels.door import Door
from channels.http import Channels, build_app
from channels.openapi import document
from tests.support import Process, wait_for
from tests.support.channels import call
from tests.support.deployment import new_deployment

SCHEMA = schemathesis.openapi.from_dict(document())


@pytest.fixture(scope="module")
def api(kafka_bootstrap: str, postgres_url: str, work_dir: Path) -> Iterator[str]:
    """One ``channels-http`` for the module, with a database (Open311 reads the read models): its base URL."""
    settings = new_deployment(kafka_bootstrap, postgres_url, work_dir)
    topics.ensure(settings, topics.Topics(settings.topic_prefix).shared(settings))
    process = Process(settings, "run", "channels-http")
    try:
        wait_for(lambda: process.proc.poll() is not None or port_open(settings.http_port), 60, "channels-http")
        assert process.proc.poll() is None, process.output()
        yield f"http://127.0.0.1:{settings.http_port}"
    finally:
        process.stop()


@SCHEMA.parametrize()
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, api):
    # Positive data acceptance is left out on purpose: a well-formed body can still name an unknown region or
    # category, or lack a contact, and the document says those get 422.
    case.call_and_validate(base_url=api, excluded_checks=[positive_data_acceptance])


def test_the_served_document_is_the_one_in_the_code(api):
    status, served = call(f"{api}/api/v1/openapi.json")
    assert status == 200 and served == document()


def test_every_route_is_documented_and_every_documented_operation_is_routed(tmp_path):
    door = Door(Settings(home=tmp_path), ids=TrackingIds("secret"), sealer=Sealer("sealing key"))
    app = build_app(Channels(door, producer=None))
    routed = {(route.method.lower(), route.resource.canonical) for route in app.router.routes()
              if route.method != "HEAD"}
    documented = {(method, path) for path, operations in document()["paths"].items() for method in operations}
    assert routed == documented


@pytest.mark.parametrize("operation", ["/api/v1/complaints", "/api/v1/sms/inbound", "/api/v1/social/mentions"])
def test_every_documented_required_field_is_enforced(api, operation):
    post = document()["paths"][operation]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request_schema = document()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    status, answer = call(f"{api}{operation}", {})
    assert status == 422
    assert {e["field"] for e in answer["errors"] if e["code"] == "required"} >= set(request_schema["required"])
