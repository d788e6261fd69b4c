"""Privacy at the door: anonymous reporters are sealed, only the right key opens them, key files are private."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from aduan.kernel.config import Settings
from aduan.kernel.privacy import (
    SEALING_KEY_FILE,
    Sealer,
    UnsealError,
    protect,
    secret_file,
)

BUDI = {"name": "Budi Santoso", "email": "budi@example.id", "phone": "+6281234567890", "social_handle": None}


def test_a_sealed_reporter_opens_with_the_same_key_and_hides_every_detail():
    sealer = Sealer("a long random sealing key")
    blob = sealer.seal(BUDI)
    assert Sealer("a long random sealing key").unseal(blob) == BUDI
    for detail in ("Budi", "budi@example.id", "81234567890"):
        assert detail.encode() not in blob


def test_sealing_twice_gives_different_blobs():
    sealer = Sealer("k" * 32)
    assert sealer.seal(BUDI) != sealer.seal(BUDI)


def test_another_key_cannot_open_it_and_says_which_keys_differ():
    blob = Sealer("the production key").seal(BUDI)
    with pytest.raises(UnsealError, match="ADUAN_SEALING_KEY"):
        Sealer("some other key").unseal(blob)


@pytest.mark.parametrize("damage", [lambda b: b[:-1] + bytes([b[-1] ^ 1]), lambda b: b[:10], lambda b: b"\x02" + b[1:]])
def test_a_damaged_blob_is_refused(damage):
    sealer = Sealer("k" * 32)
    with pytest.raises(UnsealError):
        sealer.unseal(damage(sealer.seal(BUDI)))


def test_protect_keeps_an_anonymous_reporter_only_sealed():
    sealer = Sealer("k" * 32)
    clear, sealed = protect(BUDI, anonymous=True, sealer=sealer)
    assert clear is None and sealer.unseal(sealed) == BUDI
    assert protect(BUDI, anonymous=False, sealer=sealer) == (BUDI, None)
    assert protect(None, anonymous=True, sealer=sealer) == (None, None)
    assert protect({"name": None, "email": None}, anonymous=False, sealer=sealer) == (None, None)


def test_without_a_configured_key_a_private_key_file_is_made_once_in_home(tmp_path: Path):
    settings = Settings(home=tmp_path / "home", sealing_key=None)
    blob = Sealer.from_settings(settings).seal(BUDI)
    key_file = settings.home / SEALING_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Sealer.from_settings(settings).unseal(blob) == BUDI
    assert secret_file(settings.home, SEALING_KEY_FILE) == key_file.read_text().strip()
    assert list(settings.home.iterdir()) == [key_file]


def test_a_configured_key_wins_over_the_key_file(tmp_path: Path):
    configured = Settings(home=tmp_path, sealing_key="configured key")
    blob = Sealer.from_settings(configured).seal(BUDI)
    assert Sealer("configured key").unseal(blob) == BUDI
    assert not (tmp_path / SEALING_KEY_FILE).exists()
