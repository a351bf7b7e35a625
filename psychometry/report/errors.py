"""The report's user error (printed in one line by the CLI)."""

from __future__ import annotations

from psychometry.errors import PsychometryError

__all__ = ["ReportError"]


class ReportError(PsychometryError):
    """A report cannot be made: no such results, an unknown instrument, an unwritable output path."""
