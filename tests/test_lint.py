"""The code is linted, formatted and type-checked: ``ruff check``, ``ruff format --check`` and
``mypy psychometry``, configured in pyproject.toml and pinned in the ``test`` extra. CI runs them
through this file (marker ``lint``: a missing tool fails in strict mode instead of skipping)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.lint


def _run(module: str, *args: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install '.[test]')")
    proc = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"{module} {' '.join(args)}:\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}"


def test_ruff_check():
    _run("ruff", "check", ".")


def test_ruff_format():
    _run("ruff", "format", "--check", ".")


def test_mypy():
    _run("mypy")  # files and settings: [tool.mypy] in pyproject.toml
