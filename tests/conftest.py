"""Shared test configuration.

Tests marked ``model`` (the real default GGUF model) and ``r`` (R run live as the oracle) skip when
their tool is missing on a developer's machine. In CI they must not: with
``PSYCHOMETRY_STRICT_TESTS=1`` (set by ``.ci/run``) a skip of such a test is reported as a failure,
so a missing model or a broken R installation cannot pass unnoticed.
"""
from __future__ import annotations

import os

import pytest

_STRICT_MARKERS = ("model", "r")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if (report.skipped and os.environ.get("PSYCHOMETRY_STRICT_TESTS") == "1"
            and any(item.get_closest_marker(m) for m in _STRICT_MARKERS)):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped in strict mode (PSYCHOMETRY_STRICT_TESTS=1): {reason}"
