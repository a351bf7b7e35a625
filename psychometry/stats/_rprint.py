"""Printing helpers so that result objects' ``summary()`` reads like R's output.

R prints a data frame with right-aligned columns, row names on the left, and numbers rounded
to the requested digits (``round(x, digits)`` as psych's print methods do), dropping trailing
zeros only where R would (it pads each column to a common number of decimals).
"""
from __future__ import annotations

import math
from contextvars import ContextVar
from typing import Iterable

import numpy as np
import pandas as pd


def _nonfinite(v: float) -> str:
    """R's spelling of a non-finite number: NA (for NaN, as R prints a missing statistic), Inf, -Inf."""
    return "NA" if math.isnan(v) else ("Inf" if v > 0 else "-Inf")


def fmt_number(x: float, digits: int = 2) -> str:
    """Round like R's ``round(x, digits)`` and print without trailing zeros (R's ``print``
    of a single rounded number)."""
    if x is None:
        return "NA"
    if not math.isfinite(float(x)):
        return _nonfinite(float(x))
    r = round(float(x), digits)
    text = f"{r:.{digits}f}".rstrip("0").rstrip(".") if digits > 0 else f"{r:.0f}"
    return "0" if text in ("-0", "") else text


def _column_strings(values: Iterable[object], digits: int) -> list[str]:
    vals = list(values)
    numeric = [v for v in vals if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)]
    if len(numeric) != len(vals):
        return ["NA" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in vals]
    if all(float(v).is_integer() for v in numeric if math.isfinite(float(v))):
        return [_nonfinite(float(v)) if not math.isfinite(float(v)) else str(int(v)) for v in numeric]
    rounded = [round(float(v), digits) for v in numeric]
    # R pads a column to the largest number of decimals any of its rounded entries needs
    decimals = 0
    for r in rounded:
        if not math.isfinite(r):
            continue
        s = f"{r:.{digits}f}".rstrip("0")
        decimals = max(decimals, len(s.split(".")[1]) if "." in s else 0)
    return [_nonfinite(r) if not math.isfinite(r) else f"{r:.{decimals}f}" for r in rounded]


def format_frame(df: pd.DataFrame, digits: int = 2, *, row_names: bool = True) -> str:
    """Format a DataFrame the way R prints a rounded data frame."""
    cols = [str(c) for c in df.columns]
    body = [_column_strings(df[c].tolist(), digits) for c in df.columns]
    names = [str(i) for i in df.index] if row_names else [""] * len(df)
    return _layout(cols, body, names)


# --- R's formatReal: significant digits with a common number of decimals per column -------------------
# print.data.frame(x, digits = d) formats each column with format(col, digits = d): every entry is shown
# with (at most) d significant digits, trailing zeros dropped, and the column padded to the largest
# number of decimals any entry needs (R's formatReal in src/main/format.c). psych's print methods use
# this for alpha's tables, e.g. 0.0090 prints as "0.009" and the column (12.17, 9.88) as "12.2", "9.9".


def _sig_parts(x: float, digits: int) -> tuple[int, int, int]:
    """(negative, kpower, nsig) of |x| rounded to ``digits`` significant digits (R's scientific())."""
    if x == 0:
        return 0, 0, 1
    mantissa, exponent = f"{abs(x):.{max(digits, 1) - 1}e}".split("e")
    sig = mantissa.replace(".", "").rstrip("0")
    return int(x < 0), int(exponent), max(len(sig), 1)


def format_signif(values: Iterable[object], digits: int = 2) -> list[str]:
    """Format numbers the way R's ``format(x, digits = digits)`` formats one column (fixed notation
    with a common number of decimals; R switches to scientific notation only when fixed is wider)."""
    vals = [float(v) if v is not None else math.nan for v in values]
    vals = [0.0 if v == 0 else v for v in vals]  # R prints a negative zero as 0
    finite = [v for v in vals if math.isfinite(v)]
    if not finite:
        return [_nonfinite(v) for v in vals]
    rgt = 0
    mxsl = 1
    neg_any = 0
    mxe = 0
    mxns = 1
    for v in finite:
        neg, kp, nsig = _sig_parts(v, digits)
        neg_any = max(neg_any, neg)
        left = kp + 1 if kp >= 0 else 1
        mxsl = max(mxsl, neg + left)
        rgt = max(rgt, nsig - kp - 1)
        mxe = max(mxe, abs(kp))
        mxns = max(mxns, nsig)
    rgt = max(rgt, 0)
    fixed_width = mxsl + rgt + (1 if rgt > 0 else 0)
    sci_width = neg_any + (mxns + 1 if mxns > 1 else mxns) + (4 if mxe < 100 else 5)
    out = []
    for v in vals:
        if not math.isfinite(v):
            out.append("NA" if math.isnan(v) else ("Inf" if v > 0 else "-Inf"))
        elif fixed_width <= sci_width:
            s = f"{v:.{rgt}f}"
            out.append("0" if s in ("-0",) else s)
        else:
            mant, exp = f"{v:.{mxns - 1}e}".split("e")
            out.append(f"{mant}e{int(exp):+03d}")
    return out


def format_frame_signif(df: pd.DataFrame, digits: int = 2, *, row_names: bool = True) -> str:
    """Format a DataFrame the way R's ``print(df, digits = digits)`` does (significant digits per
    column, see :func:`format_signif`); integer-valued columns print as integers."""
    cols = [str(c) for c in df.columns]
    body = [format_signif(df[c].tolist(), digits) for c in df.columns]
    return _layout(cols, body, [str(i) for i in df.index] if row_names else [""] * len(df))


def format_strings(df: pd.DataFrame) -> str:
    """Lay out a DataFrame of already formatted strings like R's print(..., quote = FALSE)."""
    cols = [str(c) for c in df.columns]
    body = [[str(v) for v in df[c].tolist()] for c in df.columns]
    return _layout(cols, body, [str(i) for i in df.index])


#: While set (by :func:`psychometry.stats._rhtml.summary_html`), every table laid out here is appended
#: to this list, as (column names, column strings, row names), and replaced in the text by a marker
#: line; the strings are the ones the text would show, so HTML tables print the same numbers.
TABLE_CAPTURE: ContextVar[list | None] = ContextVar("TABLE_CAPTURE", default=None)
TABLE_MARKER = "\x00table{}\x00"


def _layout(cols: list[str], body: list[list[str]], names: list[str]) -> str:
    captured = TABLE_CAPTURE.get()
    if captured is not None:
        captured.append((list(cols), [list(c) for c in body], list(names)))
        return TABLE_MARKER.format(len(captured) - 1)
    name_w = max([len(n) for n in names] + [0])
    widths = [max([len(c)] + [len(s) for s in col]) for c, col in zip(cols, body)]
    lines = [" " * name_w + "".join(" " + c.rjust(w) for c, w in zip(cols, widths))]
    for i, name in enumerate(names):
        lines.append(name.ljust(name_w) + "".join(" " + col[i].rjust(w) for col, w in zip(body, widths)))
    return "\n".join(lines)


def format_named_vector(values: "pd.Series", digits: int = 7) -> str:
    """Print a named numeric vector like R: names over values, one common width, trailing blank."""
    strs = format_signif(values.tolist(), digits)
    names = [str(i) for i in values.index]
    w = max(len(s) for s in strs + names)
    return "".join(n.rjust(w) + " " for n in names) + "\n" + "".join(s.rjust(w) + " " for s in strs)
