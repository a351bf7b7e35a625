"""Shared test configuration.

Tests marked ``model`` (the real default GGUF model), ``r`` (R run live as the oracle) and ``lint``
(ruff, mypy) skip when their tool is missing on a developer's machine. In CI they must not: with
``PSYCHOMETRY_STRICT_TESTS=1`` (set by ``.ci/run``) a skip of such a test is reported as a failure,
so a missing model or a broken R installation cannot pass unnoticed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_STRICT_MARKERS = ("model", "r", "lint")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("PSYCHOMETRY_STRICT_TESTS") == "1"
        and any(item.get_closest_marker(m) for m in _STRICT_MARKERS)
    ):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped in strict mode (PSYCHOMETRY_STRICT_TESTS=1): {reason}"


@pytest.fixture(scope="session")
def r_reference(tmp_path_factory) -> Callable[[str], dict]:
    """``r_reference("validity")`` runs ``tests/reference/validity.R`` live once per test session and
    returns the JSON it writes (later calls reuse it). Skips without ``Rscript``; a failing script is
    a test failure that shows R's error."""
    cache: dict[str, dict] = {}

    def run(name: str) -> dict:
        if name not in cache:
            if shutil.which("Rscript") is None:
                pytest.skip("Rscript not on the PATH")
            out = tmp_path_factory.mktemp(f"r_{name}") / f"{name}.json"
            proc = subprocess.run(
                ["Rscript", f"tests/reference/{name}.R", str(out)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if proc.returncode != 0:
                pytest.fail(
                    f"tests/reference/{name}.R failed (psych, lavaan, GPArotation, jsonlite "
                    f"installed?): {proc.stderr[-500:]}"
                )
            cache[name] = json.loads(out.read_text())
        return cache[name]

    return run


@pytest.fixture(scope="session", params=["committed", pytest.param("live", marks=pytest.mark.r)])
def validity_reference(request, r_reference) -> dict:
    """The validity reference values: the committed JSON, and (marker ``r``) a live R run."""
    if request.param == "committed":
        return json.loads((ROOT / "tests" / "reference" / "validity.json").read_text())
    return r_reference("validity")
