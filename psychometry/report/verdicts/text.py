"""How the verdicts print their figures: shares as percentages, p values as R's ``format.pval``, numbers
with R's digits (``psychometry.stats._rprint``), and the range of a scale's shown values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from psychometry.stats._rprint import fmt_number, format_pval

__all__ = ["num", "pct", "pval", "scale_range"]


def pct(x: float) -> str:
    """A share as a whole percentage (``NA`` when missing)."""
    return "NA" if x is None or not math.isfinite(x) else f"{100 * x:.0f}%"


def pval(p: float) -> str:
    """``p = <format.pval(p, 2)>``; ``p < 2.2e-16`` below machine epsilon, as R's summary.lm prints it."""
    if p is None or not math.isfinite(p):
        return "p = NA"
    if p < float(np.finfo(float).eps):
        return "p < 2.2e-16"  # R's summary.lm spelling of format.pval's eps
    return f"p = {format_pval([p], 2)[0]}"


def num(x: float, digits: int = 2) -> str:
    """A number with ``digits`` decimals as R prints it."""
    return fmt_number(x, digits)


def scale_range(rows: pd.DataFrame) -> float:
    """Highest minus lowest scale value shown with the items (``shown_values``); NaN when unknown."""
    if "shown_values" not in rows.columns or rows.empty:
        return math.nan
    vals: list[float] = []
    for s in pd.unique(rows["shown_values"].dropna().astype(str)):
        try:
            vals += [float(v) for v in s.split(",") if v.strip()]
        except ValueError:
            continue
    return (max(vals) - min(vals)) if vals else math.nan
