"""Where the shipped data files live.

The YAML files are kept at the repository root in ``instruments/`` (instruments, prompt
templates, personas, behavioural tasks). A wheel ships them as ``psychometry/_instruments``;
an editable install or a source checkout reads them from the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder holding the shipped instrument YAML files."""
    for candidate in (_PACKAGE / "_instruments", _PACKAGE.parent / "instruments"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("psychometry's shipped instruments folder is missing; reinstall the package")
