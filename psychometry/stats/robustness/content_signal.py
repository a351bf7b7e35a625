"""Does item content move the answers beyond position (:func:`content_signal`): a permutation test of
the keyed direction within scales, with the separation of forward- and reverse-keyed items, its
bootstrap interval and the acquiescence index.

Formulas, references and tests: docs/statistics/debias.md ("Content signal")."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from psychometry.stats._api import Result
from psychometry.stats._rprint import fmt_number, format_frame, format_pval
from psychometry.stats.tidy import LongTableError, numeric_column, require_columns, scale_bounds

from ._shared import _as_list, _check_conf_level, _label

__all__ = ["ContentSignalResult", "content_signal"]

_BLOCK = 1000  # permutations computed at once (memory: respondents x block per scale)


@dataclass(frozen=True)
class ContentSignalResult(Result):
    """Per instrument (and ``by``): how far forward- and reverse-keyed items of a scale are answered
    apart, and whether that is more than the keying labels shuffled within scales give.

    Attributes
    ----------
    table : one row per (by..., instrument, scale), and one ``scale = "(all)"`` row per (by...,
        instrument) pooling its scales: ``n_forward``, ``n_reversed`` (items), ``n`` (respondents x
        scales with both kinds answered), ``mean_forward``, ``mean_reversed`` (raw answers, before
        reverse keying), ``diff`` (mean over respondents of forward - reversed) with ``diff_ci_low`` /
        ``diff_ci_high``, ``separation`` (mean over respondents of |forward - reversed|, the test
        statistic) with ``separation_ci_low`` / ``separation_ci_high``, ``share`` (separation / scale
        range) with its interval, ``null_mean`` (the separation expected with the keying shuffled),
        ``acquiescence`` (mean of (forward + reversed) / 2 minus the scale midpoint), ``p`` (one-sided
        permutation p of the separation), ``n_permutations``, ``exact`` and ``significant``.
    conf_level : the intervals' level; significant means p < 1 - conf_level.
    value : the column tested (``expected``: the probability-weighted answers; ``value``: the chosen).
    """

    table: pd.DataFrame = field(repr=False)
    conf_level: float
    value: str
    by: tuple[str, ...] = ()

    @property
    def overall(self) -> pd.DataFrame:
        """The pooled rows (``scale == "(all)"``)."""
        return self.table[self.table["scale"] == "(all)"].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The table with ``estimate`` = ``separation`` and ``ci_low`` / ``ci_high`` its interval."""
        t = self.table.copy()
        t.insert(t.columns.get_loc("separation"), "estimate", t["separation"])
        t["ci_low"], t["ci_high"] = t["separation_ci_low"], t["separation_ci_high"]
        return t

    def summary(self, digits: int = 3) -> str:
        t = self.table.copy()
        keys = list(self.by) + ["instrument", "scale"]
        t.index = [_label(tuple(r)) for r in t[keys].itertuples(index=False)]
        show = t[
            [
                "n_forward",
                "n_reversed",
                "n",
                "mean_forward",
                "mean_reversed",
                "diff",
                "separation",
                "separation_ci_low",
                "separation_ci_high",
                "share",
                "null_mean",
                "acquiescence",
            ]
        ].copy()
        show.columns = [
            "n_fwd",
            "n_rev",
            "n",
            "fwd",
            "rev",
            "diff",
            "sep",
            "lower",
            "upper",
            "share",
            "null",
            "acq",
        ]
        show["p"] = format_pval(t["p"].tolist(), 3)
        lvl = fmt_number(100 * self.conf_level, 1)
        return "\n".join(
            [
                "Content signal (psychometry.stats.content_signal)",
                f"Raw answers ('{self.value}') of forward- vs reverse-keyed items within scales; sep = mean over "
                "respondents of |forward - reversed| (the statistic), null = its mean with the keying shuffled",
                f"p: permutation test, keying labels shuffled among each scale's items; lower/upper: {lvl}% "
                "item-bootstrap interval; acq: acquiescence (mean of forward and reversed minus the midpoint)",
                "",
                format_frame(show, digits),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


@dataclass
class _Scale:
    x: np.ndarray  # respondents x items (raw answers, NaN missing)
    rev: np.ndarray  # items: reverse keyed
    lo: float
    hi: float


def _diffs(x: np.ndarray, rev_masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward minus reversed mean per respondent for each label mask (masks x items): returns
    (d: respondents x masks, mean of forward and reversed: respondents x masks); NaN where a
    respondent has no forward or no reversed answer."""
    m = np.isfinite(x).astype(float)
    x0 = np.where(np.isfinite(x), x, 0.0)
    fwd = (~rev_masks).T.astype(float)
    rvs = rev_masks.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = (x0 @ fwd) / (m @ fwd)
        r = (x0 @ rvs) / (m @ rvs)
    return f - r, (f + r) / 2


def _sep(x: np.ndarray, rev_masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sum over respondents of |d|, number of respondents with d) per mask."""
    out_s, out_c = [], []
    for i in range(0, len(rev_masks), _BLOCK):
        d, _ = _diffs(x, rev_masks[i : i + _BLOCK])
        ok = np.isfinite(d)
        out_s.append(np.where(ok, np.abs(d), 0.0).sum(axis=0))
        out_c.append(ok.sum(axis=0))
    return np.concatenate(out_s), np.concatenate(out_c).astype(float)


def _all_masks(n: int, n_rev: int) -> np.ndarray:
    combos = list(itertools.combinations(range(n), n_rev))
    out = np.zeros((len(combos), n), dtype=bool)
    for i, c in enumerate(combos):
        out[i, list(c)] = True
    return out


def _random_masks(n: int, n_rev: int, b: int, rng: np.random.Generator) -> np.ndarray:
    ranks = np.argsort(rng.random((b, n)), axis=1)
    return ranks < n_rev


def _stats(sc: _Scale) -> dict[str, float]:
    d, mid = _diffs(sc.x, sc.rev[None, :])
    d, mid = d[:, 0], mid[:, 0]
    ok = np.isfinite(d)
    m = np.isfinite(sc.x)
    with np.errstate(invalid="ignore"):
        f = np.nanmean(np.where(m[:, ~sc.rev], sc.x[:, ~sc.rev], np.nan), axis=1)
        r = np.nanmean(np.where(m[:, sc.rev], sc.x[:, sc.rev], np.nan), axis=1)
    return {
        "n": int(ok.sum()),
        "mean_forward": float(np.mean(f[ok])) if ok.any() else math.nan,
        "mean_reversed": float(np.mean(r[ok])) if ok.any() else math.nan,
        "diff": float(np.mean(d[ok])) if ok.any() else math.nan,
        "sep_sum": float(np.abs(d[ok]).sum()),
        "acq_sum": float((mid[ok] - (sc.lo + sc.hi) / 2).sum()),
    }


def _boot(scales: Sequence[_Scale], n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Item bootstrap (items resampled within scale x keying): per replicate and scale, the sum of
    |d|, the count and the sum of d. Returns an array replicates x scales x 3."""
    out = np.full((n_boot, len(scales), 3), np.nan)
    for j, sc in enumerate(scales):
        fi, ri = np.flatnonzero(~sc.rev), np.flatnonzero(sc.rev)
        for b in range(n_boot):
            cols = np.concatenate([rng.choice(fi, size=len(fi)), rng.choice(ri, size=len(ri))])
            rev = np.concatenate([np.zeros(len(fi), bool), np.ones(len(ri), bool)])
            d, _ = _diffs(sc.x[:, cols], rev[None, :])
            d = d[:, 0]
            ok = np.isfinite(d)
            out[b, j] = (np.abs(d[ok]).sum(), ok.sum(), d[ok].sum())
    return out


def _clean(x: float) -> float:
    """``x`` with rounding noise around zero (and -0.0) printed as 0."""
    return 0.0 if math.isfinite(x) and abs(x) < 1e-12 else float(x)


def _ci(v: np.ndarray, conf_level: float) -> tuple[float, float]:
    v = v[np.isfinite(v)]
    if not v.size:
        return math.nan, math.nan
    a = (1 - conf_level) / 2
    lo, hi = np.quantile(v, [a, 1 - a])
    return float(lo), float(hi)


def _row(
    base: dict[str, object],
    name: str,
    nf: int,
    nr: int,
    o: dict[str, float],
    s_perm: np.ndarray,
    c_perm: np.ndarray,
    is_exact: bool,
    bsum: np.ndarray,
    rng_: float,
    conf_level: float,
    alpha: float,
) -> dict[str, object]:
    """One row of the table: the observed statistics, the permutation p and the bootstrap intervals."""
    n = o["n"]
    sep = o["sep_sum"] / n if n else math.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        t_perm = s_perm / c_perm
    tol = 1e-12 * max(1.0, abs(sep)) if math.isfinite(sep) else 0.0
    ge = int(np.sum(t_perm >= sep - tol))
    p = ge / len(t_perm) if is_exact else (1 + ge) / (len(t_perm) + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        bsep = bsum[:, 0] / bsum[:, 1]
        bdiff = bsum[:, 2] / bsum[:, 1]
    s_lo, s_hi = _ci(bsep, conf_level)
    d_lo, d_hi = _ci(bdiff, conf_level)
    return {
        **base,
        "scale": name,
        "n_forward": nf,
        "n_reversed": nr,
        "n": int(n),
        "mean_forward": o["mean_forward"],
        "mean_reversed": o["mean_reversed"],
        "diff": o["diff"],
        "diff_ci_low": d_lo,
        "diff_ci_high": d_hi,
        "separation": sep,
        "separation_ci_low": s_lo,
        "separation_ci_high": s_hi,
        "share": sep / rng_ if rng_ > 0 else math.nan,
        "share_ci_low": s_lo / rng_ if rng_ > 0 else math.nan,
        "share_ci_high": s_hi / rng_ if rng_ > 0 else math.nan,
        "null_mean": float(np.nanmean(t_perm)) if len(t_perm) else math.nan,
        "acquiescence": o["acq_sum"] / n if n else math.nan,
        "p": float(p) if math.isfinite(sep) else math.nan,
        "n_permutations": len(t_perm),
        "exact": is_exact,
        "significant": bool(math.isfinite(sep) and p < alpha),
    }


def content_signal(
    long: pd.DataFrame,
    *,
    value: str = "expected",
    by: str | Sequence[str] | None = None,
    n_permutations: int = 9999,
    n_boot: int = 2000,
    conf_level: float = 0.95,
    seed: int = 0,
    respondent: str = "respondent",
    item: str = "item",
    scale: str = "scale",
    instrument: str = "instrument",
    keyed: str = "keyed",
    status: str | None = "status",
    shown_values: str = "shown_values",
    scale_min: float | None = None,
    scale_max: float | None = None,
) -> ContentSignalResult:
    """Does item content move the answers beyond position? A permutation test of the keyed direction.

    Under a pure position habit the answer depends on where an option is shown, not on what the item
    says, so a scale's forward- and reverse-keyed items get the same raw answers (before reverse
    keying); when the model reads the items, the keyed direction separates them (a respondent high on
    the trait agrees with forward items and disagrees with reversed ones). For respondent r (a prompt
    condition) and scale s, with F_rs and R_rs the mean raw answer (``value``, default the
    probability-weighted ``expected``) over its forward and reversed items::

        d_rs = F_rs - R_rs,     separation = mean over (r, s) of |d_rs|

    The absolute value keeps respondents high and low on a trait (d of opposite signs) from
    cancelling. ``diff`` (the signed mean of d_rs) is the raw forward - reversed difference;
    ``share`` = separation / (scale max - scale min) its standardised version;
    ``acquiescence`` = mean of (F_rs + R_rs) / 2 minus the scale midpoint (agreement over balanced
    forward/reversed pairs: Paulhus 1991; Baumgartner & Steenkamp 2001).

    **The test.** The null hypothesis is that an item's answers do not depend on its keyed direction:
    then the keying labels are exchangeable among the items of a scale. The p value is the share of
    relabellings (each scale's reversed labels reassigned among its items, the number of reversed
    items kept) whose separation is at least the observed one: exact (every relabelling, identity
    included) when there are at most ``n_permutations`` of them, else ``n_permutations`` random ones
    with p = (1 + #{T* >= T}) / (n_permutations + 1) (Phipson & Smyth 2010). The exchangeable unit is
    the *item* with all its answers: a relabelling moves an item's whole column of answers (every
    respondent's answer to it), so what one respondent's answers share (its option order's habit,
    its template, its persona) stays with the respondent, and what one item's answers share (its
    wording, length, position in the questionnaire) stays with the item. Permuting single answers
    instead would treat the answers of one respondent as independent, which a position habit makes
    them not. Separation is not an unbiased effect size (|d| > 0 by noise alone): ``null_mean`` is its
    mean under the relabellings, the level chance gives.

    **Intervals.** ``diff``, ``separation`` and ``share`` get percentile intervals from ``n_boot``
    item-bootstrap replicates (items resampled with replacement within scale x keying, the unit of
    the test). A scale's trait level at the midpoint gives d = 0 whatever the model reads: keyed
    separation detects content through non-neutral answers.

    Parameters
    ----------
    long : the long results table (status ``ok`` rows with a finite ``value`` are used).
    value : the answer column (``expected`` in logprob mode, ``value`` for the chosen option).
    by : column(s) to test separately (default: each instrument on its own).
    n_permutations, n_boot, seed : resampling sizes and the seed (``numpy.random.default_rng``).
    conf_level : level of the intervals; significant means p < 1 - conf_level.
    respondent, item, scale, instrument, keyed, status, shown_values, scale_min, scale_max : column
        names and scale end points (default: from ``shown_values``), as in ``stats.scale_scores``.

    References: Phipson, B., & Smyth, G. K. (2010). Permutation p-values should never be zero.
    Statistical Applications in Genetics and Molecular Biology 9(1), 39. Good, P. (2005). Permutation,
    parametric and bootstrap tests of hypotheses (3rd ed.). Springer. Paulhus, D. L. (1991). Measurement
    and control of response bias. In Measures of personality and social psychological attitudes.
    Baumgartner, H., & Steenkamp, J.-B. E. M. (2001). Response styles in marketing research. Journal of
    Marketing Research 38, 143-156.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import content_signal
    >>> rows = [{"respondent": r, "instrument": "i", "scale": "E", "item": f"e{j}", "keyed": k,
    ...          "status": "ok", "shown_values": "1,2,3,4,5", "expected": v}
    ...         for r, lvl in (("a", 4.0), ("b", 2.0))
    ...         for j, k in enumerate([1, 1, 1, -1, -1, -1])
    ...         for v in [lvl if k > 0 else 6 - lvl]]
    >>> res = content_signal(pd.DataFrame(rows), n_boot=200)
    >>> res.table[["scale", "n", "diff", "separation", "share", "p", "exact"]]
       scale  n  diff  separation  share    p  exact
    0      E  2   0.0         2.0    0.5  0.1   True
    1  (all)  2   0.0         2.0    0.5  0.1   True

    (20 relabellings of 3 reversed among 6 items; the observed one and its mirror image, every label
    swapped, give the largest separation: p = 2/20.)
    """
    what = "content_signal"
    _check_conf_level(conf_level, what)
    if not isinstance(n_permutations, int) or n_permutations < 1:
        raise LongTableError(f"{what}: n_permutations must be a positive integer, got {n_permutations!r}")
    if not isinstance(n_boot, int) or n_boot < 0:
        raise LongTableError(f"{what}: n_boot must be an integer >= 0, got {n_boot!r}")
    by_ = _as_list(by)
    inst_cols = [instrument] if instrument in long.columns else []
    require_columns(long, by_ + [respondent, item, scale, keyed, value], what)
    if long.empty:
        raise LongTableError(f"{what}: the long table has no rows")
    vals = numeric_column(long, value, what)
    use = vals.notna()
    if status is not None and status in long.columns:
        use &= long[status].astype(str) == "ok"
    if (scale_min is not None and scale_max is not None) or shown_values in long.columns:
        lo_s, hi_s = scale_bounds(
            long, shown_values=shown_values, scale_min=scale_min, scale_max=scale_max, what=what
        )
    else:
        lo_s, hi_s = vals.groupby(long[scale]).transform("min"), vals.groupby(long[scale]).transform("max")
    df = long.loc[use, by_ + inst_cols + [respondent, item, scale, keyed]].copy()
    df["__v"], df["__lo"], df["__hi"] = vals[use], lo_s[use], hi_s[use]
    if df.empty:
        raise LongTableError(f"{what}: no answered rows (status 'ok' with a numeric '{value}')")
    rng = np.random.default_rng(seed)
    alpha = round(1.0 - conf_level, 12)
    groups = by_ + inst_cols
    recs = []
    found = False
    for gkey, g in df.groupby(groups, sort=False, dropna=False) if groups else [((), df)]:
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        scales: list[tuple[str, _Scale]] = []
        for sid, gs in g.groupby(scale, sort=False):
            keys = gs.groupby(item, sort=False)[keyed].first()
            rev = (keys.astype(float) < 0).to_numpy()
            if rev.all() or not rev.any():
                continue  # one direction only: nothing to separate
            wide = gs.pivot_table(index=respondent, columns=item, values="__v", aggfunc="mean")
            wide = wide.reindex(columns=keys.index)
            scales.append(
                (
                    str(sid),
                    _Scale(wide.to_numpy(dtype=float), rev, float(gs["__lo"].min()), float(gs["__hi"].max())),
                )
            )
        if not scales:
            continue
        found = True
        base = dict(zip(groups, gkey))
        obs = [_stats(sc) for _, sc in scales]
        sizes = [math.comb(len(sc.rev), int(sc.rev.sum())) for _, sc in scales]
        total = math.prod(sizes)
        exact = total <= n_permutations
        # the permutation distribution, per scale (S: sum |d|, C: count) and pooled
        per_s, per_c, per_exact = [], [], []
        for _, sc in scales:
            n, nr = len(sc.rev), int(sc.rev.sum())
            if exact:
                masks = _all_masks(n, nr)
            else:
                masks = _random_masks(n, nr, n_permutations, rng)
            s_, c_ = _sep(sc.x, masks)
            per_s.append(s_)
            per_c.append(c_)
            per_exact.append(exact)
        if exact:
            grids = np.meshgrid(*[np.arange(len(s)) for s in per_s], indexing="ij")
            pooled_s = sum(s[gr.ravel()] for s, gr in zip(per_s, grids))
            pooled_c = sum(c[gr.ravel()] for c, gr in zip(per_c, grids))
        else:
            pooled_s, pooled_c = sum(per_s), sum(per_c)
        boot = _boot([sc for _, sc in scales], n_boot, rng) if n_boot else np.zeros((0, len(scales), 3))

        for j, ((sid, sc), o) in enumerate(zip(scales, obs)):
            s_ex = sizes[j] <= n_permutations  # this scale alone: its exact distribution
            if s_ex:
                s_perm, c_perm = (
                    (per_s[j], per_c[j]) if exact else _sep(sc.x, _all_masks(len(sc.rev), int(sc.rev.sum())))
                )
            else:
                s_perm, c_perm = per_s[j], per_c[j]
            recs.append(
                _row(
                    base,
                    sid,
                    int((~sc.rev).sum()),
                    int(sc.rev.sum()),
                    o,
                    s_perm,
                    c_perm,
                    s_ex,
                    boot[:, j, :],
                    sc.hi - sc.lo,
                    conf_level,
                    alpha,
                )
            )
        pooled = {
            "n": sum(o["n"] for o in obs),
            "sep_sum": sum(o["sep_sum"] for o in obs),
            "acq_sum": sum(o["acq_sum"] for o in obs),
        }
        ntot = pooled["n"]
        w = [o["n"] / ntot if ntot else 0.0 for o in obs]
        pooled["mean_forward"] = float(sum(wi * o["mean_forward"] for wi, o in zip(w, obs) if o["n"]))
        pooled["mean_reversed"] = float(sum(wi * o["mean_reversed"] for wi, o in zip(w, obs) if o["n"]))
        pooled["diff"] = float(sum(wi * o["diff"] for wi, o in zip(w, obs) if o["n"]))
        bsum = boot.sum(axis=1) if len(boot) else np.zeros((0, 3))
        ranges = [sc.hi - sc.lo for _, sc in scales]
        recs.append(
            _row(
                base,
                "(all)",
                sum(int((~sc.rev).sum()) for _, sc in scales),
                sum(int(sc.rev.sum()) for _, sc in scales),
                pooled,
                np.asarray(pooled_s, dtype=float),
                np.asarray(pooled_c, dtype=float),
                exact,
                bsum,
                float(np.mean(ranges)),
                conf_level,
                alpha,
            )
        )
    if not found:
        raise LongTableError(
            f"{what}: no scale has both forward- and reverse-keyed items answered (column '{keyed}': "
            "+1 forward, -1 reverse); the test compares the two"
        )
    return ContentSignalResult(table=pd.DataFrame(recs), conf_level=conf_level, value=value, by=tuple(by_))
