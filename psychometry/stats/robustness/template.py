"""Does the prompt template change the scale score (:func:`template_sensitivity`): ICC, Friedman test,
repeated-measures ANOVA and Holm-corrected paired comparisons.

Formulas, references and tests: docs/statistics/robustness.md."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pingouin as pg

from psychometry.stats._api import Result
from psychometry.stats._columns import LongColumns
from psychometry.stats._rprint import fmt_number, format_frame
from psychometry.stats.reliability import icc
from psychometry.stats.tidy import LongTableError

from ._shared import (
    SIGNIFICANCE_RULE,
    _as_list,
    _check_conf_level,
    _col,
    _complete_long,
    _first,
    _friedman,
    _label,
    _paired_scores,
    _tidy,
)

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
    cols = LongColumns(
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
    ss, groups, pair_on_ = _paired_scores(
        long,
        template,
        pair_on,
        by_,
        what,
        cols,
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
