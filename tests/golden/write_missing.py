"""Write the golden sample of every registered schema version that has none yet; never overwrites."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from fastavro import schemaless_writer

from schemas import codec
from tests.samples import sample

GOLDEN_DIR = Path(__file__).resolve().parent


def golden_path(subject_id: int, name: str, version: int) -> Path:
    return GOLDEN_DIR / f"{subject_id:04d}-{name}-v{version}.avro"


def main() -> None:
    for subject in codec().registry.subjects():
        path = golden_path(subject.id, subject.name, subject.version)
        if path.exists():
            continue
        buf = io.BytesIO()
        buf.write(struct.pack(">bI", 0, subject.id))
        schemaless_writer(buf, subject.parsed, sample(subject.parsed))
        path.write_bytes(buf.getvalue())
        print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
