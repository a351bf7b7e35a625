"""The figures the doctests of ``psychometry.stats`` print, recorded at full precision.

``run_stats_doctests()`` runs every doctest of ``psychometry.stats`` with the rounding functions
instrumented: ``round()``, ``numpy.round``/``numpy.around`` and ``DataFrame.round``/``Series.round``,
when called from a doctest line or from the R-style printers of ``psychometry.stats._rprint``. Each
finite, non-integer value rounded there is recorded with its doctest and digits, before rounding.
``ndarray.round`` (a C method) cannot be instrumented; pandas' display precision (6 digits for
unrounded frames) is not recorded.

Used by ``test_rounding_ties.py`` (no figure at a rounding tie) and ``test_kernel_paths.py`` (the
same figures on other BLAS kernels).
"""

from __future__ import annotations

import builtins
import doctest
import importlib
import math
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import psychometry.stats

_round = builtins.round


def stats_modules() -> Iterator[Any]:
    yield psychometry.stats
    for info in pkgutil.walk_packages(psychometry.stats.__path__, "psychometry.stats."):
        yield importlib.import_module(info.name)


def _floats(x: Any) -> Iterator[float]:
    if isinstance(x, pd.DataFrame):
        x = x.select_dtypes("number").to_numpy()
    elif isinstance(x, pd.Series) and not pd.api.types.is_numeric_dtype(x):
        return
    arr = np.asarray(x)
    if arr.dtype.kind == "f":
        yield from (float(v) for v in arr.ravel())


def tie_distance(value: float, digits: int) -> float:
    """Distance from ``value`` to the nearest rounding boundary at ``digits`` decimals."""
    scale = 10.0**digits
    boundary = (math.floor(value * scale) + 0.5) / scale
    return min(abs(value - b) for b in (boundary - 1 / scale, boundary, boundary + 1 / scale))


@dataclass
class Figures:
    """What one run of the doctests printed: ``(doctest, digits, value)`` per rounded figure."""

    examples: int = 0
    failures: int = 0
    figures: list[tuple[str, int, float]] = field(default_factory=list)
    where: str = ""

    def record(self, x: Any, digits: Any) -> None:
        caller = sys._getframe(2)  # record <- the instrumented function <- its caller
        if not (
            caller.f_code.co_filename.startswith("<doctest")
            or caller.f_globals.get("__name__") == "psychometry.stats._rprint"
        ) or not isinstance(digits, (int, np.integer)):
            return
        for v in _floats(x):
            if math.isfinite(v) and v != _round(v):
                self.figures.append((self.where, int(digits), v))


def run_stats_doctests() -> Figures:
    """Run every doctest of ``psychometry.stats`` and record the figures it rounds for printing."""
    out = Figures()

    def wrap(f: Any) -> Any:
        def rounded(x: Any, *args: Any, **kwargs: Any) -> Any:
            out.record(x, args[0] if args else kwargs.get("decimals", kwargs.get("ndigits", 0)))
            return f(x, *args, **kwargs)

        return rounded

    patches = [
        (builtins, "round", builtins.round),
        (np, "round", np.round),
        (np, "around", np.around),
        (pd.DataFrame, "round", pd.DataFrame.round),
        (pd.Series, "round", pd.Series.round),
    ]
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    try:
        for obj, name, f in patches:
            setattr(obj, name, wrap(f))
        for module in stats_modules():
            for test in doctest.DocTestFinder().find(module):
                out.where = test.name
                out.examples += len(test.examples)
                runner.run(test, out=lambda _s: None)
    finally:
        for obj, name, f in patches:
            setattr(obj, name, f)
    out.failures = runner.failures
    return out
