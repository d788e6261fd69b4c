"""Where the directory's data files are read from: the packaged ``aduan/data``, or ``ADUAN_DIRECTORY_DATA``.

``ADUAN_DIRECTORY_DATA`` names a folder whose files replace the packaged ones of the same name, file by file: a
folder holding only ``regions.csv`` gives the packaged agencies, categories and rules over its regions. Every
process reads the setting from its environment (``aduan up`` hands it to the processes it starts), so all of
them see the same directory and the same directory version.

Usage::

    regions_csv = data_file("regions.csv", configured_folder())   # the configured one, else the packaged one
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGED = Path(__file__).resolve().parent.parent / "data"
SETTING = "ADUAN_DIRECTORY_DATA"


def configured_folder() -> Path | None:
    """The folder ``ADUAN_DIRECTORY_DATA`` names, None when it is unset; ValueError when it is not a folder."""
    value = os.environ.get(SETTING)
    if not value:
        return None
    folder = Path(value)
    if not folder.is_dir():
        raise ValueError(f"{SETTING}={value}: no such folder; point it at a folder of directory data files "
                         f"(those it lacks are read from {PACKAGED}) or unset it")
    return folder


def data_file(name: str, folder: Path | None) -> Path:
    """The file ``name`` of ``folder`` where the folder has it, else the packaged one."""
    if folder is not None and (folder / name).is_file():
        return folder / name
    return PACKAGED / name
