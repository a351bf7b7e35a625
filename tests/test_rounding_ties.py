"""No printed figure sits at a rounding tie.

A figure printed to k decimals is stable only if the value it rounds is clearly away from the
boundary between two printed values. At a tie (1.8125 printed to 3 decimals) the last bits of the
value decide which way it rounds, and those bits come from the BLAS kernel the CPU selects: the
``behaviour_regression`` doctest printed 1.812 on AVX2 and 1.813 on AVX-512 (issue 21).

Every doctest of ``psychometry.stats`` runs with its rounding instrumented (``tests/figures.py``);
a figure within ``TIE`` of a rounding boundary at its printed digits fails, named with its doctest.
"""

from __future__ import annotations

import pytest
from figures import run_stats_doctests, tie_distance

#: a value this close to a rounding boundary can print differently on another kernel path
TIE = 1e-9


def test_tie_distance_finds_the_midpoints() -> None:
    assert tie_distance(1.8125, 3) < TIE  # the AVX2 / AVX-512 case of issue 21
    assert tie_distance(0.125, 2) < TIE
    assert tie_distance(1.8126, 3) == pytest.approx(1e-4)
    assert tie_distance(4.25, 3) == pytest.approx(5e-4)  # exact at the printed digits: no tie


def test_no_doctest_figure_of_the_statistics_sits_at_a_rounding_tie() -> None:
    run = run_stats_doctests()
    ties = [
        f"{where}: {v!r} printed to {d} digits" for where, d, v in run.figures if tie_distance(v, d) < TIE
    ]
    print(f"{run.examples} doctest examples, {len(run.figures)} rounded figures scanned, {len(ties)} ties")
    assert ties == []
    assert run.failures == 0
    assert len(run.figures) > 50  # the instrumentation sees the figures (91 in 161 examples, Dec 2026)
