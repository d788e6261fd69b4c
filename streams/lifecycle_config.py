"""The lifecycle's settings: the reopen window and which submissions are verified automatically.

They come from ``aduan/data/lifecycle.yaml`` (see the comments there), or the file named by
``ADUAN_LIFECYCLE_CONFIG``; ``ADUAN_AUTO_VERIFY_CHANNELS`` and ``ADUAN_AUTO_VERIFY_CATEGORIES`` (comma-separated,
``*`` for all) replace the file's lists. For a demo or a benchmark where no admin verifies::

    ADUAN_AUTO_VERIFY_CHANNELS='*' aduan up
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from aduan.domain.directory_data import PACKAGED
from aduan.domain.lifecycle import LifecycleConfig

DEFAULT_PATH = PACKAGED / "lifecycle.yaml"
CONFIG_ENV = "ADUAN_LIFECYCLE_CONFIG"
CHANNELS_ENV = "ADUAN_AUTO_VERIFY_CHANNELS"
CATEGORIES_ENV = "ADUAN_AUTO_VERIFY_CATEGORIES"
ALL = "*"
CHANNELS = ("WEB", "MOBILE_APP", "SMS", "EMAIL", "SOCIAL_MEDIA", "BULK_IMPORT", "OTHER", "OPEN311")


def load_config(environ: Mapping[str, str] = os.environ) -> LifecycleConfig:
    """The lifecycle settings of the configured file and environment; ValueError says what to fix."""
    path = Path(environ.get(CONFIG_ENV) or DEFAULT_PATH)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ValueError(f"{CONFIG_ENV}={path}: no such file; point it at a copy of {DEFAULT_PATH}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping like the one in {DEFAULT_PATH}")
    auto = document.get("auto_verify") or {}
    days = document.get("reopen_window_days", 10)
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days < 0:
        raise ValueError(f"{path}: reopen_window_days must be a number of days, not {days!r}")
    channels = _listed(environ.get(CHANNELS_ENV), auto.get("channels"))
    categories = _listed(environ.get(CATEGORIES_ENV), auto.get("categories"))
    unknown = channels - set(CHANNELS) - {ALL}
    if unknown:
        raise ValueError(f"auto-verify channels {sorted(unknown)} are unknown: use {', '.join(CHANNELS)} or '*'")
    return LifecycleConfig(
        reopen_window=timedelta(days=days),
        auto_verify_channels=frozenset(CHANNELS) if ALL in channels else frozenset(channels),
        auto_verify_categories=_categories(categories),
    )


def _listed(env_value: str | None, file_value: Any) -> set[str]:
    if env_value is not None and env_value.strip():
        return {item.strip() for item in env_value.split(",") if item.strip()}
    if file_value is None:
        return set()
    if isinstance(file_value, str):
        return {file_value}
    return {str(item) for item in file_value}


def _categories(codes: Iterable[str]) -> frozenset[str]:
    """The listed category codes, every category of the taxonomy for '*'."""
    codes = set(codes)
    if ALL not in codes:
        return frozenset(codes)
    from aduan.domain.directory import Directory

    return frozenset(category.code for category in Directory.load().taxonomy)
