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

Checked against lavaan 0.6-14 and the lavaan tutorial's published Holzinger & Swineford (1939)
numbers in ``tests/test_stats_cfa.py``.

References: Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal
of Statistical Software, 48(2). Bollen, K. A. (1989). Structural Equations with Latent Variables.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .factor import StatsInputError

__all__ = ["cfa", "CFAResult", "parse_model"]

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
                raise StatsInputError(f"cfa model: factor {factor!r} must map to a list of item names, got {items!r}")
            out[str(factor)] = [str(i) for i in items]
    elif isinstance(model, str):
        out = {}
        for lineno, raw in enumerate(re.split(r"[\n;]", model), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if "=~" not in line:
                raise StatsInputError(f"cfa model: statement {lineno} {line!r}: only 'factor =~ item + item' "
                                      "lines are supported")
            lhs, rhs = (part.strip() for part in line.split("=~", 1))
            if not _NAME.match(lhs):
                raise StatsInputError(f"cfa model: statement {lineno} {line!r}: bad factor name {lhs!r}")
            items = [t.strip() for t in rhs.split("+")]
            for t in items:
                if not _NAME.match(t):
                    raise StatsInputError(f"cfa model: statement {lineno} {line!r}: bad item {t!r} "
                                          "(modifiers such as 'NA*x1' and other operators are not supported)")
            out.setdefault(lhs, []).extend(items)
    else:
        raise StatsInputError(f"cfa model: expected a dict {{factor: [items]}} or lavaan '=~' syntax, "
                              f"got {type(model).__name__}")
    if not out:
        raise StatsInputError("cfa model: no factor defined")
    for factor, items in out.items():
        if not items:
            raise StatsInputError(f"cfa model: factor {factor!r} has no items")
        if len(set(items)) != len(items):
            raise StatsInputError(f"cfa model: factor {factor!r} lists an item twice: {items}")
    clash = set(out) & {i for items in out.values() for i in items}
    if clash:
        raise StatsInputError(f"cfa model: {sorted(clash)} are used both as factor and as item "
                              "(higher-order models are not supported)")
    return out


@dataclass(frozen=True, eq=False)
class CFAResult:
    """Result of :func:`cfa`.

    Attributes
    ----------
    fit : dict of lavaan's fit measures (keys as ``fitMeasures``: npar, chisq, df, pvalue,
        baseline.chisq, baseline.df, baseline.pvalue, cfi, tli, logl, unrestricted.logl, aic, bic,
        bic2, rmsea, rmsea.ci.lower, rmsea.ci.upper, rmsea.pvalue, rmsea.notclose.pvalue, srmr, ntotal).
    estimates : DataFrame like ``parameterEstimates(fit, standardized = TRUE)``: lhs, op, rhs, est,
        se, z, pvalue, std_lv, std_all (fixed parameters have NaN se/z/pvalue).
    model : the parsed model {factor: [items]}.
    implied, sample : model-implied and sample (N divisor) covariance matrices.
    """

    fit: dict[str, float]
    estimates: pd.DataFrame
    model: dict[str, list[str]]
    implied: pd.DataFrame
    sample: pd.DataFrame
    n_obs: int
    iterations: int
    converged: bool

    def __getattr__(self, name: str) -> float:
        # res.cfi, res.rmsea ... as attributes (fit-measure names with '.' -> '_')
        fit = object.__getattribute__(self, "fit")
        key = name.replace("_", ".")
        if key in fit:
            return fit[key]
        raise AttributeError(name)

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (``parameterEstimates(fit, standardized = TRUE)``)."""
        return self.estimates.copy()

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
            row("Optimization method", "BFGS"),
            row("Number of model parameters", str(int(f["npar"]))),
            "",
            row("Number of observations", str(self.n_obs)),
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
        est = self.estimates
        header = "".join(h.rjust(9) for h in ("Estimate", "Std.Err", "z-value", "P(>|z|)", "Std.lv", "Std.all"))

        def cells(r: pd.Series) -> str:
            vals = [r["est"], r["se"], r["z"], r["pvalue"], r["std_lv"], r["std_all"]]
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


def cfa(data: pd.DataFrame, model: str | Mapping[str, Sequence[str]]) -> CFAResult:
    """Maximum-likelihood confirmatory factor analysis, as ``lavaan::cfa(model, data)``.

    Parameters
    ----------
    data : DataFrame with one numeric column per item named in the model (other columns are
        ignored); rows with a missing value on a model item are dropped (lavaan's listwise default).
    model : ``{"visual": ["x1", "x2", "x3"], ...}`` or lavaan syntax
        ``"visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"`` (only ``=~`` lines).

    Returns a :class:`CFAResult` with lavaan's fit measures (``res.fit["cfi"]``, also ``res.cfi``),
    the parameter table with unstandardised estimates, SE, z, p, Std.lv and Std.all, and
    ``summary()`` printed like lavaan's. Formulas: see the module docstring.

    Example (lavaan tutorial; Holzinger & Swineford 1939)
    -------
    >>> hs = pd.read_csv("tests/data/holzinger_swineford_1939.csv")
    >>> res = cfa(hs, "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9")
    >>> round(res.fit["chisq"], 3), int(res.fit["df"]), round(res.fit["cfi"], 3)
    (85.306, 24, 0.931)
    """
    spec = parse_model(model)
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"cfa: data must be a pandas DataFrame, got {type(data).__name__}")
    factors = list(spec)
    items: list[str] = []
    for f in factors:
        for i in spec[f]:
            if i not in items:
                items.append(i)
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise StatsInputError(f"cfa: model item(s) {missing} are not columns of data")
    bad = [i for i in items if not pd.api.types.is_numeric_dtype(data[i]) or pd.api.types.is_bool_dtype(data[i])]
    if bad:
        raise StatsInputError(f"cfa: item column(s) {bad} are not numeric")
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

    # free parameters: loadings (not the marker), residual variances, factor variances, covariances
    idx = {name: k for k, name in enumerate(items)}
    load_free = [(idx[i], j) for j, f in enumerate(factors) for i in spec[f][1:]]
    markers = [(idx[spec[f][0]], j) for j, f in enumerate(factors)]
    cov_pairs = [(j, k) for j in range(m) for k in range(j + 1, m)]
    n_l, n_t = len(load_free), p
    q = n_l + n_t + m + len(cov_pairs)
    df = p * (p + 1) // 2 - q
    if df < 0:
        raise StatsInputError(f"cfa: the model has {q} free parameters but only {p * (p + 1) // 2} "
                              "variances and covariances: it is not identified")

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lam = np.zeros((p, m))
        for (i, j) in markers:
            lam[i, j] = 1.0
        for k, (i, j) in enumerate(load_free):
            lam[i, j] = theta[k]
        th = theta[n_l:n_l + n_t]
        phi = np.diag(theta[n_l + n_t:n_l + n_t + m])
        for k, (j, l) in enumerate(cov_pairs):
            phi[j, l] = phi[l, j] = theta[n_l + n_t + m + k]
        return lam, phi, th

    def implied(theta: np.ndarray) -> np.ndarray:
        lam, phi, th = unpack(theta)
        return lam @ phi @ lam.T + np.diag(th)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        lam, phi, th = unpack(theta)
        sigma = lam @ phi @ lam.T + np.diag(th)
        sign, logdet = np.linalg.slogdet(sigma)
        if sign <= 0:
            return 1e10, np.zeros_like(theta)
        inv = np.linalg.inv(sigma)
        fval = logdet + np.trace(s @ inv) - logdet_s - p
        w = inv - inv @ s @ inv                       # dF/dSigma
        g_lam = 2 * w @ lam @ phi
        g_phi = lam.T @ w @ lam
        grad = np.empty_like(theta)
        for k, (i, j) in enumerate(load_free):
            grad[k] = g_lam[i, j]
        grad[n_l:n_l + n_t] = np.diag(w)
        grad[n_l + n_t:n_l + n_t + m] = np.diag(g_phi)
        for k, (j, l) in enumerate(cov_pairs):
            grad[n_l + n_t + m + k] = 2 * g_phi[j, l]
        return float(fval), grad

    # starting values (lavaan's "simple" spirit): loadings 1, residual variances half the item
    # variances, factor variances from the marker items, covariances 0
    start = np.concatenate([np.ones(n_l), np.diag(s) / 2,
                            np.array([max(s[i, i] / 2, 0.05) for (i, _) in markers]), np.zeros(len(cov_pairs))])
    res = optimize.minimize(objective, start, jac=True, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 5000})
    theta = res.x
    fmin, grad = objective(theta)
    converged = bool(np.max(np.abs(grad)) < 1e-5)
    lam, phi, th = unpack(theta)
    sigma = implied(theta)
    inv = np.linalg.inv(sigma)

    # expected information, structured: 1/2 Delta' (inv (x) inv) Delta, Delta = d vec Sigma / d theta
    delta = np.empty((p * p, q))
    for k, (i, j) in enumerate(load_free):
        e = np.zeros((p, m))
        e[i, j] = 1.0
        d = e @ phi @ lam.T
        delta[:, k] = (d + d.T).ravel()
    for k in range(n_t):
        d = np.zeros((p, p))
        d[k, k] = 1.0
        delta[:, n_l + k] = d.ravel()
    for k in range(m):
        e = np.zeros((m, m))
        e[k, k] = 1.0
        delta[:, n_l + n_t + k] = (lam @ e @ lam.T).ravel()
    for k, (j, l) in enumerate(cov_pairs):
        e = np.zeros((m, m))
        e[j, l] = e[l, j] = 1.0
        delta[:, n_l + n_t + m + k] = (lam @ e @ lam.T).ravel()
    info = 0.5 * delta.T @ np.kron(inv, inv) @ delta
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

    # parameter table in lavaan's order
    sd_lv = np.sqrt(np.diag(phi))
    sd_ov = np.sqrt(np.diag(sigma))
    free_se = dict(enumerate(se_free))
    rows: list[dict[str, object]] = []
    k_free = {pair: k for k, pair in enumerate(load_free)}
    for j, f in enumerate(factors):
        for i_name in spec[f]:
            i = idx[i_name]
            est = lam[i, j]
            k = k_free.get((i, j))
            se = free_se[k] if k is not None else float("nan")
            rows.append(_row(f, "=~", i_name, est, se, est * sd_lv[j], est * sd_lv[j] / sd_ov[i]))
    for i, name in enumerate(items):
        rows.append(_row(name, "~~", name, th[i], free_se[n_l + i], th[i], th[i] / sigma[i, i]))
    for j, f in enumerate(factors):
        rows.append(_row(f, "~~", f, phi[j, j], free_se[n_l + n_t + j], 1.0, 1.0))
    for k, (j, l) in enumerate(cov_pairs):
        r = phi[j, l] / (sd_lv[j] * sd_lv[l])
        rows.append(_row(factors[j], "~~", factors[l], phi[j, l], free_se[n_l + n_t + m + k], r, r))
    estimates = pd.DataFrame(rows)
    return CFAResult(
        fit=fit, estimates=estimates, model=spec,
        implied=pd.DataFrame(sigma, index=items, columns=items),
        sample=pd.DataFrame(s, index=items, columns=items),
        n_obs=n, iterations=int(res.nit), converged=converged,
    )


def _row(lhs: str, op: str, rhs: str, est: float, se: float, std_lv: float, std_all: float) -> dict[str, object]:
    z = est / se if se and not math.isnan(se) and se > 0 else float("nan")
    pval = 2 * stats.norm.sf(abs(z)) if not math.isnan(z) else float("nan")
    return {"lhs": lhs, "op": op, "rhs": rhs, "est": float(est), "se": float(se), "z": float(z),
            "pvalue": float(pval), "std_lv": float(std_lv), "std_all": float(std_all)}


def _rmsea(chisq: float, df: int, n: int) -> dict[str, float]:
    """RMSEA, its 90% CI and the close / not-close fit p values (lavaan, N in the denominator)."""
    if df <= 0:
        nan = float("nan")
        return {"rmsea": 0.0, "rmsea.ci.lower": 0.0, "rmsea.ci.upper": 0.0, "rmsea.pvalue": nan,
                "rmsea.notclose.pvalue": nan}
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
    p_close = float(stats.ncx2.sf(chisq, df, n * df * 0.05 ** 2))
    p_notclose = float(stats.ncx2.cdf(chisq, df, n * df * 0.08 ** 2))
    return {"rmsea": rmsea, "rmsea.ci.lower": lower, "rmsea.ci.upper": upper, "rmsea.pvalue": p_close,
            "rmsea.notclose.pvalue": p_notclose}
