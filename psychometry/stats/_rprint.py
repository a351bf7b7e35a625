"""Printing helpers so that result objects' ``summary()`` reads like R's output.

R prints a data frame with right-aligned columns, row names on the left, and numbers rounded
to the requested digits (``round(x, digits)`` as psych's print methods do), dropping trailing
zeros only where R would (it pads each column to a common number of decimals).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import Any

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
    numeric = [
        v for v in vals if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
    ]
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


def format_signif(values: Iterable[Any], digits: int = 2) -> list[str]:
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


def format_named_vector(values: pd.Series, digits: int = 7) -> str:
    """Print a named numeric vector like R: names over values, one common width, trailing blank."""
    strs = format_signif(values.tolist(), digits)
    names = [str(i) for i in values.index]
    w = max(len(s) for s in strs + names)
    return "".join(n.rjust(w) + " " for n in names) + "\n" + "".join(s.rjust(w) + " " for s in strs)


SIGNIF_LEGEND = (
    "0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1"
)


def format_pval(pv: Sequence[float], digits: int, eps: float = float(np.finfo(float).eps)) -> list[str]:
    """R's ``format.pval(pv, digits, eps = .Machine$double.eps)``: p-values below ``eps`` print as
    ``< 2.2e-16`` (``<2e-16`` in coefficient tables), the others with ``digits`` significant digits,
    fixed notation where the exponent is -3 or more (-4 too when ``digits`` > 1), formatted together
    (R 4.2's rule)."""
    vals = [float(p) for p in pv]
    out = ["NA" if math.isnan(v) else "" for v in vals]
    idx_ok = [i for i, v in enumerate(vals) if not math.isnan(v)]
    is0 = [i for i in idx_ok if vals[i] < eps]
    rest = [i for i in idx_ok if vals[i] >= eps]
    rr: dict[int, str] = {}
    if rest:
        expo = {i: math.floor(math.log10(vals[i])) if vals[i] > 0 else -50 for i in rest}
        fixp = [i for i in rest if expo[i] >= -3 or (expo[i] == -4 and digits > 1)]
        sci = [i for i in rest if i not in fixp]
        for group in (fixp, sci):
            if group:
                for i, s in zip(group, format_signif([vals[i] for i in group], digits)):
                    rr[i] = s
        for i, s in rr.items():
            out[i] = s
    if is0:
        d = max(1, digits - 2)
        if rest:
            nc = max(len(s) for s in rr.values())
            if d > 1 and d + 6 > nc:
                d = max(1, nc - 7)
            sep = "" if d == 1 and nc <= 6 else " "
        else:
            sep = "" if d == 1 else " "
        text = "<" + sep + format_signif([eps], d)[0]
        for i in is0:
            out[i] = text
    return out


def stars(p: float) -> str:
    """R's ``symnum`` significance codes (intervals closed on the right)."""
    if p is None or math.isnan(p):
        return "   "
    for cut, sym in ((0.001, "***"), (0.01, "** "), (0.05, "*  "), (0.1, ".  ")):
        if p <= cut:
            return sym
    return "   "


def print_coefmat(
    coef: pd.DataFrame,
    digits: int = 4,
    labels: Sequence[str] = ("t value", "Pr(>|t|)"),
    se_label: str = "Std. Error",
) -> list[str]:
    """R's ``printCoefmat`` for a table of estimate, standard error, t and p (as ``summary.lm`` prints
    it): estimate and SE rounded together to ``max(1, digits - (1 + floor(log10(min |value|))))``
    decimals and formatted with ``digits`` significant digits; t rounded to ``dig.tst = digits - 1``
    decimals; p with :func:`format_pval` (``dig.tst`` digits); stars and their legend when any p < 0.1.
    ``labels`` names the test columns (``("z value", "Pr(>|z|)")`` for a glm), ``se_label`` the
    standard error's (``Std.err`` for geepack).
    """
    est, se, tv, pv = (coef.iloc[:, j].astype(float).tolist() for j in range(4))
    n = len(est)
    dig_tst = max(1, min(5, digits - 1))
    cs = est + se
    finite = [abs(v) for v in cs if math.isfinite(v) and v != 0]
    digmin = 1 + (math.floor(math.log10(min(finite))) if finite else 0)
    dec = max(1, digits - digmin)
    cs_str = format_signif([round(v, dec) if math.isfinite(v) else v for v in cs], digits)
    # entries rounded to 0 that are not 0 are reprinted with digits - 1 significant digits
    zero_bad = [
        i for i, (v, s) in enumerate(zip(cs, cs_str)) if math.isfinite(v) and (v == 0) != (float(s) == 0)
    ]
    if zero_bad:
        for i, s in zip(zero_bad, format_signif([cs[i] for i in zero_bad], max(1, digits - 1))):
            cs_str[i] = s
    # format() pads the estimate and standard-error block to one width
    width = max(len(x) for x in cs_str)
    cs_str = [x.rjust(width) for x in cs_str]
    t_str = format_signif([round(v, dig_tst) if math.isfinite(v) else v for v in tv], digits)
    p_str = format_pval(pv, dig_tst)
    cols = {"Estimate": cs_str[:n], se_label: cs_str[n:], labels[0]: t_str, labels[1]: p_str}
    show_stars = any(p < 0.1 for p in pv if not math.isnan(p))
    if show_stars:  # format(symnum(...)): padded on the right to the longest code present
        codes = [stars(p).rstrip() or " " for p in pv]
        width = max(len(c) for c in codes)
        cols[""] = [c.ljust(width) for c in codes]
    names = [str(i) for i in coef.index]
    # laid out by _rprint's R layout (the same characters), so _repr_html_ gets the table as a <table>
    lines = _layout(list(cols), list(cols.values()), names).split("\n")
    if show_stars:
        lines += ["---", f"Signif. codes:  {SIGNIF_LEGEND}"]
    return lines
