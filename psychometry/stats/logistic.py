"""Logistic regression of a binary behaviour (R's ``glm(family = binomial)``).

For a 0/1 outcome y_i (cooperate or defect, flip or not) and predictors x_i::

    logit P(y_i = 1) = x_i' b,    b by maximum likelihood (iteratively reweighted least squares)

with Wald statistics ``z = b / se(b)``, ``se(b) = sqrt(diag((X'WX)^-1))``, two-sided p from N(0, 1),
odds ratios ``exp(b)`` and **Wald** intervals ``exp(b +- z_(1 - (1 - conf_level)/2) se)``
(R's ``confint.default``; R's ``confint()`` profiles the likelihood instead, which statsmodels does
not offer). Null and residual deviance, AIC = deviance + 2p, BIC, log-likelihood.

Reference: McCullagh, P., & Nelder, J. A. (1989). *Generalized linear models* (2nd ed.). Chapman &
Hall. Checked against R's ``glm`` in ``tests/test_stats_logistic.py`` (``tests/reference/logistic.R``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from psychometry.errors import StatsInputError

from ._api import Result
from ._formula import check_design, check_formula, formula_error
from ._rprint import format_frame_signif, format_signif, print_coefmat

__all__ = ["LogisticRegressionResult", "logistic_regression"]


@dataclass(frozen=True, eq=False)
class LogisticRegressionResult(Result):
    """Result of :func:`logistic_regression`.

    Attributes
    ----------
    coefficients : DataFrame indexed by term: ``estimate``, ``se``, ``z``, ``p``, ``ci_low``,
        ``ci_high`` (Wald, log-odds), ``odds_ratio`` with ``odds_ratio_ci_low`` / ``_ci_high``.
    null_deviance, deviance, df_null, df_resid, aic, bic, loglik, n, iterations (IRLS).
    deviance_residuals : Series of the deviance residuals.
    """

    formula: str
    coefficients: pd.DataFrame
    null_deviance: float
    deviance: float
    df_null: int
    df_resid: int
    aic: float
    bic: float
    loglik: float
    n: int
    iterations: int
    deviance_residuals: pd.Series = field(repr=False)
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """term, estimate, se, statistic (z), p, ci_low, ci_high, odds_ratio, odds_ratio_ci_low,
        odds_ratio_ci_high (Wald intervals)."""
        return self.coefficients.rename(columns={"z": "statistic"}).reset_index()

    def summary(self, digits: int = 4) -> str:
        """R's ``print(summary(glm(..., family = binomial)))`` (R 4.2: with the deviance residuals),
        then the odds ratios with their Wald intervals."""
        lines = ["", "Call:", f"glm(formula = {self.formula}, family = binomial, data = data)", ""]
        lines.append("Deviance Residuals: ")
        r = self.deviance_residuals.to_numpy(dtype=float)
        if self.df_resid > 5:
            vals = np.quantile(r, [0, 0.25, 0.5, 0.75, 1])
            names = ["Min", "1Q", "Median", "3Q", "Max"]
        else:
            vals, names = r, [str(i) for i in self.deviance_residuals.index]
        mx = float(np.max(np.abs(vals))) if len(vals) else 0.0
        vals = np.round(
            vals, int(math.floor(max(0.0, digits + 1 - math.log10(mx)) + 0.5)) if mx > 0 else digits
        )
        strs = format_signif(list(vals), digits)
        w = max(len(s) for s in strs + names)
        lines.append("".join(n.rjust(w) + "  " for n in names))
        lines.append("".join(s.rjust(w) + "  " for s in strs))
        lines += ["", "Coefficients:"]
        lines += print_coefmat(
            self.coefficients[["estimate", "se", "z", "p"]], digits=digits, labels=("z value", "Pr(>|z|)")
        )
        dev = format_signif([self.null_deviance, self.deviance], max(5, digits + 1))
        w = max(len(d) for d in dev)
        dfs = [str(self.df_null), str(self.df_resid)]
        wd = max(len(d) for d in dfs)
        lines += [
            "",
            "(Dispersion parameter for binomial family taken to be 1)",
            "",
            f"    Null deviance: {dev[0].rjust(w)}  on {dfs[0].rjust(wd)}  degrees of freedom",
            f"Residual deviance: {dev[1].rjust(w)}  on {dfs[1].rjust(wd)}  degrees of freedom",
            f"AIC: {format_signif([self.aic], max(4, digits + 1))[0]}",
            "",
            f"Number of Fisher Scoring iterations: {self.iterations}",
            "",
        ]
        pct = f"{100 * self.conf_level:g}%"
        ors = self.coefficients[["odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high"]]

        lines += [
            f"Odds ratios with Wald {pct} intervals (exp(confint.default(fit))):",
            format_frame_signif(ors.set_axis(["OR", "lower", "upper"], axis=1), digits),
        ]
        return "\n".join(lines) + "\n"


def logistic_regression(
    data: pd.DataFrame,
    *,
    formula: str,
    conf_level: float = 0.95,
) -> LogisticRegressionResult:
    """Logistic regression of a 0/1 outcome, as R's ``glm(formula, family = binomial)``.

    ``logit P(y = 1) = b_0 + b_1 x_1 + ...`` by maximum likelihood (statsmodels ``GLM``, IRLS);
    ``z = b / se``, two-sided p from N(0, 1); odds ratios ``exp(b)`` with **Wald** intervals
    ``exp(b +- z_crit se)`` (R's ``confint.default``, not the profile intervals of ``confint``);
    null and residual deviance, AIC, BIC. Rows with a missing value are dropped (R's ``na.omit``).

    Reference: McCullagh & Nelder (1989), *Generalized linear models*. Test:
    ``tests/test_stats_logistic.py`` against R's ``glm``.

    Parameters
    ----------
    data : DataFrame, one row per observation (one choice).
    formula : patsy formula ``"cooperate ~ trait + round"``; the outcome must be 0/1 (or boolean).
    conf_level : level of the intervals.

    Returns
    -------
    LogisticRegressionResult

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import logistic_regression
    >>> d = pd.DataFrame({"flip": [0, 0, 1, 0, 1, 1, 0, 1, 1, 1], "x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]})
    >>> fit = logistic_regression(d, formula="flip ~ x")  # R: glm(flip ~ x, family = binomial)
    >>> fit.to_frame()[["term", "estimate", "se", "p"]].round(3)
              term  estimate     se      p
    0  (Intercept)    -2.290  1.799  0.203
    1            x     0.528  0.338  0.118
    >>> round(fit.deviance, 3), round(fit.aic, 3)
    (9.803, 13.803)
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from patsy import PatsyError

    what = "logistic_regression"
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"{what}: data must be a pandas DataFrame, got {type(data).__name__}")
    if not 0 < conf_level < 1:
        raise StatsInputError(f"{what}: conf_level must lie between 0 and 1, not {conf_level!r}")
    check_formula(what, formula)
    outcome = formula.split("~")[0].strip()
    if outcome in data.columns:
        y = data[outcome].dropna()
        if pd.api.types.is_bool_dtype(y):
            data = data.assign(**{outcome: data[outcome].astype(float)})
        elif not pd.api.types.is_numeric_dtype(y) or not set(pd.unique(y)) <= {0, 1}:
            shown = ", ".join(map(str, sorted(map(str, pd.unique(y)))[:5]))
            raise StatsInputError(
                f"{what}: the outcome {outcome!r} must be binary (0/1 or True/False), not {shown}"
            )
        elif len(pd.unique(y)) < 2:
            raise StatsInputError(
                f"{what}: the outcome {outcome!r} has one value only ({y.iloc[0]}); nothing to model"
            )
    try:
        model = smf.glm(formula, data, family=sm.families.Binomial(), missing="drop")
    except (PatsyError, NameError, KeyError, ValueError) as err:
        raise formula_error(what, err, data) from None
    names = ["(Intercept)" if n == "Intercept" else n for n in model.exog_names]
    X = np.asarray(model.exog, dtype=float)
    check_design(what, X, names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(tol=1e-10, maxiter=100)
    sep = [str(w.message) for w in caught if "separation" in str(w.message).lower()]
    if sep:
        raise StatsInputError(
            f"{what}: the outcome is perfectly separated by the predictors (statsmodels: {sep[0].splitlines()[0]}); "
            "the estimates run to infinity (R: fitted probabilities numerically 0 or 1)"
        )
    converged = bool(res.converged) if hasattr(res, "converged") else True
    if not converged:
        raise StatsInputError(
            f"{what}: IRLS did not converge in 100 iterations (R: glm.fit: algorithm did not converge)"
        )
    z_crit = float(sps.norm.ppf(1 - (1 - conf_level) / 2))
    b, se = np.asarray(res.params, dtype=float), np.asarray(res.bse, dtype=float)
    coef = pd.DataFrame(
        {
            "estimate": b,
            "se": se,
            "z": b / se,
            "p": 2 * sps.norm.sf(np.abs(b / se)),
            "ci_low": b - z_crit * se,
            "ci_high": b + z_crit * se,
            "odds_ratio": np.exp(b),
            "odds_ratio_ci_low": np.exp(b - z_crit * se),
            "odds_ratio_ci_high": np.exp(b + z_crit * se),
        },
        index=pd.Index(names, name="term"),
    )
    n = int(res.nobs)
    k = X.shape[1]
    loglik = float(res.llf)
    iterations = int(res.fit_history.get("iteration", 0)) if hasattr(res, "fit_history") else 0
    return LogisticRegressionResult(
        formula=formula.strip(),
        coefficients=coef,
        null_deviance=float(res.null_deviance),
        deviance=float(res.deviance),
        df_null=n - 1,
        df_resid=int(res.df_resid),
        aic=-2 * loglik + 2 * k,
        bic=-2 * loglik + math.log(n) * k,
        loglik=loglik,
        n=n,
        iterations=iterations,
        deviance_residuals=pd.Series(np.asarray(res.resid_deviance, dtype=float), name="deviance_residual"),
        conf_level=conf_level,
    )
