"""Printing helpers so that result objects' ``summary()`` reads like R's output.

R prints a data frame with right-aligned columns, row names on the left, and numbers rounded
to the requested digits (``round(x, digits)`` as psych's print methods do), dropping trailing
zeros only where R would (it pads each column to a common number of decimals).
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd


def fmt_number(x: float, digits: int = 2) -> str:
    """Round like R's ``round(x, digits)`` and print without trailing zeros (R's ``print``
    of a single rounded number)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    r = round(float(x), digits)
    text = f"{r:.{digits}f}".rstrip("0").rstrip(".") if digits > 0 else f"{r:.0f}"
    return "0" if text in ("-0", "") else text


def _column_strings(values: Iterable[object], digits: int) -> list[str]:
    vals = list(values)
    numeric = [v for v in vals if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)]
    if len(numeric) != len(vals):
        return ["NA" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in vals]
    if all(float(v).is_integer() for v in numeric if not math.isnan(float(v))):
        return ["NA" if math.isnan(float(v)) else str(int(v)) for v in numeric]
    rounded = [round(float(v), digits) for v in numeric]
    # R pads a column to the largest number of decimals any of its rounded entries needs
    decimals = 0
    for r in rounded:
        if math.isnan(r):
            continue
        s = f"{r:.{digits}f}".rstrip("0")
        decimals = max(decimals, len(s.split(".")[1]) if "." in s else 0)
    return ["NA" if math.isnan(r) else f"{r:.{decimals}f}" for r in rounded]


def format_frame(df: pd.DataFrame, digits: int = 2, *, row_names: bool = True) -> str:
    """Format a DataFrame the way R prints a rounded data frame."""
    cols = [str(c) for c in df.columns]
    body = [_column_strings(df[c].tolist(), digits) for c in df.columns]
    names = [str(i) for i in df.index] if row_names else [""] * len(df)
    name_w = max([len(n) for n in names] + [0])
    widths = [max([len(c)] + [len(s) for s in col]) for c, col in zip(cols, body)]
    lines = [" " * name_w + "".join(" " + c.rjust(w) for c, w in zip(cols, widths))]
    for i, name in enumerate(names):
        lines.append(name.ljust(name_w) + "".join(" " + col[i].rjust(w) for col, w in zip(body, widths)))
    return "\n".join(lines)
