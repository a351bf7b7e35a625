"""Behaviour prediction: regressions of behavioural-task scores on trait scores.

The question of predictive validity (does a questionnaire's trait score predict what the same
respondent *does*?) asked of simulated respondents: every persona answers a trait inventory and
behavioural tasks (``instruments/tasks/``: dictator game, risk, honesty, cooperation), and each
behaviour is regressed on the traits.

* :func:`respondent_scores` / :func:`trait_behaviour_scores`: from the long results table to one row
  per respondent *unit* -- by default ``(model, persona, repeat)`` -- with one column per scale,
  averaging each scale score over the prompt templates and option orders the unit answered under.
* :func:`behaviour_regression`: per behaviour, the OLS regression

  .. math:: y_i = b_0 + \\sum_{j=1}^{k} b_j x_{ij} + e_i

  fitted with statsmodels, with coefficients, standard errors, t, p, 95% confidence intervals,
  standardised betas :math:`\\beta_j = b_j s_{x_j} / s_y`, R², adjusted R², the overall F test and n;
  optionally heteroskedasticity-consistent (HC0-HC3) or cluster-robust standard errors.
  ``summary()`` prints like R's ``summary(lm())``.

Checked against R's ``lm()`` (and hand-coded HC3 / CR1 sandwich estimators in base R) in
``tests/test_stats_prediction.py`` via ``tests/reference/prediction.R``; formulas in
``docs/statistics/prediction.md``.

References: Fox, J. (2016). *Applied regression analysis and generalized linear models* (3rd ed.).
Sage (OLS, F test, standardised coefficients). MacKinnon, J. G., & White, H. (1985). Some
heteroskedasticity-consistent covariance matrix estimators with improved finite sample properties.
*Journal of Econometrics, 29*, 305-325 (HC3). Cameron, A. C., & Miller, D. L. (2015). A
practitioner's guide to cluster-robust inference. *Journal of Human Resources, 50*, 317-372 (CR1,
G - 1 degrees of freedom).

This module imports nothing from the engine (it works on any table with the long-table columns).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from psychometry.errors import StatsInputError

from ._api import Result
from ._columns import LongColumns
from ._rprint import (
    SIGNIF_LEGEND,
    format_frame,
    format_named_vector,
    format_pval,
    format_signif,
    format_strings,
    print_coefmat,
    stars,
)
from .tidy import LongTableError, require_columns, score_scales

__all__ = [
    "RESPONDENT_KEY",
    "BehaviourRegressionResult",
    "RegressionFitResult",
    "TraitBehaviourScoresResult",
    "behaviour_regression",
    "respondent_scores",
    "trait_behaviour_scores",
]

#: The columns that identify one simulated person across instruments: templates and option orders
#: differ between a questionnaire (likert templates) and a task (choice templates), so the
#: respondent ids of the long table never match across them; these three do.
RESPONDENT_KEY: tuple[str, ...] = ("model", "persona", "repeat")

ROBUST_TYPES = ("HC0", "HC1", "HC2", "HC3")


# --------------------------------------------------------------------------------------------------
# long table -> per-respondent scores


def respondent_scores(
    long: pd.DataFrame,
    *,
    instruments: str | Sequence[str] | None = None,
    key: Sequence[str] = RESPONDENT_KEY,
    value: str = "value",
    instrument: str = "instrument",
    scale: str = "scale",
    respondent: str = "respondent",
    keyed: str = "keyed",
    status: str | None = "status",
    shown_values: str = "shown_values",
) -> pd.DataFrame:
    """Scale scores per respondent unit (default ``(model, persona, repeat)``), one column per scale.

    Two steps, for each instrument:

    1. the scale score of every simulated respondent (``respondent``: one model, persona, template,
       option order and repeat) is the mean of its answered items after reverse keying
       (:func:`psychometry.stats.tidy.scale_scores`: ``x`` for forward items, ``min + max - x``
       for reverse-keyed ones, min/max from ``shown_values``);
    2. the scores are averaged over the templates and option orders of the unit:

       .. math:: s_{u,c} = \\frac{1}{|T_u|} \\sum_{t \\in T_u} s_{t,c}

       where :math:`T_u` are the unit's (template, order) conditions with a score on scale c.

    Why average: a questionnaire is answered under likert templates and a task under choice
    templates, so the long table's respondent ids never coincide across them; the person (persona)
    does. Averaging over parallel prompt forms also lowers prompt-specific error, as the mean of
    parallel test forms does (Spearman-Brown). Scores are item means: for a ``sum``-scored scale or
    one with an ``offset`` they are a linear transform of the instrument's own score, which changes
    raw slopes by a constant factor but leaves standardised betas, t, p and R² as they are.

    Parameters
    ----------
    long : the long results table (docs/architecture.md).
    instruments : instrument id(s) to score; ``None`` = every instrument in the table.
    key : the columns identifying a unit. Use ``("model", "persona")`` to average over repeats too,
        or ``("respondent",)`` to keep every condition apart (only within one instrument).
    value : ``"value"`` (the chosen option) or ``"expected"`` (logprob mode's probability-weighted
        value: a finer-grained score).
    instrument, scale, respondent, keyed, status, shown_values : column names.

    Returns
    -------
    DataFrame indexed by ``key`` (a MultiIndex for two or more columns), one float column per scale
    (named by the scale id; ``<instrument>_<scale>`` where two instruments share a scale id), NaN
    where the unit has no answer on that scale. ``attrs["instruments"]`` maps each column to its
    instrument, ``attrs["conditions"]`` holds, per unit and column, the number of conditions averaged.

    Example
    -------
    >>> import pandas as pd
    >>> long = pd.DataFrame({
    ...     "model": "m", "persona": ["p1", "p1", "p2", "p2"], "repeat": 0,
    ...     "respondent": ["m/p1/t1/original/0", "m/p1/t2/original/0", "m/p2/t1/original/0", "m/p2/t2/original/0"],
    ...     "instrument": "dictator", "item": "dg1", "scale": "generosity", "keyed": 1,
    ...     "value": [0.0, 20.0, 50.0, 80.0], "status": "ok", "shown_values": "0,20,50,80"})
    >>> scores = respondent_scores(long)
    >>> scores.index.names, scores["generosity"].tolist()
    (FrozenList(['model', 'persona', 'repeat']), [10.0, 65.0])
    """
    what = "respondent_scores"
    key = [key] if isinstance(key, str) else list(key)
    if not key:
        raise LongTableError(f"{what}: key must name at least one column (e.g. model, persona, repeat)")
    require_columns(long, [instrument, scale, value, keyed, respondent, *key], what)
    available = list(pd.unique(long[instrument].astype(str)))
    if instruments is None:
        ids = available
    else:
        ids = [instruments] if isinstance(instruments, str) else [str(i) for i in instruments]
        if not ids:
            raise LongTableError(f"{what}: no instrument given")
        missing = [i for i in ids if i not in available]
        if missing:
            raise LongTableError(
                f"{what}: the long table has no rows of instrument(s) {', '.join(map(repr, missing))} "
                f"(instruments: {', '.join(available) or 'none'})"
            )
    if len(set(ids)) != len(ids):
        raise LongTableError(
            f"{what}: instrument given twice: {', '.join(sorted({i for i in ids if ids.count(i) > 1}))}"
        )

    # one instrument at a time: scale scores without an instrument column
    cols = LongColumns(
        respondent=respondent,
        scale=scale,
        instrument=None,
        value=value,
        keyed=keyed,
        status=status,
        shown_values=shown_values,
    )
    per_inst: list[tuple[str, pd.DataFrame]] = []
    for iid in ids:
        rows = long[long[instrument].astype(str) == iid]
        # every unit-key column must be constant within a simulated respondent
        nunique = rows.groupby(respondent, sort=False)[key].nunique(dropna=False)
        if (nunique > 1).any().any():
            col = nunique.columns[(nunique > 1).any()][0]
            who = nunique.index[nunique[col] > 1][0]
            raise LongTableError(
                f"{what}: respondent {who!r} has more than one {col!r}; the key columns "
                f"{key} must identify groups of respondents"
            )
        ss = score_scales(rows, cols, factors=key)
        agg = (
            ss.groupby(key + [scale], sort=False, dropna=False)["score"].agg(["mean", "count"]).reset_index()
        )
        per_inst.append((iid, agg))

    # column names: the scale id, or <instrument>_<scale> where scale ids collide across instruments
    owners: dict[str, list[str]] = {}
    for iid, agg in per_inst:
        for sc in pd.unique(agg[scale].astype(str)):
            owners.setdefault(sc, []).append(iid)
    frames, counts, column_owner = [], [], {}
    for iid, agg in per_inst:
        agg = agg.copy()
        agg["__col"] = [sc if len(owners[sc]) == 1 else f"{iid}_{sc}" for sc in agg[scale].astype(str)]
        # only the units that exist (a pivot over several key columns would add every combination)
        g = agg.groupby(list(key) + ["__col"], sort=False, dropna=False)
        wide = g["mean"].first().unstack("__col")
        cnt = g["count"].first().unstack("__col")
        order = list(pd.unique(agg["__col"]))
        frames.append(wide.reindex(columns=order))
        counts.append(cnt.reindex(columns=order))
        column_owner.update({c: iid for c in order})
    out = pd.concat(frames, axis=1, sort=False) if len(frames) > 1 else frames[0]
    n_cond = pd.concat(counts, axis=1, sort=False) if len(counts) > 1 else counts[0]
    out.columns.name = None
    n_cond.columns.name = None
    out = out.astype(float)
    out.attrs["instruments"] = column_owner
    out.attrs["conditions"] = n_cond.fillna(0).astype(int)
    return out


@dataclass(frozen=True, eq=False)
class TraitBehaviourScoresResult(Result):
    """Result of :func:`trait_behaviour_scores`: trait and behaviour scores on one shared index.

    Attributes
    ----------
    traits : DataFrame indexed by the unit key, one column per trait scale (``data`` of
        :func:`behaviour_regression`).
    behaviour : DataFrame on the same index, one column per behaviour scale (``behaviour`` of
        :func:`behaviour_regression`).
    key : the columns identifying a unit.

    Both carry ``attrs["instruments"]`` (column -> instrument) and ``attrs["conditions"]`` (per unit
    and column, the number of conditions averaged).
    """

    traits: pd.DataFrame = field(repr=False)
    behaviour: pd.DataFrame = field(repr=False)
    key: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per (unit, scale): the ``key`` columns, ``role`` (``trait`` / ``behaviour``),
        ``instrument``, ``scale`` (the column name), ``score`` and ``n_conditions``."""
        parts = []
        for role, wide in (("trait", self.traits), ("behaviour", self.behaviour)):
            if wide.shape[1] == 0:
                continue
            cond = wide.attrs["conditions"].reindex(index=wide.index, columns=wide.columns)
            score = wide.rename_axis(index=list(self.key)).reset_index()
            score = score.melt(id_vars=list(self.key), var_name="scale", value_name="score")
            n_cond = cond.to_numpy().T.reshape(-1)  # melt stacks column by column
            part = score.assign(score=score["score"].astype(float))
            part["n_conditions"] = pd.Series(n_cond).fillna(0).astype(int).to_numpy()
            part.insert(len(self.key), "role", role)
            part.insert(len(self.key) + 1, "instrument", part["scale"].map(wide.attrs["instruments"]))
            parts.append(part)
        cols = [*self.key, "role", "instrument", "scale", "score", "n_conditions"]
        return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)

    def summary(self, digits: int = 3) -> str:
        """Per scale: instrument, number of units with a score, mean and SD over units."""
        rows = {}
        for role, wide in (("trait", self.traits), ("behaviour", self.behaviour)):
            for c in wide.columns:
                rows[c] = {
                    "role": role,
                    "instrument": wide.attrs["instruments"].get(c, ""),
                    "n": int(wide[c].notna().sum()),
                    "mean": float(wide[c].mean()),
                    "sd": float(wide[c].std(ddof=1)),
                }
        table = pd.DataFrame.from_dict(rows, orient="index")
        return "\n".join(
            [
                "Trait and behaviour scores per unit (psychometry.stats.trait_behaviour_scores)",
                f"units = {' x '.join(self.key)} ({len(self.traits)} units); scores averaged over the "
                "unit's templates and option orders",
                "",
                format_frame(table, digits) if len(table) else "(no scales)",
            ]
        )


def trait_behaviour_scores(
    long: pd.DataFrame,
    *,
    trait_instruments: str | Sequence[str],
    behaviour_instruments: str | Sequence[str],
    key: Sequence[str] = RESPONDENT_KEY,
    value: str = "value",
    **columns: str,
) -> TraitBehaviourScoresResult:
    """Trait scores and behaviour scores of the same respondent units, on one shared index.

    ``trait_instruments`` are the questionnaire ids (e.g. ``"bfi44"``), ``behaviour_instruments`` the
    task ids (e.g. ``["dictator", "honesty"]``); both are scored with :func:`respondent_scores`
    (the unit's score on scale c is ``s_uc = mean_{t in T_u} s_tc``, the
    mean over the unit's templates and orders of the item-mean scale scores) and aligned on ``key``
    (default ``(model, persona, repeat)``). Units missing from one side get NaN there;
    :func:`behaviour_regression` drops them per model. Reference: as :func:`respondent_scores`.

    Parameters
    ----------
    long : the long results table.
    trait_instruments, behaviour_instruments : instrument id(s) (the two must not overlap).
    key, value, **columns : as in :func:`respondent_scores`.

    Returns
    -------
    TraitBehaviourScoresResult with ``traits`` and ``behaviour`` (DataFrames on one index).

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import trait_behaviour_scores
    >>> long = pd.DataFrame({
    ...     "model": "m", "persona": ["p1", "p1", "p2", "p2"], "repeat": 0,
    ...     "respondent": ["m/p1/likert", "m/p1/choice", "m/p2/likert", "m/p2/choice"],
    ...     "instrument": ["bfi", "dictator"] * 2, "item": ["e1", "dg1"] * 2,
    ...     "scale": ["E", "generosity"] * 2, "keyed": 1, "value": [2.0, 20.0, 5.0, 80.0],
    ...     "status": "ok", "shown_values": ["1,2,3,4,5", "0,20,50,80"] * 2})
    >>> tb = trait_behaviour_scores(long, trait_instruments="bfi", behaviour_instruments="dictator")
    >>> tb.traits["E"].tolist(), tb.behaviour["generosity"].tolist()
    ([2.0, 5.0], [20.0, 80.0])
    """
    traits, behaviours = trait_instruments, behaviour_instruments
    t_ids = [traits] if isinstance(traits, str) else list(traits)
    b_ids = [behaviours] if isinstance(behaviours, str) else list(behaviours)
    both = set(t_ids) & set(b_ids)
    if both:
        raise LongTableError(
            f"trait_behaviour_scores: {', '.join(sorted(both))} given as both trait and behaviour instruments"
        )
    key = [key] if isinstance(key, str) else list(key)
    scores = respondent_scores(long, instruments=t_ids + b_ids, key=key, value=value, **columns)
    owner = scores.attrs["instruments"]
    t_cols = [c for c in scores.columns if owner[c] in t_ids]
    b_cols = [c for c in scores.columns if owner[c] in b_ids]
    t, b = scores[t_cols].copy(), scores[b_cols].copy()
    for part, cols in ((t, t_cols), (b, b_cols)):
        part.attrs["instruments"] = {c: owner[c] for c in cols}
        part.attrs["conditions"] = scores.attrs["conditions"][cols]
    return TraitBehaviourScoresResult(traits=t, behaviour=b, key=tuple(key))


# --------------------------------------------------------------------------------------------------
# regression


@dataclass(frozen=True, eq=False)
class RegressionFitResult(Result):
    """One behaviour's OLS fit (see :func:`behaviour_regression`).

    Attributes
    ----------
    behaviour : the outcome's name.
    predictors : the trait columns, in model order.
    coefficients : DataFrame indexed by term (``(Intercept)``, then the predictors) with
        ``estimate``, ``se``, ``t``, ``p``, ``ci_low``, ``ci_high`` (``conf_level``) and ``beta``
        (standardised coefficient; NaN for the intercept); R's lm columns, as ``summary()`` prints
        them. ``to_frame()`` is this table with ``t`` named ``statistic``.
    n : observations used; ``n_missing``: rows dropped for a missing value (listwise).
    df_model, df_resid : k and n - k - 1. ``df_inference``: the t and F denominator degrees of
        freedom (``df_resid``, or G - 1 with cluster-robust standard errors).
    sigma : residual standard error sqrt(SSR / df_resid).
    r_squared, adj_r_squared : 1 - SSR/SST and 1 - (1 - R²)(n - 1)/df_resid.
    f_statistic, f_df, f_p : the test of all slopes = 0 (classical, or the robust Wald F).
    residuals : Series of e_i, indexed like the input rows.
    se_type : ``classical``, ``HC0``..``HC3`` or ``cluster``; ``n_clusters`` with ``cluster``.
    """

    behaviour: str
    predictors: tuple[str, ...]
    coefficients: pd.DataFrame
    n: int
    n_missing: int
    df_model: int
    df_resid: int
    df_inference: float
    sigma: float
    r_squared: float
    adj_r_squared: float
    f_statistic: float
    f_df: tuple[float, float]
    f_p: float
    residuals: pd.Series = field(repr=False)
    se_type: str = "classical"
    n_clusters: int | None = None
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table (one row per term): estimate, se, statistic (t), p, ci_low, ci_high,
        beta."""
        return self.coefficients.rename(columns={"t": "statistic"})

    def summary(self, digits: int = 4) -> str:
        """R's ``print(summary(lm(y ~ x1 + ... + xk)))``: call, residual quantiles, coefficient table
        with significance stars, residual standard error, R², adjusted R² and the F test.

        With robust standard errors, the coefficient header and the F line name the estimator (R's
        ``summary.lm`` has no robust option; ``lmtest::coeftest`` prints the same table).
        """
        lines = ["", "Call:", f"lm(formula = {_formula(self.behaviour, self.predictors)})", ""]
        lines += _residual_block(self.residuals, self.df_resid, digits)
        se_note = {
            "classical": "",
            "cluster": f" (cluster-robust CR1 standard errors, {self.n_clusters} clusters)",
        }
        note = se_note.get(self.se_type, f" ({self.se_type} standard errors)")
        lines += ["", f"Coefficients{note}:"]
        coef = self.coefficients[["estimate", "se", "t", "p"]]
        lines += print_coefmat(coef, digits=digits)
        lines.append("")
        lines.append(
            f"Residual standard error: {format_signif([_signif(self.sigma, digits)], 7)[0]} on "
            f"{self.df_resid} degrees of freedom"
        )
        if self.n_missing:
            word = "observation" if self.n_missing == 1 else "observations"
            lines.append(f"  ({self.n_missing} {word} deleted due to missingness)")
        f_label = "F-statistic:" if self.se_type == "classical" else f"Wald F-statistic ({self.se_type}):"
        lines.append(
            f"Multiple R-squared:  {_format_c(self.r_squared, digits)},\tAdjusted R-squared:  "
            f"{_format_c(self.adj_r_squared, digits)} "
        )
        lines.append(
            f"{f_label} {_format_c(self.f_statistic, digits)} on {_format_df(self.f_df[0])} and "
            f"{_format_df(self.f_df[1])} DF,  p-value: {format_pval([self.f_p], digits)[0]}"
        )
        lines.append("")
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class BehaviourRegressionResult(Result):
    """Result of :func:`behaviour_regression`: one :class:`RegressionFitResult` per behaviour.

    ``fits[behaviour]`` (or ``result[behaviour]``) is one model; :meth:`to_frame` stacks the
    coefficient tables; :attr:`fit_statistics` has one row per behaviour (n, R², adjusted R²,
    sigma, F, its degrees of freedom and p).
    """

    fits: Mapping[str, RegressionFitResult]
    se_type: str
    conf_level: float

    def __getitem__(self, behaviour: str) -> RegressionFitResult:
        return self.fits[behaviour]

    @property
    def behaviours(self) -> tuple[str, ...]:
        return tuple(self.fits)

    def to_frame(self) -> pd.DataFrame:
        """All coefficients: a MultiIndex (behaviour, term) by estimate, se, statistic (t), p, ci_low,
        ci_high, beta."""
        frames = {b: f.coefficients for b, f in self.fits.items()}
        return pd.concat(frames, names=["behaviour", "term"]).rename(columns={"t": "statistic"})

    @property
    def fit_statistics(self) -> pd.DataFrame:
        """One row per behaviour: n, n_missing, r_squared, adj_r_squared, sigma, F, df1, df2, p."""
        rows = {
            b: {
                "n": f.n,
                "n_missing": f.n_missing,
                "r_squared": f.r_squared,
                "adj_r_squared": f.adj_r_squared,
                "sigma": f.sigma,
                "F": f.f_statistic,
                "df1": f.f_df[0],
                "df2": f.f_df[1],
                "p": f.f_p,
            }
            for b, f in self.fits.items()
        }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "behaviour"
        return out

    @property
    def betas(self) -> pd.DataFrame:
        """Standardised coefficients: behaviours x predictors."""
        return pd.DataFrame({b: f.coefficients["beta"].drop("(Intercept)") for b, f in self.fits.items()}).T

    def summary(self, digits: int = 4) -> str:
        """An overview (standardised betas with stars, R², adjusted R², n per behaviour), then each
        behaviour's ``summary(lm())``."""
        se = {"classical": "classical standard errors", "cluster": "cluster-robust (CR1) standard errors"}
        head = (
            f"Behaviour regressed on traits: OLS, {se.get(self.se_type, self.se_type + ' standard errors')}, "
            f"{len(self.fits)} behaviour{'s' if len(self.fits) != 1 else ''}"
        )
        betas = self.betas
        cells = pd.DataFrame(index=betas.index, dtype=object)
        for c in betas.columns:  # each column formatted like R prints round(x, 2), then the stars
            text = format_signif(list(betas[c].round(2)), 2)
            codes = [
                stars(float(np.asarray(self.fits[b].coefficients.loc[c, "p"], dtype=float))).rstrip()
                for b in betas.index
            ]
            cells[c] = [t + code for t, code in zip(text, codes)]
        stats_ = self.fit_statistics
        cells["R2"] = format_signif(list(stats_["r_squared"].round(3)), 3)
        cells["adj.R2"] = format_signif(list(stats_["adj_r_squared"].round(3)), 3)
        cells["n"] = [str(int(v)) for v in stats_["n"]]
        parts = [
            head,
            "",
            "Standardised coefficients (beta; stars from the tests of b):",
            format_strings(cells),
            "---",
            f"Signif. codes:  {SIGNIF_LEGEND}",
        ]
        for b, f in self.fits.items():
            parts += ["", f"== {b} " + "=" * max(0, 60 - len(b)), f.summary(digits).rstrip("\n")]
        return "\n".join(parts) + "\n"


def behaviour_regression(
    data: pd.DataFrame,
    *,
    behaviour: pd.Series | pd.DataFrame,
    predictors: Sequence[str] | None = None,
    robust: str | None = None,
    cluster: str | pd.Series | Sequence | None = None,
    conf_level: float = 0.95,
) -> BehaviourRegressionResult:
    """Regress each behaviour on the trait scores by OLS (statsmodels), one model per behaviour.

    For behaviour y and traits x_1..x_k over the n respondents with no missing value in y or any x
    (listwise deletion, per behaviour)::

        y_i = b_0 + b_1 x_i1 + ... + b_k x_ik + e_i,    b = (X'X)^-1 X'y

    * standard errors: classical ``se(b) = sqrt(diag(s^2 (X'X)^-1))`` with ``s^2 = SSR / (n - k - 1)``;
      ``robust="HC3"`` (or HC0-HC2) the sandwich ``(X'X)^-1 X' diag(e_i^2 / (1 - h_ii)^2) X (X'X)^-1``
      (MacKinnon & White 1985); ``cluster=`` the cluster-robust CR1 sandwich
      ``G/(G-1) (n-1)/(n-k-1) (X'X)^-1 (sum_g X_g' e_g e_g' X_g) (X'X)^-1`` (Cameron & Miller 2015);
    * ``t = b / se(b)`` with a two-sided p from t on ``n - k - 1`` degrees of freedom (``G - 1`` with
      clusters), and the ``conf_level`` confidence interval ``b +- t_crit se(b)``;
    * standardised beta ``beta_j = b_j s_xj / s_y`` (sample SDs over the n rows used): the slope of
      ``lm(scale(y) ~ scale(x))``;
    * ``R^2 = 1 - SSR/SST``, adjusted ``1 - (1 - R^2)(n - 1)/(n - k - 1)``, residual standard error
      ``s``; the F test of all slopes = 0: ``F = (R^2 / k) / ((1 - R^2)/(n - k - 1))`` on (k, n - k - 1)
      df, or with robust/cluster standard errors the Wald ``F = b' (R V R')^-1 b / k`` (slopes b,
      robust covariance V) on (k, n - k - 1) or (k, G - 1) df.

    Parameters
    ----------
    data : DataFrame of trait scores, one row per respondent, numeric trait columns (e.g. ``.traits``
        of :func:`trait_behaviour_scores`). Rows are matched to ``behaviour`` by index.
    behaviour : Series (one behaviour) or DataFrame (one column per behaviour), same index.
    predictors : the trait columns to use (default: every column of ``data`` except a ``cluster``
        column).
    robust : ``None`` (classical), ``"HC0"``, ``"HC1"``, ``"HC2"`` or ``"HC3"``.
    cluster : cluster-robust standard errors by a grouping: a column name of ``data``, an index
        level name (``"persona"`` for the output of :func:`trait_behaviour_scores`: repeats of one
        persona are not independent), or a Series/array aligned with ``data``. Excludes ``robust``.
    conf_level : level of the confidence intervals (default 0.95).

    Returns
    -------
    BehaviourRegressionResult with ``fits`` (one :class:`RegressionFitResult` per behaviour), ``to_frame()``,
    ``fit_statistics``, ``betas`` and ``summary()``.

    Raises
    ------
    StatsInputError
        Non-numeric columns, indexes that do not match, fewer rows than parameters + 1, a constant
        behaviour, constant or collinear predictors (naming them), a bad ``robust``/``cluster``.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import behaviour_regression
    >>> traits = pd.DataFrame({"E": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "A": [2.0, 1.0, 4.0, 3.0, 6.0, 5.0]})
    >>> giving = pd.Series([10.0, 12.0, 19.0, 21.0, 30.0, 28.0], name="giving")
    >>> res = behaviour_regression(traits, behaviour=giving)
    >>> fit = res["giving"]
    >>> round(fit.r_squared, 4), fit.n
    (0.9838, 6)
    >>> fit.to_frame()[["estimate", "se", "p"]].round(3).reset_index()  # R: summary(lm(giving ~ E + A))
              term  estimate     se      p
    0  (Intercept)     4.250  1.287  0.046
    1            E     2.583  0.569  0.020
    2            A     1.917  0.569  0.044
    """
    import statsmodels.api as sm

    traits = data
    what = "behaviour_regression"
    if not isinstance(traits, pd.DataFrame):
        raise StatsInputError(
            f"{what}: data must be a pandas DataFrame of trait scores (one row per respondent, one column "
            f"per trait), got {type(traits).__name__}"
        )
    if isinstance(behaviour, pd.Series):
        behaviour = behaviour.to_frame(name=behaviour.name if behaviour.name is not None else "behaviour")
    if not isinstance(behaviour, pd.DataFrame):
        raise StatsInputError(
            f"{what}: behaviour must be a pandas Series or DataFrame, got {type(behaviour).__name__}"
        )
    if behaviour.shape[1] == 0:
        raise StatsInputError(f"{what}: behaviour has no columns")
    if not 0 < conf_level < 1:
        raise StatsInputError(f"{what}: conf_level must lie between 0 and 1, not {conf_level!r}")
    if robust is not None and robust not in ROBUST_TYPES:
        raise StatsInputError(
            f"{what}: robust must be one of {', '.join(ROBUST_TYPES)} or None, not {robust!r}"
        )
    if robust is not None and cluster is not None:
        raise StatsInputError(
            f"{what}: give robust= or cluster=, not both (cluster-robust errors are "
            f"already heteroskedasticity-robust)"
        )
    for name, frame in (("data", traits), ("behaviour", behaviour)):
        if frame.index.has_duplicates:
            dup = frame.index[frame.index.duplicated()][0]
            raise StatsInputError(
                f"{what}: {name} has the row label {dup!r} more than once; rows are matched by "
                f"index, so each respondent needs one row"
            )

    groups: pd.Series | None = None
    cluster_col: str | None = None
    if cluster is not None:
        if isinstance(cluster, str):
            if cluster in traits.columns:
                groups, cluster_col = traits[cluster], cluster
            elif cluster in (traits.index.names or []):
                groups = pd.Series(traits.index.get_level_values(cluster), index=traits.index)
            else:
                raise StatsInputError(
                    f"{what}: cluster {cluster!r} is neither a column nor an index level of "
                    f"data (columns: {', '.join(map(str, traits.columns))}; index levels: "
                    f"{', '.join(str(n) for n in traits.index.names)})"
                )
        else:
            groups = (
                cluster if isinstance(cluster, pd.Series) else pd.Series(list(cluster), index=traits.index)
            )
            if len(groups) != len(traits):
                raise StatsInputError(
                    f"{what}: cluster has {len(groups)} entries for {len(traits)} rows of data"
                )
            if not groups.index.equals(traits.index):
                groups = groups.reindex(traits.index)

    if predictors is None:
        predictors = [c for c in traits.columns if c != cluster_col]
    else:
        predictors = [predictors] if isinstance(predictors, str) else list(predictors)
        unknown = [p for p in predictors if p not in traits.columns]
        if unknown:
            raise StatsInputError(
                f"{what}: predictor(s) {', '.join(map(repr, unknown))} are not columns of data "
                f"(columns: {', '.join(map(str, traits.columns))})"
            )
    if not predictors:
        raise StatsInputError(f"{what}: no predictor columns in data")
    clash = [str(c) for c in behaviour.columns if c in predictors]
    if clash:
        raise StatsInputError(f"{what}: {', '.join(clash)} is both a predictor and a behaviour")
    for name, frame, cols in (
        ("data", traits, predictors),
        ("behaviour", behaviour, list(behaviour.columns)),
    ):
        bad = [
            str(c)
            for c in cols
            if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
        ]
        if bad:
            raise StatsInputError(f"{what}: {name} column(s) {', '.join(bad)} are not numeric")

    common = traits.index.intersection(behaviour.index, sort=False)
    if len(common) == 0:
        raise StatsInputError(
            f"{what}: data and behaviour share no row labels (index); align them on the "
            f"respondent, e.g. with trait_behaviour_scores()"
        )
    X_all = traits.loc[common, predictors].astype(float)
    fits: dict[str, RegressionFitResult] = {}
    for b in behaviour.columns:
        y_all = behaviour.loc[common, b].astype(float)
        keep = y_all.notna() & X_all.notna().all(axis=1)
        if groups is not None:
            keep &= groups.reindex(common).notna()
        n_missing = int((~keep).sum())  # rows of both tables left out for a missing value
        y, X = y_all[keep], X_all[keep]
        n, k = len(y), len(predictors)
        if n < k + 2:
            raise StatsInputError(
                f"{what}: behaviour {b!r}: {n} complete respondent(s) for {k} predictor(s) and an "
                f"intercept; need at least {k + 2}"
            )
        if float(y.std(ddof=1)) == 0.0:
            raise StatsInputError(
                f"{what}: behaviour {b!r} does not vary (every respondent scored {y.iloc[0]:g}): "
                f"nothing to predict; drop it"
            )
        sd_x = X.std(ddof=1)
        const = [str(c) for c in predictors if not sd_x[c] > 0]
        if const:
            raise StatsInputError(
                f"{what}: behaviour {b!r}: predictor(s) {', '.join(const)} do not vary over the "
                f"{n} respondents used; drop them"
            )
        design = sm.add_constant(X, has_constant="add", prepend=True)
        if np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
            raise StatsInputError(
                f"{what}: behaviour {b!r}: the predictors are collinear (one is a linear "
                f"combination of the others: {', '.join(map(str, predictors))}); drop one"
            )
        model = sm.OLS(y, design)
        n_clusters = None
        if groups is not None:
            codes, uniq = pd.factorize(groups.reindex(common)[keep])
            n_clusters = len(uniq)
            if n_clusters < 2:
                raise StatsInputError(
                    f"{what}: cluster-robust standard errors need at least 2 clusters, got {n_clusters}"
                )
            res = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
            se_type, df_inf = "cluster", float(n_clusters - 1)
        elif robust is not None:
            res = model.fit(cov_type=robust, use_t=True)
            se_type, df_inf = robust, float(res.df_resid)
        else:
            res = model.fit()
            se_type, df_inf = "classical", float(res.df_resid)
        ci = res.conf_int(alpha=1 - conf_level)
        beta = res.params * pd.concat([pd.Series({"const": math.nan}), sd_x]) / float(y.std(ddof=1))
        coef = pd.DataFrame(
            {
                "estimate": res.params,
                "se": res.bse,
                "t": res.tvalues,
                "p": res.pvalues,
                "ci_low": ci.iloc[:, 0],
                "ci_high": ci.iloc[:, 1],
                "beta": beta,
            }
        ).astype(float)
        coef.index = ["(Intercept)"] + [str(p) for p in predictors]
        coef.index.name = "term"
        if se_type == "classical":
            f_val, f_p, f_df = (
                float(res.fvalue),
                float(res.f_pvalue),
                (float(res.df_model), float(res.df_resid)),
            )
        else:  # Wald test of all slopes with the robust covariance (statsmodels: F on (k, df_inference))
            r_mat = np.eye(k + 1)[1:]
            w = res.f_test(r_mat)
            f_val, f_p = float(np.squeeze(w.fvalue)), float(np.squeeze(w.pvalue))
            f_df = (float(w.df_num), float(w.df_denom))
        fits[str(b)] = RegressionFitResult(
            behaviour=str(b),
            predictors=tuple(str(p) for p in predictors),
            coefficients=coef,
            n=n,
            n_missing=n_missing,
            df_model=k,
            df_resid=int(res.df_resid),
            df_inference=df_inf,
            sigma=float(np.sqrt(res.scale)),
            r_squared=float(res.rsquared),
            adj_r_squared=float(res.rsquared_adj),
            f_statistic=f_val,
            f_df=f_df,
            f_p=f_p,
            residuals=res.resid.rename("residual"),
            se_type=se_type,
            n_clusters=n_clusters,
            conf_level=conf_level,
        )
    return BehaviourRegressionResult(
        fits=fits, se_type=next(iter(fits.values())).se_type, conf_level=conf_level
    )


# --------------------------------------------------------------------------------------------------
# printing like R (stats:::print.summary.lm, printCoefmat, format.pval, formatC)


def _formula(y: str, xs: Sequence[str]) -> str:
    return f"{y} ~ {' + '.join(xs)}"


def _signif(x: float, digits: int) -> float:
    """R's ``signif(x, digits)``."""
    if not math.isfinite(x) or x == 0:
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def _format_c(x: float, digits: int) -> str:
    """R's ``formatC(x, digits = d)`` (C's ``%.dg``, right-aligned in d + 1 characters)."""
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Inf" if x > 0 else "-Inf")
    return f"{x:.{digits}g}".rjust(digits + 1)


def _format_df(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else format_signif([x], 7)[0]


def _zapsmall(x: np.ndarray, digits: int) -> np.ndarray:
    """R's (4.2) ``zapsmall(x, digits)``: ``round(x, max(0, digits - log10(max|x|)))``, where ``round``
    takes the nearest whole number of decimals (R >= 4.4 uses ``ceiling(log10(max|x|))``: one decimal
    fewer in some residual summaries)."""
    mx = float(np.max(np.abs(x))) if len(x) else 0.0
    d = max(0.0, digits - math.log10(mx)) if mx > 0 else float(digits)
    return np.round(x, int(math.floor(d + 0.5)))


def _residual_block(resid: pd.Series, rdf: int, digits: int) -> list[str]:
    """``Residuals:`` and the five-number summary (or every residual when df <= 5), as R prints them."""
    lines = ["Residuals:"]
    r = resid.to_numpy(dtype=float)
    if rdf > 5:
        q = np.quantile(r, [0, 0.25, 0.5, 0.75, 1])  # R's quantile type 7
        vec = pd.Series(_zapsmall(q, digits + 1), index=["Min", "1Q", "Median", "3Q", "Max"])
        lines += format_named_vector(vec, digits).split("\n")
    elif rdf > 0:
        vec = pd.Series(r, index=[str(i) for i in resid.index])
        lines += format_named_vector(vec, digits).split("\n")
    else:
        lines.append("ALL residuals are 0: no residual degrees of freedom!")
    return lines
