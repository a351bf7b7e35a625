"""Is a shown position chosen regardless of its content (:func:`position_bias`): chi-square against
uniform; mean option probability per position in logprob mode.

Formulas, references and tests: docs/statistics/robustness.md."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from psychometry.stats._api import Result
from psychometry.stats._rprint import format_frame
from psychometry.stats.tidy import (
    LongTableError,
    ok_values,
    require_columns,
    show,
    shown_lists,
)

from ._shared import (
    _as_list,
    _label,
)


@dataclass(frozen=True)
class PositionBiasResult(Result):
    """How often each shown position is chosen, whatever its content, by order condition.

    Attributes
    ----------
    counts : one row per (by..., n_options, position): ``n`` choices, ``proportion`` of the group's
        answers, and ``mean_prob`` (logprob mode: the mean probability the model gave to the option
        shown at that position; NaN without probabilities).
    tests : one row per (by..., n_options): ``n`` answers, chi-square goodness of fit against a uniform
        choice of position (``chi2``, ``df`` = n_options - 1, ``p``).
    """

    counts: pd.DataFrame = field(repr=False)
    tests: pd.DataFrame = field(repr=False)
    by: tuple[str, ...]

    def proportions(self) -> pd.DataFrame:
        """Proportions as a (by..., n_options) x position table."""
        return self.counts.pivot_table(
            index=list(self.by) + ["n_options"], columns="position", values="proportion", aggfunc="first"
        )

    def to_frame(self) -> pd.DataFrame:
        """The counts: one row per (by..., n_options, position) with ``n``, ``proportion``, ``mean_prob``."""
        return self.counts.copy()

    def summary(self, digits: int = 3) -> str:
        keys = list(self.by) + ["n_options"]
        prop = self.proportions()
        prop.columns = [f"p{int(c)}" for c in prop.columns]
        t = self.tests.set_index(keys)
        show = pd.concat([t[["n"]], prop, t[["chi2", "df", "p"]]], axis=1)
        show.index = [_label(i) for i in show.index]
        lines = [
            "Position bias (psychometry.stats.position_bias)",
            "Proportion of answers at each shown position (p1 = first shown option); "
            "chi-square goodness of fit against uniform",
            "",
            format_frame(show, digits),
        ]
        if self.counts["mean_prob"].notna().any():
            mp = self.counts.pivot_table(index=keys, columns="position", values="mean_prob", aggfunc="first")
            mp.columns = [f"p{int(c)}" for c in mp.columns]
            mp.index = [_label(i) for i in mp.index]
            lines += [
                "",
                "Mean option probability at each shown position (logprob mode)",
                "",
                format_frame(mp, digits),
            ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _missing(value: object) -> bool:
    """A JSON cell that holds nothing: None, NaN, pd.NA or empty text."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (str, bytes)):
        return not value.strip()
    return False


def _decoded(value: object) -> object:
    """A stored JSON field as a Python value: decoded values (dict, list, tuple, array) as they are,
    JSON text (str or bytes) through :func:`json.loads`."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode()
    if isinstance(value, str):
        return json.loads(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _has_value(col: pd.Series) -> np.ndarray:
    """Rows of a JSON column that hold something."""
    return np.fromiter((not _missing(v) for v in col.to_numpy()), dtype=bool, count=len(col))


def _cell(value: object) -> str:
    """A bad cell, shortened for an error message."""
    return repr(value)[:60]


def _probs_matrix(values: np.ndarray, vals: tuple[float, ...], probs: str) -> np.ndarray:
    """Rows x shown positions matrix of probabilities from {scale value: p} cells: dicts (already
    decoded) or their JSON text (:func:`json.loads`); keys may be numbers or numeric strings."""
    out = np.full((len(values), len(vals)), np.nan)
    for i, v in enumerate(values):
        try:
            d = _decoded(v)
            if not isinstance(d, dict):
                raise TypeError
            m = {float(key): math.nan if p is None else float(p) for key, p in d.items()}
        except (ValueError, TypeError, AttributeError):
            raise LongTableError(
                f"position_bias: column '{probs}' must hold JSON {{scale value: probability}} "
                f"(a dict or its JSON text), got {_cell(v)}"
            ) from None
        out[i] = [m.get(x, math.nan) for x in vals]
    return out


def _position_probs(
    long: pd.DataFrame,
    probs: str | None,
    shown: pd.Series,
    parsed: dict[str, tuple[float, ...]],
    position_probs: str | None = None,
) -> pd.DataFrame | None:
    """Rows x positions matrix of option probabilities: from the ``position_probs`` JSON list (one
    probability per shown position) where a row has one, else from the ``probs`` JSON ({value: p};
    exact only when the shown values are distinct)."""
    kmax = max(len(v) for v in parsed.values())
    out = np.full((len(long), kmax), np.nan)
    found = False
    done = np.zeros(len(long), dtype=bool)
    if position_probs is not None and position_probs in long.columns:
        col = long[position_probs]
        mask = _has_value(col)
        if mask.any():
            found = True
            rows = np.flatnonzero(mask)
            texts = col.to_numpy()[rows]
            shown_rows = shown.to_numpy()[rows]
            for sv in pd.unique(shown_rows):
                sel = shown_rows == sv
                k = len(parsed[sv])
                out[rows[sel], :k] = _list_matrix(texts[sel], k, position_probs)
            done = mask
    if probs is not None and probs in long.columns:
        col = long[probs]
        mask = _has_value(col) & ~done
        if mask.any():
            found = True
            pos_rows = np.flatnonzero(mask)
            texts = col.to_numpy()[pos_rows]
            shown_rows = shown.to_numpy()[pos_rows]
            for sv in pd.unique(shown_rows):
                sel = shown_rows == sv
                vals = parsed[sv]
                out[pos_rows[sel], : len(vals)] = _probs_matrix(texts[sel], vals, probs)
    if not found:
        return None
    return pd.DataFrame(out, index=long.index, columns=range(1, kmax + 1))


def _list_matrix(values: np.ndarray, k: int, column: str) -> np.ndarray:
    """Rows x k matrix from cells holding k probabilities, one per shown position: lists (already
    decoded) or their JSON text (:func:`json.loads`); ``null`` is NaN."""
    out = np.full((len(values), k), np.nan)
    for i, v in enumerate(values):
        try:
            row = _decoded(v)
            if not isinstance(row, (list, tuple)) or len(row) != k:
                raise ValueError
            out[i] = [math.nan if x is None else float(x) for x in row]
        except (ValueError, TypeError, AttributeError):
            raise LongTableError(
                f"position_bias: column '{column}' must hold a JSON list of {k} probabilities "
                f"(one per shown position; a list or its JSON text), got {_cell(v)}"
            ) from None
    return out


def position_bias(
    long: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "order",
    position: str = "position",
    shown_values: str = "shown_values",
    status: str | None = "status",
    probs: str | None = "probs",
    position_probs: str | None = "position_probs",
) -> PositionBiasResult:
    """How often each shown position is chosen regardless of content, by order condition.

    For a group (order condition; items with k options) with n_p answers at shown position p
    (p = 1..k, ``status == ok``)::

        proportion_p = n_p / n,   chi2 = sum_p (n_p - n/k)^2 / (n/k)  on k - 1 df

    Pearson's goodness-of-fit test against a uniform choice of position (``scipy.stats.chisquare``;
    R ``chisq.test(counts)``). A model without position bias answers by content, so across balanced
    orders (original / reversed) its position proportions mirror each other; a model that always takes
    the first shown option has proportion 1 at position 1 under every order. In logprob mode,
    ``mean_prob`` is the mean over answers of the probability of the option shown at position p (from
    the ``position_probs`` JSON list, one probability per shown position; rows without it fall back to
    the ``probs`` JSON keyed by scale value and ``shown_values``, which is exact only when the shown
    values are distinct: options sharing a value, as in choice items scored 1/0/1/0, share its summed
    probability), the continuous counterpart (cf. the option-order
    "selection bias" of Zheng et al. 2024, "Large Language Models Are Not Robust Multiple Choice
    Selectors", ICLR; Pezeshkpour & Hruschka 2024, Findings of NAACL).

    Parameters
    ----------
    by : column(s) to break the counts down by (default ``order``); ``None`` pools everything.
    position, shown_values, status, probs, position_probs : column names (``probs`` and
        ``position_probs`` may be absent or ``None``). Their cells may hold the stored JSON text or
        the decoded value (a dict ``{scale value: p}`` for ``probs``, a list of floats for
        ``position_probs``); anything else raises a :class:`~psychometry.errors.StatsInputError`.

    Returns
    -------
    PositionBiasResult: ``counts`` (= ``to_frame()``), ``tests``, ``proportions()``, ``summary()``.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import position_bias
    >>> long = pd.DataFrame({"order": ["original"] * 6 + ["reversed"] * 6, "status": "ok",
    ...                      "shown_values": ["1,2,3", "1,2,3"] * 3 + ["3,2,1", "3,2,1"] * 3,
    ...                      "position": [1, 1, 1, 1, 2, 3, 1, 1, 1, 2, 1, 3],
    ...                      "probs": [{1: 0.6, 2: 0.3, 3: 0.1}] * 6 + ['{"1": 0.2, "2": 0.3, "3": 0.5}'] * 6})
    >>> pb = position_bias(long)
    >>> pb.tests.round(4)
          order  n_options  n  chi2  df       p
    0  original          3  6   3.0   2  0.2231
    1  reversed          3  6   3.0   2  0.2231
    >>> pb.to_frame()[["order", "position", "proportion", "mean_prob"]].round(3)
          order  position  proportion  mean_prob
    0  original         1       0.667        0.6
    1  original         2       0.167        0.3
    2  original         3       0.167        0.1
    3  reversed         1       0.667        0.5
    4  reversed         2       0.167        0.3
    5  reversed         3       0.167        0.2
    """
    what = "position_bias"
    by_ = _as_list(by)
    require_columns(long, by_ + [position, shown_values], what)
    if long.empty:
        raise LongTableError(f"{what}: the long table has no rows")
    pos = ok_values(long, position, status, what)
    shown, parsed = shown_lists(long, shown_values, what)
    k = shown.map({s: len(v) for s, v in parsed.items()}).astype(int)
    bad = pos.notna() & ((pos < 1) | (pos > k) | (pos != np.round(pos)))
    if bad.any():
        i = bad[bad].index[0]
        raise LongTableError(
            f"{what}: column '{position}' must be a 1-based position among the "
            f"{k.loc[i]} shown options, got {show(long[position].loc[i])} (row {i!r})"
        )
    keys = by_ + ["n_options"]
    frame = long[by_].copy() if by_ else pd.DataFrame(index=long.index)
    frame["n_options"] = k.to_numpy()
    frame["position"] = pos.to_numpy()
    answered = frame.dropna(subset=["position"])
    if answered.empty:
        raise LongTableError(f"{what}: no answered rows (status 'ok' with a '{position}')")
    answered = answered.astype({"position": int})
    cnt = answered.groupby(keys + ["position"], sort=True, dropna=False).size().rename("n")
    # every position 1..k of every group, zero counts included
    grp = answered[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    full = grp.loc[grp.index.repeat(grp["n_options"])].reset_index(drop=True)
    full["position"] = full.groupby(keys, sort=False, dropna=False).cumcount() + 1
    counts = full.merge(cnt.reset_index(), on=keys + ["position"], how="left")
    counts["n"] = counts["n"].fillna(0).astype(int)
    total = counts.groupby(keys, sort=False, dropna=False)["n"].transform("sum")
    counts["proportion"] = counts["n"] / total
    counts["mean_prob"] = math.nan
    if (probs is not None and probs in long.columns) or (
        position_probs is not None and position_probs in long.columns
    ):
        pm = _position_probs(long, probs, shown, parsed, position_probs)
        if pm is not None:
            pf = pd.concat([frame[keys], pm], axis=1)
            pf = pf[pm.notna().any(axis=1)]
            mp = pf.groupby(keys, sort=True, dropna=False)[list(pm.columns)].mean()
            mp = mp.stack().rename("__mp").reset_index().rename(columns={f"level_{len(keys)}": "position"})
            mp.columns = keys + ["position", "__mp"]
            counts = counts.merge(mp, on=keys + ["position"], how="left")
            counts["mean_prob"] = counts.pop("__mp")
    tests = []
    for key, g in counts.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        obs = g["n"].to_numpy(dtype=float)
        n = obs.sum()
        if len(obs) >= 2 and n > 0:
            c = _st.chisquare(obs)
            chi2, p = float(c.statistic), float(c.pvalue)
        else:
            chi2, p = math.nan, math.nan
        tests.append({**dict(zip(keys, key)), "n": int(n), "chi2": chi2, "df": len(obs) - 1, "p": p})
    return PositionBiasResult(
        counts=counts[keys + ["position", "n", "proportion", "mean_prob"]],
        tests=pd.DataFrame(tests, columns=keys + ["n", "chi2", "df", "p"]),
        by=tuple(by_),
    )
