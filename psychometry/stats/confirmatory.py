"""Confirmatory factor analysis (``cfa``) by maximum likelihood, as R's ``lavaan::cfa``.

A measurement model (each factor measured by a list of items) is fitted to the item covariance
matrix S (divisor N, listwise-complete rows) by minimising

    F_ML(theta) = log|Sigma| + tr(S Sigma^-1) - log|S| - p,    Sigma = Lambda Phi Lambda' + Theta,

with lavaan's defaults: the first loading of each factor fixed to 1 (marker identification),
factor variances and all factor covariances free, item residual variances free (Theta diagonal),
no mean structure. Standard errors come from the expected information of the structured model,
I(theta) = 1/2 Delta' (Sigma^-1 (x) Sigma^-1) Delta, Delta = d vec(Sigma) / d theta',
Cov(theta) = I^-1 / N (lavaan: ``se = "standard"``, ``information = "expected"``,
``likelihood = "normal"``).

Fit measures (lavaan's ``fitMeasures``; p items, q free parameters, N observations):

* chisq = N F_ML, df = p(p+1)/2 - q; baseline (independence) model Sigma_b = diag(S):
  chisq_b = N (sum log s_ii - log|S|), df_b = p(p+1)/2 - p.
* CFI = 1 - max(chisq - df, 0) / max(chisq - df, chisq_b - df_b, 0) (Bentler 1990);
  TLI = (chisq_b/df_b - chisq/df) / (chisq_b/df_b - 1) (Tucker & Lewis 1973).
* logL = -N/2 (p log 2 pi + log|Sigma| + tr(S Sigma^-1)); unrestricted logL with Sigma = S;
  AIC = -2 logL + 2q; BIC = -2 logL + q log N; SABIC = -2 logL + q log((N + 2)/24).
* RMSEA = sqrt(max(chisq - df, 0) / (N df)) (Steiger & Lind 1980); 90% CI from the
  noncentrality lambda with P(chi2_df(lambda) <= chisq) = .95 / .05, bound sqrt(lambda/(N df));
  p(RMSEA <= .05) = 1 - P(chi2_df(N df .05^2) <= chisq); p(RMSEA >= .08) = P(chi2_df(N df .08^2) <= chisq)
  (MacCallum, Browne & Sugawara 1996).
* SRMR = sqrt(mean over i <= j of ((s_ij - sigma_ij) / sqrt(s_ii s_jj))^2) (Bentler 1995).

Estimation (:func:`_fit`): in lavaan's own (marker) parameterisation, unbounded, from lavaan's own
start values (:func:`_lavaan_start`: FABIN3 / three-indicator loadings with lavaan's bounds, half the
observed variances as residual variances, factor variances .05, covariances 0), so solutions with a
negative factor variance -- which lavaan reaches on weakly structured data and reports as converged --
are reachable. Newton steps with the exact Hessian when it is positive definite and the full step
decreases F, otherwise Fisher scoring with the expected Hessian and Armijo backtracking; a
non-positive-definite Sigma counts as F = +inf; converged when g'H^-1 g / 2 < 1e-14. When that does not
converge within 100 iterations: BFGS (like lavaan's quasi-Newton nlminb) from the same start, then from
the least-squares start (:func:`_start_values`), then a damped Newton path, then the fit with
standardised factors (``std.lv``) rescaled to the marker parameterisation -- the first that converges
(each polished by Newton / Fisher scoring). Negative residual variances (Heywood cases), negative factor
variances, a non-positive-definite factor covariance matrix and non-convergence are warned
(RuntimeWarning, lavaan's wording) and listed in ``CFAResult.warnings``.

Checked against lavaan 0.6-14 and the lavaan tutorial's published Holzinger & Swineford (1939)
numbers, against lavaan on the Big Five model of psych's raw bfi items (negative loadings) and on three
weakly structured random data sets with negative factor variances, in ``tests/test_stats_cfa.py``.

References: Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal
of Statistical Software, 48(2). Bollen, K. A. (1989). Structural Equations with Latent Variables.
Hagglund, G. (1982). Factor analysis by instrumental variables methods. Psychometrika, 47, 209-222.
Lee, S.-Y. & Jennrich, R. I. (1979). A study of algorithms for covariance structure analysis with
specific comparisons using factor analysis. Psychometrika, 44, 99-113.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, stats

from psychometry.errors import StatsInputError
from psychometry.stats._api import Result, _warn, deprecated_params, frame

if TYPE_CHECKING:
    from psychometry.stats.multigroup import MultiGroupCFAResult
    from psychometry.stats.ordinal_groups import MultiGroupWLSMVResult

__all__ = ["LAVAAN_COLUMNS", "CFAResult", "cfa", "parse_model"]

#: lavaan's ``parameterEstimates()`` column names -> the ``to_frame()`` vocabulary of docs/api.md
LAVAAN_COLUMNS = {"est": "estimate", "z": "statistic", "pvalue": "p"}

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


def parse_model(model: str | Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Parse a measurement model: ``{factor: [items]}`` or lavaan syntax with ``=~`` lines.

    lavaan syntax: one ``factor =~ item1 + item2 + ...`` per line (or separated by ``;``); ``#``
    starts a comment; a factor may appear on several lines (its items are appended). Other lavaan
    operators (``~``, ``~~``, ``:=``) and modifiers (``NA*x1``, ``1*x1``) are not supported.
    """
    if isinstance(model, Mapping):
        out: dict[str, list[str]] = {}
        for factor, items in model.items():
            if isinstance(items, str) or not isinstance(items, Sequence):
                raise StatsInputError(
                    f"cfa model: factor {factor!r} must map to a list of item names, got {items!r}"
                )
            out[str(factor)] = [str(i) for i in items]
    elif isinstance(model, str):
        out = {}
        for lineno, raw in enumerate(re.split(r"[\n;]", model), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if "=~" not in line:
                raise StatsInputError(
                    f"cfa model: statement {lineno} {line!r}: only 'factor =~ item + item' "
                    "lines are supported"
                )
            lhs, rhs = (part.strip() for part in line.split("=~", 1))
            if not _NAME.match(lhs):
                raise StatsInputError(f"cfa model: statement {lineno} {line!r}: bad factor name {lhs!r}")
            items = [t.strip() for t in rhs.split("+")]
            for t in items:
                if not _NAME.match(t):
                    raise StatsInputError(
                        f"cfa model: statement {lineno} {line!r}: bad item {t!r} "
                        "(modifiers such as 'NA*x1' and other operators are not supported)"
                    )
            out.setdefault(lhs, []).extend(items)
    else:
        raise StatsInputError(
            f"cfa model: expected a dict {{factor: [items]}} or lavaan '=~' syntax, "
            f"got {type(model).__name__}"
        )
    if not out:
        raise StatsInputError("cfa model: no factor defined")
    for factor, items in out.items():
        if not items:
            raise StatsInputError(f"cfa model: factor {factor!r} has no items")
        if len(set(items)) != len(items):
            raise StatsInputError(f"cfa model: factor {factor!r} lists an item twice: {items}")
    clash = set(out) & {i for items in out.values() for i in items}
    if clash:
        raise StatsInputError(
            f"cfa model: {sorted(clash)} are used both as factor and as item "
            "(higher-order models are not supported)"
        )
    return out


class _LavaanEstimates:
    """The deprecated ``estimates`` attribute of the CFA results: their ``parameters`` table with
    lavaan's column names (est, z, pvalue), a plain DataFrame, so old code keeps working for one
    release."""

    parameters: pd.DataFrame

    @property
    def estimates(self) -> pd.DataFrame:
        _warn(
            f"{type(self).__name__}.estimates is now .parameters (or to_frame()), with the columns "
            "est, z, pvalue renamed to estimate, statistic, p"
        )
        old = {new: old for old, new in LAVAAN_COLUMNS.items()}
        return pd.DataFrame(self.parameters).rename(columns=old)


@dataclass(frozen=True, eq=False)
class CFAResult(_LavaanEstimates, Result):
    """Result of :func:`cfa`.

    Attributes
    ----------
    fit : dict of lavaan's fit measures (keys as ``fitMeasures``: npar, chisq, df, pvalue,
        baseline.chisq, baseline.df, baseline.pvalue, cfi, tli, logl, unrestricted.logl, aic, bic,
        bic2, rmsea, rmsea.ci.lower, rmsea.ci.upper, rmsea.pvalue, rmsea.notclose.pvalue, srmr, ntotal);
        also attributes with ``_`` for ``.`` (``res.cfi``, ``res.rmsea_ci_lower``).
    parameters : DataFrame like ``parameterEstimates(fit, standardized = TRUE)`` in the column
        vocabulary of docs/api.md: lhs, op, rhs, estimate, se, statistic (z), p, std_lv, std_all
        (fixed parameters have NaN se/statistic/p). ``estimates`` (lavaan's est, z, pvalue) is its
        deprecated spelling.
    model : the parsed model {factor: [items]}.
    implied, sample : model-implied and sample (N divisor) covariance matrices.
    n : the number of observations (rows) the fit uses (``n_obs`` until psychometry 1.1).
    iterations, converged : optimiser iterations; whether g'H^-1 g / 2 < 1e-14 was reached.
    warnings : lavaan-like warnings (non-convergence, negative residual variances, factor
        covariance matrix not positive definite); also issued as RuntimeWarning.
    """

    fit: dict[str, float]
    parameters: pd.DataFrame
    model: dict[str, list[str]]
    implied: pd.DataFrame
    sample: pd.DataFrame
    n: int
    iterations: int
    converged: bool
    warnings: tuple[str, ...] = ()

    _renamed: ClassVar[Mapping[str, str]] = {"n_obs": "n"}

    def __getattr__(self, name: str) -> Any:
        # res.cfi, res.rmsea ... as attributes (fit-measure names with '.' -> '_')
        fit = self.__dict__.get("fit")
        if fit is not None and not name.startswith("_"):
            key = name.replace("_", ".")
            if key in fit:
                return fit[key]
        return super().__getattr__(name)

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (``parameterEstimates(fit, standardized = TRUE)``) with the columns
        lhs, op, rhs, estimate, se, statistic, p, std_lv, std_all (lavaan's est, z, pvalue still
        answer, with a DeprecationWarning)."""
        return frame(self.parameters.copy(), LAVAAN_COLUMNS)

    def fit_frame(self) -> pd.DataFrame:
        """The fit measures as a one-column DataFrame."""
        return pd.DataFrame({"value": self.fit})

    def summary(self) -> str:
        """Printed like ``summary(fit, fit.measures = TRUE, standardized = TRUE)`` in lavaan 0.6."""
        f = self.fit

        def row(label: str, value: str, indent: int = 2) -> str:
            return " " * indent + label + value.rjust(54 - indent - len(label))

        def num(x: float, d: int = 3) -> str:
            return f"{x:.{d}f}"

        lines = [
            f"psychometry cfa {'ended normally' if self.converged else 'did NOT converge'} "
            f"after {self.iterations} iterations",
            "",
            row("Estimator", "ML"),
            row("Optimization method", "NEWTON/FISHER"),
            row("Number of model parameters", str(int(f["npar"]))),
            "",
            row("Number of observations", str(self.n)),
            "",
            "Model Test User Model:",
            "",
            row("Test statistic", num(f["chisq"])),
            row("Degrees of freedom", str(int(f["df"]))),
            row("P-value (Chi-square)", num(f["pvalue"])),
            "",
            "Model Test Baseline Model:",
            "",
            row("Test statistic", num(f["baseline.chisq"])),
            row("Degrees of freedom", str(int(f["baseline.df"]))),
            row("P-value", num(f["baseline.pvalue"])),
            "",
            "User Model versus Baseline Model:",
            "",
            row("Comparative Fit Index (CFI)", num(f["cfi"])),
            row("Tucker-Lewis Index (TLI)", num(f["tli"])),
            "",
            "Loglikelihood and Information Criteria:",
            "",
            row("Loglikelihood user model (H0)", num(f["logl"])),
            row("Loglikelihood unrestricted model (H1)", num(f["unrestricted.logl"])),
            "",
            row("Akaike (AIC)", num(f["aic"])),
            row("Bayesian (BIC)", num(f["bic"])),
            row("Sample-size adjusted Bayesian (SABIC)", num(f["bic2"])),
            "",
            "Root Mean Square Error of Approximation:",
            "",
            row("RMSEA", num(f["rmsea"])),
            row("90 Percent confidence interval - lower", num(f["rmsea.ci.lower"])),
            row("90 Percent confidence interval - upper", num(f["rmsea.ci.upper"])),
            row("P-value H_0: RMSEA <= 0.050", num(f["rmsea.pvalue"])),
            row("P-value H_0: RMSEA >= 0.080", num(f["rmsea.notclose.pvalue"])),
            "",
            "Standardized Root Mean Square Residual:",
            "",
            row("SRMR", num(f["srmr"])),
            "",
            "Parameter Estimates:",
            "",
            row("Standard errors", "Standard"),
            row("Information", "Expected"),
            row("Information saturated (h1) model", "Structured"),
        ]
        est = self.parameters
        header = "".join(
            h.rjust(9) for h in ("Estimate", "Std.Err", "z-value", "P(>|z|)", "Std.lv", "Std.all")
        )

        def cells(r: pd.Series) -> str:
            vals = [r["estimate"], r["se"], r["statistic"], r["p"], r["std_lv"], r["std_all"]]
            return "".join(("" if (v is None or math.isnan(v)) else num(v)).rjust(9) for v in vals)

        def block(title: str, rows: pd.DataFrame, grouped: bool) -> None:
            if rows.empty:
                return
            lines.extend(["", f"{title}:", " " * 18 + header])
            if grouped:
                for lhs, sub in rows.groupby("lhs", sort=False):
                    op = sub["op"].iloc[0]
                    lines.append(f"  {lhs} {op}")
                    for _, r in sub.iterrows():
                        lines.append(f"    {r['rhs']:<14}" + cells(r))
            else:
                for _, r in rows.iterrows():
                    name = ("." if r["lhs"] not in self.model else " ") + str(r["lhs"])
                    lines.append(f"   {name:<15}" + cells(r))

        block("Latent Variables", est[est["op"] == "=~"], grouped=True)
        covs = est[(est["op"] == "~~") & (est["lhs"] != est["rhs"])]
        block("Covariances", covs, grouped=True)
        block("Variances", est[(est["op"] == "~~") & (est["lhs"] == est["rhs"])], grouped=False)
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


@dataclass(frozen=True)
class _Structure:
    """Index bookkeeping of the free parameters theta = (loadings, residual variances, factor
    variances, factor covariances), in this order (lavaan's parameter-table order).

    Marker parameterisation (lavaan's default, ``std_lv = False``): Lambda (p x m) has the marker
    loadings fixed to 1 and the other listed loadings free; Phi has all variances and covariances
    free. Standardised-factor parameterisation (``std_lv = True``, lavaan's ``std.lv = TRUE``): every
    listed loading free, factor variances fixed to 1, correlations free. Theta is diagonal.
    """

    p: int
    m: int
    markers: tuple[tuple[int, int], ...]  # (item, factor) of the fixed loadings
    li: np.ndarray  # items of the free loadings
    lj: np.ndarray  # factors of the free loadings
    pj: np.ndarray  # Phi entries: row factor (variances first, then j < l)
    pl: np.ndarray  # Phi entries: column factor
    std_lv: bool = False  # factor variances fixed to 1 (not in theta)

    @property
    def n_l(self) -> int:
        return len(self.li)

    @property
    def q(self) -> int:
        return self.n_l + self.p + len(self.pj)

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """theta -> (Lambda, Phi, diag of Theta)."""
        n_l, p = self.n_l, self.p
        lam = np.zeros((p, self.m))
        for i, j in self.markers:
            lam[i, j] = 1.0
        lam[self.li, self.lj] = theta[:n_l]
        phi = np.eye(self.m) if self.std_lv else np.zeros((self.m, self.m))
        phi[self.pj, self.pl] = theta[n_l + p :]
        phi[self.pl, self.pj] = theta[n_l + p :]
        return lam, phi, theta[n_l : n_l + p].copy()

    def pack(self, lam: np.ndarray, phi: np.ndarray, th: np.ndarray) -> np.ndarray:
        """(Lambda, Phi, diag of Theta) -> theta (the inverse of :meth:`unpack`)."""
        return np.concatenate([lam[self.li, self.lj], th, phi[self.pj, self.pl]])

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        """Model-implied covariance Sigma = Lambda Phi Lambda' + Theta."""
        lam, phi, th = self.unpack(theta)
        return lam @ phi @ lam.T + np.diag(th)


def model_items(spec: Mapping[str, Sequence[str]], data: pd.DataFrame, who: str) -> list[str]:
    """The items of a parsed model in order of first appearance, checked to be numeric columns of
    ``data`` (``who`` names the function in the error)."""
    items: list[str] = []
    for f in spec:
        for i in spec[f]:
            if i not in items:
                items.append(i)
    absent = [i for i in items if i not in data.columns]
    if absent:
        raise StatsInputError(f"{who}: model item(s) {absent} are not columns of data")
    bad = [
        i for i in items if not pd.api.types.is_numeric_dtype(data[i]) or pd.api.types.is_bool_dtype(data[i])
    ]
    if bad:
        raise StatsInputError(f"{who}: item column(s) {bad} are not numeric")
    return items


def _structure(spec: Mapping[str, Sequence[str]], items: Sequence[str], std_lv: bool = False) -> _Structure:
    idx = {name: k for k, name in enumerate(items)}
    factors = list(spec)
    m = len(factors)
    first = 0 if std_lv else 1
    free = [(idx[i], j) for j, f in enumerate(factors) for i in spec[f][first:]]
    pairs = ([] if std_lv else [(j, j) for j in range(m)]) + [
        (j, k) for j in range(m) for k in range(j + 1, m)
    ]
    markers = () if std_lv else tuple((idx[spec[f][0]], j) for j, f in enumerate(factors))
    return _Structure(
        p=len(items),
        m=m,
        markers=markers,
        li=np.array([i for i, _ in free], dtype=int),
        lj=np.array([j for _, j in free], dtype=int),
        pj=np.array([a for a, _ in pairs], dtype=int),
        pl=np.array([b for _, b in pairs], dtype=int),
        std_lv=std_lv,
    )


def _discrepancy(
    st: _Structure, theta: np.ndarray, s: np.ndarray, logdet_s: float
) -> tuple[float, np.ndarray | None]:
    """F_ML(theta) = log|Sigma| + tr(S Sigma^-1) - log|S| - p and Sigma^-1.

    Returns ``(inf, None)`` when Sigma is not positive definite (its Cholesky factorisation fails):
    F_ML -> +inf as Sigma approaches the boundary of the positive-definite cone, so +inf is the
    natural value outside it and a backtracking line search simply shortens the step.
    """
    sigma = st.sigma(theta)
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return math.inf, None
    logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
    linv = np.linalg.inv(chol)
    w = linv.T @ linv  # Sigma^-1
    fval = logdet + float(np.sum(w * s)) - logdet_s - st.p
    return (fval if math.isfinite(fval) else math.inf), w


def _gradient(st: _Structure, theta: np.ndarray, s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Analytic gradient of F_ML: dF/dtheta_a = tr(R dSigma/dtheta_a), R = Sigma^-1 (Sigma - S) Sigma^-1.

    Loadings: 2 (R Lambda Phi)_ij; residual variances: R_kk; factor variances: lambda_j' R lambda_j;
    covariances: 2 lambda_j' R lambda_l (Bollen 1989, ch. 4; Joreskog 1969).
    """
    lam, phi, _ = st.unpack(theta)
    r = w - w @ s @ w
    g_lam = 2.0 * (r @ lam @ phi)
    g_phi = lam.T @ r @ lam
    mult = np.where(st.pj == st.pl, 1.0, 2.0)
    return np.concatenate([g_lam[st.li, st.lj], np.diag(r), mult * g_phi[st.pj, st.pl]])


def _uv(st: _Structure, lam: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Write every dSigma/dtheta_a as h_a (u_a v_a' + v_a u_a'): columns of U, V (p x q) and h.

    Loading lambda_ij: u = e_i, v = (Lambda Phi)_.j, h = 1; residual variance k: u = v = e_k,
    h = 1/2; factor covariance phi_jl: u = lambda_j, v = lambda_l, h = 1 (1/2 for a variance).
    """
    p, n_l = st.p, st.n_l
    c = lam @ phi
    u = np.zeros((p, st.q))
    u[st.li, np.arange(n_l)] = 1.0
    u[:, n_l : n_l + p] = np.eye(p)
    u[:, n_l + p :] = lam[:, st.pj]
    v = np.concatenate([c[:, st.lj], np.eye(p), lam[:, st.pl]], axis=1)
    h = np.concatenate([np.ones(n_l), np.full(p, 0.5), np.where(st.pj == st.pl, 0.5, 1.0)])
    return u, v, h


def _trace_products(u: np.ndarray, v: np.ndarray, h: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """K_ab = tr(A D_a B D_b) for symmetric A, B and D_a = h_a (u_a v_a' + v_a u_a').

    Expanding the four outer products, tr(A (uv' + vu') B (xy' + yx')) =
    (v'Bx)(y'Au) + (v'By)(x'Au) + (u'Bx)(y'Av) + (u'By)(x'Av), i.e. with matrices
    K = hh' o [(V'BU) o (U'AV) + (V'BV) o (U'AU) + (U'BU) o (V'AV) + (U'BV) o (V'AU)]
    (o: element-wise product); O(p^2 q + p q^2) instead of the O(p^4 q) of a Kronecker product.
    """
    au, av, bu, bv = a @ u, a @ v, b @ u, b @ v
    k = (v.T @ bu) * (u.T @ av) + (v.T @ bv) * (u.T @ au) + (u.T @ bu) * (v.T @ av) + (u.T @ bv) * (v.T @ au)
    return k * np.outer(h, h)


def _expected_hessian(st: _Structure, theta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """H = Delta' (Sigma^-1 (x) Sigma^-1) Delta, Delta = d vec(Sigma) / d theta'; H_ab = tr(W D_a W D_b).

    H is the expected (Fisher) second derivative of F_ML, twice lavaan's unit expected
    information (I = H / 2; Cov(theta) = I^-1 / N). Computed by :func:`_trace_products`.
    """
    lam, phi, _ = st.unpack(theta)
    u, v, h = _uv(st, lam, phi)
    return _trace_products(u, v, h, w, w)


def _observed_hessian(st: _Structure, theta: np.ndarray, s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Exact Hessian of F_ML: with W = Sigma^-1, M = W (S - Sigma) W, D_a = dSigma/dtheta_a,
        d2F/dtheta_a dtheta_b = tr(W D_a W D_b) + 2 tr(W D_a M D_b) - tr(M d2Sigma/dtheta_a dtheta_b),
    where the second derivatives of Sigma are non-zero only for two loadings,
    tr(M d2Sigma/dlambda_ij dlambda_kl) = 2 phi_jl M_ik, and a loading and a factor (co)variance,
    tr(M d2Sigma/dlambda_ij dphi_rt) = 2 [(M Lambda)_ir [t = j] + (M Lambda)_it [r = j]] (halved for r = t).
    Equals the expected Hessian when S = Sigma (Bollen 1989, ch. 4).
    """
    lam, phi, _ = st.unpack(theta)
    u, v, h = _uv(st, lam, phi)
    mm = w @ (s - st.sigma(theta)) @ w
    hess = _trace_products(u, v, h, w, w) + 2.0 * _trace_products(u, v, h, w, mm)
    n_l, li, lj = st.n_l, st.li, st.lj
    hess[:n_l, :n_l] -= 2.0 * phi[np.ix_(lj, lj)] * mm[np.ix_(li, li)]
    ml = mm @ lam
    half = np.where(st.pj == st.pl, 0.5, 1.0)
    cross = (
        2.0
        * half
        * (
            ml[np.ix_(li, st.pj)] * (st.pl[None, :] == lj[:, None])
            + ml[np.ix_(li, st.pl)] * (st.pj[None, :] == lj[:, None])
        )
    )
    hess[:n_l, n_l + st.p :] -= cross
    hess[n_l + st.p :, :n_l] -= cross.T
    return hess


def _fabin3(s: np.ndarray, ind: Sequence[int], others: Sequence[int]) -> np.ndarray:
    """Non-iterative FABIN3 loadings of one factor (Hagglund 1982), marker ``ind[0]`` fixed to 1.

    With x_1 = xi + d_1 the marker, x_i = lambda_i xi + d_i = lambda_i x_1 + (d_i - lambda_i d_1),
    and every other indicator z of the factor is uncorrelated with d_1 and d_i, so it is an
    instrument: two-stage least squares gives
        lambda_i = s_Z1' S_ZZ^-1 s_Zi / s_Z1' S_ZZ^-1 s_Z1,  Z = indicators other than 1 and i.
    A factor with two indicators uses the items of the other factors as instruments; with none,
    the regression s_i1 / s_11. The signs follow the data, so reverse-keyed items start negative.
    """
    lam = np.ones(len(ind))
    for k in range(1, len(ind)):
        i, marker = ind[k], ind[0]
        z = [t for t in ind[1:] if t != i] if len(ind) >= 3 else list(others)
        est = float("nan")
        if z:
            szz = s[np.ix_(z, z)]
            try:
                a = np.linalg.solve(szz, s[z, marker])
                den = float(a @ s[z, marker])
                if abs(den) > 1e-12 * s[marker, marker]:
                    est = float(a @ s[z, i]) / den
            except np.linalg.LinAlgError:
                pass
        if not math.isfinite(est):
            est = s[i, marker] / s[marker, marker]
        lam[k] = est
    return lam


def _start_values(
    st: _Structure, s: np.ndarray, spec: Mapping[str, Sequence[str]], items: Sequence[str], how: str
) -> np.ndarray:
    """Starting values, as lavaan's ``start = "default"`` (or ``"simple"``).

    * residual variances: half the observed variances, theta_ii = s_ii / 2 (lavaan's rule);
    * loadings: FABIN3 per factor (:func:`_fabin3`; lavaan's default), marker 1;
    * factor (co)variances: given Lambda, the least-squares fit of the off-diagonal covariances
      that involve the factors' own indicators, phi_fg = sum lambda_i lambda_k s_ik / sum (lambda_i lambda_k)^2
      over i in f, k in g, i != k; a variance that is not positive falls back to half the marker's
      variance; the correlations are then shrunk until Phi is positive definite (|r| <= .95).

    ``how = "simple"`` is lavaan's ``start = "simple"``: loadings 1, factor variances .05,
    covariances 0, residual variances s_ii / 2 (kept for comparison and tests).
    """
    p, m = st.p, st.m
    th = np.diag(s) / 2.0
    if how == "simple":
        lam, _, _ = st.unpack(np.concatenate([np.ones(st.n_l), th, np.zeros(len(st.pj))]))
        return st.pack(lam, np.eye(m) * 0.05, th)
    idx = {name: k for k, name in enumerate(items)}
    factors = list(spec)
    lam = np.zeros((p, m))
    for j, f in enumerate(factors):
        ind = [idx[i] for i in spec[f]]
        others = [k for k in range(p) if k not in set(ind)]
        lam[ind, j] = _fabin3(s, ind, others)
    phi = np.zeros((m, m))
    for j in range(m):
        for l in range(j, m):
            a = np.flatnonzero(lam[:, j])
            b = np.flatnonzero(lam[:, l])
            prod = np.outer(lam[a, j], lam[b, l])
            mask = a[:, None] != b[None, :]
            den = float(np.sum(prod[mask] ** 2))
            val = float(np.sum(prod[mask] * s[np.ix_(a, b)][mask]) / den) if den > 0 else 0.0
            phi[j, l] = phi[l, j] = val
    for j, (i, _) in enumerate(st.markers):
        if not phi[j, j] > 0:
            phi[j, j] = s[i, i] / 2.0
    sd = np.sqrt(np.diag(phi))
    r = np.clip(phi / np.outer(sd, sd), -0.95, 0.95)
    np.fill_diagonal(r, 1.0)
    off = r - np.eye(m)
    shrink = 1.0
    while np.linalg.eigvalsh(np.eye(m) + shrink * off)[0] < 0.05 and shrink > 0:
        shrink = max(shrink - 0.1, 0.0)
    phi = (np.eye(m) + shrink * off) * np.outer(sd, sd)
    return st.pack(lam, phi, th)


def _lavaan_start(
    st: _Structure, s: np.ndarray, spec: Mapping[str, Sequence[str]], items: Sequence[str]
) -> np.ndarray:
    """lavaan 0.6's own ``start = "default"`` values (``lav_start``), marker parameterisation.

    * residual variances s_ii / 2; factor variances .05, factor covariances 0;
    * loadings per factor from its own indicators' covariance matrix C: with fewer than 4
      indicators the closed-form three-indicator solution (``lav_cfa_1fac_3ind``: l_2 = c_32/c_31,
      l_3 = c_32/c_21; two indicators are padded to three as lavaan does), all 1 when
      c_21 c_31 c_32 < 0 (a "negative triad"); with 4 or more FABIN3 on the factor's own
      indicators (``lav_cfa_1fac_fabin``). Non-marker loadings are bounded by
      |l_i| <= sqrt(c_ii / (.1 c_11)); non-finite values become 1.
    """
    idx = {name: k for k, name in enumerate(items)}
    lam = np.zeros((st.p, st.m))
    for j, f in enumerate(spec):
        ind = [idx[i] for i in spec[f]]
        c = s[np.ix_(ind, ind)]
        nv = len(ind)
        load = np.ones(nv)
        if 2 <= nv < 4:
            if nv == 2:
                extra = np.array([np.mean(np.diag(c)), c[1, 0]])
                c = np.block([[c, extra[:, None]], [extra[None, :], np.array([[np.max(np.diag(c))]])]])
            s21, s31, s32 = c[1, 0], c[2, 0], c[2, 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                load = np.array([1.0, s32 / s31, s32 / s21])
            if s21 * s31 * s32 < 0:
                load = np.ones(3)
        elif nv >= 4:
            for i in range(1, nv):
                z = [k for k in range(1, nv) if k != i]
                try:
                    a = np.linalg.solve(c[np.ix_(z, z)], c[z, 0])
                    load[i] = float(c[i, z] @ a) / float(c[z, 0] @ a)
                except np.linalg.LinAlgError:
                    load[i] = float(c[i, z] @ c[z, 0]) / float(c[z, 0] @ c[z, 0])
        lower = 0.1 * c[0, 0]
        for i in range(1, len(load)):
            bound = math.sqrt(c[i, i] / lower)
            if math.isfinite(load[i]):
                load[i] = min(max(-bound, load[i]), bound)
        load[~np.isfinite(load)] = 1.0
        lam[ind, j] = load[:nv]
    return st.pack(lam, np.eye(st.m) * 0.05, np.diag(s) / 2.0)


def _marker_to_std(st: _Structure, st_std: _Structure, theta: np.ndarray) -> np.ndarray:
    """Marker-parameterised theta -> standardised factors: lambda_ij sqrt(phi_jj), phi_jl / sqrt(phi_jj phi_ll).

    Factor variances that are not positive are taken as .05 (lavaan's default start)."""
    lam, phi, th = st.unpack(theta)
    d = np.sqrt(np.where(np.diag(phi) > 0, np.diag(phi), 0.05))
    return st_std.pack(lam * d, phi / np.outer(d, d), th)


def _std_to_marker(st: _Structure, st_std: _Structure, theta: np.ndarray) -> tuple[np.ndarray, bool]:
    """Standardised-factor theta -> marker parameterisation, the same Sigma.

    With l_j the marker's loading on factor j: Lambda_.j / l_j and Phi_jl l_j l_l (Bollen 1989,
    ch. 7, scaling of latent variables). Returns (theta, False) when some |l_j| is ~0: then no
    marker solution exists (the factor variance would be 0).
    """
    lam, phi, th = st_std.unpack(theta)
    lm = np.array([lam[i, j] for i, j in st.markers])
    scale = np.sqrt(np.array([np.sum(lam[:, j] ** 2) for j in range(st.m)]))
    nonzero = np.abs(lm) > 1e-8 * np.maximum(scale, 1e-300)
    lm = np.where(nonzero, lm, 1.0)
    ok = bool(np.all(nonzero))
    return st.pack(lam / lm, phi * np.outer(lm, lm), th), ok


@dataclass(frozen=True)
class _Optimum:
    theta: np.ndarray
    fmin: float
    iterations: int
    converged: bool
    decrement: float
    max_gradient: float
    backtracks: int


#: Convergence: stop when half the Newton decrement, g' H^-1 g / 2 (the decrease of F_ML still
#: predicted by the quadratic model), is below FTOL. F_ML is dimensionless and the decrement is
#: invariant to rescaling the parameters, so the rule does not depend on the items' units. Near
#: the optimum Newton converges quadratically, so the final decrement is usually far below FTOL.
FTOL = 1e-14
MAXITER = 500


def _solve_pd(h: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """-h^-1 g by Cholesky, or None when h is not (numerically) positive definite."""
    try:
        chol = np.linalg.cholesky(h)
    except np.linalg.LinAlgError:
        return None
    step = -np.linalg.solve(chol.T, np.linalg.solve(chol, g))
    return step if np.all(np.isfinite(step)) else None


def _minimise(
    st: _Structure,
    s: np.ndarray,
    logdet_s: float,
    start: np.ndarray,
    ftol: float = FTOL,
    maxiter: int = MAXITER,
) -> _Optimum:
    """Minimise F_ML by a safeguarded Newton method with Fisher scoring as fallback.

    Direction: Newton's, -H_obs^-1 g with the exact Hessian (:func:`_observed_hessian`) when it is
    positive definite and gives a descent direction; otherwise Fisher scoring (Gauss-Newton on the
    covariance structure), -H_exp^-1 g with the expected Hessian (:func:`_expected_hessian`),
    positive definite for an identified model, damped as H_exp + mu diag(H_exp) if it is not.
    The Newton step is taken only in full (alpha = 1) when it satisfies Armijo's condition
    F(theta + alpha delta) <= F(theta) + 1e-4 alpha g'delta; otherwise the Fisher step is shortened,
    alpha = 1, 1/2, 1/4, ..., until the condition holds. A trial point whose Sigma is not positive
    definite has F = +inf (:func:`_discrepancy`), so the step is shortened, never accepted with a
    fake value or a zero gradient. Unbounded, like lavaan's default nlminb: negative variances (Heywood cases) are allowed
    and reported by :func:`cfa`. Converged when g'H^-1 g / 2 < ftol (H the matrix of the direction).
    References: Lee & Jennrich (1979); Bollen (1989), ch. 4; Nocedal & Wright (2006), ch. 3.
    """
    theta = start.astype(float).copy()
    fval, w = _discrepancy(st, theta, s, logdet_s)
    if w is None:
        raise StatsInputError(
            "cfa: the starting values give a covariance matrix that is not positive definite"
        )
    converged, dec, backtracks, it = False, math.inf, 0, 0
    for it in range(1, maxiter + 1):  # noqa: B007
        assert w is not None  # only steps to a positive-definite Sigma are accepted
        g = _gradient(st, theta, s, w)
        directions = []
        newton = _solve_pd(_observed_hessian(st, theta, s, w), g)
        if newton is not None and float(-g @ newton) > 0:
            directions.append(newton)
        h = _expected_hessian(st, theta, w)
        mu, fisher = 0.0, None
        while fisher is None and mu < 1e8:
            fisher = _solve_pd(h + mu * np.diag(np.diag(h)), g)
            mu = 1e-8 if mu == 0.0 else mu * 10.0
        directions.append(fisher if fisher is not None else -g / max(float(np.max(np.abs(g))), 1.0))
        dec = float(-g @ directions[0])
        if dec / 2.0 < ftol:
            converged = True
            break
        accepted = False
        for k, step in enumerate(directions):
            slope = float(g @ step)
            alpha = 1.0
            for _ in range(60 if k == len(directions) - 1 else 1):
                cand = theta + alpha * step
                f_new, w_new = _discrepancy(st, cand, s, logdet_s)
                if w_new is not None and f_new <= fval + 1e-4 * alpha * slope:
                    accepted = True
                    break
                alpha /= 2.0
                backtracks += 1
            if accepted:
                break
        if not accepted:
            # no decrease along either direction: the optimum up to rounding if the decrement is tiny
            converged = dec / 2.0 < 1e4 * ftol
            break
        theta, fval, w = cand, f_new, w_new
    assert w is not None
    g = _gradient(st, theta, s, w)
    return _Optimum(
        theta=theta,
        fmin=fval,
        iterations=it,
        converged=converged,
        decrement=dec,
        max_gradient=float(np.max(np.abs(g))) if g.size else 0.0,
        backtracks=backtracks,
    )


def _bfgs(
    st: _Structure, s: np.ndarray, logdet_s: float, start: np.ndarray, maxiter: int = 2000
) -> np.ndarray:
    """Quasi-Newton (BFGS) descent from ``start``, as lavaan's nlminb: small first steps that stay
    near the local minimum closest to the start. A non-positive-definite Sigma gets a large value."""

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        f, w = _discrepancy(st, x, s, logdet_s)
        if w is None:
            return 1e10, np.zeros_like(x)
        return f, _gradient(st, x, s, w)

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = optimize.minimize(
            fg, start, jac=True, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-7}
        )
    return np.asarray(res.x, dtype=float)


def _levenberg(
    st: _Structure, s: np.ndarray, logdet_s: float, start: np.ndarray, maxiter: int = MAXITER
) -> np.ndarray:
    """Damped Newton (Levenberg-Marquardt on the exact Hessian, damping lambda diag(H_exp)),
    a trust-region-like path that does not jump across ridges; polished by :func:`_minimise`."""
    theta = start.astype(float).copy()
    fval, w = _discrepancy(st, theta, s, logdet_s)
    damp = 1.0
    for _ in range(maxiter):
        if w is None:  # a start outside the positive-definite cone: nothing to damp
            break
        g = _gradient(st, theta, s, w)
        h = _observed_hessian(st, theta, s, w)
        d = np.diag(np.diag(_expected_hessian(st, theta, w)))
        newton = _solve_pd(h, g)
        if newton is not None and float(-g @ newton) / 2.0 < FTOL:
            break
        accepted = False
        for _ in range(60):
            step = _solve_pd(h + damp * d, g)
            if step is None:
                damp = max(damp * 4.0, 1e-4)
                continue
            pred = -float(g @ step + 0.5 * step @ h @ step)
            f_new, w_new = _discrepancy(st, theta + step, s, logdet_s)
            if w_new is not None and pred > 0 and fval - f_new >= 1e-4 * pred:
                rho = (fval - f_new) / pred
                damp = (
                    (damp / 4.0 if damp > 1e-6 else 0.0)
                    if rho > 0.75
                    else (max(damp * 2.0, 1e-4) if rho < 0.25 else damp)
                )
                accepted = True
                break
            damp = max(damp * 4.0, 1e-4)
        if not accepted:
            break
        theta, fval, w = theta + step, f_new, w_new
    return theta


#: First attempt: Newton / Fisher scoring converges in < 50 iterations when it converges at all.
FIRST_MAXITER = 100


def _fit(
    st: _Structure,
    st_std: _Structure,
    s: np.ndarray,
    logdet_s: float,
    start_marker: np.ndarray,
    start_alt: np.ndarray,
) -> tuple[np.ndarray, _Optimum, bool, int]:
    """Fit F_ML in lavaan's marker parameterisation, with fallbacks; returns (theta in the marker
    parameterisation, the accepted optimum, marker_ok, total iterations).

    1. Newton / Fisher scoring (:func:`_minimise`) in the marker parameterisation (first loading 1,
       factor (co)variances free and unbounded, so negative factor variances are reachable, as in
       lavaan) from lavaan's start values; accepted when it converges.
    2. Otherwise BFGS from lavaan's start values, then from ``start_alt``, each polished by
       :func:`_minimise`; the first that converges (the one nearest lavaan's nlminb path: another
       start can reach a different local minimum).
    3. Otherwise a damped Newton path (:func:`_levenberg`) from lavaan's start values, then the fit
       with standardised factors (``std.lv``: factor variances 1, all loadings free; no ridge where
       a factor variance -> 0 while its loadings -> infinity) rescaled to the marker
       parameterisation; the first that converges.
    4. Otherwise the lowest F of all attempts, reported as not converged.
    """
    total = 0
    tried: list[tuple[np.ndarray, _Optimum, bool]] = []

    def polish(x: np.ndarray, maxiter: int = MAXITER) -> tuple[np.ndarray, _Optimum, bool]:
        nonlocal total
        opt = _minimise(st, s, logdet_s, x, maxiter=maxiter)
        total += opt.iterations
        tried.append((opt.theta, opt, True))
        return tried[-1]

    def best(cands: list[tuple[np.ndarray, _Optimum, bool]]) -> tuple[np.ndarray, _Optimum, bool] | None:
        ok = [c for c in cands if c[1].converged and c[2]]  # the first converged one, in order
        return ok[0] if ok else None

    def feasible(x: np.ndarray) -> bool:
        return _discrepancy(st, x, s, logdet_s)[1] is not None

    first = polish(start_marker, FIRST_MAXITER)
    if first[1].converged:
        return first[0], first[1], True, total
    chosen = None
    for x in (start_marker, start_alt):
        if chosen is None and feasible(x):
            chosen = best([polish(_bfgs(st, s, logdet_s, x))])
    if chosen is None:
        chosen = best([polish(_levenberg(st, s, logdet_s, start_marker))])
    if chosen is None:
        stage = []
        std_opt = _minimise(st_std, s, logdet_s, _marker_to_std(st, st_std, start_alt))
        total += std_opt.iterations
        theta_std, ok = _std_to_marker(st, st_std, std_opt.theta)
        fm = _discrepancy(st, theta_std, s, logdet_s)[0]
        std_as_marker = _Optimum(
            theta=theta_std,
            fmin=fm,
            iterations=std_opt.iterations,
            converged=std_opt.converged,
            decrement=std_opt.decrement,
            max_gradient=std_opt.max_gradient,
            backtracks=std_opt.backtracks,
        )
        stage.append((theta_std, std_as_marker, ok))
        tried.append(stage[-1])
        chosen = best(stage)
    if chosen is None:
        chosen = min(tried, key=lambda c: c[1].fmin if math.isfinite(c[1].fmin) else math.inf)
    return chosen[0], chosen[1], chosen[2], total


@deprecated_params(positional=("model", "start", "ordered", "estimator", "group", "group_equal", "missing"))
def cfa(
    data: pd.DataFrame,
    *,
    model: str | Mapping[str, Sequence[str]],
    start: str = "default",
    ordered: bool | Sequence[str] = False,
    estimator: str | None = None,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    missing: str = "listwise",
) -> CFAResult | MultiGroupCFAResult | MultiGroupWLSMVResult:
    """Maximum-likelihood confirmatory factor analysis, as ``lavaan::cfa(model, data)``.

    Parameters
    ----------
    data : DataFrame with one numeric column per item named in the model (other columns are
        ignored); rows with a missing value on a model item are dropped (lavaan's listwise default).
        Reverse-keyed items may be left raw: their loadings are then negative.
    model : ``{"visual": ["x1", "x2", "x3"], ...}`` or lavaan syntax
        ``"visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"`` (only ``=~`` lines).
    start : ``"default"`` (lavaan's: FABIN3 loadings, half the observed variances as residual
        variances, factor (co)variances fitted to the covariances) or ``"simple"`` (loadings 1,
        factor variances .05); the solution does not depend on it when the fit converges.
    ordered : ``True`` (or the list of all model items) treats every item as ordinal, as lavaan's
        ``cfa(model, data, ordered = TRUE)``: polychoric correlations and thresholds, WLSMV (DWLS
        estimates, robust sandwich SEs, scaled-and-shifted chi-square), delta parameterisation;
        returns an :class:`psychometry.stats.ordinal.OrdinalCFAResult`. Mixing ordinal and
        continuous items is not supported.
    estimator : ``None``/``"ML"`` (default for continuous items) or ``"WLSMV"`` (the default with
        ``ordered``; ``estimator="WLSMV"`` alone implies ``ordered=True``).
    missing : ``"listwise"`` (lavaan's default) or, for ordered items, ``"pairwise"`` (lavaan's
        ``missing = "pairwise"``: thresholds and polychorics from the available answers).
    group, group_equal : a column of ``data`` defining groups: a multi-group CFA as lavaan's
        ``cfa(model, data, group = group, group.equal = group_equal)`` (ML with mean structure, or WLSMV
        with ``ordered``); returns :func:`psychometry.stats.multigroup.multigroup_cfa`'s result.

    Returns a :class:`CFAResult` with lavaan's fit measures (``res.fit["cfi"]``, also ``res.cfi``),
    the parameter table (``res.parameters``, ``res.to_frame()``: estimate, se, statistic = z, p,
    std_lv, std_all) and ``summary()`` printed like lavaan's. Estimation: Newton / Fisher scoring (see :func:`_minimise`);
    warns, as lavaan does, when it does not converge, when a residual variance is negative
    (Heywood case) or when the factor covariance matrix is not positive definite. Formulas: see the
    module docstring.

    Formula: F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p, Sigma = Lambda Phi Lambda' + Theta
    (module docstring); with lavaan's tutorial data (Holzinger & Swineford 1939) the fit is the
    published chisq 85.306 on 24 df, CFI .931 (``tests/test_stats_cfa.py``).

    References: Joreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor
    analysis. Psychometrika, 34, 183-202. Rosseel, Y. (2012). lavaan. Journal of Statistical
    Software, 48(2).

    Example
    -------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 2))
    >>> y = np.repeat(f, 3, axis=1) * [1, 0.8, 0.7, 1, 0.9, 0.6] + rng.normal(scale=0.6, size=(300, 6))
    >>> data = pd.DataFrame(y, columns=["y1", "y2", "y3", "y4", "y5", "y6"])
    >>> res = cfa(data, model="f1 =~ y1 + y2 + y3\\nf2 =~ y4 + y5 + y6")
    >>> int(res.fit["df"]), round(res.fit["chisq"], 3), round(res.fit["cfi"], 3)
    (8, 8.516, 0.999)
    >>> res.to_frame().loc[1, ["estimate", "se", "statistic", "std_all"]].astype(float).round(3).tolist()
    [0.723, 0.062, 11.746, 0.745]
    """
    est = (estimator or ("WLSMV" if ordered is not False else "ML")).upper()
    if est not in ("ML", "WLSMV"):
        raise StatsInputError(f"cfa: estimator must be 'ML' or 'WLSMV', got {estimator!r}")
    if missing not in ("listwise", "pairwise"):
        raise StatsInputError(f"cfa: missing must be 'listwise' or 'pairwise', got {missing!r}")
    if missing == "pairwise" and (est != "WLSMV" or group is not None):
        raise StatsInputError(
            "cfa: missing='pairwise' is implemented for single-group ordered items (WLSMV) only"
        )
    if group is not None:
        if est == "ML" and ordered is not False:
            raise StatsInputError(
                "cfa: ordered items need estimator='WLSMV' (ML for ordinal data is not implemented)"
            )
        from psychometry.stats.multigroup import multigroup_cfa

        return multigroup_cfa(data, model=model, group=group, group_equal=group_equal, ordered=est == "WLSMV")
    if group_equal:
        raise StatsInputError("cfa: group_equal needs group=")
    if est == "WLSMV" or ordered is not False:
        if est == "ML":
            raise StatsInputError(
                "cfa: ordered items need estimator='WLSMV' (ML for ordinal data is not implemented)"
            )
        spec0 = parse_model(model)
        all_items = {i for items in spec0.values() for i in items}
        if ordered is not True and ordered is not False and set(map(str, ordered)) != all_items:
            raise StatsInputError(
                "cfa: ordered must be True or list every model item (mixed ordinal and "
                "continuous items are not supported)"
            )
        from psychometry.stats.ordinal import cfa_wlsmv

        return cfa_wlsmv(data, model=model, missing=missing)
    spec = parse_model(model)
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"cfa: data must be a pandas DataFrame, got {type(data).__name__}")
    if start not in ("default", "simple"):
        raise StatsInputError(f"cfa: start must be 'default' or 'simple', got {start!r}")
    factors = list(spec)
    items = model_items(spec, data, "cfa")
    x = data[items].astype(float).dropna()
    p, m = len(items), len(factors)
    n = len(x)
    if n <= p:
        raise StatsInputError(f"cfa: {n} complete rows for {p} items; need more rows than items")
    for f in factors:
        if len(spec[f]) < 2 and m == 1:
            raise StatsInputError(f"cfa: factor {f!r} needs at least 3 items when it is the only factor")
    s = np.cov(x.to_numpy(), rowvar=False, bias=True)  # N divisor, as lavaan
    if np.any(np.diag(s) <= 0):
        const = [items[i] for i in np.where(np.diag(s) <= 0)[0]]
        raise StatsInputError(f"cfa: item(s) {const} have zero variance")
    sign_s, logdet_s = np.linalg.slogdet(s)
    if sign_s <= 0:
        raise StatsInputError("cfa: the sample covariance matrix is singular (linearly dependent items)")

    st = _structure(spec, items)
    n_l, n_t, q = st.n_l, p, st.q
    df = p * (p + 1) // 2 - q
    if df < 0:
        raise StatsInputError(
            f"cfa: the model has {q} free parameters but only {p * (p + 1) // 2} "
            "variances and covariances: it is not identified"
        )

    # lavaan's parameterisation (marker loadings 1, factor (co)variances free) from lavaan's start
    # values, with fallbacks (BFGS, damped Newton, standardised factors; see _fit)
    st_std = _structure(spec, items, std_lv=True)
    if start == "default":
        start_marker = _lavaan_start(st, s, spec, items)
        start_alt = _start_values(st, s, spec, items, "default")
    else:
        start_marker = start_alt = _start_values(st, s, spec, items, start)
    if _discrepancy(st, start_marker, s, float(logdet_s))[1] is None:
        start_marker = start_alt
    theta, opt, marker_ok, iterations = _fit(st, st_std, s, float(logdet_s), start_marker, start_alt)
    fmin, inv = _discrepancy(st, theta, s, float(logdet_s))
    assert inv is not None  # the optimiser only accepts positive-definite Sigma
    lam, phi, th = st.unpack(theta)
    sigma = st.sigma(theta)

    notes: list[str] = []
    if not marker_ok:
        notes.append(
            "cfa: a marker item (the first item of a factor) has a zero loading at the optimum, "
            "so the factor's scale cannot be set by it; reorder the items"
        )
    if not opt.converged:
        notes.append(
            f"cfa: the optimizer did not find a solution after {iterations} iterations "
            f"(max |gradient| {opt.max_gradient:.2g}); the estimates are not trustworthy"
        )
    neg = [items[i] for i in np.flatnonzero(th < 0)]
    if neg:
        notes.append(f"cfa: some estimated residual variances are negative (Heywood case): {', '.join(neg)}")
    neg_lv = [factors[j] for j in np.flatnonzero(np.diag(phi) < 0)]
    if neg_lv:
        notes.append(f"cfa: some estimated lv variances are negative: {', '.join(neg_lv)}")
    elif np.linalg.eigvalsh(phi)[0] <= 0:
        notes.append("cfa: the covariance matrix of the latent variables is not positive definite")
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=2)

    # SE from the expected information, structured: I = 1/2 Delta' (inv (x) inv) Delta
    info = 0.5 * _expected_hessian(st, theta, inv)
    try:
        vcov = np.linalg.inv(info) / n
        se_free = np.sqrt(np.maximum(np.diag(vcov), 0.0))
    except np.linalg.LinAlgError:
        se_free = np.full(q, np.nan)

    # fit measures
    chisq = n * fmin
    logl = -n / 2 * (p * math.log(2 * math.pi) + np.linalg.slogdet(sigma)[1] + np.trace(s @ inv))
    logl_h1 = -n / 2 * (p * math.log(2 * math.pi) + logdet_s + p)
    chisq_b = n * (float(np.sum(np.log(np.diag(s)))) - logdet_s)
    df_b = p * (p + 1) // 2 - p
    fit: dict[str, float] = {"npar": float(q), "chisq": chisq, "df": float(df)}
    fit["pvalue"] = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    fit["baseline.chisq"] = chisq_b
    fit["baseline.df"] = float(df_b)
    fit["baseline.pvalue"] = float(stats.chi2.sf(chisq_b, df_b))
    denom = max(chisq - df, chisq_b - df_b, 0.0)
    fit["cfi"] = 1.0 - max(chisq - df, 0.0) / denom if denom > 0 else 1.0
    fit["tli"] = ((chisq_b / df_b - chisq / df) / (chisq_b / df_b - 1.0)) if df > 0 else 1.0
    fit["logl"] = float(logl)
    fit["unrestricted.logl"] = float(logl_h1)
    fit["aic"] = -2 * logl + 2 * q
    fit["bic"] = -2 * logl + q * math.log(n)
    fit["bic2"] = -2 * logl + q * math.log((n + 2) / 24)
    fit.update(_rmsea(chisq, df, n))
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    fit["srmr"] = float(np.sqrt(np.mean(resid[np.tril_indices(p)] ** 2)))
    fit["ntotal"] = float(n)
    fit = {key: float(value) for key, value in fit.items()}  # plain floats, not numpy scalars

    # parameter table in lavaan's order; a negative variance has no standard deviation (NaN std)
    def root(v: np.ndarray) -> np.ndarray:
        return np.sqrt(np.where(v > 0, v, np.nan))

    sd_lv = root(np.diag(phi))
    sd_ov = root(np.diag(sigma))
    free_se = dict(enumerate(se_free))
    rows: list[dict[str, object]] = []
    k_free = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(st.li, st.lj))}
    idx = {name: k for k, name in enumerate(items)}
    for j, f in enumerate(factors):
        for i_name in spec[f]:
            i = idx[i_name]
            est = lam[i, j]
            k = k_free.get((i, j))
            se = free_se[k] if k is not None else float("nan")
            rows.append(_row(f, "=~", i_name, est, se, est * sd_lv[j], est * sd_lv[j] / sd_ov[i]))
    for i, name in enumerate(items):
        rows.append(_row(name, "~~", name, th[i], free_se[n_l + i], th[i], th[i] / sigma[i, i]))
    for k, (j, l) in enumerate(zip(st.pj, st.pl)):
        if j == l:
            one = 1.0 if phi[j, j] > 0 else float("nan")  # lavaan: NA for a negative variance
            rows.append(_row(factors[j], "~~", factors[j], phi[j, j], free_se[n_l + n_t + k], one, one))
    for k, (j, l) in enumerate(zip(st.pj, st.pl)):
        if j != l:
            # lavaan's standardised covariance: phi_jl / sqrt(|phi_jj phi_ll|), also with a negative variance
            prod = abs(phi[j, j] * phi[l, l])
            r = phi[j, l] / math.sqrt(prod) if prod > 0 else float("nan")
            rows.append(_row(factors[j], "~~", factors[l], phi[j, l], free_se[n_l + n_t + k], r, r))
    return CFAResult(
        fit=fit,
        parameters=pd.DataFrame(rows),
        model=spec,
        implied=pd.DataFrame(sigma, index=items, columns=items),
        sample=pd.DataFrame(s, index=items, columns=items),
        n=n,
        iterations=iterations,
        converged=opt.converged and marker_ok,
        warnings=tuple(notes),
    )


def _row(
    lhs: str, op: str, rhs: str, est: float, se: float, std_lv: float, std_all: float
) -> dict[str, object]:
    z = est / se if se and not math.isnan(se) and se > 0 else float("nan")
    pval = 2 * stats.norm.sf(abs(z)) if not math.isnan(z) else float("nan")
    return {
        "lhs": lhs,
        "op": op,
        "rhs": rhs,
        "estimate": float(est),
        "se": float(se),
        "statistic": float(z),
        "p": float(pval),
        "std_lv": float(std_lv),
        "std_all": float(std_all),
    }


def _rmsea(chisq: float, df: int, n: int) -> dict[str, float]:
    """RMSEA, its 90% CI and the close / not-close fit p values (lavaan, N in the denominator)."""
    if df <= 0:
        nan = float("nan")
        return {
            "rmsea": 0.0,
            "rmsea.ci.lower": 0.0,
            "rmsea.ci.upper": 0.0,
            "rmsea.pvalue": nan,
            "rmsea.notclose.pvalue": nan,
        }
    rmsea = math.sqrt(max(chisq - df, 0.0) / (n * df))

    def ncp_for(prob: float) -> float:
        # lambda with P(chi2_df(lambda) <= chisq) = prob; 0 when even lambda = 0 gives less
        if stats.chi2.cdf(chisq, df) < prob:
            return 0.0
        hi = max(chisq, 1.0)
        while stats.ncx2.cdf(chisq, df, hi) > prob:
            hi *= 2
        return optimize.brentq(lambda lam: stats.ncx2.cdf(chisq, df, lam) - prob, 1e-12, hi, xtol=1e-12)

    lower = math.sqrt(ncp_for(0.95) / (n * df))
    upper = math.sqrt(ncp_for(0.05) / (n * df))
    p_close = float(stats.ncx2.sf(chisq, df, n * df * 0.05**2))
    p_notclose = float(stats.ncx2.cdf(chisq, df, n * df * 0.08**2))
    return {
        "rmsea": rmsea,
        "rmsea.ci.lower": lower,
        "rmsea.ci.upper": upper,
        "rmsea.pvalue": p_close,
        "rmsea.notclose.pvalue": p_notclose,
    }
