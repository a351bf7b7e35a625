"""Calling a statistic safely: :func:`attempt` runs one statistic and turns a failure the data can cause
into an :class:`Outcome` with the reason, so that a report section says ``not computed: reason`` and a
verdict says ``Not computed: reason`` instead of raising.

A user-input error of the statistics (``StatsInputError``, ``ScoringError`` ... every
``PsychometryError``) or a numerical failure is caught; programming errors (``TypeError``,
``KeyError``...) are not. Warnings are recorded (in order, without repeats) instead of printed, so the
report can show them as psych does.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from psychometry.errors import PsychometryError

__all__ = ["NUMERICAL_ERRORS", "Outcome", "attempt"]

#: The numerical failures a statistic may raise on data it cannot use.
NUMERICAL_ERRORS: tuple[type[Exception], ...] = (
    np.linalg.LinAlgError,
    FloatingPointError,
    ZeroDivisionError,
    ValueError,
)


@dataclass
class Outcome:
    """What :func:`attempt` got: the ``value``, or ``reason`` why not; and the warnings raised.

    ``reason`` is the report sections' spelling (the statistic's message; ``numerical failure in
    <statistic>: <type>: <message>``); :attr:`brief` the findings' (one line; ``numerical failure:
    <message>``). ``error`` is the exception caught."""

    value: Any = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    error: Exception | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def brief(self) -> str | None:
        """The reason as the findings print it: one line, ``numerical failure: <message>``."""
        if self.error is None:
            return self.reason
        if isinstance(self.error, PsychometryError):
            return " ".join(str(self.error).split())
        return f"numerical failure: {self.error}"


def attempt(
    fn: Callable[..., Any],
    *args: Any,
    catch: tuple[type[Exception], ...] = NUMERICAL_ERRORS,
    **kwargs: Any,
) -> Outcome:
    """Call ``fn(*args, **kwargs)``; a ``PsychometryError`` or one of the numerical failures ``catch``
    becomes ``Outcome(reason=...)``. Warnings are recorded in ``Outcome.warnings`` (in order, without
    repeats) instead of printed. Programming errors (``TypeError``, ``KeyError``...) are not swallowed."""
    name = getattr(fn, "__name__", "the statistic")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = Outcome(value=fn(*args, **kwargs))
        except PsychometryError as exc:  # StatsInputError, LongTableError, ScoringError ...
            out = Outcome(reason=str(exc), error=exc)
        except catch as exc:
            out = Outcome(reason=f"numerical failure in {name}: {type(exc).__name__}: {exc}", error=exc)
    seen: list[str] = []
    for w in caught:
        msg = " ".join(str(w.message).split())
        if msg not in seen:
            seen.append(msg)
    out.warnings = seen
    return out
