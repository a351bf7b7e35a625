"""Internal consistency and agreement: Cronbach's alpha (as ``psych::alpha``), split-half
reliability (as ``psych::splitHalf``, plus the classic Spearman-Brown halves) and intraclass
correlations (a thin wrapper over :func:`pingouin.intraclass_corr`).

All functions take a wide DataFrame (one row per respondent, one column per item) and return a frozen
result object with the numbers as attributes, ``to_frame()`` and ``summary()`` printed like R.
Formulas, references and the tests that check each number: docs/statistics/reliability.md.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import pandas as pd
from scipy import stats as _st

from psychometry.errors import StatsInputError
from psychometry.stats._rprint import fmt_number, format_frame, format_frame_signif

from ._api import Result
from ._linalg import cov2cor, lower_triangle, numeric_items, smc

__all__ = ["AlphaResult", "ICCResult", "ReliabilityError", "SplitHalfResult", "alpha", "icc", "splithalf"]

Keys = Union[None, Sequence[str], Sequence[int], Mapping[str, int]]  # noqa: UP007


class ReliabilityError(StatsInputError):
    """Bad input to a reliability function (names the item or argument at fault)."""


# --------------------------------------------------------------------------------------------------
# input handling shared by alpha / splithalf / omega


def _numeric_items(items: object, what: str = "items") -> pd.DataFrame:
    """Check a wide item DataFrame and return it as float columns (NaN = missing)."""
    return numeric_items(items, what, error=ReliabilityError)


def _key_vector(columns: Sequence[str], keys: Keys) -> np.ndarray:
    """+1/-1 per item from psych-style ``keys``: names to reverse (a leading '-' is allowed),
    a {name: +1/-1} mapping, or one +1/-1 number per item."""
    k = len(columns)
    vec = np.ones(k)
    if keys is None:
        return vec
    if isinstance(keys, str):
        keys = [keys]
    if isinstance(keys, Mapping):
        for name, sign in keys.items():
            if str(name) not in columns:
                raise ReliabilityError(f"keys: item '{name}' is not one of the item columns")
            if sign not in (1, -1):
                raise ReliabilityError(f"keys: item '{name}' must be +1 or -1, got {sign!r}")
            vec[list(columns).index(str(name))] = sign
        return vec
    key_list: list[object] = list(keys)
    if key_list and all(
        isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) for x in key_list
    ):
        if len(key_list) != k or any(x not in (1, -1) for x in key_list):
            raise ReliabilityError(
                f"keys: a numeric keys vector needs one +1/-1 per item ({k} items), got {key_list}"
            )
        return np.asarray(key_list, dtype=float)
    for key in key_list:
        name = str(key)
        bare = name[1:] if name.startswith("-") and name[1:] in columns else name
        if bare not in columns:
            raise ReliabilityError(
                f"keys: item '{name}' is not one of the item columns ({', '.join(columns)})"
            )
        vec[list(columns).index(bare)] = -1
    return vec


def reverse_items(
    items: pd.DataFrame, keys: Keys, *, mini: float | None = None, maxi: float | None = None
) -> pd.DataFrame:
    """Reverse the keyed items: x -> (maxi + mini) - x.

    By default ``mini`` and ``maxi`` are the smallest and largest value over all items of the call
    (not per item), as ``psych::alpha`` does; pass the response scale's bounds (e.g. 1 and 5), as
    ``psych::reverse.code(keys, items, mini, maxi)`` allows, to reverse on the scale itself. With
    fixed bounds, reversing twice is the identity; with bounds taken from the data it is only when
    the reversal leaves the data's range unchanged.
    """
    df = _numeric_items(items)
    vec = _key_vector(list(df.columns), keys)
    if (vec < 0).any():
        lo = np.nanmin(df.to_numpy()) if mini is None else float(mini)
        hi = np.nanmax(df.to_numpy()) if maxi is None else float(maxi)
        for j in np.flatnonzero(vec < 0).tolist():
            col = df.columns[j]
            df[col] = (hi + lo) - df[col]
    return df


# --------------------------------------------------------------------------------------------------
# alpha


def _alpha_core(C: np.ndarray, R: np.ndarray) -> dict[str, float]:
    """psych's internal alpha.1: the statistics of one set of items from C and R."""
    with np.errstate(all="ignore"):  # degenerate sets give NaN/Inf as in R, not an exception
        return _alpha_core_unguarded(C, R)


def _alpha_core_unguarded(C: np.ndarray, R: np.ndarray) -> dict[str, float]:
    k = C.shape[0]
    total = C.sum()
    raw = (1 - np.trace(C) / total) * k / (k - 1)
    sum_r = R.sum()
    std = (1 - k / sum_r) * k / (k - 1)
    g6 = 1 - (k - smc(R).sum()) / sum_r
    av_r = (sum_r - k) / (k * (k - 1))
    low = lower_triangle(R)
    var_r = float(np.var(low, ddof=1)) if low.size > 1 else math.nan
    med_r = float(np.median(low))
    sn = k * av_r / (1 - av_r)
    CC = C @ C
    q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (
        total * (np.trace(CC) + np.trace(C) ** 2) - 2 * np.trace(C) * CC.sum()
    )
    return dict(raw=raw, std=std, g6=g6, av_r=av_r, sn=sn, q=q, var_r=var_r, med_r=med_r)


def _response_frequencies(x: pd.DataFrame, max_categories: int = 10) -> pd.DataFrame | None:
    """psych::response.frequencies: share of each response among the non-missing answers, plus the
    share missing ('miss'), for items with at most ``max_categories`` distinct values. Values equal
    to 12 decimals (floating-point noise, e.g. probability-weighted answers) count as one category."""
    x = x.round(12)
    rng = x.max() - x.min()
    sel = x.loc[:, rng < max_categories + 1]
    if sel.shape[1] == 0:
        return None
    values = np.unique(sel.to_numpy()[~np.isnan(sel.to_numpy())])
    if (
        (rng > max_categories).all()
        or sel.iloc[:, 0].nunique() > max_categories
        or len(values) > max_categories
    ):
        return None
    rows = {}
    for col in sel.columns:
        s = sel[col].dropna()
        counts = s.value_counts().reindex(values, fill_value=0).astype(float)
        freq = counts / len(s) if len(s) else counts * np.nan
        freq["miss"] = 1 - len(s) / len(sel)
        rows[col] = freq
    out = pd.DataFrame(rows).T
    labels = [fmt_number(float(v), 7) if isinstance(v, (float, np.floating)) else str(v) for v in out.columns]
    if len(set(labels)) < len(labels):  # values that differ beyond 7 digits: label them in full
        labels = [f"{v:.15g}" if isinstance(v, (float, np.floating)) else str(v) for v in out.columns]
    out.columns = labels
    return out


@dataclass(frozen=True)
class AlphaResult(Result):
    """Cronbach's alpha and the item analysis of ``psych::alpha`` (see :func:`alpha`).

    ``feldt`` and ``duhachek`` are alpha's 95% intervals (lower, upper); ``n`` is the number of
    respondents (complete ones with ``na="listwise"``).
    """

    raw_alpha: float
    std_alpha: float
    g6: float
    average_r: float
    signal_noise: float
    ase: float
    mean: float
    sd: float
    median_r: float
    feldt: tuple[float, float]
    duhachek: tuple[float, float]
    n: int
    n_items: int
    keys: dict[str, int]
    na: str
    alpha_drop: pd.DataFrame = field(repr=False)
    item_stats: pd.DataFrame = field(repr=False)
    response_freq: pd.DataFrame | None = field(repr=False)
    scores: pd.Series = field(repr=False)
    dropped_items: tuple[str, ...] = ()
    negative_items: tuple[str, ...] = ()
    call: str = "alpha(items)"

    def to_frame(self) -> pd.DataFrame:
        """One row: ``alpha`` (psych's raw_alpha) with its Feldt interval (``alpha_ci_low``,
        ``alpha_ci_high``) and its Duhachek interval (``alpha_duhachek_ci_low``/``_ci_high``),
        ``std_alpha``, ``g6`` (G6(smc)), ``average_r``, ``signal_noise`` (S/N), ``ase``, ``mean``,
        ``sd``, ``median_r``, ``n`` and ``n_items``."""
        df = pd.DataFrame(
            [
                {
                    "alpha": self.raw_alpha,
                    "alpha_ci_low": self.feldt[0],
                    "alpha_ci_high": self.feldt[1],
                    "alpha_duhachek_ci_low": self.duhachek[0],
                    "alpha_duhachek_ci_high": self.duhachek[1],
                    "std_alpha": self.std_alpha,
                    "g6": self.g6,
                    "average_r": self.average_r,
                    "signal_noise": self.signal_noise,
                    "ase": self.ase,
                    "mean": self.mean,
                    "sd": self.sd,
                    "median_r": self.median_r,
                    "n": self.n,
                    "n_items": self.n_items,
                }
            ],
            index=[""],
        )
        return df

    def _psych_total(self) -> pd.DataFrame:
        """psych's printed summary row, with psych's column names."""
        return pd.DataFrame(
            [
                {
                    "raw_alpha": self.raw_alpha,
                    "std.alpha": self.std_alpha,
                    "G6(smc)": self.g6,
                    "average_r": self.average_r,
                    "S/N": self.signal_noise,
                    "ase": self.ase,
                    "mean": self.mean,
                    "sd": self.sd,
                    "median_r": self.median_r,
                }
            ],
            index=[""],
        )

    def confidence_intervals(self) -> pd.DataFrame:
        """95% confidence boundaries: Feldt and Duhachek rows (lower, alpha, upper)."""
        return pd.DataFrame(
            [
                [self.feldt[0], self.raw_alpha, self.feldt[1]],
                [self.duhachek[0], self.raw_alpha, self.duhachek[1]],
            ],
            index=["Feldt", "Duhachek"],
            columns=["lower", "alpha", "upper"],
        )

    def summary(self, digits: int = 2) -> str:
        """The blocks of psych's ``print(alpha(...))``, with ``digits`` significant digits."""
        lines = ["", "Reliability analysis   ", f"Call: {self.call}", ""]
        lines.append(" " + format_frame_signif(self._psych_total(), digits))
        lines += ["", "    95% confidence boundaries "]
        lines.append(format_frame(self.confidence_intervals().round(digits), 7))
        lines += ["", " Reliability if an item is dropped:"]
        lines.append(format_frame_signif(self.alpha_drop, digits))
        lines += ["", " Item statistics "]
        lines.append(format_frame_signif(self.item_stats, digits))
        if self.response_freq is not None:
            lines += ["", "Non missing response frequency for each item"]
            lines.append(format_frame(self.response_freq.round(digits), 7))
        notes = []
        if self.na == "pairwise":
            notes.append(
                "Covariances and correlations use pairwise complete observations (psych's "
                "use = \"pairwise\"); the scale score is the mean of the answered items."
            )
        else:
            notes.append(f"Listwise deletion: {self.n} complete respondents.")
        if self.dropped_items:
            notes.append(
                f"Items without variance were dropped (still counted in the score): "
                f"{', '.join(self.dropped_items)}."
            )
        if self.negative_items:
            notes.append(
                f"Items ({', '.join(self.negative_items)}) correlate negatively with the total "
                f"scale and probably should be reversed (keys=)."
            )
        return "\n".join(lines + [""] + notes)

    def __str__(self) -> str:
        return self.summary()


def alpha(
    data: pd.DataFrame, *, keys: Keys = None, na: str = "pairwise", max_categories: int = 10
) -> AlphaResult:
    r"""Cronbach's alpha with psych's item analysis (equal to R's ``psych::alpha(items, keys)``).

    With C the item covariance matrix (n-1 divisor), R the correlation matrix and k items:

    .. math::

        \alpha = \frac{k}{k-1}\left(1 - \frac{\mathrm{tr}\,C}{1'C1}\right),\qquad
        \alpha_{std} = \frac{k}{k-1}\left(1 - \frac{k}{1'R1}\right),\qquad
        G6 = 1 - \frac{k - \sum_j smc_j}{1'R1}

    average_r = (1'R1 - k)/(k(k-1)), S/N = k r/(1-r), ase (Duhachek & Iacobucci 2004, Hattori 2016):
    :math:`Q = \frac{2k^2}{(k-1)^2(1'C1)^3}[1'C1(\mathrm{tr}(C^2) + \mathrm{tr}(C)^2) - 2\,\mathrm{tr}(C)\,1'C^21]`,
    ase = sqrt(Q/n); Duhachek interval alpha +- 1.96 ase; Feldt interval
    1 - (1-alpha) F^{-1}(0.975 / 0.025; n-1, (n-1)(k-1)). Item statistics: raw.r = cor(item, score),
    std.r = colSums(R)/sqrt(1'R1), r.cor the same with smc on the diagonal, r.drop = item-rest
    correlation. The score is the row mean of the (reverse-keyed) items.

    Parameters
    ----------
    data : DataFrame, one row per respondent, one numeric column per item (NaN = missing).
    keys : items to reverse: a list of names (``["A1"]``), a ``{name: +1/-1}`` mapping, or one
        +1/-1 per item (psych's ``keys=``). Reversal is (max + min) - x with max/min over all items.
    na : ``"pairwise"`` (default, as psych: pairwise complete covariances, scores = mean of the
        answered items) or ``"listwise"`` (drop every respondent with a missing answer first).
    max_categories : response frequencies are shown for items with at most this many categories.

    References
    ----------
    Cronbach (1951) Psychometrika 16, 297-334; Guttman (1945) Psychometrika 10, 255-282;
    Feldt, Woodruff & Salih (1987) Appl. Psych. Meas. 11, 93-103; Duhachek & Iacobucci (2004)
    J. Appl. Psychol. 89, 792-808; Revelle, psych::alpha (R package psych 2.2.9).

    Examples
    --------
    >>> import pandas as pd, psychometry.stats as s
    >>> att = pd.read_csv("tests/data/attitude.csv")
    >>> res = s.alpha(att)
    >>> round(res.raw_alpha, 2), [round(v, 2) for v in res.feldt]
    (0.84, [0.74, 0.92])
    >>> small = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 5, 4], "q3": [5, 4, 3, 2, 2]})
    >>> round(s.alpha(small, keys=["q3"]).raw_alpha, 3)
    0.964
    """
    if na not in ("pairwise", "listwise"):
        raise ReliabilityError(f"na: expected 'pairwise' or 'listwise', got {na!r}")
    x = _numeric_items(data)
    if na == "listwise":
        x = x.dropna()
        if len(x) < 2:
            raise ReliabilityError("na='listwise': fewer than 2 respondents answered every item")
    kvec_all = _key_vector(list(x.columns), keys)
    n_sub = len(x)

    sds = x.std()
    bad = [c for c in x.columns if not (sds[c] > 0)]
    first_bad = x.loc[x.index[0], bad].to_numpy() if bad else np.zeros(0)
    if bad:
        for c in bad:
            warnings.warn(
                f"Item = {c} had no variance and was deleted but still is counted in the score", stacklevel=2
            )
        keep = [c not in bad for c in x.columns]
        x = x.loc[:, keep]
        kvec = kvec_all[keep]
    else:
        kvec = kvec_all
    if x.shape[1] < 2:
        raise ReliabilityError(
            "alpha: fewer than 2 items with variance" + (f" (constant: {', '.join(bad)})" if bad else "")
        )
    response_freq = _response_frequencies(x, max_categories)
    C0 = x.cov().to_numpy()
    if np.isnan(C0).any():
        i, j = np.argwhere(np.isnan(C0))[0]
        raise ReliabilityError(
            f"alpha: items '{x.columns[i]}' and '{x.columns[j]}' have no respondents "
            f"in common; their covariance is undefined"
        )

    # psych warns when some first-principal-component loadings are negative and no keys were given
    negative: tuple[str, ...] = ()
    if keys is None:
        _vals, vecs = np.linalg.eigh(cov2cor(C0))
        v1 = vecs[:, -1] * np.sign(vecs[:, -1].sum() or 1.0)
        if (v1 < 0).any():
            negative = tuple(str(c) for c, v in zip(x.columns, v1) if v < 0)
            warnings.warn(
                f"Some items ({' '.join(negative)}) were negatively correlated with the total "
                f"scale and probably should be reversed (keys=)",
                stacklevel=2,
            )

    D = np.diag(kvec)
    C = D @ C0 @ D
    names = [c + ("-" if s < 0 else "") for c, s in zip(x.columns, kvec)]
    if (kvec < 0).any():
        arr = x.to_numpy()
        adjust = np.nanmax(arr) + np.nanmin(arr)
        for j in np.flatnonzero(kvec < 0).tolist():
            col = x.columns[j]
            x[col] = adjust - x[col]
    k = x.shape[1]
    if bad:
        total = (k * x.mean(axis=1) + float(np.nansum(first_bad))) / (k + len(bad))
    else:
        total = x.mean(axis=1)
    R = cov2cor(C)
    tot = _alpha_core(C, R)

    # reliability if an item is dropped
    rows = []
    if k > 2:
        for i in range(k):
            idx = [j for j in range(k) if j != i]
            d = _alpha_core(C[np.ix_(idx, idx)], R[np.ix_(idx, idx)])
            rows.append([d["raw"], d["std"], d["g6"], d["av_r"], d["sn"], d["q"], d["var_r"], d["med_r"]])
    else:
        r12 = R[0, 1]
        smc1 = smc(R)[0]
        rows.append([C[0, 1] / C[1, 1], r12, smc1, r12, r12 / (1 - r12), math.nan, 0.0, r12])
        rows.append([C[0, 1] / C[0, 0], r12, smc1, r12, r12 / (1 - r12), math.nan, 0.0, r12])
    drop = pd.DataFrame(
        rows,
        index=names,
        columns=["raw_alpha", "std.alpha", "G6(smc)", "average_r", "S/N", "alpha se", "var.r", "med.r"],
    )
    if n_sub > k:
        with np.errstate(invalid="ignore"):
            drop["alpha se"] = np.sqrt(drop["alpha se"] / n_sub)
    else:
        drop = drop.drop(columns="alpha se")

    # item statistics
    v_t = R.sum()
    RC = R.copy()
    np.fill_diagonal(RC, smc(R))
    with np.errstate(invalid="ignore", divide="ignore"):
        std_r = R.sum(axis=0) / np.sqrt(v_t)
        r_cor = RC.sum(axis=0) / np.sqrt(RC.sum())
    r_drop = np.empty(k)
    for i in range(k):
        idx = [j for j in range(k) if j != i]
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN (as R) for a degenerate rest score
            r_drop[i] = (C[:, i].sum() - C[i, i]) / np.sqrt(C[i, i] * C[np.ix_(idx, idx)].sum())
    raw_r = np.array([total.corr(x.iloc[:, j]) for j in range(k)])
    item_stats = pd.DataFrame(
        {
            "n": x.notna().sum().to_numpy().astype(float),
            "raw.r": raw_r,
            "std.r": std_r,
            "r.cor": r_cor,
            "r.drop": r_drop,
            "mean": x.mean().to_numpy(),
            "sd": x.std().to_numpy(),
        },
        index=names,
    )

    raw_a = float(tot["raw"])
    ase = float(np.sqrt(tot["q"] / n_sub)) if tot["q"] >= 0 else math.nan
    df1, df2 = n_sub - 1, (n_sub - 1) * (k - 1)
    feldt = (1 - (1 - raw_a) * _st.f.ppf(0.975, df1, df2), 1 - (1 - raw_a) * _st.f.ppf(0.025, df1, df2))
    key_map = {c: int(s) for c, s in zip(x.columns, kvec)}
    rev = [c for c, s in key_map.items() if s < 0]
    call = (
        "alpha(items" + (f", keys={rev}" if rev else "") + (f", na={na!r}" if na != "pairwise" else "") + ")"
    )
    return AlphaResult(
        raw_alpha=raw_a,
        std_alpha=float(tot["std"]),
        g6=float(tot["g6"]),
        average_r=float(tot["av_r"]),
        signal_noise=float(tot["sn"]),
        ase=ase,
        mean=float(total.mean()),
        sd=float(total.std()),
        median_r=float(tot["med_r"]),
        feldt=(float(feldt[0]), float(feldt[1])),
        duhachek=(raw_a - 1.96 * ase, raw_a + 1.96 * ase),
        n=n_sub,
        n_items=k,
        keys=key_map,
        na=na,
        alpha_drop=drop,
        item_stats=item_stats,
        response_freq=response_freq,
        scores=total,
        dropped_items=tuple(bad),
        negative_items=negative,
        call=call,
    )


# --------------------------------------------------------------------------------------------------
# split-half


@dataclass(frozen=True)
class SplitHalfResult(Result):
    """Split-half reliabilities (see :func:`splithalf`)."""

    first_second: float
    odd_even: float
    max_split: float
    min_split: float
    mean_split: float
    n_splits: int
    exhaustive: bool
    best_split: tuple[tuple[str, ...], tuple[str, ...]]
    worst_split: tuple[tuple[str, ...], tuple[str, ...]]
    alpha: float
    lambda2: float
    lambda6: float
    average_r: float
    median_r: float
    n: int
    n_items: int

    def to_frame(self) -> pd.DataFrame:
        """One row: the split-half coefficients (first_second, odd_even, max_split, min_split,
        mean_split), alpha, lambda2, lambda6, average_r, median_r, n, n_items."""
        df = pd.DataFrame(
            [
                {
                    "first_second": self.first_second,
                    "odd_even": self.odd_even,
                    "max_split": self.max_split,
                    "min_split": self.min_split,
                    "mean_split": self.mean_split,
                    "alpha": self.alpha,
                    "lambda2": self.lambda2,
                    "lambda6": self.lambda6,
                    "average_r": self.average_r,
                    "median_r": self.median_r,
                    "n": self.n,
                    "n_items": self.n_items,
                }
            ],
            index=[""],
        )
        return df

    def summary(self, digits: int = 2) -> str:
        f = lambda v: fmt_number(v, digits)  # noqa: E731
        how = "all" if self.exhaustive else "a random sample of"
        lines = [
            "Split half reliabilities  ",
            f"Call: splithalf(items)  [{self.n_items} items, {self.n} respondents]",
            "",
            f"Spearman-Brown, first/second half      = {f(self.first_second)}",
            f"Spearman-Brown, odd/even items         = {f(self.odd_even)}",
            "",
            f"Maximum split half reliability (lambda 4) =  {f(self.max_split)}",
            f"Guttman lambda 6                          =  {f(self.lambda6)}",
            f"Average split half reliability            =  {f(self.mean_split)}",
            f"Guttman lambda 3 (alpha)                  =  {f(self.alpha)}",
            f"Guttman lambda 2                          =  {f(self.lambda2)}",
            f"Minimum split half reliability  (beta)    =  {f(self.min_split)}",
            f"Average interitem r =  {f(self.average_r)}  with median =  {f(self.median_r)}",
            "",
            f"Best split:  {' '.join(self.best_split[0])} | {' '.join(self.best_split[1])}",
            f"Over {how} {self.n_splits} distinct splits into halves (Guttman's 4 r_AB / 1'R1 on "
            f"standardised items).",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _sb(a: np.ndarray, b: np.ndarray, C: np.ndarray) -> float:
    """Spearman-Brown corrected correlation of the two half sums (weights a, b) under covariance C."""
    r = (a @ C @ b) / math.sqrt((a @ C @ a) * (b @ C @ b))
    return 2 * r / (1 + r)


def splithalf(
    data: pd.DataFrame, *, keys: Keys = None, n_sample: int = 10000, seed: int = 0
) -> SplitHalfResult:
    r"""Split-half reliability.

    * ``first_second`` and ``odd_even``: the correlation r of the two half sums (first
      ceil(k/2) items vs the rest; items 1, 3, 5, ... vs 2, 4, ...), Spearman-Brown corrected,
      2r/(1+r), computed from the pairwise item covariance matrix of the reverse-keyed items.
    * ``max_split`` (Guttman's lambda 4), ``min_split`` (Revelle's beta estimate) and ``mean_split``
      over the splits into halves of floor(k/2) and ceil(k/2) items, each scored as psych's
      ``splitHalf`` does: 4 r_AB / 1'R1 on the correlation matrix R (standardised items), with
      r_AB = a'Rb. All distinct splits are enumerated when there are at most ``n_sample`` of them,
      otherwise ``n_sample`` random splits (seeded) are drawn.
    * ``alpha`` (lambda 3), ``lambda2`` and ``lambda6`` of the standardised items, as splitHalf.

    Difference from R: for odd k, ``psych::splitHalf`` enumerates only the first
    choose(k, floor(k/2))/2 combinations (and divides the sum by that non-integer count), i.e. about
    half of the distinct splits; we use all of them. For even k the results are identical.

    ``data`` is a wide item table (one row per respondent, one column per item); ``keys`` reverses
    items as in :func:`alpha`.

    References: Spearman (1910), Brown (1910) Brit. J. Psychol. 3; Guttman (1945) Psychometrika 10,
    255-282; Revelle (1979) Multivariate Behav. Res. 14, 57-74; psych::splitHalf.

    Examples
    --------
    >>> import pandas as pd, psychometry.stats as s
    >>> att = pd.read_csv("tests/data/attitude.csv").iloc[:, :6]
    >>> res = s.splithalf(att)
    >>> round(res.max_split, 2), round(res.mean_split, 2), res.n_splits
    (0.91, 0.83, 10)
    """
    x = reverse_items(data, keys)
    cols = list(x.columns)
    k = len(cols)
    C = x.cov().to_numpy()
    if np.isnan(C).any():
        raise ReliabilityError("splithalf: some item pairs have no respondents in common")
    first = np.array([1.0 if i < math.ceil(k / 2) else 0.0 for i in range(k)])
    odd = np.array([1.0 if i % 2 == 0 else 0.0 for i in range(k)])
    fs, oe = _sb(first, 1 - first, C), _sb(odd, 1 - odd, C)

    R = cov2cor(C)
    sum_r = R.sum()
    sum_off = sum_r - np.trace(R)
    off = R - np.diag(np.diag(R))
    alpha_ = sum_off / sum_r * k / (k - 1)
    lambda2 = (sum_off + math.sqrt((off**2).sum() * k / (k - 1))) / sum_r
    lambda6 = (sum_off + smc(R).sum()) / sum_r

    m = k // 2
    total_splits = math.comb(k, m) // (2 if 2 * m == k else 1)
    if total_splits <= n_sample:
        halves: Iterable[tuple[int, ...]] = itertools.combinations(range(k), m)
        if 2 * m == k:  # each split once: the half that contains the first item
            halves = (c for c in halves if c[0] == 0)
        splits = np.array([[1.0 if i in h else 0.0 for i in range(k)] for h in halves])
        exhaustive = True
    else:
        rng = np.random.default_rng(seed)
        splits = np.zeros((n_sample, k))
        for s in range(n_sample):
            splits[s, rng.choice(k, m, replace=False)] = 1.0
        exhaustive = False
    rab = 4 * np.einsum("si,ij,sj->s", splits, R, 1 - splits) / sum_r
    best, worst = int(np.argmax(rab)), int(np.argmin(rab))

    def halves_of(w: np.ndarray) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (tuple(c for c, v in zip(cols, w) if v), tuple(c for c, v in zip(cols, w) if not v))

    low = lower_triangle(R)
    return SplitHalfResult(
        first_second=float(fs),
        odd_even=float(oe),
        max_split=float(rab[best]),
        min_split=float(rab[worst]),
        mean_split=float(rab.mean()),
        n_splits=len(rab),
        exhaustive=exhaustive,
        best_split=halves_of(splits[best]),
        worst_split=halves_of(splits[worst]),
        alpha=float(alpha_),
        lambda2=float(lambda2),
        lambda6=float(lambda6),
        average_r=float(low.mean()),
        median_r=float(np.median(low)),
        n=len(x),
        n_items=k,
    )


# --------------------------------------------------------------------------------------------------
# ICC (pingouin)

_ICC_MEANING = {
    "ICC1": "one-way random effects, absolute agreement, single rater",
    "ICC2": "two-way random effects, absolute agreement, single rater",
    "ICC3": "two-way mixed effects, consistency, single rater",
    "ICC1k": "one-way random effects, absolute agreement, mean of k raters",
    "ICC2k": "two-way random effects, absolute agreement, mean of k raters",
    "ICC3k": "two-way mixed effects, consistency, mean of k raters",
}


_MCGRAW_WONG = {
    "ICC(1,1)": "ICC1",
    "ICC(A,1)": "ICC2",
    "ICC(C,1)": "ICC3",
    "ICC(1,k)": "ICC1k",
    "ICC(A,k)": "ICC2k",
    "ICC(C,k)": "ICC3k",
}


@dataclass(frozen=True)
class ICCResult(Result):
    """Intraclass correlations of :func:`pingouin.intraclass_corr`, with the recommended form.

    ``table`` is pingouin's table (indexed by the Shrout & Fleiss form, with its ``CI95`` column);
    ``to_frame()`` is the same table in the column vocabulary of docs/api.md.
    """

    table: pd.DataFrame = field(repr=False)
    recommended: str
    reason: str
    n_targets: int
    n_raters: int

    @property
    def value(self) -> float:
        """The recommended ICC."""
        return float(self.table["ICC"][self.recommended])

    def __getitem__(self, form: str) -> float:
        form = _MCGRAW_WONG.get(form, form)
        if form not in self.table.index:
            raise ReliabilityError(f"icc: unknown form {form!r}; one of {', '.join(self.table.index)}")
        return float(self.table["ICC"][form])

    def to_frame(self) -> pd.DataFrame:
        """One row per form (index: ICC1 ... ICC3k): ``icc``, ``icc_ci_low``,
        ``icc_ci_high`` (pingouin's 95% interval), the F test (``statistic``, ``df1``, ``df2``,
        ``p``) and ``mcgraw_wong`` (McGraw & Wong's name of the form)."""
        t = self.table
        df = pd.DataFrame(
            {
                "icc": t["ICC"].astype(float),
                "icc_ci_low": [float(ci[0]) for ci in t["CI95"]],
                "icc_ci_high": [float(ci[1]) for ci in t["CI95"]],
                "statistic": t["F"].astype(float),
                "df1": t["df1"],
                "df2": t["df2"],
                "p": t["pval"].astype(float),
                "mcgraw_wong": t["McGraw-Wong"],
            },
            index=t.index,
        )
        return df

    def summary(self, digits: int = 2) -> str:
        t = self.table[["ICC", "F", "df1", "df2", "pval"]].copy()
        t["lower bound"] = [ci[0] for ci in self.table["CI95"]]
        t["upper bound"] = [ci[1] for ci in self.table["CI95"]]
        lines = [
            "Intraclass correlation coefficients (pingouin.intraclass_corr; Shrout & Fleiss 1979)",
            f"Targets = {self.n_targets}   Raters = {self.n_raters}",
            "",
            format_frame_signif(t, digits + 1),
            "",
        ]
        mw = {v: k for k, v in _MCGRAW_WONG.items()}
        lines += [f"  {form:<5} = {mw[form]:<8} {desc}" for form, desc in _ICC_MEANING.items()]
        lines += ["", f"Recommended: {self.recommended} = {fmt_number(self.value, digits)} ({self.reason})"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def icc(
    data: pd.DataFrame,
    *,
    targets: str,
    raters: str,
    ratings: str,
    average: bool = False,
    nan_policy: str = "raise",
) -> ICCResult:
    r"""Intraclass correlations (all six Shrout & Fleiss forms) via :func:`pingouin.intraclass_corr`.

    ``data`` is long: one row per (target, rater) with the rating. For test-retest or inter-template
    agreement (targets = respondents or items, raters = sessions or prompt templates, which stand for
    the population of possible ones) the recommended form is ICC2, two-way random effects with absolute
    agreement, single rater; ICC2k when the scores you will use are averages over the k raters
    (``average=True``). Koo & Li (2016) J. Chiropr. Med. 15, 155-163; Shrout & Fleiss (1979)
    Psychol. Bull. 86, 420-428. The ICCs themselves are pingouin's; nothing is reimplemented here.

    With n targets, k raters and the two-way ANOVA mean squares MS_R (targets), MS_C (raters),
    MS_E (residual) and MS_W (within targets):

    .. math::

        ICC1 = \frac{MS_R - MS_W}{MS_R + (k-1) MS_W},\quad
        ICC2 = \frac{MS_R - MS_E}{MS_R + (k-1) MS_E + k (MS_C - MS_E)/n},\quad
        ICC3 = \frac{MS_R - MS_E}{MS_R + (k-1) MS_E}

    and the k-rater forms ICC1k = (MS_R - MS_W)/MS_R, ICC2k = (MS_R - MS_E)/(MS_R + (MS_C - MS_E)/n),
    ICC3k = (MS_R - MS_E)/MS_R.

    Examples
    --------
    >>> import pingouin as pg, psychometry.stats as s
    >>> res = s.icc(pg.read_dataset("icc"), targets="Wine", raters="Judge", ratings="Scores")
    >>> round(res["ICC1"], 3), res.recommended, round(res.value, 3)
    (0.728, 'ICC2', 0.728)
    """
    import pingouin as pg

    if not isinstance(data, pd.DataFrame):
        raise ReliabilityError(f"icc: expected a long DataFrame, got {type(data).__name__}")
    for arg, col in (("targets", targets), ("raters", raters), ("ratings", ratings)):
        if col not in data.columns:
            raise ReliabilityError(
                f"icc: {arg} column '{col}' not in the data (columns: {', '.join(map(str, data.columns))})"
            )
    n_t, n_r = data[targets].nunique(), data[raters].nunique()
    if n_t < 2 or n_r < 2:
        raise ReliabilityError(f"icc: need at least 2 targets and 2 raters, got {n_t} and {n_r}")
    try:
        table = pg.intraclass_corr(
            data=data, targets=targets, raters=raters, ratings=ratings, nan_policy=nan_policy
        )
    except (AssertionError, ValueError) as exc:
        raise ReliabilityError(f"icc: pingouin.intraclass_corr refused the data: {exc}") from None
    # pingouin >= 0.7 names the forms after McGraw & Wong (ICC(A,1)...), older versions ICC1...;
    # we index by Shrout & Fleiss names and keep both.
    table = table.rename(columns={"CI95%": "CI95"})
    table["McGraw-Wong"] = [
        {v: k for k, v in _MCGRAW_WONG.items()}.get(t, t)
        for t in (_MCGRAW_WONG.get(t, t) for t in table["Type"])
    ]
    table["Type"] = [_MCGRAW_WONG.get(t, t) for t in table["Type"]]
    table = table.set_index("Type")
    form = "ICC2k" if average else "ICC2"
    reason = (
        "two-way random, absolute agreement, "
        + ("mean of k raters" if average else "single rater")
        + ": raters (sessions/templates) are a sample of possible ones, and their level matters"
    )
    return ICCResult(table=table, recommended=form, reason=reason, n_targets=int(n_t), n_raters=int(n_r))
