"""The long table's column names as one small frozen object, used inside :mod:`psychometry.stats`.

Public functions on the long results table keep their keyword arguments (``respondent=``,
``scale=``, ``value=``, ...: docs/api.md) and build a :class:`LongColumns` once; the private helpers
they call take that object instead of the same eight to ten keywords.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LongColumns"]


@dataclass(frozen=True)
class LongColumns:
    """Where a long table keeps what the statistics read (defaults: docs/architecture.md).

    ``instrument=None``: one instrument (no such column); ``status=None``: every value counts.
    ``scale_min`` and ``scale_max`` are the response scale's end points when they are not read
    from ``shown_values``.
    """

    respondent: str = "respondent"
    item: str = "item"
    scale: str = "scale"
    instrument: str | None = "instrument"
    value: str = "value"
    keyed: str = "keyed"
    status: str | None = "status"
    shown_values: str = "shown_values"
    scale_min: float | None = None
    scale_max: float | None = None
