"""Linear mixed models (lme4's ``lmer``) with Satterthwaite degrees of freedom (lmerTest).

For groups i = 1..G (personas, models) with n_i rows, fixed-effects design X_i and random-effects
design Z_i (a column of ones for a random intercept, more columns for random slopes)::

    y_i = X_i b + Z_i u_i + e_i,   u_i ~ N(0, sigma^2 L L'),   e_i ~ N(0, sigma^2 I)

with L the lower-triangular relative covariance factor whose entries are lme4's ``theta``
(column-wise). The model is fitted by (RE)ML:

* statsmodels ``MixedLM`` parses the formula (design matrices, groups) and fits the model; its
  estimate is the start of a bounded L-BFGS-B refinement (scipy) of lme4's *profiled* deviance in
  lme4's own parameters (``theta``, with diagonal entries >= 0, as lme4 bounds them). This step is
  what makes a boundary fit land on ``theta = 0`` exactly, as lme4 reports it (statsmodels alone
  stops near the boundary with a gradient warning). The deviance is

      ML:   d(theta) = log|M| + n (1 + log(2 pi r^2 / n))
      REML: d(theta) = log|M| + log|X'V^-1 X sigma^2| + (n - p)(1 + log(2 pi r^2 / (n - p)))

  where ``M_i = I + L' Z_i' Z_i L``, ``r^2`` the penalised residual sum of squares at the
  conditional estimates, and ``sigma^2 = r^2 / n`` (ML) or ``r^2 / (n - p)`` (REML) (Bates, Maechler,
  Bolker & Walker 2015, section 3).
* ``vcov(b) = sigma^2 (X' (Z L L' Z' + I)^-1 X)^-1``.
* Satterthwaite degrees of freedom of each coefficient as lmerTest computes them (Kuznetsova,
  Brockhoff & Christensen 2017): ``df = 2 (l'Cl)^2 / (g' A g)`` with ``g`` the gradient of
  ``l' C(theta, sigma) l`` and ``A = 2 H^-1`` (H the Hessian of the unprofiled deviance in
  ``(theta, sigma)``; Moore-Penrose over eigenvalues > 1e-8), both by numerical differentiation
  (Richardson extrapolation, as numDeriv).
* t = b / se, two-sided p from t(df), interval b +- t_(df, 1 - (1 - conf_level)/2) se.
* AIC = -2 logLik + 2k, BIC = -2 logLik + log(n) k, k = p + len(theta) + 1 (REML: the REML
  log-likelihood, as lme4 reports it).

References: Bates, D., Maechler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
models using lme4. *Journal of Statistical Software, 67*(1), 1-48. Kuznetsova, A., Brockhoff, P. B.,
& Christensen, R. H. B. (2017). lmerTest package: Tests in linear mixed effects models. *Journal of
Statistical Software, 82*(13), 1-26. Checked against ``lme4::lmer`` + lmerTest in
``tests/test_stats_mixed.py`` (``tests/reference/mixed.R``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps

from psychometry.errors import StatsInputError

from ._api import Result
from ._formula import check_design, check_formula, formula_error
from ._rprint import SIGNIF_LEGEND, _layout, format_named_vector, format_pval, format_signif, stars

__all__ = ["SINGULAR_MESSAGE", "MixedModelResult", "mixed_model"]

#: lme4's message for a fit on the boundary of the parameter space (isSingular(tol = 1e-4))
SINGULAR_MESSAGE = "boundary (singular) fit: see help('isSingular')"
_SINGULAR_TOL = 1e-4  # lme4::isSingular
_GRAD_TOL = 2e-3  # lme4's check.conv.grad tolerance
_EIG_TOL = 1e-8  # lmerTest's tolerance on the Hessian's eigenvalues


# --------------------------------------------------------------------------------------------------
# the deviance of a linear mixed model, in lme4's parameters


class _LMM:
    """Per-group cross-products of one model; evaluates lme4's deviance for a ``theta``."""

    def __init__(self, y: np.ndarray, X: np.ndarray, Z: np.ndarray, codes: np.ndarray, reml: bool):
        self.n, self.p = X.shape
        self.q = Z.shape[1]
        self.reml = reml
        self.codes = codes
        G = int(codes.max()) + 1
        self.ZtZ = np.zeros((G, self.q, self.q))
        self.ZtX = np.zeros((G, self.q, self.p))
        self.Zty = np.zeros((G, self.q))
        np.add.at(self.ZtZ, codes, Z[:, :, None] * Z[:, None, :])
        np.add.at(self.ZtX, codes, Z[:, :, None] * X[:, None, :])
        np.add.at(self.Zty, codes, Z * y[:, None])
        self.XtX, self.Xty, self.yty = X.T @ X, X.T @ y, float(y @ y)
        self.y, self.X, self.Z = y, X, Z
        self.tri = np.tril_indices(self.q)  # lme4's theta: the lower triangle, column by column
        order = np.lexsort((self.tri[0], self.tri[1]))
        self.tri = (self.tri[0][order], self.tri[1][order])
        self.diag = np.array([i == j for i, j in zip(*self.tri)])

    def lam(self, theta: np.ndarray) -> np.ndarray:
        L = np.zeros((self.q, self.q))
        L[self.tri] = theta
        return L

    def parts(self, theta: np.ndarray) -> dict:
        L = self.lam(theta)
        LtZtZL = np.einsum("ji,gjk,kl->gil", L, self.ZtZ, L)
        M = np.eye(self.q)[None] + LtZtZL
        _sign, logdet = np.linalg.slogdet(M)
        LtZtX = np.einsum("ji,gjk->gik", L, self.ZtX)
        LtZty = np.einsum("ji,gj->gi", L, self.Zty)
        MiX = np.linalg.solve(M, LtZtX)
        Miy = np.linalg.solve(M, LtZty[..., None])[..., 0]
        A = self.XtX - np.einsum("gki,gkj->ij", LtZtX, MiX)
        b = self.Xty - np.einsum("gki,gk->i", LtZtX, Miy)
        c = self.yty - float(np.einsum("gk,gk->", LtZty, Miy))
        beta = np.linalg.solve(A, b)
        pwrss = c - float(b @ beta)
        return {"ldL2": float(logdet.sum()), "A": A, "beta": beta, "pwrss": pwrss, "L": L, "M": M}

    def profiled(self, theta: np.ndarray) -> float:
        """lme4's profiled deviance (REML criterion or -2 logLik)."""
        pt = self.parts(theta)
        n, p = self.n, self.p
        if pt["pwrss"] <= 0:
            return math.inf
        if not self.reml:
            return pt["ldL2"] + n * (1 + math.log(2 * math.pi * pt["pwrss"] / n))
        ldRX2 = float(np.linalg.slogdet(pt["A"])[1])
        return pt["ldL2"] + ldRX2 + (n - p) * (1 + math.log(2 * math.pi * pt["pwrss"] / (n - p)))

    def sigma2(self, pt: dict) -> float:
        return pt["pwrss"] / (self.n - self.p if self.reml else self.n)

    def deviance_vp(self, varpar: np.ndarray) -> float:
        """lmerTest's ``devfun_vp``: the deviance at (theta, sigma), not profiled over sigma."""
        theta, sigma2 = varpar[:-1], varpar[-1] ** 2
        pt = self.parts(theta)
        dev = pt["ldL2"] + pt["pwrss"] / sigma2 + self.n * math.log(2 * math.pi * sigma2)
        if not self.reml:
            return dev
        return dev + float(np.linalg.slogdet(pt["A"])[1]) - self.p * math.log(2 * math.pi * sigma2)

    def covbeta(self, varpar: np.ndarray) -> np.ndarray:
        """lmerTest's ``get_covbeta``: sigma^2 (X'(ZLL'Z' + I)^-1 X)^-1 at (theta, sigma)."""
        pt = self.parts(varpar[:-1])
        return varpar[-1] ** 2 * np.linalg.inv(pt["A"])

    def blups(self, theta: np.ndarray, pt: dict) -> np.ndarray:
        """Conditional modes b_i = L M_i^-1 L' Z_i'(y_i - X_i beta), one row per group."""
        L = pt["L"]
        r = self.y - self.X @ pt["beta"]
        Ztr = np.zeros_like(self.Zty)
        np.add.at(Ztr, self.codes, self.Z * r[:, None])
        v = np.linalg.solve(pt["M"], np.einsum("ji,gj->gi", L, Ztr)[..., None])[..., 0]
        return np.einsum("ij,gj->gi", L, v)


def _richardson(f: Callable[[float], np.ndarray], h: float) -> np.ndarray:
    """Central-difference derivative at 0 with two Richardson steps (error O(h^6))."""
    d = [(f(h / 2**k) - f(-h / 2**k)) / (2 * h / 2**k) for k in range(3)]
    d1 = [(4 * d[k + 1] - d[k]) / 3 for k in range(2)]
    return (16 * d1[1] - d1[0]) / 15


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    k = len(x)
    steps = 1e-3 * np.maximum(np.abs(x), 0.1)
    H = np.zeros((k, k))
    for i in range(k):
        ei = np.eye(k)[i]
        for j in range(i, k):
            ej = np.eye(k)[j]

            def fij(s: float, ei: np.ndarray = ei, ej: np.ndarray = ej, j: int = j) -> np.ndarray:
                return _richardson(lambda t: np.array(f(x + s * ei + t * ej)), steps[j])

            H[i, j] = H[j, i] = float(_richardson(fij, steps[i]))
    return H


def _jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    steps = 1e-3 * np.maximum(np.abs(x), 0.1)

    def along(i: int) -> Callable[[float], np.ndarray]:
        return lambda t: np.asarray(f(x + t * np.eye(len(x))[i]))

    return [_richardson(along(i), steps[i]) for i in range(len(x))]


# --------------------------------------------------------------------------------------------------
# result


@dataclass(frozen=True, eq=False)
class MixedModelResult(Result):
    """Result of :func:`mixed_model`.

    Attributes
    ----------
    coefficients : DataFrame indexed by term: ``estimate``, ``se``, ``df`` (Satterthwaite), ``t``,
        ``p``, ``ci_low``, ``ci_high`` (lmerTest's ``summary()`` table; ``to_frame()`` names ``t``
        ``statistic``).
    variance_components : DataFrame with lme4's ``as.data.frame(VarCorr(fit))`` columns ``grp``,
        ``var1``, ``var2``, ``variance`` (vcov), ``sd`` (sdcor: a correlation on the rows with var2).
    theta : lme4's relative covariance factor (lower triangle, column-wise); ``sigma`` the residual SD.
    loglik, aic, bic, deviance : logLik, AIC, BIC and the REML criterion (REML) or deviance (ML).
    reml : REML (True) or ML (False). ``singular``: lme4's ``isSingular()``; ``messages``: what lme4
        would print (the singular-fit message).
    n, n_groups, vcov : observations, groups, covariance matrix of the fixed effects.
    random_effects : DataFrame of the conditional modes (BLUPs), one row per group.
    """

    formula: str
    groups: str
    coefficients: pd.DataFrame
    variance_components: pd.DataFrame
    theta: np.ndarray = field(repr=False)
    sigma: float
    loglik: float
    aic: float
    bic: float
    deviance: float
    reml: bool
    singular: bool
    n: int
    n_groups: int
    vcov: pd.DataFrame = field(repr=False)
    random_effects: pd.DataFrame = field(repr=False)
    scaled_residuals: np.ndarray = field(repr=False)
    re_names: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """Fixed effects: term, estimate, se, df, statistic (t), p, ci_low, ci_high."""
        return self.coefficients.rename(columns={"t": "statistic"}).reset_index()

    @property
    def lme4_formula(self) -> str:
        return self.formula

    def summary(self, digits: int = 4) -> str:
        """lmerTest's ``print(summary(fit))``: method, formula, REML criterion (or the AIC table),
        scaled residuals, the random-effects table, the fixed effects with Satterthwaite df."""
        if self.reml:
            lines = [
                "Linear mixed model fit by REML. t-tests use Satterthwaite's method [",
                "lmerModLmerTest]",
            ]
        else:
            lines = [
                "Linear mixed model fit by maximum likelihood . t-tests use Satterthwaite's",
                "  method [lmerModLmerTest]",
            ]
        lines += [f"Formula: {self.formula}", "   Data: data", ""]
        if self.reml:
            lines.append(f"REML criterion at convergence: {format_signif([round(self.deviance, 1)], 15)[0]}")
        else:
            vals = [self.aic, self.bic, self.loglik, self.deviance]
            strs = format_signif([round(v, 1) for v in vals], 7)
            if not any("." in s for s in strs):
                strs = [s + ".0" for s in strs]
            strs.append(str(self.n - len(self.coefficients) - len(self.theta) - 1))
            names = ["AIC", "BIC", "logLik", "deviance", "df.resid"]
            w = max(len(s) for s in strs + names)
            lines.append("".join(nm.rjust(w) + " " for nm in names))
            lines.append("".join(s.rjust(w) + " " for s in strs))
        lines += ["", "Scaled residuals: "]
        q = np.quantile(self.scaled_residuals, [0, 0.25, 0.5, 0.75, 1])
        mx = float(np.max(np.abs(q)))
        q = np.round(
            q, int(math.floor(max(0.0, digits + 1 - math.log10(mx)) + 0.5)) if mx > 0 else digits + 1
        )
        lines += format_named_vector(pd.Series(q, index=["Min", "1Q", "Median", "3Q", "Max"]), digits).split(
            "\n"
        )
        lines += ["", "Random effects:"]
        lines += self._vc_lines(digits)
        lines.append(f"Number of obs: {self.n}, groups:  {self.groups}, {self.n_groups}")
        lines += ["", "Fixed effects:"]
        lines += _coefmat_df(self.coefficients, digits)
        lines += list(self.messages)
        return "\n".join(lines) + "\n"

    def _vc_lines(self, digits: int) -> list[str]:
        vc = self.variance_components
        sds = vc[vc["var2"] == ""]
        names = [n if n else "" for n in sds["var1"]]
        groups = []
        for i, g in enumerate(sds["grp"]):
            groups.append(g if i == 0 or sds["grp"].iloc[i - 1] != g else "")
        var = _pad(format_signif(list(sds["variance"]), digits))
        sd = _pad(format_signif(list(sds["sd"]), digits))
        cols = {"Groups": groups, "Name": names, "Variance": var, "Std.Dev.": sd}
        q = len(self.re_names)
        if q > 1:
            corr = vc[vc["var2"] != ""]
            cmat = np.eye(q)
            for _, row in corr.iterrows():
                i, j = self.re_names.index(row["var1"]), self.re_names.index(row["var2"])
                cmat[i, j] = cmat[j, i] = row["sd"]
            dig = max(2, digits - 2)
            for j in range(q - 1):
                vals = [f"{round(cmat[i, j], dig):.{dig}f}" if i > j else "" for i in range(q)]
                w = max(len(v) for v in vals if v)
                cells = [v.rjust(w) if v else "" for v in vals] + [""]
                cols["Corr" if j == 0 else f" {j}"] = cells
        widths = {
            k: max([len(k if not k.startswith(" ") else "")] + [len(v) for v in c]) for k, c in cols.items()
        }
        head = " " + " ".join((k if not k.startswith(" ") else "").ljust(widths[k]) for k in cols)
        out = [head]
        for r in range(len(groups)):
            out.append(" " + " ".join(cols[k][r].ljust(widths[k]) for k in cols))
        return out


def _pad(strs: list[str]) -> list[str]:
    """R's format(): one common width, right-justified."""
    w = max((len(x) for x in strs), default=0)
    return [x.rjust(w) for x in strs]


def _coefmat_df(coef: pd.DataFrame, digits: int) -> list[str]:
    """R's printCoefmat of lmerTest's table (Estimate, Std. Error, df, t value, Pr(>|t|))."""
    est, se, df, tv, pv = (coef[c].astype(float).tolist() for c in ("estimate", "se", "df", "t", "p"))
    n = len(est)
    cs = est + se
    finite = [abs(v) for v in cs if math.isfinite(v) and v != 0]
    digmin = 1 + (math.floor(math.log10(min(finite))) if finite else 0)
    dec = max(1, digits - digmin)
    cs_str = _pad(format_signif([round(v, dec) for v in cs + df], digits))
    dig_tst = max(1, min(5, digits - 1))
    t_str = _pad(format_signif([round(v, dig_tst) for v in tv], digits))
    cols = {
        "Estimate": cs_str[:n],
        "Std. Error": cs_str[n : 2 * n],
        "df": cs_str[2 * n :],
        "t value": t_str,
        "Pr(>|t|)": format_pval(pv, dig_tst),
    }
    show = any(p < 0.1 for p in pv if not math.isnan(p))
    if show:
        codes = [stars(p).rstrip() or " " for p in pv]
        w = max(len(c) for c in codes)
        cols[""] = [c.ljust(w) for c in codes]
    names = [str(i) for i in coef.index]
    out = _layout(list(cols), list(cols.values()), names).split("\n")
    if show:
        out += ["---", f"Signif. codes:  {SIGNIF_LEGEND}"]
    return out


# --------------------------------------------------------------------------------------------------
# the function


def _r_term(name: str) -> str:
    return "(Intercept)" if name in ("Intercept", "Group") else name


def mixed_model(
    data: pd.DataFrame,
    *,
    formula: str,
    groups: str,
    re_formula: str | None = None,
    reml: bool = True,
    conf_level: float = 0.95,
) -> MixedModelResult:
    """Fit a linear mixed model with random intercepts (and slopes) per group, as ``lme4::lmer``.

    ``mixed_model(d, formula="y ~ x", groups="g", re_formula="~x")`` is
    ``lmer(y ~ x + (x | g), data = d, REML = TRUE)``; without ``re_formula`` it is ``(1 | g)``.
    The model ``y_i = X_i b + Z_i u_i + e_i``, ``u_i ~ N(0, G)``, ``e_i ~ N(0, sigma^2 I)`` is fitted
    by statsmodels ``MixedLM`` and refined on lme4's profiled deviance in lme4's parameters (module
    docstring), so that estimates, variance components, logLik, AIC and BIC equal lme4's (REML and
    ML) and a boundary fit is reported as lme4 reports it (``singular`` and lme4's message, also
    issued as a warning). The t tests use Satterthwaite degrees of freedom computed as lmerTest
    computes them; intervals are ``b +- t_(df) se``.

    Reference: Bates, Maechler, Bolker & Walker (2015), *J. Stat. Softw. 67*(1); Kuznetsova,
    Brockhoff & Christensen (2017), *J. Stat. Softw. 82*(13). Test: ``tests/test_stats_mixed.py``.

    Parameters
    ----------
    data : DataFrame with one row per observation (e.g. one round of one persona).
    formula : the fixed effects, patsy syntax (``"giving ~ trait + round"``).
    groups : the column of the grouping factor (persona, model).
    re_formula : the random effects per group (``"~round"``: correlated intercept and slope);
        ``None``: a random intercept.
    reml : REML (default, lmer's default) or maximum likelihood.
    conf_level : level of the intervals.

    Returns
    -------
    MixedModelResult

    Example
    -------
    >>> import numpy as np, pandas as pd
    >>> from psychometry.stats import mixed_model
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(8), 5)
    >>> x = rng.normal(size=40)
    >>> y = 2 + 0.5 * x + rng.normal(size=8)[g] + rng.normal(scale=0.5, size=40)
    >>> fit = mixed_model(pd.DataFrame({"y": y, "x": x, "g": g}), formula="y ~ x", groups="g")
    >>> fit.to_frame()[["term", "estimate", "se", "df"]].round(2)  # R: summary(lmer(y ~ x + (1 | g)))
              term  estimate    se     df
    0  (Intercept)      1.53  0.15   6.99
    1            x      0.48  0.08  32.79
    >>> round(float(fit.variance_components["sd"].iloc[0]), 3), fit.singular
    (0.368, False)
    """
    import statsmodels.formula.api as smf
    from patsy import PatsyError

    what = "mixed_model"
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"{what}: data must be a pandas DataFrame, got {type(data).__name__}")
    if not 0 < conf_level < 1:
        raise StatsInputError(f"{what}: conf_level must lie between 0 and 1, not {conf_level!r}")
    check_formula(what, formula)
    if groups not in data.columns:
        raise StatsInputError(
            f"{what}: groups {groups!r} is not a column of data (columns: {', '.join(map(str, data.columns))})"
        )
    d = data[data[groups].notna()]
    try:
        model = smf.mixedlm(formula, d, groups=d[groups], re_formula=re_formula, missing="drop")
    except (PatsyError, NameError, KeyError, ValueError) as err:
        raise formula_error(what, err, data, re_formula) from None
    y = np.asarray(model.endog, dtype=float)
    X = np.asarray(model.exog, dtype=float)
    Z = np.asarray(model.exog_re, dtype=float)
    labels = np.asarray(model.groups)
    codes, uniq = pd.factorize(labels)
    fe_names = [_r_term(n) for n in model.exog_names]
    var_names = [nm[: -len(" Var")] for nm in model.data.param_names[X.shape[1] :] if nm.endswith(" Var")]
    re_names = tuple(_r_term(nm) for nm in var_names)
    if len(uniq) < 2:
        raise StatsInputError(
            f"{what}: groups {groups!r} has {len(uniq)} group; a random effect needs at least 2 groups"
        )
    if len(uniq) >= len(labels):  # lme4: the random intercept and the residual cannot be told apart
        raise StatsInputError(
            f"{what}: groups {groups!r} has {len(uniq)} groups for {len(labels)} observations; the number of "
            f"groups must be less than the number of observations (one row per group: use behaviour_regression)"
        )
    check_design(what, X, fe_names)
    if len(y) <= X.shape[1] + 1:
        raise StatsInputError(f"{what}: {len(y)} observations for {X.shape[1]} fixed effects; too few")

    lmm = _LMM(y, X, Z, codes, reml)
    q = Z.shape[1]
    # start: statsmodels' estimate (cov_re / scale = L L'), else lme4's start (theta = identity)
    start = np.eye(q)[lmm.tri]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sm = model.fit(reml=reml, method=["lbfgs"])
            rel = np.asarray(sm.cov_re, dtype=float) / float(sm.scale)
            w, v = np.linalg.eigh(rel)
            rel = (v * np.maximum(w, 1e-10)) @ v.T
            start = np.linalg.cholesky(rel)[lmm.tri]
        except Exception:
            pass
    bounds = [(0.0, None) if dg else (None, None) for dg in lmm.diag]
    best = None
    for x0 in (start, np.eye(q)[lmm.tri]):
        res = optimize.minimize(
            lmm.profiled,
            x0,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 5000},
        )
        # a second pass from the first's end (the deviance is flat near its minimum)
        res = optimize.minimize(
            lmm.profiled,
            res.x,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000, "eps": 1e-10},
        )
        if best is None or res.fun < best.fun - 1e-10:
            best = res
    assert best is not None
    # a derivative-free polish (as lme4's own optimisers are): finite-difference gradients carry the
    # rounding of the BLAS kernel, which stops L-BFGS-B at kernel-dependent points on a flat deviance
    polish = optimize.minimize(
        lmm.profiled,
        best.x,
        method="Powell",
        bounds=bounds,
        options={"xtol": 1e-12, "ftol": 1e-15, "maxiter": 20000},
    )
    theta = np.asarray(polish.x if polish.fun < best.fun else best.x, dtype=float)
    # a variance that the polish left a hair above its bound of 0 is on the boundary, as lme4 reports it
    for i in range(len(theta)):
        on_bound = theta.copy()
        on_bound[i] = 0.0
        if lmm.diag[i] and 0 < theta[i] < 1e-6 and lmm.profiled(on_bound) <= lmm.profiled(theta) + 1e-10:
            theta = on_bound

    # lme4's convergence check: the gradient (free directions) below 2e-3
    def along(i: int) -> Callable[[float], np.ndarray]:
        return lambda t: np.array(lmm.profiled(theta + t * np.eye(len(theta))[i]))

    grad = np.array(
        [
            float(_richardson(along(i), 1e-4)) if not (lmm.diag[i] and theta[i] < 1e-4) else 0.0
            for i in range(len(theta))
        ]
    )
    if (
        not np.all(np.isfinite(grad))
        or np.max(np.abs(grad)) > _GRAD_TOL
        or not np.isfinite(lmm.profiled(theta))
    ):
        raise StatsInputError(
            f"{what}: the optimiser did not converge (L-BFGS-B: {best.message}; max|gradient| = "
            f"{np.max(np.abs(grad)):.3g} > {_GRAD_TOL}); simplify the random effects (re_formula) or rescale"
        )
    pt = lmm.parts(theta)
    sigma2 = lmm.sigma2(pt)
    sigma = math.sqrt(sigma2)
    beta = pt["beta"]
    vcov = sigma2 * np.linalg.inv(pt["A"])
    se = np.sqrt(np.diag(vcov))
    dev = float(lmm.profiled(theta))
    loglik = -dev / 2
    k = X.shape[1] + len(theta) + 1
    n = len(y)
    # Satterthwaite (lmerTest)
    varpar = np.append(theta, sigma)
    H = _hessian(lmm.deviance_vp, varpar)
    w, v = np.linalg.eigh(H)
    pos = w > _EIG_TOL
    A = 2 * (v[:, pos] / w[pos]) @ v[:, pos].T
    jac = _jacobian(lmm.covbeta, varpar)
    df = np.empty(len(beta))
    for j in range(len(beta)):
        g = np.array([J[j, j] for J in jac])
        denom = float(g @ A @ g)
        df[j] = 2 * vcov[j, j] ** 2 / denom if denom > 0 else math.inf
    tval = beta / se
    p = 2 * sps.t.sf(np.abs(tval), df)
    crit = sps.t.ppf(1 - (1 - conf_level) / 2, df)
    coef = pd.DataFrame(
        {
            "estimate": beta,
            "se": se,
            "df": df,
            "t": tval,
            "p": p,
            "ci_low": beta - crit * se,
            "ci_high": beta + crit * se,
        },
        index=pd.Index(fe_names, name="term"),
    )
    # variance components (lme4's as.data.frame(VarCorr()))
    L = pt["L"]
    Gm = sigma2 * L @ L.T
    sds = np.sqrt(np.diag(Gm))
    rows = [(groups, re_names[i], "", Gm[i, i], sds[i]) for i in range(q)]
    for j in range(q):
        for i in range(j + 1, q):
            cor = Gm[i, j] / (sds[i] * sds[j]) if sds[i] > 0 and sds[j] > 0 else math.nan
            rows.append((groups, re_names[j], re_names[i], Gm[i, j], cor))
    rows.append(("Residual", "", "", sigma2, sigma))
    vc = pd.DataFrame(rows, columns=["grp", "var1", "var2", "variance", "sd"])
    singular = bool(np.any(theta[lmm.diag] < _SINGULAR_TOL))
    messages: tuple[str, ...] = ()
    if singular:
        messages = (SINGULAR_MESSAGE,)
        warnings.warn(SINGULAR_MESSAGE, UserWarning, stacklevel=2)
    b = lmm.blups(theta, pt)
    fitted = X @ beta + np.einsum("ij,ij->i", Z, b[codes])
    re_tab = pd.DataFrame(b, index=pd.Index(uniq, name=groups), columns=list(re_names))
    re_part = " + ".join(re_names).replace("(Intercept)", "1")
    if re_formula is not None and re_formula.replace(" ", "").startswith("~0+"):
        re_part = "0 + " + re_part
    elif "(Intercept)" not in re_names:
        re_part = "0 + " + re_part
    elif re_formula is not None:
        re_part = re_part.replace("1 + ", "")
    lme4_formula = f"{formula.strip()} + ({re_part} | {groups})"
    return MixedModelResult(
        formula=lme4_formula,
        groups=groups,
        coefficients=coef,
        variance_components=vc,
        theta=theta,
        sigma=sigma,
        loglik=loglik,
        aic=-2 * loglik + 2 * k,
        bic=-2 * loglik + math.log(n) * k,
        deviance=dev,
        reml=reml,
        singular=singular,
        n=n,
        n_groups=len(uniq),
        vcov=pd.DataFrame(vcov, index=fe_names, columns=fe_names),
        random_effects=re_tab,
        scaled_residuals=(y - fitted) / sigma,
        re_names=re_names,
        messages=messages,
        conf_level=conf_level,
    )
