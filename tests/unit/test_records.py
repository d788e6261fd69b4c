"""The one converter (aduan.domain.records): forms stored by the code before it load and are written back unchanged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from aduan.domain.command_records import COMMAND_TYPES, command_from_record
from aduan.domain.commands import Verify
from aduan.domain.records import DOCUMENTS, RECORDS
from schemas import codec
from schemas.command_wire import encode_command
from tests.golden.write_missing import golden_path


@pytest.mark.parametrize("name", sorted(COMMAND_TYPES))
def test_a_commands_golden_bytes_come_back_byte_for_byte_through_the_dataclass(name: str) -> None:
    subject = codec().registry.latest(name)
    golden = golden_path(subject.id, subject.name, subject.version).read_bytes()
    decoded = codec().decode(golden)
    assert encode_command(command_from_record(decoded.name, decoded.record)) == golden


def test_an_enum_symbol_this_version_lacks_is_a_value_error() -> None:
    record = {"command_id": "1", "complaint_id": "c-1", "actor": {"kind": "ROBOT", "id": "x", "agency": None},
              "issued_at": datetime(2025, 1, 1, tzinfo=timezone.utc), "category": "c", "region_code": "74",
              "report_type": None, "tags": []}
    with pytest.raises(ValueError, match="ROBOT"):
        RECORDS.structure(record, Verify)


def test_a_type_the_converter_cannot_handle_is_named() -> None:
    @dataclass(frozen=True)
    class Odd:
        choice: int | str

    with pytest.raises(TypeError, match=re.escape("int | str")):
        RECORDS.unstructure(Odd(1))
    with pytest.raises(TypeError, match="not a dataclass"):
        DOCUMENTS.structure({}, dict)
