"""Generalised estimating equations for clustered behaviour (geepack's ``geeglm``).

Rounds of a repeated game within a persona are not independent. A GEE fits the marginal model
``g(E[y_ij]) = x_ij' b`` for observation j of cluster i, with a *working* correlation R(alpha)
between the observations of a cluster, and estimates b from

    sum_i D_i' V_i^-1 (y_i - mu_i) = 0,   V_i = phi A_i^(1/2) R(alpha) A_i^(1/2)

(Liang & Zeger 1986). The standard errors are the robust ("sandwich") ones,
``B^-1 M B^-1`` with ``B = sum D_i' V_i^-1 D_i`` and ``M = sum D_i' V_i^-1 r_i r_i' V_i^-1 D_i``:
valid whatever the true correlation. Wald chi-square ``(b / se)^2`` on 1 df, as geepack reports it.

geepack's moment estimates, which this module reproduces (statsmodels ``GEE`` with
``ddof_scale = 0``): with Pearson residuals ``e_ij = (y_ij - mu_ij) / sqrt(v(mu_ij))`` and N
observations, ``phi = sum e_ij^2 / N`` (estimated for the binomial family too, as geeglm does by
default; the robust standard errors do not depend on it) and, for the exchangeable structure,
``alpha = sum_i sum_(j<k) e_ij e_ik / (phi sum_i n_i (n_i - 1) / 2)``.

Reference: Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using generalized linear
models. *Biometrika, 73*(1), 13-22. Halekoh, U., Hojsgaard, S., & Yan, J. (2006). The R package
geepack for generalized estimating equations. *Journal of Statistical Software, 15*(2), 1-11.
Checked against ``geepack::geeglm`` in ``tests/test_stats_gee.py`` (``tests/reference/gee.R``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from psychometry.errors import StatsInputError

from ._api import Result
from ._formula import check_design, check_formula, formula_error
from ._rprint import format_frame_signif, print_coefmat

__all__ = ["FAMILIES", "GEEResult", "gee"]

#: family name -> (statsmodels family class name, link name as geepack prints it)
FAMILIES = {
    "binomial": ("Binomial", "logit"),
    "gaussian": ("Gaussian", "identity"),
    "poisson": ("Poisson", "log"),
}
COV_STRUCTS = ("exchangeable", "independence")


@dataclass(frozen=True, eq=False)
class GEEResult(Result):
    """Result of :func:`gee`.

    Attributes
    ----------
    coefficients : DataFrame indexed by term: ``estimate``, ``se`` (robust), ``wald`` (chi-square,
        1 df), ``p``, ``ci_low``, ``ci_high`` (Wald, ``conf_level``); for the binomial family also
        ``odds_ratio`` with its interval.
    alpha : the working correlation (exchangeable; NaN for independence). ``scale``: phi.
    family, cov_struct, n, n_clusters, max_cluster_size.
    """

    formula: str
    family: str
    cov_struct: str
    coefficients: pd.DataFrame
    alpha: float
    scale: float
    n: int
    n_clusters: int
    max_cluster_size: int
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """term, estimate, se, statistic (Wald chi-square), df (1), p, ci_low, ci_high (and the odds
        ratios for the binomial family)."""
        out = self.coefficients.rename(columns={"wald": "statistic"}).reset_index()
        out.insert(out.columns.get_loc("statistic") + 1, "df", 1)
        return out

    def summary(self, digits: int = 4) -> str:
        """geepack's ``print(summary(geeglm(...)))``: coefficients with robust standard errors and
        Wald tests, the correlation structure, the scale and alpha estimates (their standard errors,
        which geepack also prints, are not computed), the number and size of the clusters."""
        fam = self.family
        lines = [
            "",
            "Call:",
            f"geeglm(formula = {self.formula}, family = {fam}, data = data, id = cluster, "
            f'corstr = "{self.cov_struct}")',
            "",
            " Coefficients:",
        ]
        coef = self.coefficients[["estimate", "se", "wald", "p"]]
        lines += print_coefmat(coef, digits=digits, labels=("Wald", "Pr(>|W|)"), se_label="Std.err")
        lines += ["", f"Correlation structure = {self.cov_struct} ", "Estimated Scale Parameters:", ""]
        lines.append(
            format_frame_signif(pd.DataFrame({"Estimate": [self.scale]}, index=["(Intercept)"]), digits)
        )
        lines.append("  Link = identity ")
        if self.cov_struct != "independence":
            lines += ["", "Estimated Correlation Parameters:"]
            lines.append(
                format_frame_signif(pd.DataFrame({"Estimate": [self.alpha]}, index=["alpha"]), digits)
            )
        lines.append(
            f"Number of clusters:   {self.n_clusters}  Maximum cluster size: {self.max_cluster_size} "
        )
        return "\n".join(lines) + "\n"


def gee(
    data: pd.DataFrame,
    *,
    formula: str,
    groups: str,
    family: str = "binomial",
    cov_struct: str = "exchangeable",
    conf_level: float = 0.95,
) -> GEEResult:
    """Marginal model of clustered behaviour by GEE, as ``geepack::geeglm`` (robust standard errors).

    ``g(E[y_ij]) = x_ij' b`` for observation j (a round) of cluster i (a persona), a working
    correlation ``R(alpha)`` within clusters; robust sandwich covariance ``B^-1 M B^-1``; Wald
    chi-square ``(b/se)^2`` on 1 df; intervals ``b +- z se``; geepack's moment estimates of the scale
    (``sum e^2 / N``) and alpha (module docstring). A layer over statsmodels ``GEE``.

    Reference: Liang & Zeger (1986), *Biometrika 73*; Halekoh, Hojsgaard & Yan (2006), *J. Stat.
    Softw. 15*(2). Test: ``tests/test_stats_gee.py`` against ``geeglm``.

    Parameters
    ----------
    data : DataFrame, one row per observation; the rows of a cluster in their order (round).
    formula : patsy formula, e.g. ``"cooperate ~ trait + round"``.
    groups : the cluster column (persona).
    family : ``"binomial"`` (0/1 outcome, logit link), ``"gaussian"`` or ``"poisson"``.
    cov_struct : ``"exchangeable"`` or ``"independence"``.
    conf_level : level of the intervals.

    Returns
    -------
    GEEResult

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import gee
    >>> d = pd.DataFrame({"persona": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4],
    ...                   "x": [0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.4, 0.4, 0.4, 0.7, 0.7, 0.7],
    ...                   "coop": [0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1]})
    >>> fit = gee(d, formula="coop ~ x", groups="persona")  # R: geeglm(coop ~ x, id = persona, ...)
    >>> fit.to_frame()[["term", "estimate", "se"]].round(3)
              term  estimate     se
    0  (Intercept)    -1.155  0.449
    1            x     2.949  1.307
    >>> round(fit.alpha, 3), round(fit.scale, 3)  # geepack's alpha and scale
    (-0.252, 1.031)
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from patsy import PatsyError

    what = "gee"
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"{what}: data must be a pandas DataFrame, got {type(data).__name__}")
    if not 0 < conf_level < 1:
        raise StatsInputError(f"{what}: conf_level must lie between 0 and 1, not {conf_level!r}")
    if family not in FAMILIES:
        raise StatsInputError(f"{what}: family must be one of {', '.join(FAMILIES)}, not {family!r}")
    if cov_struct not in COV_STRUCTS:
        raise StatsInputError(
            f"{what}: cov_struct must be one of {', '.join(COV_STRUCTS)}, not {cov_struct!r}"
        )
    check_formula(what, formula)
    if groups not in data.columns:
        raise StatsInputError(
            f"{what}: groups {groups!r} is not a column of data (columns: {', '.join(map(str, data.columns))})"
        )
    outcome = formula.split("~")[0].strip()
    d = data[data[groups].notna()]
    if family == "binomial" and outcome in d.columns:
        y = d[outcome].dropna()
        if pd.api.types.is_bool_dtype(y):
            d = d.assign(**{outcome: d[outcome].astype(float)})
        elif not pd.api.types.is_numeric_dtype(y) or not set(pd.unique(y)) <= {0, 1}:
            shown = ", ".join(sorted(map(str, pd.unique(y)))[:5])
            raise StatsInputError(
                f"{what}: the outcome {outcome!r} must be binary (0/1 or True/False) for family='binomial', "
                f"not {shown}"
            )
    n_groups = int(d[groups].nunique())
    if n_groups < 2:
        raise StatsInputError(
            f"{what}: groups {groups!r} has {n_groups} group; GEE needs at least 2 clusters"
        )
    fam = getattr(sm.families, FAMILIES[family][0])()
    cs = sm.cov_struct.Exchangeable() if cov_struct == "exchangeable" else sm.cov_struct.Independence()
    try:
        model = smf.gee(formula, groups=groups, data=d, family=fam, cov_struct=cs, missing="drop")
    except (PatsyError, NameError, KeyError, ValueError) as err:
        raise formula_error(what, err, data) from None
    names = ["(Intercept)" if n == "Intercept" else n for n in model.exog_names]
    X = np.asarray(model.exog, dtype=float)
    check_design(what, X, names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(ctol=1e-10, maxiter=100, ddof_scale=0)
    failed = [str(w.message) for w in caught if "converge" in str(w.message).lower()]
    if failed:
        raise StatsInputError(f"{what}: the estimating equations did not converge (statsmodels: {failed[0]})")
    b = np.asarray(res.params, dtype=float)
    se = np.asarray(res.bse, dtype=float)
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(se))):
        other = [str(w.message) for w in caught][:1]
        raise StatsInputError(
            f"{what}: the estimating equations have no finite solution (NaN estimates"
            + (f"; statsmodels: {other[0]}" if other else "")
            + "); the outcome may be separated by the predictors, or its working correlation not estimable"
        )
    z = float(sps.norm.ppf(1 - (1 - conf_level) / 2))
    coef = pd.DataFrame(
        {
            "estimate": b,
            "se": se,
            "wald": (b / se) ** 2,
            "p": sps.chi2.sf((b / se) ** 2, 1),
            "ci_low": b - z * se,
            "ci_high": b + z * se,
        },
        index=pd.Index(names, name="term"),
    )
    if family == "binomial":
        coef["odds_ratio"] = np.exp(b)
        coef["odds_ratio_ci_low"] = np.exp(b - z * se)
        coef["odds_ratio_ci_high"] = np.exp(b + z * se)
    mu = np.asarray(res.fittedvalues, dtype=float)
    yv = np.asarray(model.endog, dtype=float)
    pearson = (yv - mu) / np.sqrt(fam.variance(mu))
    scale = float(np.sum(pearson**2) / len(yv))
    alpha = float(np.squeeze(model.cov_struct.dep_params)) if cov_struct == "exchangeable" else float("nan")
    sizes = pd.Series(np.asarray(model.groups)).value_counts()
    return GEEResult(
        formula=formula.strip(),
        family=family,
        cov_struct=cov_struct,
        coefficients=coef,
        alpha=alpha,
        scale=scale,
        n=len(yv),
        n_clusters=len(sizes),
        max_cluster_size=int(sizes.max()),
        conf_level=conf_level,
    )
