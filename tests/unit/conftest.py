"""Fixtures of the unit tests: a door of the channels (the rules every channel's input goes through), with its own
tracking-id secret and sealing key and no deployment behind it."""

from __future__ import annotations

from pathlib import Path

import pytest

from aduan.domain.tracking import TrackingIds
from aduan.kernel.config import Settings
from aduan.kernel.privacy import Sealer
from channels.door import Door

SEALING_KEY = "unit-test sealing key"


@pytest.fixture(scope="module")
def door() -> Door:
    return Door(Settings(home=Path("/nonexistent")), ids=TrackingIds("unit-test secret"), sealer=Sealer(SEALING_KEY))
