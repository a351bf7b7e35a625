"""Robustness of LLM questionnaire answers, computed on the long results table.

* :func:`refusal_rates`: how often the model refuses or gives an unreadable answer (Wilson 95% CIs);
* :func:`template_sensitivity`: does the prompt template change the scale score (ICC, Friedman test,
  repeated-measures ANOVA, Holm-corrected paired comparisons);
* :func:`order_sensitivity`: does the order of the response options change the scale score (paired t,
  Wilcoxon signed-rank, correlation; Friedman across more than two orders);
* :func:`position_bias`: is a shown position chosen regardless of its content (chi-square against
  uniform; mean option probability per position in logprob mode);
* :func:`response_styles`: acquiescence, extreme and midpoint responding, straight-lining, entropy.

Every function is pure (DataFrame in, frozen result object out with the numbers as attributes,
``to_frame()`` and ``summary()``), vectorised over the table (groupby, no loop over rows) and takes
the column names as parameters (defaults: the long-table contract of docs/architecture.md).
Formulas, references and the tests that check each number: docs/statistics/robustness.md.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats as _st
from statsmodels.stats.proportion import proportion_confint

from psychometry.stats._api import Result
from psychometry.stats._rprint import fmt_number, format_frame
from psychometry.stats.reliability import icc
from psychometry.stats.tidy import (
    FACTORS,
    LongTableError,
    numeric_column,
    ok_values,
    present,
    require_columns,
    scale_bounds,
    scale_scores,
    show,
    shown_lists,
)

__all__ = [
    "LongTableError",
    "OrderSensitivityResult",
    "PositionBiasResult",
    "RefusalRatesResult",
    "ResponseStylesResult",
    "TemplateSensitivityResult",
    "order_sensitivity",
    "position_bias",
    "refusal_rates",
    "response_styles",
    "template_sensitivity",
]

By = Union[None, str, Sequence[str | Sequence[str]]]  # noqa: UP007

#: The factors refusal_rates breaks the rates down by when ``by`` is not given.
REFUSAL_FACTORS: tuple[str, ...] = ("model", "template", "order", "instrument", "persona")

SIGNIFICANCE_RULE = (
    "significant = Friedman test across conditions (scale scores paired on everything else), "
    "p < 1 - conf_level; our definition (Gupta et al. 2024 do not state their test)"
)


def _check_conf_level(conf_level: float, what: str) -> None:
    if not 0 < conf_level < 1:
        raise LongTableError(f"{what}: conf_level must be between 0 and 1, got {conf_level!r}")


def _tidy(table: pd.DataFrame, renamed: dict[str, str]) -> pd.DataFrame:
    """``table`` with its columns renamed to docs/api.md's vocabulary."""
    return table.rename(columns=renamed)


def _col(df: pd.DataFrame, *names: str) -> pd.Series:
    """A pingouin output column under its current or older name (p_unc / p-unc ...)."""
    for n in names:
        if n in df.columns:
            return df[n]
    raise KeyError(names[0])


def _first(df: pd.DataFrame, *names: str) -> float:
    try:
        return float(_col(df, *names).iloc[0])
    except (KeyError, IndexError, TypeError, ValueError):
        return math.nan


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return [str(c) for c in x]


def _label(key: object) -> str:
    if isinstance(key, tuple):
        return "/".join(str(k) for k in key)
    return str(key)


# ==================================================================================================
# refusal rates


_REFUSAL_RENAMED = {
    "refused": "n_refused",
    "refused_lower": "refused_rate_ci_low",
    "refused_upper": "refused_rate_ci_high",
    "unparsed": "n_unparsed",
    "unparsed_lower": "unparsed_rate_ci_low",
    "unparsed_upper": "unparsed_rate_ci_high",
}


@dataclass(frozen=True)
class RefusalRatesResult(Result):
    """Refusal and unparsed rates with Wilson confidence intervals, overall and by factor.

    Attributes
    ----------
    table : one row per (factor, level); ``factor == "all"`` is the whole table. Columns ``n``,
        ``refused``, ``refused_rate``, ``refused_lower``, ``refused_upper``, ``unparsed``,
        ``unparsed_rate``, ``unparsed_lower``, ``unparsed_upper`` (R's prop.test names; ``to_frame()``
        has them in docs/api.md's vocabulary).
    refused, unparsed : overall rates.
    conf_level : the confidence level of the intervals.
    """

    table: pd.DataFrame = field(repr=False)
    refused: float
    unparsed: float
    n: int
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per (factor, level): ``n``, ``n_refused``, ``refused_rate``, ``refused_rate_ci_low``,
        ``refused_rate_ci_high``, and the same for ``unparsed``."""
        return _tidy(self.table, _REFUSAL_RENAMED)

    def summary(self, digits: int = 3) -> str:
        t = self.table.copy()
        t.index = [f"{f}={lv}" if f != "all" else "all" for f, lv in zip(t["factor"], t["level"])]
        t = t.drop(columns=["factor", "level"])
        pct = int(round(self.conf_level * 100))
        return "\n".join(
            [
                "Refusal and unparsed rates (psychometry.stats.refusal_rates)",
                f"Wilson score {pct}% confidence intervals (statsmodels proportion_confint; "
                "R: prop.test(x, n, correct = FALSE))",
                "",
                format_frame(t, digits),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def refusal_rates(
    long: pd.DataFrame,
    *,
    by: By = None,
    status: str = "status",
    refused: str = "refused",
    unparsed: str = "unparsed",
    conf_level: float = 0.95,
) -> RefusalRatesResult:
    """Refusal rate and unparsed rate with Wilson score confidence intervals.

    For a group of n responses of which x have the status::

        rate = x / n,  CI = (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)

    the Wilson (1927) score interval (statsmodels ``proportion_confint(method="wilson")``; R's
    ``prop.test(x, n, correct = FALSE)$conf.int``), recommended over the Wald interval by Brown, Cai &
    DasGupta (2001) for small n and rates near 0.

    Parameters
    ----------
    long : the long results table.
    by : ``None`` = overall and by each of model, template, order, instrument, persona (those present);
        a column name or a list of them (each broken down separately; a tuple inside the list crosses
        factors, e.g. ``[("model", "template")]``).
    status : the status column; ``refused`` / ``unparsed`` its two non-``ok`` values.

    conf_level : confidence level of the intervals (default 0.95).

    Returns
    -------
    RefusalRatesResult: ``refused``, ``unparsed`` (overall rates), ``n``, ``table``; ``to_frame()``.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import refusal_rates
    >>> long = pd.DataFrame({"template": ["t1"] * 10 + ["t2"] * 10,
    ...                      "status": ["ok"] * 9 + ["refused"] + ["ok"] * 7 + ["refused", "unparsed", "ok"]})
    >>> r = refusal_rates(long, by="template")
    >>> round(r.refused, 3), round(r.unparsed, 3)
    (0.1, 0.05)
    >>> r.to_frame()[["level", "n", "n_refused", "refused_rate", "refused_rate_ci_low"]].round(3)
      level   n  n_refused  refused_rate  refused_rate_ci_low
    0   all  20          2           0.1                0.028
    1    t1  10          1           0.1                0.018
    2    t2  10          1           0.1                0.018

    Reference: Wilson, E. B. (1927). JASA 22, 209-212. Brown, Cai & DasGupta (2001). Statistical
    Science 16, 101-133.
    """
    what = "refusal_rates"
    _check_conf_level(conf_level, what)
    require_columns(long, [status], what)
    if long.empty:
        raise LongTableError(f"{what}: the long table has no rows")
    groups: list[list[str]] = []
    if by is None:
        groups = [[c] for c in present(long, REFUSAL_FACTORS)]
    else:
        for b in [by] if isinstance(by, str) else list(by):
            groups.append(_as_list(b))
    for g in groups:
        require_columns(long, g, what)
    st = long[status].astype(str)
    flags = pd.DataFrame(
        {"__r": (st == refused).to_numpy(dtype=np.int64), "__u": (st == unparsed).to_numpy(dtype=np.int64)},
        index=long.index,
    )
    parts = [
        pd.DataFrame(
            {
                "factor": ["all"],
                "level": ["all"],
                "n": [len(long)],
                "refused": [int(flags["__r"].sum())],
                "unparsed": [int(flags["__u"].sum())],
            }
        )
    ]
    for g in groups:
        agg = (
            flags.groupby([long[c] for c in g], sort=True, dropna=False, observed=True)
            .agg(n=("__r", "size"), refused=("__r", "sum"), unparsed=("__u", "sum"))
            .reset_index()
        )
        level = agg[g].astype(str).agg("/".join, axis=1) if len(g) > 1 else agg[g[0]].astype(str)
        parts.append(
            pd.DataFrame(
                {
                    "factor": "x".join(g),
                    "level": level.to_numpy(),
                    "n": agg["n"].to_numpy(),
                    "refused": agg["refused"].to_numpy(),
                    "unparsed": agg["unparsed"].to_numpy(),
                }
            )
        )
    t = pd.concat(parts, ignore_index=True)
    a = 1 - conf_level
    for name in ("refused", "unparsed"):
        rate = t[name] / t["n"]
        lo, hi = proportion_confint(t[name].to_numpy(), t["n"].to_numpy(), alpha=a, method="wilson")
        t.insert(t.columns.get_loc(name) + 1, f"{name}_rate", rate.to_numpy())
        t.insert(t.columns.get_loc(name) + 2, f"{name}_lower", np.asarray(lo, dtype=float))
        t.insert(t.columns.get_loc(name) + 3, f"{name}_upper", np.asarray(hi, dtype=float))
    return RefusalRatesResult(
        table=t,
        refused=float(t["refused_rate"].iloc[0]),
        unparsed=float(t["unparsed_rate"].iloc[0]),
        n=int(t["n"].iloc[0]),
        conf_level=conf_level,
    )


# ==================================================================================================
# shared: scale scores paired across the levels of one factor


def _paired_scores(
    long: pd.DataFrame, factor: str, pair_on: Sequence[str] | None, by: Sequence[str], what: str, **score_kw
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Scale scores with a subject id (``__s``) pairing respondents on ``pair_on`` (default: every
    identifying factor except ``factor``); returns (scores, group columns, pair_on)."""
    require_columns(long, [factor], what)
    ss = scale_scores(long, **score_kw)
    if pair_on is None:
        pair_on = [c for c in present(ss, FACTORS) if c != factor and c not in by]
        if not pair_on:
            raise LongTableError(
                f"{what}: no identifying columns to pair respondents on (looked for "
                f"{', '.join(c for c in FACTORS if c != factor)}); pass pair_on="
            )
    else:
        pair_on = _as_list(pair_on)
        require_columns(ss, pair_on, what)
    groups = list(by) + present(ss, ["instrument"]) + ["scale"]
    require_columns(ss, groups, what)
    ss["__s"] = ss.groupby(pair_on, sort=False, dropna=False).ngroup()
    dup = ss.duplicated(groups + ["__s", factor])
    if dup.any():
        row = ss[dup].iloc[0]
        raise LongTableError(
            f"{what}: more than one respondent for {factor}={row[factor]!r} and "
            f"{', '.join(f'{c}={row[c]!r}' for c in pair_on)}: the pairing columns "
            f"({', '.join(pair_on)}) do not identify a respondent; pass pair_on= or by="
        )
    return ss, groups, list(pair_on)


def _friedman(dl: pd.DataFrame) -> tuple[float, float, float, float]:
    """(Q, df, p, Kendall's W) of pingouin.friedman on the long frame (subject, condition, score)."""
    if dl["condition"].nunique() < 2 or dl["subject"].nunique() < 2:
        return (math.nan,) * 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            f = pg.friedman(dl, dv="score", within="condition", subject="subject")
        except (ValueError, ZeroDivisionError, FloatingPointError):
            return (math.nan,) * 4
    return _first(f, "Q"), _first(f, "ddof1"), _first(f, "p_unc", "p-unc"), _first(f, "W")


def _complete_long(
    g: pd.DataFrame, factor: str, levels: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide (subject x level) complete cases and the same as a long (subject, condition, score) frame."""
    wide = g.pivot(index="__s", columns=factor, values="score")
    if levels is not None:
        wide = wide.reindex(columns=list(levels))
    wide = wide.dropna()
    dl = wide.stack().rename("score").reset_index()
    dl.columns = ["subject", "condition", "score"]
    dl["condition"] = dl["condition"].astype(str)
    return wide, dl


# ==================================================================================================
# template sensitivity


_TEMPLATE_COLS = [
    "n_targets",
    "n_templates",
    "var_means",
    "var_within",
    "ICC2",
    "ICC2_lower",
    "ICC2_upper",
    "ICC3",
    "ICC3_lower",
    "ICC3_upper",
    "friedman_Q",
    "friedman_df",
    "friedman_p",
    "kendall_W",
    "anova_F",
    "anova_df1",
    "anova_df2",
    "anova_p",
    "anova_p_GG",
    "pairs_significant",
    "significant",
]


_TEMPLATE_RENAMED = {
    "ICC2": "icc2",
    "ICC2_lower": "icc2_ci_low",
    "ICC2_upper": "icc2_ci_high",
    "ICC3": "icc3",
    "ICC3_lower": "icc3_ci_low",
    "ICC3_upper": "icc3_ci_high",
    "friedman_Q": "friedman_q",
    "friedman_p": "p_friedman",
    "kendall_W": "kendall_w",
    "anova_F": "anova_f",
    "anova_p": "p_anova",
    "anova_p_GG": "p_anova_gg",
    "pairs_significant": "n_pairs_significant",
}


@dataclass(frozen=True)
class TemplateSensitivityResult(Result):
    """Per scale: how much the prompt template moves the scale score.

    Attributes
    ----------
    table : one row per (by..., instrument, scale) with ``n_targets`` (complete targets), ``n_templates``,
        ``var_means`` (variance of the template means), ``var_within`` (mean over targets of the variance
        across templates), ``ICC2`` (headline) / ``ICC3`` with 95% CIs, ``friedman_Q/df/p``, ``kendall_W``,
        ``anova_F/df1/df2/p/p_GG`` (repeated-measures ANOVA, Greenhouse-Geisser p), ``pairs_significant``
        (Holm-corrected pairs with p < 1 - conf_level) and ``significant`` (the headline answer, see
        ``rule``). Names as R and pingouin print them; ``to_frame()`` has docs/api.md's vocabulary.
    means : mean score per (group, template).
    pairwise : Holm-corrected paired t tests (pingouin ``pairwise_tests``) per group.
    pair_on : the columns that define a target (the respondent without its template).
    conf_level : significant means p < 1 - conf_level.
    """

    table: pd.DataFrame = field(repr=False)
    means: pd.DataFrame = field(repr=False)
    pairwise: pd.DataFrame = field(repr=False)
    pair_on: tuple[str, ...]
    conf_level: float = 0.95
    headline_icc: str = "ICC2"
    rule: str = SIGNIFICANCE_RULE

    @property
    def significant(self) -> dict[str, bool]:
        """The per-scale answer, keyed "instrument/scale" (True = the template changes the score)."""
        keys = [c for c in self.table.columns if c not in _TEMPLATE_COLS]
        return {
            _label(tuple(r[:-1])): bool(r[-1])
            for r in self.table[keys + ["significant"]].itertuples(index=False)
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per (by..., instrument, scale): ``n_targets``, ``n_templates``, ``var_means``,
        ``var_within``, ``icc2`` / ``icc3`` with ``_ci_low`` / ``_ci_high``, the Friedman test
        (``friedman_q``, ``friedman_df``, ``p_friedman``) with ``kendall_w``, the repeated-measures ANOVA
        (``anova_f``, ``anova_df1``, ``anova_df2``, ``p_anova``, ``p_anova_gg``), ``n_pairs_significant``
        and ``significant``."""
        return _tidy(self.table, _TEMPLATE_RENAMED)

    def summary(self, digits: int = 3) -> str:
        t = self.table.copy()
        keys = [c for c in t.columns if c not in _TEMPLATE_COLS]
        t.index = [_label(tuple(r)) for r in t[keys].itertuples(index=False)]
        show = t[
            [
                "n_targets",
                "n_templates",
                "ICC2",
                "ICC3",
                "friedman_Q",
                "friedman_df",
                "friedman_p",
                "anova_F",
                "anova_p",
                "pairs_significant",
            ]
        ].copy()
        show.columns = ["n", "k", "ICC2", "ICC3", "Q", "df", "p", "F", "p(F)", "pairs"]
        show["significant"] = np.where(t["significant"], "yes", "no")
        return "\n".join(
            [
                "Template sensitivity of scale scores (psychometry.stats.template_sensitivity)",
                f"targets = {' x '.join(self.pair_on)}; raters = templates",
                "ICC2 = ICC(A,1), two-way random, absolute agreement (headline); ICC3 = ICC(C,1), consistency",
                f"Q: Friedman chi-squared across templates; F: repeated-measures ANOVA; pairs: Holm-corrected "
                f"paired t tests with p < {fmt_number(1 - self.conf_level, 3)}",
                f"Significant at p < {fmt_number(1 - self.conf_level, 3)} (conf_level = "
                f"{fmt_number(self.conf_level, 3)}): {self.rule}",
                "",
                format_frame(show, digits),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def template_sensitivity(
    long: pd.DataFrame,
    *,
    template: str = "template",
    pair_on: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    respondent: str = "respondent",
    scale: str = "scale",
    instrument: str = "instrument",
    value: str = "value",
    keyed: str = "keyed",
    status: str | None = "status",
    shown_values: str = "shown_values",
    scale_min: float | None = None,
    scale_max: float | None = None,
) -> TemplateSensitivityResult:
    """Does the prompt template change the scale score? One test per (by..., instrument, scale).

    Scale scores (:func:`psychometry.stats.tidy.scale_scores`) are paired across templates on the
    ``pair_on`` columns (default: every identifying factor but the template present, i.e. model x persona x
    order x repeat); targets missing a template are dropped (complete cases). With k templates and n
    targets, y_ij the score of target i under template j:

    * ``var_means`` = Var_j(mean_i y_ij) (n - 1 divisor), ``var_within`` = mean_i Var_j(y_ij);
    * ICC (Shrout & Fleiss 1979; McGraw & Wong 1996) via ``pingouin.intraclass_corr`` with targets as
      targets and templates as raters: ICC2 = ICC(A,1) = (MS_R - MS_E) / (MS_R + (k-1) MS_E +
      k (MS_C - MS_E) / n) is the headline (templates are a sample of possible wordings, and a template
      that shifts every score must lower the agreement); ICC3 = ICC(C,1) = (MS_R - MS_E) /
      (MS_R + (k-1) MS_E) ignores such shifts (consistency);
    * Friedman (1937) test (``pingouin.friedman``; R ``friedman.test``) with Kendall's W;
    * repeated-measures ANOVA (``pingouin.rm_anova``; R ``aov(y ~ template + Error(target/template))``),
      F = MS_template / MS_error on (k-1, (k-1)(n-1)) df, Greenhouse-Geisser p when k > 2;
    * paired t tests between every two templates with Holm (1979) correction (``pingouin.pairwise_tests``;
      R ``pairwise.t.test(paired = TRUE, p.adjust.method = "holm")``).

    ``significant`` (the per-scale yes/no of Gupta et al. 2024, who do not state their test) is OUR
    definition: Friedman p < 1 - ``conf_level``. The Friedman test is the headline because scale scores from Likert
    items are bounded and heavily tied, and it needs neither normality nor sphericity.

    References: Gupta, Song & Anumanchipalli (2024), "Self-Assessment Tests are Unreliable Measures of LLM
    Personality", BlackboxNLP. Shrout & Fleiss (1979), Psychol. Bull. 86, 420-428. McGraw & Wong (1996),
    Psychol. Methods 1, 30-46. Koo & Li (2016), J. Chiropr. Med. 15, 155-163 (ICC < .5 poor, .5-.75
    moderate, .75-.9 good, > .9 excellent). Friedman (1937), JASA 32, 675-701. Holm (1979), Scand. J.
    Statist. 6, 65-70.

    Parameters
    ----------
    long : the long results table.
    template : the column holding the prompt template (the conditions compared).
    pair_on : the columns identifying a target across templates (default: the identifying factors
        of docs/architecture.md present, but the template and ``by``).
    by : column(s) to break the tests down by.
    conf_level : significant means p < 1 - conf_level (default 0.95).
    respondent, scale, instrument, value, keyed, status, shown_values, scale_min, scale_max : as in
        :func:`psychometry.stats.tidy.scale_scores`.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import template_sensitivity
    >>> rows = [{"persona": p, "template": t, "respondent": f"{p}/{t}", "instrument": "i", "scale": "E",
    ...          "item": "e1", "keyed": 1, "status": "ok", "shown_values": "1,2,3,4,5",
    ...          "value": float(base + shift)}
    ...         for p, base in zip("abcdef", [1, 2, 2, 3, 3, 4]) for t, shift in (("t1", 0), ("t2", 1))]
    >>> ts = template_sensitivity(pd.DataFrame(rows))
    >>> ts.to_frame()[["scale", "n_targets", "friedman_q", "p_friedman", "significant"]].round(4)
      scale  n_targets  friedman_q  p_friedman  significant
    0     E          6         6.0      0.0143         True
    """
    what = "template_sensitivity"
    _check_conf_level(conf_level, what)
    alpha = round(1.0 - conf_level, 12)  # 0.05, not 0.050000000000000044: p = .05 is not significant
    by_ = _as_list(by)
    ss, groups, pair_on_ = _paired_scores(
        long,
        template,
        pair_on,
        by_,
        what,
        respondent=respondent,
        scale=scale,
        instrument=instrument,
        value=value,
        keyed=keyed,
        status=status,
        shown_values=shown_values,
        scale_min=scale_min,
        scale_max=scale_max,
    )
    if ss[template].nunique() < 2:
        raise LongTableError(
            f"{what}: the table has only one {template} ({ss[template].iloc[0]!r}); "
            f"need at least 2 to compare"
        )
    rows, means, pairs = [], [], []
    for key, g in ss.groupby(groups, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        ident = dict(zip(groups, key))
        wide, dl = _complete_long(g, template)
        n, k = wide.shape
        m = wide.mean() if n else g.groupby(template)["score"].mean()
        for lv, mv in m.items():
            means.append({**ident, template: lv, "mean": float(mv), "n": int(n)})
        r = dict.fromkeys(_TEMPLATE_COLS, math.nan)
        r.update(n_targets=int(n), n_templates=int(k), pairs_significant=0, significant=False)
        if n >= 2 and k >= 2:
            r["var_means"] = float(wide.mean().var(ddof=1))
            r["var_within"] = float(wide.var(axis=1, ddof=1).mean())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:  # stats.icc: pingouin's table indexed by the Shrout & Fleiss names
                    forms = icc(dl, targets="subject", raters="condition", ratings="score").table
                    estimates, intervals = forms["ICC"].to_dict(), forms["CI95"].to_dict()
                    for name in ("ICC2", "ICC3"):
                        r[name] = float(estimates[name])
                        r[f"{name}_lower"], r[f"{name}_upper"] = (float(v) for v in intervals[name])
                except (ValueError, KeyError, ZeroDivisionError, FloatingPointError, AssertionError):
                    pass
                r["friedman_Q"], r["friedman_df"], r["friedman_p"], r["kendall_W"] = _friedman(dl)
                try:
                    aov = pg.rm_anova(
                        dl,
                        dv="score",
                        within="condition",
                        subject="subject",
                        correction=bool(k > 2),
                        detailed=False,
                    )
                    r["anova_F"] = _first(aov, "F")
                    r["anova_df1"] = _first(aov, "ddof1", "DF")
                    r["anova_df2"] = _first(aov, "ddof2")
                    r["anova_p"] = _first(aov, "p_unc", "p-unc")
                    r["anova_p_GG"] = _first(aov, "p_GG_corr", "p-GG-corr") if k > 2 else r["anova_p"]
                except (ValueError, KeyError, ZeroDivisionError, FloatingPointError, AssertionError):
                    pass
                try:
                    pw = pg.pairwise_tests(
                        dl,
                        dv="score",
                        within="condition",
                        subject="subject",
                        padjust="holm" if k > 2 else "none",
                    )
                    p_corr = _col(pw, "p_corr", "p-corr") if k > 2 else _col(pw, "p_unc", "p-unc")
                    part = pd.DataFrame(
                        {
                            **{c: [v] * len(pw) for c, v in ident.items()},
                            "A": pw["A"].to_numpy(),
                            "B": pw["B"].to_numpy(),
                            "T": pw["T"].to_numpy(dtype=float),
                            "dof": pw["dof"].to_numpy(dtype=float),
                            "p_unc": _col(pw, "p_unc", "p-unc").to_numpy(dtype=float),
                            "p_holm": p_corr.to_numpy(dtype=float),
                        }
                    )
                    pairs.append(part)
                    r["pairs_significant"] = int((part["p_holm"] < alpha).sum())
                except (ValueError, KeyError, ZeroDivisionError, FloatingPointError, AssertionError):
                    pass
            r["significant"] = bool(r["friedman_p"] < alpha)
        rows.append({**ident, **r})
    table = pd.DataFrame(rows, columns=groups + _TEMPLATE_COLS)
    pairwise = (
        pd.concat(pairs, ignore_index=True)
        if pairs
        else pd.DataFrame(columns=groups + ["A", "B", "T", "dof", "p_unc", "p_holm"])
    )
    return TemplateSensitivityResult(
        table=table,
        means=pd.DataFrame(means),
        pairwise=pairwise,
        pair_on=tuple(pair_on_),
        conf_level=conf_level,
    )


# ==================================================================================================
# order sensitivity


_ORDER_COLS = [
    "n_pairs",
    "mean_a",
    "mean_b",
    "mean_diff",
    "mean_abs_diff",
    "t",
    "t_df",
    "t_p",
    "V",
    "wilcoxon_p",
    "r",
    "r_p",
    "n_orders",
    "n_complete",
    "friedman_Q",
    "friedman_df",
    "friedman_p",
    "significant",
]


_ORDER_RENAMED = {
    "n_pairs": "n",
    "t_p": "p_t",
    "V": "v",
    "wilcoxon_p": "p_wilcoxon",
    "r_p": "p_r",
    "friedman_Q": "friedman_q",
    "friedman_p": "p_friedman",
}


@dataclass(frozen=True)
class OrderSensitivityResult(Result):
    """Per scale: the scale score under option order ``a`` vs ``b`` (paired), and across all orders.

    Attributes
    ----------
    table : one row per (by..., instrument, scale): ``n_pairs``, ``mean_a``, ``mean_b``, ``mean_diff``
        (a - b), ``mean_abs_diff``, paired ``t`` / ``t_df`` / ``t_p``, Wilcoxon ``V`` / ``wilcoxon_p``,
        Pearson ``r`` / ``r_p``; ``n_orders`` orders in the table and, when more than two,
        ``friedman_Q/df/p`` across all of them (``n_complete`` targets with every order);
        ``significant`` (see ``rule``). Names as R prints them; ``to_frame()`` has docs/api.md's
        vocabulary.
    conf_level : significant means p < 1 - conf_level.
    """

    table: pd.DataFrame = field(repr=False)
    a: str
    b: str
    pair_on: tuple[str, ...]
    orders: tuple[str, ...]
    conf_level: float = 0.95
    rule: str = (
        "significant = paired Wilcoxon signed-rank test of a vs b, p < 1 - conf_level, or (more than "
        "two orders) Friedman test across all orders, p < 1 - conf_level; our definition"
    )

    def to_frame(self) -> pd.DataFrame:
        """One row per (by..., instrument, scale): ``n`` (pairs), ``mean_a``, ``mean_b``, ``mean_diff``,
        ``mean_abs_diff``, the paired t test (``t``, ``t_df``, ``p_t``), the Wilcoxon test (``v``,
        ``p_wilcoxon``), Pearson's ``r`` (``p_r``), ``n_orders``, ``n_complete``, the Friedman test
        across all orders (``friedman_q``, ``friedman_df``, ``p_friedman``) and ``significant``."""
        return _tidy(self.table, _ORDER_RENAMED)

    def summary(self, digits: int = 3) -> str:
        t = self.table.copy()
        keys = [c for c in t.columns if c not in _ORDER_COLS]
        t.index = [_label(tuple(r)) for r in t[keys].itertuples(index=False)]
        cols = ["n_pairs", "mean_a", "mean_b", "mean_abs_diff", "t", "t_p", "V", "wilcoxon_p", "r"]
        names = ["n", self.a, self.b, "mean|diff|", "t", "p(t)", "V", "p(V)", "r"]
        if len(self.orders) > 2:
            cols += ["friedman_Q", "friedman_p"]
            names += ["Q", "p(Q)"]
        show = t[cols].copy()
        show.columns = names
        show["significant"] = np.where(t["significant"], "yes", "no")
        return "\n".join(
            [
                "Option-order sensitivity of scale scores (psychometry.stats.order_sensitivity)",
                f"{self.a} vs {self.b}, paired on {' x '.join(self.pair_on)}; orders in the table: "
                f"{', '.join(self.orders)}",
                "t: paired t test; V: Wilcoxon signed-rank (R's V, sum of ranks of positive a - b); r: Pearson"
                + ("; Q: Friedman test across all orders" if len(self.orders) > 2 else ""),
                f"Significant at p < {fmt_number(1 - self.conf_level, 3)} (conf_level = "
                f"{fmt_number(self.conf_level, 3)}): {self.rule}",
                "",
                format_frame(show, digits),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def _wilcoxon_r(d: np.ndarray) -> tuple[float, float]:
    """R's ``wilcox.test(x, y, paired = TRUE)``: V = sum of the ranks of |d| over positive d (zeros
    dropped), exact p when n < 50 without ties or zeros, else the normal approximation with tie and
    continuity correction (scipy.stats.wilcoxon does the test; only the method choice mirrors R)."""
    d = d[np.isfinite(d)]
    nz = d[d != 0]
    if nz.size == 0:
        return math.nan, math.nan
    ranks = _st.rankdata(np.abs(nz))
    v = float(ranks[nz > 0].sum())
    exact = nz.size < 50 and nz.size == d.size and np.unique(np.abs(nz)).size == nz.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _st.wilcoxon(
            nz, zero_method="wilcox", correction=not exact, method="exact" if exact else "approx"
        )
    return v, float(res.pvalue)


def order_sensitivity(
    long: pd.DataFrame,
    *,
    a: str = "original",
    b: str = "reversed",
    order: str = "order",
    pair_on: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    respondent: str = "respondent",
    scale: str = "scale",
    instrument: str = "instrument",
    value: str = "value",
    keyed: str = "keyed",
    status: str | None = "status",
    shown_values: str = "shown_values",
    scale_min: float | None = None,
    scale_max: float | None = None,
) -> OrderSensitivityResult:
    """Does the order of the response options change the scale score? One row per (by..., instrument, scale).

    Each respondent's scale score under order ``a`` is paired with the score of the respondent that
    differs only in its order (``pair_on``, default every identifying factor but the order: model x
    persona x template x repeat). With d_i = y_i(a) - y_i(b) over the n complete pairs:

    * ``mean_diff`` = mean(d), ``mean_abs_diff`` = mean(|d|);
    * paired t test t = mean(d) / (sd(d) / sqrt(n)) on n - 1 df (``scipy.stats.ttest_rel``; R
      ``t.test(x, y, paired = TRUE)``);
    * Wilcoxon (1945) signed-rank test, V = sum of ranks of |d_i| over d_i > 0, zeros dropped
      (``scipy.stats.wilcoxon``; R ``wilcox.test(x, y, paired = TRUE)``: exact for n < 50 without ties,
      else normal approximation with continuity correction);
    * Pearson r between y(a) and y(b) (``scipy.stats.pearsonr``; R ``cor.test``);
    * when the table has more than two orders, the Friedman test across all of them (complete targets).

    ``significant`` is our definition: Wilcoxon p < 1 - ``conf_level`` (or, with more than two orders,
    Friedman p < 1 - ``conf_level``). Scores that never change give NaN tests and ``significant = False``.

    Parameters
    ----------
    long : the long results table.
    a, b : the two option orders compared (values of ``order``).
    order : the column holding the option order.
    pair_on : the columns identifying a respondent across orders (default: the identifying factors
        of docs/architecture.md present, but the order and ``by``).
    by : column(s) to break the tests down by.
    conf_level : significant means p < 1 - conf_level (default 0.95).
    respondent, scale, instrument, value, keyed, status, shown_values, scale_min, scale_max : as in
        :func:`psychometry.stats.tidy.scale_scores`.

    References: Wilcoxon (1945), Biometrics Bull. 1, 80-83. Friedman (1937), JASA 32, 675-701.
    Gupta et al. (2024) (reversed option order as a robustness check).

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import order_sensitivity
    >>> rows = [{"persona": p, "order": o, "respondent": f"{p}/{o}", "instrument": "i", "scale": "E",
    ...          "item": "e1", "keyed": 1, "status": "ok", "shown_values": "1,2,3,4,5",
    ...          "value": float(base + (shift if o == "reversed" else 0))}
    ...         for p, base, shift in zip("abcdefgh", [1, 2, 2, 3, 3, 4, 1, 2], [1, 2, 1, 1, 2, 1, 3, 1])
    ...         for o in ("original", "reversed")]
    >>> os_ = order_sensitivity(pd.DataFrame(rows), a="original", b="reversed")
    >>> os_.to_frame()[["scale", "n", "mean_diff", "v", "p_wilcoxon", "significant"]].round(4)
      scale  n  mean_diff    v  p_wilcoxon  significant
    0     E  8       -1.5  0.0      0.0119         True
    """
    what = "order_sensitivity"
    _check_conf_level(conf_level, what)
    alpha = round(1.0 - conf_level, 12)
    by_ = _as_list(by)
    ss, groups, pair_on_ = _paired_scores(
        long,
        order,
        pair_on,
        by_,
        what,
        respondent=respondent,
        scale=scale,
        instrument=instrument,
        value=value,
        keyed=keyed,
        status=status,
        shown_values=shown_values,
        scale_min=scale_min,
        scale_max=scale_max,
    )
    ss[order] = ss[order].astype(str)
    orders = tuple(pd.unique(ss[order]))
    for o, name in ((a, "a"), (b, "b")):
        if str(o) not in orders:
            raise LongTableError(
                f"{what}: order {name}={o!r} is not in column '{order}' (orders: {', '.join(orders)})"
            )
    if str(a) == str(b):
        raise LongTableError(f"{what}: a and b are the same order {a!r}")
    rows = []
    for key, g in ss.groupby(groups, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        r = dict.fromkeys(_ORDER_COLS, math.nan)
        wide = g.pivot(index="__s", columns=order, values="score")
        pair = wide[[str(a), str(b)]].dropna()
        x, y = pair[str(a)].to_numpy(), pair[str(b)].to_numpy()
        n = len(pair)
        d = x - y
        r.update(n_pairs=n, n_orders=len(orders), significant=False)
        if n:
            r.update(
                mean_a=float(x.mean()),
                mean_b=float(y.mean()),
                mean_diff=float(d.mean()),
                mean_abs_diff=float(np.abs(d).mean()),
            )
        if n >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if np.ptp(d) > 0:
                    t = _st.ttest_rel(x, y)
                    r.update(t=float(t.statistic), t_df=float(n - 1), t_p=float(t.pvalue))
                r["V"], r["wilcoxon_p"] = _wilcoxon_r(d)
                if n >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0:
                    c = _st.pearsonr(x, y)
                    r.update(r=float(c.statistic), r_p=float(c.pvalue))
        if len(orders) > 2:
            full, dl = _complete_long(g, order, orders)
            r["n_complete"] = len(full)
            r["friedman_Q"], r["friedman_df"], r["friedman_p"], _ = _friedman(dl)
            r["significant"] = bool(r["friedman_p"] < alpha)
        else:
            r["n_complete"] = n
            r["significant"] = bool(r["wilcoxon_p"] < alpha)
        rows.append({**dict(zip(groups, key)), **r})
    table = pd.DataFrame(rows, columns=groups + _ORDER_COLS)
    return OrderSensitivityResult(
        table=table, a=str(a), b=str(b), pair_on=tuple(pair_on_), orders=orders, conf_level=conf_level
    )


# ==================================================================================================
# position bias


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


# ==================================================================================================
# response styles


_STYLE_COLS = [
    "n_items",
    "acquiescence",
    "agree_both",
    "n_pairs",
    "extreme",
    "midpoint",
    "straightlining",
    "longest_run",
    "entropy",
]


@dataclass(frozen=True)
class ResponseStylesResult(Result):
    """Response-style indices per respondent (and instrument).

    Attributes
    ----------
    table : one row per (respondent, instrument) with the identifying factors and ``n_items`` (answered),
        ``acquiescence``, ``agree_both``, ``n_pairs``, ``extreme``, ``midpoint``, ``straightlining``,
        ``longest_run``, ``entropy``; see :func:`response_styles` for the definitions.
    """

    table: pd.DataFrame = field(repr=False)
    group: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per (respondent, instrument): the identifying factors and the indices."""
        return self.table.copy()

    def summary(self, digits: int = 3, by: str | Sequence[str] | None = None) -> str:
        """Mean of each index over respondents, by ``by`` (default: model and instrument, if present)."""
        keys = _as_list(by) if by is not None else present(self.table, ["model", "instrument"])
        cols = [
            "acquiescence",
            "agree_both",
            "extreme",
            "midpoint",
            "straightlining",
            "longest_run",
            "entropy",
        ]
        t = self.table
        if keys:
            g = t.groupby(keys, sort=True, dropna=False)
            show = pd.concat([g.size().rename("n"), g[cols].mean()], axis=1)
            show.index = [_label(i) for i in show.index]
        else:
            show = pd.DataFrame([{"n": len(t), **t[cols].mean().to_dict()}], index=["all"])
        show = show.dropna(axis=1, how="all")
        return "\n".join(
            [
                "Response styles (psychometry.stats.response_styles), means over respondents",
                "acquiescence: mean raw answer; agree_both: share of forward/reverse item pairs agreed with "
                "on both poles; extreme / midpoint: share of answers at the scale end points / midpoint; "
                "straightlining: share of identical consecutive answers",
                "",
                format_frame(show, digits),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def response_styles(
    long: pd.DataFrame,
    *,
    respondent: str = "respondent",
    instrument: str | None = "instrument",
    scale: str = "scale",
    value: str = "value",
    keyed: str = "keyed",
    status: str | None = "status",
    shown_values: str = "shown_values",
    entropy: str | None = "entropy",
    sequence: str | None = None,
    factors: Sequence[str] = FACTORS,
    scale_min: float | None = None,
    scale_max: float | None = None,
) -> ResponseStylesResult:
    """Response-style indices per respondent x instrument, on the raw answers (before reverse keying).

    With x_1..x_n the respondent's answered items (status ``ok``) in administration order (table order, or
    sorted by ``sequence``), scale end points lo, hi and midpoint m = (lo + hi) / 2:

    * ``acquiescence`` = mean_j x_j over forward AND reverse-keyed items (the mean raw agreement; on a
      balanced scale content cancels and what remains is the tendency to agree: Paulhus 1991; Soto,
      John, Gosling & Potter 2008). 5 on a 1-5 scale = agrees with everything;
    * ``agree_both`` (agreement with both poles) = sum_s A+_s A-_s / sum_s N+_s N-_s, where for scale s
      N+_s, N-_s are the numbers of answered forward / reverse-keyed items and A+_s, A-_s those answered
      above the midpoint (x > m): the share of (forward, reverse) item pairs of the same scale that the
      respondent agreed with both, i.e. contradicted itself (``n_pairs`` = sum_s N+_s N-_s; NaN without
      pairs). A consistent respondent scores 0, an acquiescent one 1;
    * ``extreme`` = share of answers equal to lo or hi (extreme response style, ERS), and ``midpoint`` =
      share equal to m (midpoint response style, MRS; NaN when m is not an option, e.g. a 1-4 scale):
      Baumgartner & Steenkamp (2001);
    * ``straightlining`` = share of the n - 1 consecutive pairs with x_j = x_{j-1}, and ``longest_run``
      = the longest run of identical consecutive answers (Herzog & Bachman 1981; Kim et al. 2019);
    * ``entropy`` = mean entropy (nats) of the model's option distributions (logprob mode; NaN otherwise):
      0 = certain, log k = uniform over k options.

    lo / hi are ``scale_min`` / ``scale_max`` when given, else the min / max of the row's
    ``shown_values``. Refused and unparsed items are left out (they neither break nor extend a run).

    References: Baumgartner, H. & Steenkamp, J.-B. E. M. (2001). Response styles in marketing research:
    a cross-national investigation. J. Marketing Research 38, 143-156. Paulhus, D. L. (1991). Measurement
    and control of response bias. In Robinson, Shaver & Wrightsman (eds.), Measures of Personality and
    Social Psychological Attitudes, 17-59. Soto, C. J., John, O. P., Gosling, S. D. & Potter, J. (2008).
    J. Pers. Soc. Psychol. 94, 718-737. Herzog, A. R. & Bachman, J. G. (1981). Effects of questionnaire
    length on response quality. Public Opinion Quarterly 45, 549-559. Kim, Y., Dykema, J., Stevenson, J.,
    Black, P. & Moberg, D. P. (2019). Straightlining: overview of measurement, comparison of indicators,
    and effects in mail-web mixed-mode surveys. Social Science Computer Review 37, 214-233.

    Returns
    -------
    ResponseStylesResult: ``table`` (= ``to_frame()``), ``summary()``.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import response_styles
    >>> long = pd.DataFrame({"respondent": ["r1"] * 4 + ["r2"] * 4, "instrument": "i", "scale": "E",
    ...                      "keyed": [1, 1, -1, -1] * 2, "status": "ok", "shown_values": "1,2,3,4,5",
    ...                      "value": [5.0, 5.0, 5.0, 5.0, 4.0, 3.0, 2.0, 1.0]})
    >>> response_styles(long).to_frame()[["respondent", "acquiescence", "agree_both", "extreme",
    ...                                   "straightlining"]].round(3)
      respondent  acquiescence  agree_both  extreme  straightlining
    0         r1           5.0         1.0     1.00             1.0
    1         r2           2.5         0.0     0.25             0.0
    """
    what = "response_styles"
    require_columns(long, [respondent, value], what)
    if long.empty:
        raise LongTableError(f"{what}: the long table has no rows")
    grp = [respondent] + ([instrument] if instrument is not None and instrument in long.columns else [])
    facs = [c for c in present(long, factors) if c not in grp]
    x = ok_values(long, value, status, what)
    lo, hi = scale_bounds(
        long, shown_values=shown_values, scale_min=scale_min, scale_max=scale_max, what=what
    )
    mid = (lo + hi) / 2
    if scale_min is None or scale_max is None:
        shown, parsed = shown_lists(long, shown_values, what)
        mid_ok = shown.map({s: ((min(v) + max(v)) / 2) in v for s, v in parsed.items()}).astype(bool)
    else:
        mid_ok = pd.Series(True, index=long.index)
    f = long[grp + facs].copy()
    f["__x"] = x.to_numpy()
    f["__ext"] = ((x == lo) | (x == hi)).astype(float).to_numpy()
    f["__mid"] = (x == mid).astype(float).where(mid_ok).to_numpy()
    if sequence is not None:
        require_columns(long, [sequence], what)
        f["__seq"] = long[sequence].to_numpy()
    f["__ent"] = (
        numeric_column(long, entropy, what).to_numpy()
        if entropy is not None and entropy in long.columns
        else math.nan
    )
    has_keys = keyed in long.columns and scale in long.columns
    if has_keys:
        k = numeric_column(long, keyed, what)
        agree = (x > mid).astype(float)
        f["__scale"] = long[scale].to_numpy()
        f["__fN"] = (k > 0).astype(float).to_numpy()
        f["__rN"] = (k < 0).astype(float).to_numpy()
        f["__fA"] = ((k > 0).astype(float) * agree).to_numpy()
        f["__rA"] = ((k < 0).astype(float) * agree).to_numpy()
    f = f[f["__x"].notna()]
    if f.empty:
        raise LongTableError(f"{what}: no answered rows (status 'ok' with a '{value}')")
    if sequence is not None:
        f = f.sort_values(grp + ["__seq"], kind="stable")
    else:
        f = f.sort_values(
            grp, kind="stable"
        )  # stable: keeps table (administration) order within a respondent
    g = f.groupby(grp, sort=False, dropna=False)
    out = g.agg(
        n_items=("__x", "size"),
        acquiescence=("__x", "mean"),
        extreme=("__ext", "mean"),
        midpoint=("__mid", "mean"),
        entropy=("__ent", "mean"),
    )
    # agreement with both poles: pairs within a scale
    if has_keys:
        per_scale = f.groupby(grp + ["__scale"], sort=False, dropna=False)[
            ["__fN", "__rN", "__fA", "__rA"]
        ].sum()
        per_scale["__pairs"] = per_scale["__fN"] * per_scale["__rN"]
        per_scale["__both"] = per_scale["__fA"] * per_scale["__rA"]
        pr = per_scale.groupby(level=list(range(len(grp))), sort=False)[["__pairs", "__both"]].sum()
        pr.index = pr.index if len(grp) > 1 else pr.index.get_level_values(0)
        pr = pr.reindex(out.index)
        out["n_pairs"] = pr["__pairs"].astype(int).to_numpy()
        out["agree_both"] = (pr["__both"] / pr["__pairs"].replace(0, np.nan)).to_numpy()
    else:
        out["n_pairs"] = 0
        out["agree_both"] = math.nan
    # straight-lining: identical consecutive answers and the longest run, vectorised with run ids
    gid = g.ngroup().to_numpy()
    xv = f["__x"].to_numpy()
    same_group = np.r_[False, gid[1:] == gid[:-1]]
    same = same_group & np.r_[False, xv[1:] == xv[:-1]]
    run_id = np.cumsum(~same)
    run_len = np.bincount(run_id)[run_id]
    ng = int(gid.max()) + 1
    pairs_n = np.bincount(gid, weights=same_group.astype(float), minlength=ng)
    same_n = np.bincount(gid, weights=same.astype(float), minlength=ng)
    longest = np.zeros(ng, dtype=int)
    np.maximum.at(longest, gid, run_len)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["straightlining"] = np.where(pairs_n > 0, same_n / np.where(pairs_n > 0, pairs_n, 1), np.nan)
    out["longest_run"] = longest
    if facs:
        out = pd.concat([g[facs].first(), out], axis=1)
    out = out.reset_index()
    return ResponseStylesResult(table=out[facs + grp + _STYLE_COLS], group=tuple(grp))
