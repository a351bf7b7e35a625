"""Construct validity against other instruments and against human norms.

* :func:`mtmm`: multitrait-multimethod matrix for two instruments measuring the same traits
  (Campbell & Fiske 1959), with the convergent correlations, their Fisher-z confidence
  intervals, Campbell & Fiske's discriminant checks and the mean |r| of the
  heterotrait-heteromethod correlations (Serapio-Garcia et al. 2023's discriminant index).
* :func:`compare_norms`: a sample's scale means against published human norms (mean, sd, n):
  z of the sample mean in the norm distribution, Welch's t test from summary statistics and
  Cohen's d (pooled SD) with its noncentral-t confidence interval.

Checked against R (``cor.test``, ``t.test``, ``psych::cohen.d.ci``) in
``tests/test_stats_validity.py``; formulas in ``docs/statistics/validity.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from psychometry.errors import StatsInputError

from ._api import Result
from ._rprint import format_frame

__all__ = ["MTMMResult", "NormComparisonResult", "cohens_d_ci", "compare_norms", "mtmm"]


def _scores_frame(x: object, what: str) -> pd.DataFrame:
    if isinstance(x, pd.Series):
        x = x.to_frame()
    if not isinstance(x, pd.DataFrame):
        raise StatsInputError(
            f"{what}: expected a pandas DataFrame of scale scores (one row per respondent, "
            f"one column per scale), got {type(x).__name__}"
        )
    bad = [
        str(c)
        for c in x.columns
        if not pd.api.types.is_numeric_dtype(x[c]) or pd.api.types.is_bool_dtype(x[c])
    ]
    if bad:
        raise StatsInputError(f"{what}: column(s) {bad} are not numeric")
    return x.astype(float)


# ----------------------------------------------------------------------------- MTMM
@dataclass(frozen=True, eq=False)
class MTMMResult(Result):
    """Result of :func:`mtmm`.

    Attributes
    ----------
    correlations : DataFrame, the full 2k x 2k correlation matrix; index and columns are a
        MultiIndex (method, trait) with the trait names of ``pairs`` (method a's names).
    convergent : DataFrame per trait: scale_a, scale_b, r, ci_low, ci_high, p, n (validity diagonal).
    discriminant : DataFrame per trait: max |r| among the heterotrait-heteromethod correlations in
        the convergent r's row and column (max_hthm), and in the two heterotrait-monomethod
        triangles that involve the trait (max_htmm); exceeds_hthm / exceeds_htmm say whether r
        is larger (Campbell & Fiske's second and third criteria, on absolute values).
    mean_abs_hthm : mean |r| of the heterotrait-heteromethod correlations (off-diagonal of the
        a x b block), Serapio-Garcia et al. (2023).
    """

    correlations: pd.DataFrame
    convergent: pd.DataFrame
    discriminant: pd.DataFrame
    mean_abs_hthm: float
    mean_convergent: float
    n: int
    methods: tuple[str, str]
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """Convergent and discriminant columns side by side, one row per trait: scale_a, scale_b, r,
        r_ci_low, r_ci_high, p, n, then the discriminant columns."""
        renamed = {"ci_low": "r_ci_low", "ci_high": "r_ci_high"}
        return self.convergent.rename(columns=renamed).join(self.discriminant)

    def summary(self, digits: int = 2) -> str:
        a, b = self.methods
        flat = self.correlations.copy()
        flat.index = [f"{m}:{t}" for m, t in flat.index]
        flat.columns = [f"{m}:{t}" for m, t in flat.columns]
        conv = self.convergent[["r", "ci_low", "ci_high", "p"]].copy()
        disc = self.discriminant[["max_hthm", "max_htmm"]].round(digits) + 0.0
        disc["exceeds_hthm"] = self.discriminant["exceeds_hthm"].map({True: "yes", False: "no"})
        disc["exceeds_htmm"] = self.discriminant["exceeds_htmm"].map({True: "yes", False: "no"})
        pct = int(round(self.conf_level * 100))
        return "\n".join(
            [
                f"Multitrait-multimethod matrix ({a} vs {b}), n = {self.n}",
                format_frame(flat.round(digits) + 0.0, digits),
                "",
                f"Convergent validity (same trait, different method) with {pct}% CI (Fisher z):",
                format_frame(conv.round(3) + 0.0, 3),
                "",
                "Discriminant validity (Campbell & Fiske 1959; |r| compared):",
                format_frame(disc, digits),
                "",
                f"Mean convergent r = {self.mean_convergent:.{digits}f}; "
                f"mean |r| heterotrait-heteromethod = {self.mean_abs_hthm:.{digits}f}",
            ]
        )

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


def mtmm(
    data: pd.DataFrame,
    *,
    other: pd.DataFrame,
    pairs: Mapping[str, str] | Sequence[tuple[str, str]],
    methods: tuple[str, str] = ("a", "b"),
    conf_level: float = 0.95,
) -> MTMMResult:
    """Multitrait-multimethod analysis of two instruments measuring the same traits.

    Parameters
    ----------
    data, other : DataFrames of scale scores of the same respondents by method a (``data``) and
        method b (``other``); rows are matched on the index; only respondents in both are used, and
        only those with every paired score present.
    pairs : {scale in data: scale in other} (or a list of pairs): the same trait measured by
        the two instruments, e.g. ``{"extraversion": "E", ...}`` for BFI-44 vs IPIP-NEO.
    methods : labels of the two instruments (for the printed matrix).
    conf_level : level of the convergent correlations' confidence intervals.

    Formulas: r is Pearson's correlation (``scipy.stats.pearsonr``); its CI is
    tanh(atanh(r) +- z_(1+level)/2 / sqrt(n - 3)) (Fisher 1921), its p value from
    t = r sqrt((n - 2)/(1 - r^2)) on n - 2 df (as R's ``cor.test``). A convergent r_ii passes
    the heteromethod check when r_ii > |r_ij| and r_ii > |r_ji| for every j != i in the
    heterotrait-heteromethod block, and the monomethod check when r_ii > |r| of every
    correlation of trait i with another trait within method a and within method b
    (Campbell & Fiske 1959, criteria 2 and 3). Discriminant index: mean |r_ij|, i != j, of the
    heterotrait-heteromethod block (Serapio-Garcia et al. 2023).

    References: Campbell, D. T. & Fiske, D. W. (1959). Convergent and discriminant validation by
    the multitrait-multimethod matrix. Psychological Bulletin, 56, 81-105. Serapio-Garcia, G. et
    al. (2023). Personality traits in large language models. arXiv:2307.00184.

    Example
    -------
    >>> import numpy as np, pandas as pd, psychometry.stats as st
    >>> rng = np.random.default_rng(1)
    >>> traits = rng.standard_normal((200, 3))
    >>> a = pd.DataFrame(traits + 0.5 * rng.standard_normal((200, 3)), columns=["E", "A", "C"])
    >>> b = pd.DataFrame(traits + 0.5 * rng.standard_normal((200, 3)), columns=["ext", "agr", "con"])
    >>> res = st.mtmm(a, other=b, pairs={"E": "ext", "A": "agr", "C": "con"})
    >>> res.convergent["r"].round(2).tolist(), round(res.mean_abs_hthm, 2)
    ([0.77, 0.73, 0.78], 0.05)
    """
    a = _scores_frame(data, "mtmm: data")
    b = _scores_frame(other, "mtmm: other")
    pair_list = list(pairs.items()) if isinstance(pairs, Mapping) else [tuple(p) for p in pairs]
    if len(pair_list) < 2:
        raise StatsInputError("mtmm: pairs needs at least two traits (a multitrait matrix)")
    for p in pair_list:
        if len(p) != 2:
            raise StatsInputError(f"mtmm: each pair must be (scale in data, scale in other), got {p!r}")
    ta = [str(p[0]) for p in pair_list]
    tb = [str(p[1]) for p in pair_list]
    for names, scores, what in ((ta, a, "data"), (tb, b, "other")):
        missing = [t for t in names if t not in scores.columns]
        if missing:
            raise StatsInputError(
                f"mtmm: pairs name scale(s) {missing} that are not columns of {what} "
                f"(columns: {[str(c) for c in scores.columns]})"
            )
        if len(set(names)) != len(names):
            raise StatsInputError(f"mtmm: a scale of {what} appears in two pairs: {names}")
    if not 0 < conf_level < 1:
        raise StatsInputError(f"mtmm: conf_level must be in (0, 1), got {conf_level!r}")
    if a.index.has_duplicates or b.index.has_duplicates:
        raise StatsInputError("mtmm: data and other must have unique row indexes (respondent ids)")
    common = a.index.intersection(b.index, sort=False)
    joined = pd.concat(
        [
            a.loc[common, ta].set_axis([f"a:{t}" for t in ta], axis=1),
            b.loc[common, tb].set_axis([f"b:{t}" for t in tb], axis=1),
        ],
        axis=1,
    ).dropna()
    n = len(joined)
    if n < 4:
        raise StatsInputError(
            f"mtmm: only {n} respondents have all paired scores in both frames "
            "(rows are matched on the index); need at least 4"
        )
    const = [c[2:] for c in joined.columns if joined[c].std() == 0]
    if const:
        raise StatsInputError(
            f"mtmm: scale(s) {const} have zero variance, so their correlations are undefined"
        )
    k = len(ta)
    corr = joined.corr().to_numpy()
    traits = ta
    idx = pd.MultiIndex.from_tuples(
        [(methods[0], t) for t in traits] + [(methods[1], t) for t in traits], names=["method", "trait"]
    )
    correlations = pd.DataFrame(corr, index=idx, columns=idx)
    hh = corr[:k, k:]  # rows: method a traits, columns: method b traits
    ma = corr[:k, :k]
    mb = corr[k:, k:]

    conv_rows, disc_rows = [], []
    for i, (sa, sb) in enumerate(zip(ta, tb)):
        res = stats.pearsonr(joined[f"a:{sa}"], joined[f"b:{sb}"])
        ci = res.confidence_interval(confidence_level=conf_level)
        conv_rows.append(
            {
                "scale_a": sa,
                "scale_b": sb,
                "r": float(res.statistic),
                "ci_low": float(ci.low),
                "ci_high": float(ci.high),
                "p": float(res.pvalue),
                "n": n,
            }
        )
        others = [j for j in range(k) if j != i]
        hthm = np.abs(np.concatenate([hh[i, others], hh[others, i]]))
        htmm = np.abs(np.concatenate([ma[i, others], mb[i, others]]))
        r_ii = hh[i, i]
        disc_rows.append(
            {
                "max_hthm": float(hthm.max()),
                "max_htmm": float(htmm.max()),
                "exceeds_hthm": bool(r_ii > hthm.max()),
                "exceeds_htmm": bool(r_ii > htmm.max()),
            }
        )
    convergent = pd.DataFrame(conv_rows, index=pd.Index(traits, name="trait"))
    discriminant = pd.DataFrame(disc_rows, index=pd.Index(traits, name="trait"))
    off = ~np.eye(k, dtype=bool)
    return MTMMResult(
        correlations=correlations,
        convergent=convergent,
        discriminant=discriminant,
        mean_abs_hthm=float(np.mean(np.abs(hh[off]))),
        mean_convergent=float(np.mean(np.diag(hh))),
        n=n,
        methods=(str(methods[0]), str(methods[1])),
        conf_level=float(conf_level),
    )


# ----------------------------------------------------------------------------- norms
def cohens_d_ci(d: float, n1: int, n2: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Confidence interval of a two-sample Cohen's d (pooled SD) by inverting the noncentral t.

    With t = d / sqrt(1/n1 + 1/n2) and df = n1 + n2 - 2, the bounds are the noncentrality
    parameters ncp with P(T_df(ncp) <= t) = (1 + level)/2 (lower) and (1 - level)/2 (upper),
    rescaled by sqrt(1/n1 + 1/n2). As ``psych::cohen.d.ci``. References: Hedges, L. V. & Olkin, I.
    (1985). Statistical Methods for Meta-Analysis, ch. 5; Goulet-Pelletier, J.-C. & Cousineau, D.
    (2018). A review of effect sizes and their confidence intervals, Part I: The Cohen's d family.
    The Quantitative Methods for Psychology, 14(4), 242-265.
    """
    scale = math.sqrt(1.0 / n1 + 1.0 / n2)
    t = d / scale
    df = n1 + n2 - 2

    def ncp(prob: float) -> float:
        f = lambda x: stats.nct.cdf(t, df, x) - prob  # noqa: E731
        # bracket the root in unit steps from t: far from it scipy's cdf underflows to NaN
        lo, hi = t - 1.0, t + 1.0
        while f(lo) < 0:
            lo -= 1.0
        while f(hi) > 0:
            hi += 1.0
        return optimize.brentq(f, lo, hi, xtol=1e-12)

    return ncp((1 + conf_level) / 2) * scale, ncp((1 - conf_level) / 2) * scale


def _norm_table(norms: object) -> pd.DataFrame:
    if isinstance(norms, pd.DataFrame):
        cols = {str(c).lower(): c for c in norms.columns}
        missing = [c for c in ("mean", "sd", "n") if c not in cols]
        if missing:
            raise StatsInputError(
                f"compare_norms: norms DataFrame lacks column(s) {missing} "
                "(needs mean, sd, n; one row per scale)"
            )
        table = pd.DataFrame({c: norms[cols[c]] for c in ("mean", "sd", "n")})
        table.index = [str(i) for i in norms.index]
    elif isinstance(norms, Mapping):
        rows = {}
        for scale, val in norms.items():
            if isinstance(val, Mapping):
                try:
                    rows[str(scale)] = (val["mean"], val["sd"], val["n"])
                except KeyError as exc:
                    raise StatsInputError(
                        f"compare_norms: norm of scale {scale!r} lacks {exc.args[0]!r} (needs mean, sd, n)"
                    ) from None
            elif isinstance(val, Sequence) and not isinstance(val, str) and len(val) == 3:
                rows[str(scale)] = tuple(val)
            else:
                raise StatsInputError(
                    f"compare_norms: norm of scale {scale!r} must be (mean, sd, n) or "
                    f"{{'mean':, 'sd':, 'n':}}, got {val!r}"
                )
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "sd", "n"])
    else:
        raise StatsInputError(
            f"compare_norms: norms must be a DataFrame (mean, sd, n columns) or a dict "
            f"scale -> (mean, sd, n), got {type(norms).__name__}"
        )
    for scale, row in table.iterrows():
        try:
            m, s, n = float(row["mean"]), float(row["sd"]), float(row["n"])
        except (TypeError, ValueError):
            raise StatsInputError(
                f"compare_norms: norm of scale {scale!r} is not numeric: {tuple(row)}"
            ) from None
        if not (math.isfinite(m) and math.isfinite(s) and s > 0):
            raise StatsInputError(
                f"compare_norms: norm of scale {scale!r}: sd must be a positive number, got {s}"
            )
        if not (math.isfinite(n) and n >= 2 and float(n).is_integer()):
            raise StatsInputError(
                f"compare_norms: norm of scale {scale!r}: n must be an integer >= 2, got {n}"
            )
    return table.astype(float)


@dataclass(frozen=True, eq=False)
class NormComparisonResult(Result):
    """Result of :func:`compare_norms`: ``table`` (the printed table) has one row per scale with n,
    mean, sd (sample), norm_mean, norm_sd, norm_n, diff, z, percentile, t, df, p (Welch), d, d_low,
    d_high; ``to_frame()`` is the same table in docs/api.md's vocabulary (``statistic`` for t,
    ``d_ci_low``/``d_ci_high`` for d's interval)."""

    table: pd.DataFrame
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per scale: n, mean, sd, norm_mean, norm_sd, norm_n, diff, z, percentile, statistic
        (Welch's t), df, p, d, d_ci_low, d_ci_high."""
        renamed = {"t": "statistic", "d_low": "d_ci_low", "d_high": "d_ci_high"}
        return self.table.rename(columns=renamed)

    def summary(self, digits: int = 2) -> str:
        t = self.table.copy()
        pct = int(round(self.conf_level * 100))
        cols = [
            "n",
            "mean",
            "sd",
            "norm_mean",
            "norm_sd",
            "norm_n",
            "z",
            "t",
            "df",
            "p",
            "d",
            "d_low",
            "d_high",
        ]
        shown = t[cols].round(digits) + 0.0
        from ._rprint import format_pval  # R's format.pval: tiny p-values as "<2e-16", not 0

        shown["p"] = format_pval(t["p"].tolist(), digits)
        return "\n".join(
            [
                "Comparison with human norms (sample mean vs norm: z in the norm distribution, Welch t test,",
                f"Cohen's d with pooled SD and {pct}% noncentral-t CI)",
                format_frame(shown, digits),
            ]
        )

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


def compare_norms(
    data: pd.DataFrame, *, norms: pd.DataFrame | Mapping[str, object], conf_level: float = 0.95
) -> NormComparisonResult:
    """Compare a sample's scale scores with human norms given as (mean, sd, n) per scale.

    Parameters
    ----------
    data : DataFrame of scale scores (one row per respondent, e.g. per simulated participant;
        one column per scale); NaN are ignored per scale.
    norms : DataFrame indexed by scale with columns mean, sd, n, or {scale: (mean, sd, n)}.
        Every scale of ``norms`` must be a column of ``data``; other score columns are ignored.
    conf_level : level of the confidence interval of d.

    Per scale, with the sample's M1, s1, n1 and the norm's M2, s2, n2:

    * z = (M1 - M2) / s2: where the sample mean falls in the human distribution;
      percentile = Phi(z) (assumes normal norms).
    * Welch's t = (M1 - M2) / sqrt(s1^2/n1 + s2^2/n2) with Welch-Satterthwaite df
      (s1^2/n1 + s2^2/n2)^2 / ((s1^2/n1)^2/(n1-1) + (s2^2/n2)^2/(n2-1)), two-sided p
      (``scipy.stats.ttest_ind_from_stats(equal_var=False)``; Welch 1947).
    * Cohen's d = (M1 - M2) / s_p, s_p = sqrt(((n1-1) s1^2 + (n2-1) s2^2) / (n1 + n2 - 2)), with the
      noncentral-t confidence interval of :func:`cohens_d_ci` (Hedges & Olkin 1985;
      Goulet-Pelletier & Cousineau 2018). This is the d that ``psych::cohen.d`` reports as hedges.g.

    With fewer than two sample scores (a single deterministic respondent) only z is defined and d
    equals z (the pooled SD reduces to s2); t, p and the d interval are NaN. A sample SD of 0 (identical answers) is allowed.

    Example
    -------
    >>> import pandas as pd, psychometry.stats as st
    >>> scores = pd.DataFrame({"extraversion": [3.0, 3.5, 2.5, 4.0, 3.0, 2.0]})
    >>> res = st.compare_norms(scores, norms={"extraversion": (3.25, 0.90, 6076)})
    >>> row = res.to_frame().loc["extraversion"]
    >>> [round(float(row[c]), 3) for c in ("z", "statistic", "p", "d", "d_ci_low", "d_ci_high")]
    [-0.278, -0.865, 0.426, -0.278, -1.078, 0.523]
    """
    scores = _scores_frame(data, "compare_norms: data")
    table = _norm_table(norms)
    if not 0 < conf_level < 1:
        raise StatsInputError(f"compare_norms: conf_level must be in (0, 1), got {conf_level!r}")
    missing = [s for s in table.index if s not in scores.columns]
    if missing:
        raise StatsInputError(
            f"compare_norms: norm scale(s) {missing} are not columns of data "
            f"(columns: {[str(c) for c in scores.columns]})"
        )
    rows = []
    for scale, norm in table.iterrows():
        x = scores[scale].dropna().to_numpy()
        n1 = len(x)
        if n1 == 0:
            raise StatsInputError(f"compare_norms: scale {scale!r} has no non-missing score")
        m1 = float(np.mean(x))
        s1 = float(np.std(x, ddof=1)) if n1 > 1 else float("nan")
        m2, s2, n2 = float(norm["mean"]), float(norm["sd"]), int(norm["n"])
        z = (m1 - m2) / s2
        row = {
            "n": n1,
            "mean": m1,
            "sd": s1,
            "norm_mean": m2,
            "norm_sd": s2,
            "norm_n": n2,
            "diff": m1 - m2,
            "z": z,
            "percentile": float(stats.norm.cdf(z)),
        }
        if n1 > 1:
            welch = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
            v1, v2 = s1**2 / n1, s2**2 / n2
            df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
            sp = math.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
            d = (m1 - m2) / sp
            lo, hi = cohens_d_ci(d, n1, n2, conf_level)
            row.update(
                {
                    "t": float(welch.statistic),
                    "df": float(df),
                    "p": float(welch.pvalue),
                    "d": d,
                    "d_low": lo,
                    "d_high": hi,
                }
            )
        else:
            nan = float("nan")
            row.update({"t": nan, "df": nan, "p": nan, "d": (m1 - m2) / s2, "d_low": nan, "d_high": nan})
        rows.append(row)
    out = pd.DataFrame(rows, index=pd.Index(list(table.index), name="scale"))
    return NormComparisonResult(table=out, conf_level=float(conf_level))
