"""From the long results table to the shapes the statistics need.

The long table (docs/architecture.md) has one row per simulated respondent x item. This module turns
it into

* :func:`item_matrix`: a wide item matrix (one row per respondent, one column per item, raw values)
  for the reliability and validity functions (``alpha``, ``omega``, ``efa``...);
* :func:`scale_scores`: one row per respondent x scale with the scale score after reverse keying
  (item mean or sum, pro-rated over missing items, with an offset and a minimum number of answered
  items) and the respondent's identifying factors (model, persona, template, order, repeat) kept, so
  that other analyses can group by them. It is the package's one scale-scoring implementation:
  :func:`psychometry.scoring.score` and :func:`psychometry.scoring.score_long` call it with each
  scale's definition from the instrument.

Every column name is a parameter (defaults: the long-table contract), so the functions work on other
long tables too, e.g. human data in long format. Formulas and tests: docs/statistics/robustness.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from psychometry.errors import StatsInputError

from ._columns import LongColumns

__all__ = ["FACTORS", "LongTableError", "item_matrix", "scale_bounds", "scale_scores"]

#: The columns that identify a simulated respondent in the long table (its id is their join).
FACTORS: tuple[str, ...] = ("model", "persona", "template", "order", "repeat")


class LongTableError(StatsInputError):
    """Bad input to a function over the long results table (names the column or value at fault)."""


# --------------------------------------------------------------------------------------------------
# input checks shared with the robustness package (stats/robustness/)


def require_columns(long: pd.DataFrame, columns: Iterable[str | None], what: str) -> None:
    """Raise a :class:`LongTableError` naming the missing column(s)."""
    if not isinstance(long, pd.DataFrame):
        raise LongTableError(
            f"{what}: expected the long results table as a pandas DataFrame, got {type(long).__name__}"
        )
    missing = [c for c in columns if c is not None and c not in long.columns]
    if missing:
        raise LongTableError(
            f"{what}: the long table has no column(s) {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(map(str, long.columns))})"
        )


def numeric_column(long: pd.DataFrame, column: str, what: str) -> pd.Series:
    """``long[column]`` as float, with a clear error naming the first non-numeric value."""
    s = long[column]
    if pd.api.types.is_numeric_dtype(s) and s.dtype != bool:
        return s.astype(float)
    conv = pd.to_numeric(s, errors="coerce")
    bad = s[conv.isna() & s.notna() & (s.astype(str).str.strip() != "")]
    if len(bad):
        raise LongTableError(
            f"{what}: column '{column}' has non-numeric value {show(bad.iloc[0])} (row {bad.index[0]!r})"
        )
    return conv.astype(float)


def ok_values(long: pd.DataFrame, value: str, status: str | None, what: str) -> pd.Series:
    """The value column as float, NaN wherever ``status`` is not ``ok`` (when a status column is used)."""
    v = numeric_column(long, value, what)
    if status is not None and status in long.columns:
        v = v.where(long[status].astype(str) == "ok")
    return v


def show(v: object) -> str:
    """A value for an error message: numpy scalars as plain Python (2, not np.int64(2))."""
    return repr(v.item() if isinstance(v, np.generic) else v)


def present(long: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The columns of ``columns`` the table has, in order."""
    return [c for c in columns if c in long.columns]


def _parse_shown(text: object, what: str, column: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(x) for x in str(text).split(",") if x.strip() != "")
    except ValueError:
        raise LongTableError(
            f"{what}: column '{column}' must hold comma-separated numbers (e.g. '1,2,3,4,5'), got {text!r}"
        ) from None
    if not vals:
        raise LongTableError(f"{what}: column '{column}' has an empty value list {text!r}")
    return vals


def shown_lists(
    long: pd.DataFrame, shown_values: str, what: str
) -> tuple[pd.Series, dict[str, tuple[float, ...]]]:
    """The ``shown_values`` column as strings plus a dict from each distinct string to its parsed
    values (parsed once per distinct string: a run has a handful, so this is vectorised in effect)."""
    s = long[shown_values].astype(str)
    parsed = {u: _parse_shown(u, what, shown_values) for u in pd.unique(s)}
    return s, parsed


def scale_bounds(
    long: pd.DataFrame,
    *,
    shown_values: str = "shown_values",
    scale_min: float | None = None,
    scale_max: float | None = None,
    what: str = "scale_bounds",
) -> tuple[pd.Series, pd.Series]:
    """Per row, the scale minimum and maximum used for reverse keying and end-point counts.

    Either given (``scale_min`` / ``scale_max``, the same for every row) or, by default, the smallest
    and largest value in the row's ``shown_values`` (the item's full set of options).
    """
    if scale_min is not None and scale_max is not None:
        idx = long.index
        return pd.Series(float(scale_min), index=idx), pd.Series(float(scale_max), index=idx)
    if shown_values not in long.columns:
        raise LongTableError(
            f"{what}: pass scale_min and scale_max, or give the table a "
            f"'{shown_values}' column to take them from"
        )
    s, parsed = shown_lists(long, shown_values, what)
    codes, uniques = pd.factorize(s)  # one lookup per distinct list, then a take
    lo = pd.Series(np.array([min(parsed[u]) for u in uniques], dtype=float)[codes], index=long.index)
    hi = pd.Series(np.array([max(parsed[u]) for u in uniques], dtype=float)[codes], index=long.index)
    if scale_min is not None:
        lo = pd.Series(float(scale_min), index=long.index)
    if scale_max is not None:
        hi = pd.Series(float(scale_max), index=long.index)
    return lo, hi


def keyed_values(long: pd.DataFrame, cols: LongColumns, what: str = "scale_scores") -> pd.Series:
    """Values after reverse keying: ``x`` for forward items, ``min + max - x`` for reverse-keyed ones."""
    value, keyed, status = cols.value, cols.keyed, cols.status
    v = ok_values(long, value, status, what)
    k = numeric_column(long, keyed, what)
    bad = k[~k.isin([1.0, -1.0])]
    if len(bad):
        raise LongTableError(
            f"{what}: column '{keyed}' must be +1 or -1, got {show(long[keyed].loc[bad.index[0]])} "
            f"(row {bad.index[0]!r})"
        )
    if not (k < 0).any():
        return v
    lo, hi = scale_bounds(
        long, shown_values=cols.shown_values, scale_min=cols.scale_min, scale_max=cols.scale_max, what=what
    )
    return v.where(k > 0, lo + hi - v)


# --------------------------------------------------------------------------------------------------
# public API


def item_matrix(
    long: pd.DataFrame,
    *,
    respondent: str = "respondent",
    item: str = "item",
    value: str = "value",
    status: str | None = "status",
    instrument: str | None = None,
    instrument_column: str = "instrument",
) -> pd.DataFrame:
    """The wide item matrix of a long table: one row per respondent, one column per item, raw values.

    ``M[r, j] = value`` of the row with ``respondent == r`` and ``item == j`` (NaN where the item was
    refused, unparsed or not administered). Values are raw (before reverse keying): pass the keys to the
    reliability functions, as with ``psych::alpha(x, keys=)``. Rows and columns keep the order of first
    appearance in the table.

    Parameters
    ----------
    long : the long results table (docs/architecture.md) or any table with the named columns.
    respondent, item, value : column names.
    status : column whose ``ok`` rows are kept (others become NaN); ``None`` keeps every value.
    instrument : keep only this instrument's rows (item ids need only be unique within an instrument).

    Raises
    ------
    LongTableError
        A missing column, a non-numeric value, or an item answered twice by the same respondent
        (e.g. two instruments sharing an item id: pass ``instrument=``).

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats.tidy import item_matrix
    >>> long = pd.DataFrame({"respondent": ["r1", "r1", "r2", "r2"], "item": ["a", "b", "a", "b"],
    ...                      "value": [1.0, 2.0, 3.0, 4.0], "status": ["ok"] * 4})
    >>> item_matrix(long).to_numpy()
    array([[1., 2.],
           [3., 4.]])
    """
    what = "item_matrix"
    require_columns(long, [respondent, item, value], what)
    if instrument is not None:
        require_columns(long, [instrument_column], what)
        long = long[long[instrument_column].astype(str) == str(instrument)]
        if long.empty:
            raise LongTableError(f"{what}: no rows of instrument {instrument!r}")
    v = ok_values(long, value, status, what)
    frame = pd.DataFrame(
        {respondent: long[respondent].to_numpy(), item: long[item].to_numpy(), "__v": v.to_numpy()}
    )
    dup = frame.duplicated([respondent, item])
    if dup.any():
        first = frame[dup].iloc[0]
        hint = (
            " (rows of two runs or tables combined?)"
            if instrument is not None
            else " (item ids shared by two instruments? pass instrument=; or rows of two runs combined?)"
        )
        raise LongTableError(
            f"{what}: respondent {first[respondent]!r} has more than one row for item {first[item]!r}{hint}"
        )
    rows = pd.unique(frame[respondent])
    cols = pd.unique(frame[item])
    wide = frame.pivot(index=respondent, columns=item, values="__v").reindex(index=rows, columns=cols)
    wide.index.name = respondent
    wide.columns.name = item
    return wide.astype(float)


def _per_scale(option: object, scales: pd.Series, name: str, default: object, what: str) -> pd.Series:
    """``option`` (one value, or ``{scale id: value}`` with ``default`` for the others) per row of
    ``scales``."""
    if isinstance(option, Mapping):
        unknown = set(map(str, option)) - set(scales.astype(str))
        if unknown and len(scales):
            raise LongTableError(
                f"{what}: {name} names scale(s) {', '.join(sorted(map(repr, unknown)))} that the table "
                f"does not have (scales: {', '.join(map(str, pd.unique(scales.astype(str))))})"
            )
        mapping = {str(k): v for k, v in option.items()}
        codes, uniques = pd.factorize(scales.astype(str))
        per = np.empty(len(uniques), dtype=object)
        per[:] = [mapping.get(u, default) for u in uniques]
        return pd.Series(per[codes], index=scales.index, dtype=object)
    per = np.empty(len(scales), dtype=object)
    per[:] = [option] * len(scales)
    return pd.Series(per, index=scales.index, dtype=object)


def scale_scores(
    long: pd.DataFrame,
    *,
    respondent: str = "respondent",
    scale: str = "scale",
    instrument: str | None = "instrument",
    value: str = "value",
    keyed: str = "keyed",
    status: str | None = "status",
    shown_values: str = "shown_values",
    factors: Sequence[str] = FACTORS,
    scale_min: float | None = None,
    scale_max: float | None = None,
    item: str = "item",
    method: str | Mapping[str, str] = "mean",
    min_items: int | Mapping[str, int] | None = None,
    offset: float | Mapping[str, float] = 0.0,
) -> pd.DataFrame:
    """Scale scores per respondent: the mean (or sum) of the respondent's items after reverse keying.

    For respondent r and scale s with n_rs rows (items) of which the items I (status ``ok``, a value)
    were answered::

        x*_rj = x_rj if keyed_j = +1, else (min + max) - x_rj
        mean(r, s) = mean_{j in I} x*_rj
        score(r, s) = mean(r, s) + offset_s                                  (method "mean")
        score(r, s) = sum_{j in I} x*_rj + offset_s     if |I| = n_rs         (method "sum")
                    = mean(r, s) * n_rs + offset_s      if |I| < n_rs         (pro-rated sum)
        score(r, s) = NaN                               if |I| < min_items_s

    (psych's ``scoreItems`` / ``alpha`` reverse keying, Revelle 2024; the mean is psych's default
    ``totals = FALSE``, the sum ``totals = TRUE``). Pro-rating from the answered items is the
    person-mean imputation of Schafer & Graham (2002), Psychological Methods 7, 147-177.
    ``min``/``max`` are ``scale_min``/``scale_max`` when given, else the smallest/largest value of the
    row's ``shown_values`` (the item's response options). When the table has an ``item`` column, a
    respondent with two rows for one item is refused (:class:`LongTableError`) rather than averaged.
    This function needs only the long table (it works on human data too);
    :func:`psychometry.scoring.score_long` calls it with each scale's method, offset and minimum from
    the instrument, and adds type letters and norms.

    Parameters
    ----------
    long : the long results table (docs/architecture.md) or any table with the named columns.
    respondent, scale, instrument, value, keyed, status, shown_values, item : column names
        (``instrument=None`` or a table without it: one instrument; ``status=None``: every value counts).
    factors : identifying columns carried to the output (those present).
    scale_min, scale_max : the response scale's end points, when not read from ``shown_values``.
    method : ``"mean"`` (default) or ``"sum"``, or ``{scale id: method}`` (others ``"mean"``).
    min_items : fewest answered items for a score (default 1), or ``{scale id: number}`` (others 1).
    offset : a constant added to the score (default 0), or ``{scale id: offset}`` (others 0).

    Returns
    -------
    DataFrame with one row per (respondent, instrument, scale) in order of first appearance: the
    identifying ``factors`` present in the table (model, persona, template, order, repeat), the
    ``respondent``, ``instrument`` (when the table has one), ``scale``, ``score``, ``n_items`` (answered
    items) and ``n_missing`` (refused / unparsed / missing items). ``score`` is NaN when no item (or
    fewer than ``min_items``) was answered.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats.tidy import scale_scores
    >>> long = pd.DataFrame({"respondent": ["r1", "r1"], "scale": ["E", "E"], "keyed": [1, -1],
    ...                      "value": [5.0, 1.0], "status": ["ok", "ok"], "shown_values": ["1,2,3,4,5"] * 2})
    >>> scale_scores(long)[["respondent", "scale", "score"]]
      respondent scale  score
    0         r1     E    5.0
    >>> # a sum pro-rated from 3 of 4 items: (4 + 5 + (6 - 2)) / 3 * 4
    >>> long = pd.DataFrame({"respondent": "r1", "scale": "E", "keyed": [1, 1, 1, -1],
    ...                      "value": [4.0, 5.0, None, 2.0], "status": ["ok", "ok", "refused", "ok"],
    ...                      "shown_values": "1,2,3,4,5"})
    >>> scale_scores(long, method="sum", min_items=3)[["score", "n_items", "n_missing"]].round(3)
        score  n_items  n_missing
    0  17.333        3          1
    """
    cols = LongColumns(
        respondent=respondent,
        item=item,
        scale=scale,
        instrument=instrument,
        value=value,
        keyed=keyed,
        status=status,
        shown_values=shown_values,
        scale_min=scale_min,
        scale_max=scale_max,
    )
    return score_scales(long, cols, factors=factors, method=method, min_items=min_items, offset=offset)


def score_scales(
    long: pd.DataFrame,
    cols: LongColumns,
    *,
    factors: Sequence[str] = FACTORS,
    method: str | Mapping[str, str] = "mean",
    min_items: int | Mapping[str, int] | None = None,
    offset: float | Mapping[str, float] = 0.0,
) -> pd.DataFrame:
    """:func:`scale_scores` with the columns as a :class:`~psychometry.stats._columns.LongColumns`
    (for the package's own callers)."""
    respondent, scale, instrument, item = cols.respondent, cols.scale, cols.instrument, cols.item
    value, keyed = cols.value, cols.keyed
    what = "scale_scores"
    require_columns(long, [respondent, scale, value, keyed], what)
    if item in long.columns:  # an item answered twice would be averaged silently: refuse it
        ident = (
            [respondent]
            + ([instrument] if instrument is not None and instrument in long.columns else [])
            + [item]
        )
        dup = long.duplicated(ident)
        if dup.any():
            first = long[dup].iloc[0]
            raise LongTableError(
                f"{what}: respondent {first[respondent]!r} has more than one row for item "
                f"{first[item]!r} (rows of two runs or tables combined?)"
            )
    x = keyed_values(long, cols, what)
    keys = (
        [respondent]
        + ([instrument] if instrument is not None and instrument in long.columns else [])
        + [scale]
    )
    facs = [c for c in present(long, factors) if c not in keys]
    frame = long[keys + facs].copy()
    frame["__x"] = x.to_numpy()
    g = frame.groupby(keys, sort=False, dropna=False)
    out = g["__x"].agg(["mean", "sum", "count", "size"]).reset_index()
    n_rows = out.pop("size")
    total = out.pop("sum")
    out = out.rename(columns={"mean": "score", "count": "n_items"})
    out["n_missing"] = n_rows - out["n_items"]
    scales = out[scale]
    how = _per_scale(method, scales, "method", "mean", what)
    given = list(method.values()) if isinstance(method, Mapping) else [method]
    bad = [m for m in given if m not in ("mean", "sum")]
    if bad:
        raise LongTableError(f"{what}: method must be 'mean' or 'sum', got {bad[0]!r}")
    if (how == "sum").any():
        # a complete scale is the exact item sum; a pro-rated one the mean times its number of items
        summed = total.where(out["n_missing"] == 0, out["score"] * n_rows)
        out["score"] = summed.where(how == "sum", out["score"])
    shift = _per_scale(offset, scales, "offset", 0.0, what)
    try:
        shift = shift.astype(float)
    except (TypeError, ValueError):
        raise LongTableError(f"{what}: offset must be a number, got {offset!r}") from None
    if (shift != 0).any():
        out["score"] = out["score"] + shift
    if min_items is not None:
        given_n: list[object] = list(min_items.values()) if isinstance(min_items, Mapping) else [min_items]
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in given_n):
            raise LongTableError(f"{what}: min_items must be whole numbers >= 1, got {min_items!r}")
        need = _per_scale(min_items, scales, "min_items", 1, what)
        out["score"] = out["score"].where(out["n_items"] >= need.astype(int), math.nan)
    out["score"] = out["score"].astype(float)
    if facs:
        first = g[facs].first().reset_index(drop=True)
        out = pd.concat([first, out], axis=1)
    order = facs + keys + ["score", "n_items", "n_missing"]
    return out[order].reset_index(drop=True)
