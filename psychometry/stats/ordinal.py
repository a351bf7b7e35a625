"""Ordinal confirmatory factor analysis by WLSMV, as ``lavaan::cfa(model, data, ordered = TRUE)``.

Sample statistics (lavaan's ``lav_samplestats_step1/step2`` and ``muthen1984``; Muthen 1984;
Muthen, du Toit & Spisic 1997), on the rows complete on every model item (lavaan's listwise default;
``missing="pairwise"``: available answers, see :func:`cfa_wlsmv`):

* s = (thresholds of every item, polychoric correlations r_ij for i > j in lavaan's vech order),
  the two-step estimates of :mod:`psychometry.stats.polycor` (``method="lavaan"``: each item's
  observed categories);
* their asymptotic covariance Gamma (lavaan's ``NACOV``) from the case-wise scores: SC = (d log f_i /
  d tau per item; d log f_ij / d rho per pair), INNER = SC'SC, the "bread" B = [[A11, 0], [A21, A22]]
  with A11 the per-item block of INNER, A22 = diag of the pair block, A21 = sum over cases of the
  pair score times the pair log-likelihood's derivative with respect to the thresholds;
  Gamma = N B^-1 INNER B^-T. Every case-wise score depends only on the cell of the case, so all of
  it is computed from the contingency tables and one gather.

Model (default delta parameterisation): the latent responses have unit variances, the implied
thresholds are the free thresholds tau, the implied correlations are the off-diagonal elements of
Lambda Phi Lambda' (marker loadings 1, factor (co)variances free), and the residual variances are
1 - diag(Lambda Phi Lambda') (fixed, not parameters).

Estimation: DWLS, F = (s - sigma(theta))' W (s - sigma(theta)) / 2, W = diag(Gamma)^-1. The free
thresholds reproduce the sample thresholds exactly, so the loadings and factor (co)variances solve
the weighted least-squares fit of the correlations (scipy's Levenberg-Marquardt with the analytic
Jacobian, from the same start values as the ML :func:`psychometry.stats.cfa`).

Inference (lavaan's ``se = "robust.sem"``, ``test = "scaled.shifted"``), with Delta = d sigma /
d theta', E = Delta' W Delta, U = W - W Delta E^-1 Delta' W:

* Cov(theta) = E^-1 Delta' W Gamma W Delta E^-1 / N (sandwich);
* chisq = 2 N F (DWLS), df = #s - #theta;
* scaled-shifted chisq (Asparouhov & Muthen 2010): a = sqrt(df / tr((U Gamma)^2)),
  b = df - a tr(U Gamma), chisq.scaled = a chisq + b; lavaan's scaling factor 1/a, shift b;
* baseline: all correlations 0 and free thresholds, chisq_b = N sum w_ij r_ij^2, df_b = p(p-1)/2,
  its scaled-shifted version with U_b = W on the correlations;
* CFI, TLI from (chisq, chisq_b) and the .scaled versions from the scaled-shifted statistics;
  RMSEA = sqrt(max(chisq - df, 0) / ((N - 1) df)) (lavaan uses N - 1 with this estimator), with its
  90% CI and close-fit p values as for ML, and rmsea.scaled from chisq.scaled;
* SRMR = sqrt(mean over i > j of (r_ij - sigma_ij)^2) (correlation residuals).

Robust CFI / TLI / RMSEA (lavaan's ``.robust`` for categorical data; Savalei 2021's catML correction):
see :func:`_robust_catml`.

References: Muthen, B. (1984). A general structural equation model with dichotomous, ordered
categorical, and continuous latent variable indicators. Psychometrika, 49, 115-132. Muthen, B., du
Toit, S. H. C. & Spisic, D. (1997). Robust inference using weighted least squares and quadratic
estimating equations in latent variable modeling with categorical and continuous outcomes.
Asparouhov, T. & Muthen, B. (2010). Simple second order chi-square correction. Mplus technical
appendix. Savalei, V. (2021). Improving fit indices in structural equation modeling with categorical
data. Multivariate Behavioral Research, 56, 390-407. Rosseel, Y. (2012). lavaan. Journal of Statistical Software, 48(2).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from psychometry.errors import StatsInputError
from psychometry.stats.polycor import (
    BIG,
    _codes_observed,
    _ext,
    _lavaan_stats,
    _pad,
    _pearson_start,
    _phi,
    cell_probabilities,
    fit_rho,
)
from psychometry.stats.sem.indices import cfi, rmsea, tli
from psychometry.stats.sem.model import Structure, model_items, parse_model, structure
from psychometry.stats.sem.params import Standardised, measurement_rows, param_row
from psychometry.stats.sem.result import CFAResult, parameter_blocks
from psychometry.stats.sem.start import start_values

__all__ = ["OrdinalCFAResult", "OrdinalStats", "cfa_wlsmv", "ordinal_sample_stats"]


@dataclass(frozen=True, eq=False)
class OrdinalStats:
    """Sample statistics of ordinal items (lavaan's WLS.obs and NACOV for ``ordered = TRUE``)."""

    items: list[str]
    n: int
    thresholds: list[np.ndarray]  # per item
    th_names: list[str]  # "item|t1", ...
    rho: np.ndarray  # p x p polychoric correlations
    pairs: np.ndarray  # (npairs, 2) (i, j), i > j, lavaan's vech order
    gamma: np.ndarray  # N x asymptotic covariance of (thresholds, correlations)

    @property
    def s(self) -> np.ndarray:
        return np.concatenate([np.concatenate(self.thresholds), self.rho[self.pairs[:, 0], self.pairs[:, 1]]])

    @property
    def n_th(self) -> int:
        return int(sum(len(t) for t in self.thresholds))


def ordinal_sample_stats(x: pd.DataFrame, gamma: bool = True) -> OrdinalStats:
    """Thresholds, polychoric correlations and (``gamma``) their N-scaled asymptotic covariance
    matrix, as lavaan computes them for ``ordered = TRUE`` (complete rows)."""
    items = [str(c) for c in x.columns]
    vals = x.to_numpy(dtype=float)
    n, p = vals.shape
    codes, levels = _codes_observed(vals)
    taus, tables, pairs, k = _lavaan_stats(codes, levels)
    ta = np.stack([_ext(_pad(taus[i], k)) for i, _ in pairs])
    tb = np.stack([_ext(_pad(taus[j], k)) for _, j in pairs])
    rho_v = fit_rho(tables, ta, tb, start=_pearson_start(codes, pairs))
    rho = np.eye(p)
    rho[pairs[:, 0], pairs[:, 1]] = rho_v
    rho[pairs[:, 1], pairs[:, 0]] = rho_v
    th_names = [f"{items[i]}|t{c + 1}" for i in range(p) for c in range(len(taus[i]))]
    g = _gamma(codes, taus, tables, ta, tb, pairs, rho_v, k) if gamma else np.empty((0, 0))
    return OrdinalStats(items=items, n=n, thresholds=taus, th_names=th_names, rho=rho, pairs=pairs, gamma=g)


def _gamma(
    codes: np.ndarray,
    taus: list[np.ndarray],
    tables: np.ndarray,
    ta: np.ndarray,
    tb: np.ndarray,
    pairs: np.ndarray,
    rho_v: np.ndarray,
    k: int,
) -> np.ndarray:
    """lavaan's NACOV (``muthen1984``) from per-cell scores; see the module docstring."""
    n, p = codes.shape
    nth_i = [len(t) for t in taus]
    start = np.concatenate([[0], np.cumsum(nth_i)])
    nth = int(start[-1])
    npairs = len(pairs)
    # univariate threshold scores: item i, category c, threshold t: d log P_c / d tau_t; a missing
    # answer (code -1, missing = "pairwise") contributes 0 to every score
    sc_th = np.zeros((n, nth))
    a11 = np.zeros((nth, nth))
    for i in range(p):
        te = _ext(taus[i])  # K+1
        pc = special.ndtr(te[1:]) - special.ndtr(te[:-1])  # K
        kk = len(taus[i]) + 1
        tab = np.zeros((kk, kk - 1))
        dens = _phi(taus[i])
        for c in range(kk):
            if c < kk - 1:
                tab[c, c] += dens[c] / pc[c]
            if c >= 1:
                tab[c, c - 1] -= dens[c - 1] / pc[c]
        obs = codes[:, i] >= 0
        sc_th[obs, start[i] : start[i + 1]] = tab[codes[obs, i]]
        cnt = np.bincount(codes[obs, i], minlength=kk).astype(float)
        a11[start[i] : start[i + 1], start[i] : start[i + 1]] = (tab * cnt[:, None]).T @ tab
    # bivariate scores per cell
    P, dP = cell_probabilities(ta, tb, rho_v, derivative=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_rho = np.where(P > 0, dP / np.where(P > 0, P, 1.0), 0.0)  # (npairs, k, k)
    sc_cor = np.empty((n, npairs))
    a22 = np.empty(npairs)
    a21 = np.zeros((npairs, nth))
    s = np.sqrt(1.0 - rho_v**2)
    for t, (i, j) in enumerate(pairs):
        sr = s_rho[t]
        both = (codes[:, i] >= 0) & (codes[:, j] >= 0)
        sc_cor[:, t] = np.where(both, sr[np.maximum(codes[:, i], 0), np.maximum(codes[:, j], 0)], 0.0)
        a22[t] = float(np.sum(tables[t] * sr * sr))
        r = rho_v[t]
        for item, other_ext, own_ext, axis in ((i, tb[t], ta[t], 0), (j, ta[t], tb[t], 1)):
            kt = nth_i[item]
            # G[m, b] = phi(own[m]) (Phi((other[b+1] - r own[m]) / s) - Phi((other[b] - r own[m]) / s))
            own = np.clip(own_ext[1 : kt + 1], -BIG, BIG)  # finite thresholds
            z = (np.clip(other_ext, -BIG, BIG)[None, :] - r * own[:, None]) / s[t]
            cdf = special.ndtr(z)
            cdf[:, 0] = 0.0
            cdf[:, -1] = 1.0
            g = _phi(own)[:, None] * (cdf[:, 1:] - cdf[:, :-1])  # (kt, k)
            for m in range(kt):
                d = np.zeros((k, k))
                if axis == 0:
                    d[m, :] += g[m]
                    d[m + 1, :] -= g[m]
                else:
                    d[:, m] += g[m]
                    d[:, m + 1] -= g[m]
                with np.errstate(divide="ignore", invalid="ignore"):
                    s_th = np.where(P[t] > 0, d / np.where(P[t] > 0, P[t], 1.0), 0.0)
                a21[t, start[item] + m] = float(np.sum(tables[t] * sr * s_th))
    sc = np.concatenate([sc_th, sc_cor], axis=1)
    inner = sc.T @ sc
    a11_inv = np.linalg.inv(a11)
    a22_inv = 1.0 / a22
    a21_inv = -(a22_inv[:, None] * a21) @ a11_inv
    b_inv = np.zeros((nth + npairs, nth + npairs))
    b_inv[:nth, :nth] = a11_inv
    b_inv[nth:, :nth] = a21_inv
    b_inv[nth:, nth:] = np.diag(a22_inv)
    return n * (b_inv @ inner @ b_inv.T)


@dataclass(frozen=True, eq=False)
class OrdinalCFAResult(CFAResult):
    """Result of ``cfa(..., ordered=True)`` (WLSMV). Like :class:`CFAResult`, plus
    ``thresholds`` (sample), ``polychoric`` (DataFrame), ``gamma`` (NACOV) and the scaled-shifted test's
    ``scaling_factor`` and ``shift``. ``parameters`` has lavaan's rows: loadings (=~), thresholds (|),
    residual variances (fixed, se 0), factor (co)variances, scaling factors (~*~, fixed 1), with the
    columns of :class:`CFAResult`."""

    estimator: str = "DWLS"
    scaling_factor: float = float("nan")
    shift: float = float("nan")
    polychoric: pd.DataFrame | None = None
    gamma: np.ndarray | None = field(default=None, repr=False)

    def summary(self) -> str:
        """Printed like lavaan's ``summary(fit, fit.measures = TRUE, standardized = TRUE)`` for WLSMV."""
        f = self.fit

        def num(x: float, d: int = 3) -> str:
            return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{d}f}"

        def row2(label: str, a: str, b: str = "") -> str:
            return "  " + label.ljust(40) + a.rjust(14) + b.rjust(12)

        lines = [
            f"psychometry cfa (ordered) {'ended normally' if self.converged else 'did NOT converge'} "
            f"after {self.iterations} iterations",
            "",
            row2("Estimator", "DWLS"),
            row2("Optimization method", "LM"),
            row2("Number of model parameters", str(int(f["npar"]))),
            "",
            row2("Number of observations", str(self.n)),
            "",
            "Model Test User Model:",
            row2("", "Standard", "Scaled"),
            row2("Test Statistic", num(f["chisq"]), num(f["chisq.scaled"])),
            row2("Degrees of freedom", str(int(f["df"])), str(int(f["df"]))),
            row2("P-value (Chi-square)", num(f["pvalue"]), num(f["pvalue.scaled"])),
            row2("Scaling correction factor", "", num(self.scaling_factor)),
            row2("Shift parameter", "", num(self.shift)),
            row2("  simple second-order correction", ""),
            "",
            "Model Test Baseline Model:",
            "",
            row2("Test statistic", num(f["baseline.chisq"]), num(f["baseline.chisq.scaled"])),
            row2("Degrees of freedom", str(int(f["baseline.df"])), str(int(f["baseline.df"]))),
            row2("P-value", num(f["baseline.pvalue"]), num(f["baseline.pvalue.scaled"])),
            row2("Scaling correction factor", "", num(f["baseline.chisq.scaling.factor"])),
            "",
            "User Model versus Baseline Model:",
            "",
            row2("Comparative Fit Index (CFI)", num(f["cfi"]), num(f["cfi.scaled"])),
            row2("Tucker-Lewis Index (TLI)", num(f["tli"]), num(f["tli.scaled"])),
            "",
            row2("Robust Comparative Fit Index (CFI)", "", num(f["cfi.robust"])),
            row2("Robust Tucker-Lewis Index (TLI)", "", num(f["tli.robust"])),
            "",
            "Root Mean Square Error of Approximation:",
            "",
            row2("RMSEA", num(f["rmsea"]), num(f["rmsea.scaled"])),
            row2(
                "90 Percent confidence interval - lower",
                num(f["rmsea.ci.lower"]),
                num(f["rmsea.ci.lower.scaled"]),
            ),
            row2(
                "90 Percent confidence interval - upper",
                num(f["rmsea.ci.upper"]),
                num(f["rmsea.ci.upper.scaled"]),
            ),
            row2("P-value H_0: RMSEA <= 0.050", num(f["rmsea.pvalue"]), num(f["rmsea.pvalue.scaled"])),
            row2(
                "P-value H_0: RMSEA >= 0.080",
                num(f["rmsea.notclose.pvalue"]),
                num(f["rmsea.notclose.pvalue.scaled"]),
            ),
            "",
            row2("Robust RMSEA", "", num(f["rmsea.robust"])),
            row2("90 Percent confidence interval - lower", "", num(f["rmsea.ci.lower.robust"])),
            row2("90 Percent confidence interval - upper", "", num(f["rmsea.ci.upper.robust"])),
            row2("P-value H_0: Robust RMSEA <= 0.050", "", num(f["rmsea.pvalue.robust"])),
            row2("P-value H_0: Robust RMSEA >= 0.080", "", num(f["rmsea.notclose.pvalue.robust"])),
            "",
            "Standardized Root Mean Square Residual:",
            "",
            row2("SRMR", num(f["srmr"]), num(f["srmr"])),
            "",
            "Parameter Estimates:",
            "",
            row2("Standard errors", "Robust.sem"),
            row2("Information", "Expected"),
            row2("Information saturated (h1) model", "Unstructured"),
        ]
        lines += parameter_blocks(self.parameters, self.model, blank_fixed=True)
        return "\n".join(lines)


def _model_cor(lam: np.ndarray, phi: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    sig = lam @ phi @ lam.T
    return sig[pairs[:, 0], pairs[:, 1]]


def _jac_cor(st: Structure, lam: np.ndarray, phi: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """d sigma_ij / d (free loadings, factor (co)variances) for the pairs (i, j)."""
    c = lam @ phi
    i, j = pairs[:, 0], pairs[:, 1]
    li, lj = st.li, st.lj
    jl = (i[:, None] == li[None, :]) * c[j][:, lj] + (j[:, None] == li[None, :]) * c[i][:, lj]
    pj, pl = st.pj, st.pl
    jp = lam[i][:, pj] * lam[j][:, pl] + np.where(pj != pl, 1.0, 0.0) * lam[i][:, pl] * lam[j][:, pj]
    return np.concatenate([jl, jp], axis=1)


def cfa_wlsmv(
    data: pd.DataFrame, *, model: str | Mapping[str, Sequence[str]], missing: str = "listwise"
) -> OrdinalCFAResult:
    """``lavaan::cfa(model, data, ordered = TRUE)`` (WLSMV, delta parameterisation); see the module
    docstring. Called by :func:`psychometry.stats.cfa` with ``ordered=True`` or ``estimator="WLSMV"``.

    ``missing="pairwise"`` is lavaan's ``missing = "pairwise"``: rows with no answer at all are dropped,
    each item's thresholds come from its own answers, each correlation from the rows answering both,
    and a missing answer contributes zero to the case-wise scores of Gamma; N is the number of rows
    kept.

    Formula: DWLS, min (s - sigma)' W (s - sigma) / 2 with W = diag(Gamma)^-1, robust SEs
    E^-1 Delta' W Gamma W Delta E^-1 / (N - 1), scaled-shifted chi-square (module docstring).

    References: Muthen, B., du Toit, S. H. C. & Spisic, D. (1997). Robust inference using weighted least
    squares and quadratic estimating equations. Asparouhov, T. & Muthen, B. (2010). Simple second
    order chi-square correction.

    Example
    -------
    >>> rng = np.random.default_rng(2)
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> ystar = rng.normal(size=(500, 1)) * lam + rng.normal(size=(500, 4)) * np.sqrt(1 - lam**2)
    >>> items = pd.DataFrame(np.digitize(ystar, [-1, 0, 1]) + 1, columns=["x1", "x2", "x3", "x4"])
    >>> res = cfa_wlsmv(items, model="f =~ x1 + x2 + x3 + x4")
    >>> int(res.fit["df"]), round(res.fit["chisq.scaled"], 3), round(res.fit["cfi.scaled"], 3)
    (2, 0.318, 1.0)
    """
    if missing not in ("listwise", "pairwise"):
        raise StatsInputError(f"cfa: missing must be 'listwise' or 'pairwise', got {missing!r}")
    spec = parse_model(model)
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"cfa: data must be a pandas DataFrame, got {type(data).__name__}")
    factors = list(spec)
    items = model_items(spec, data, "cfa")
    x = data[items].astype(float)
    x = x.dropna() if missing == "listwise" else x.dropna(how="all")
    vals = x.to_numpy()
    fin = vals[~np.isnan(vals)]
    if np.any(fin != np.round(fin)):
        raise StatsInputError("cfa(ordered=True): ordinal items must hold integer category values")
    n, p, m = len(x), len(items), len(factors)
    if n <= p:
        raise StatsInputError(f"cfa: {n} complete rows for {p} items; need more rows than items")
    const = [items[i] for i in range(p) if len(np.unique(vals[~np.isnan(vals[:, i]), i])) < 2]
    if const:
        raise StatsInputError(f"cfa(ordered=True): item(s) {const} have a single observed category")
    ss = ordinal_sample_stats(x)
    st = structure(spec, items)
    pairs = ss.pairs
    r_obs = ss.rho[pairs[:, 0], pairs[:, 1]]
    nth = ss.n_th
    npairs = len(pairs)
    gamma = ss.gamma
    w = 1.0 / np.diag(gamma)
    w_cor = w[nth:]
    n_l, n_phi = st.n_l, len(st.pj)
    q_model = n_l + n_phi
    npar = q_model + nth
    df = nth + npairs - npar
    if df < 0:
        raise StatsInputError(
            f"cfa: the model has {npar} free parameters but only {nth + npairs} sample statistics"
        )

    # start values: the ML start rules applied to the polychoric matrix
    start_full = start_values(st, ss.rho, spec, items, "default")
    lam0, phi0, _ = st.unpack(start_full)
    x0 = np.concatenate([lam0[st.li, st.lj], phi0[st.pj, st.pl]])
    sw = np.sqrt(w_cor)

    def unpack(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lam = np.zeros((p, m))
        for i, j in st.markers:
            lam[i, j] = 1.0
        lam[st.li, st.lj] = v[:n_l]
        phi = np.zeros((m, m))
        phi[st.pj, st.pl] = v[n_l:]
        phi[st.pl, st.pj] = v[n_l:]
        return lam, phi

    def resid(v: np.ndarray) -> np.ndarray:
        lam, phi = unpack(v)
        return sw * (r_obs - _model_cor(lam, phi, pairs))

    def jac(v: np.ndarray) -> np.ndarray:
        lam, phi = unpack(v)
        return -sw[:, None] * _jac_cor(st, lam, phi, pairs)

    sol = optimize.least_squares(
        resid, x0, jac=jac, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000
    )
    v = sol.x
    lam, phi = unpack(v)
    converged = bool(sol.success)
    notes: list[str] = []
    if not converged:
        notes.append(f"cfa: the optimizer did not converge ({sol.message})")
    sig = lam @ phi @ lam.T
    resvar = 1.0 - np.diag(sig)
    if np.any(resvar < 0):
        notes.append(
            "cfa: some estimated residual variances are negative (Heywood case): "
            + ", ".join(items[i] for i in np.flatnonzero(resvar < 0))
        )
    if np.any(np.diag(phi) < 0):
        notes.append("cfa: some estimated lv variances are negative")
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=3)

    # Delta: rows (thresholds, correlations); columns (loadings, thresholds, factor (co)variances): lavaan's order
    jc = _jac_cor(st, lam, phi, pairs)
    delta = np.zeros((nth + npairs, npar))
    delta[nth:, :n_l] = jc[:, :n_l]
    delta[:nth, n_l : n_l + nth] = np.eye(nth)
    delta[nth:, n_l + nth :] = jc[:, n_l:]
    wd = delta * w[:, None]
    e = delta.T @ wd
    e_inv = np.linalg.inv(e)
    meat = wd.T @ gamma @ wd
    vcov = e_inv @ meat @ e_inv / (n - 1)  # lavaan: N - 1 with the categorical estimators
    se = np.sqrt(np.maximum(np.diag(vcov), 0.0))

    resid_cor = r_obs - sig[pairs[:, 0], pairs[:, 1]]
    chisq = (n - 1) * float(np.sum(w_cor * resid_cor**2))  # lavaan: N - 1 (its fmin is chisq / 2N)
    fmin = chisq / (2.0 * n)
    # scaled-shifted statistic
    u = np.diag(w) - wd @ e_inv @ wd.T
    ug = u @ gamma
    tr_ug = float(np.trace(ug))
    tr_ug2 = float(np.sum(ug * ug.T))
    a = math.sqrt(df / tr_ug2) if df > 0 else float("nan")
    b = df - a * tr_ug if df > 0 else float("nan")
    chisq_ss = a * chisq + b
    # baseline: correlations 0
    chisq_b = float((n - 1) * np.sum(w_cor * r_obs**2))
    df_b = npairs
    gc = gamma[nth:, nth:]
    ugb = gc * w_cor[:, None]
    tr_b = float(np.trace(ugb))
    tr_b2 = float(np.sum(ugb * ugb.T))
    a_b = math.sqrt(df_b / tr_b2)
    b_b = df_b - a_b * tr_b
    chisq_b_ss = a_b * chisq_b + b_b

    fit: dict[str, float] = {
        "npar": float(npar),
        "fmin": fmin,
        "chisq": chisq,
        "df": float(df),
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        "chisq.scaled": chisq_ss,
        "df.scaled": float(df),
        "pvalue.scaled": float(stats.chi2.sf(chisq_ss, df)) if df > 0 else float("nan"),
        "chisq.scaling.factor": 1.0 / a if df > 0 else float("nan"),
        "baseline.chisq": chisq_b,
        "baseline.df": float(df_b),
        "baseline.pvalue": float(stats.chi2.sf(chisq_b, df_b)),
        "baseline.chisq.scaled": chisq_b_ss,
        "baseline.df.scaled": float(df_b),
        "baseline.pvalue.scaled": float(stats.chi2.sf(chisq_b_ss, df_b)),
        "baseline.chisq.scaling.factor": 1.0 / a_b,
        "cfi": cfi(chisq, df, chisq_b, df_b),
        "tli": tli(chisq, df, chisq_b, df_b),
        "cfi.scaled": cfi(chisq_ss, df, chisq_b_ss, df_b),
        "tli.scaled": tli(chisq_ss, df, chisq_b_ss, df_b),
    }
    fit["nnfi"] = fit["tli"]
    fit["nnfi.scaled"] = fit["tli.scaled"]
    for suffix, t in (("", chisq), (".scaled", chisq_ss)):
        rm = rmsea(t, df, n - 1)
        fit["rmsea" + suffix] = rm["rmsea"]
        fit["rmsea.ci.lower" + suffix] = rm["rmsea.ci.lower"]
        fit["rmsea.ci.upper" + suffix] = rm["rmsea.ci.upper"]
        fit["rmsea.pvalue" + suffix] = rm["rmsea.pvalue"]
        fit["rmsea.notclose.pvalue" + suffix] = rm["rmsea.notclose.pvalue"]
    fit.update(_robust_catml(ss.rho, sig, pairs, delta, w, e_inv, gamma, nth, df, df_b, n))
    fit["srmr"] = float(np.sqrt(np.sum(resid_cor**2) / (p * (p + 1) / 2)))  # zero diagonal residuals count
    fit["ntotal"] = float(n)
    fit = {k2: float(v2) for k2, v2 in fit.items()}

    # parameter table in lavaan's row order
    k_free = {(int(i), int(j)): se[k] for k, (i, j) in enumerate(zip(st.li, st.lj))}
    sd_lv = np.sqrt(np.where(np.diag(phi) > 0, np.diag(phi), np.nan))
    th_all = np.concatenate(ss.thresholds)
    th_rows = []
    for t, name in enumerate(ss.th_names):
        item, lab = name.split("|")
        th_rows.append(param_row(item, "|", lab, th_all[t], se[n_l + t], std=(th_all[t], th_all[t])))
    rows = measurement_rows(
        spec,
        items,
        lam,
        k_free,
        0.0,
        resvar,
        np.zeros(p),
        phi,
        [(int(j), int(l)) for j, l in zip(st.pj, st.pl)],
        se[n_l + nth :],
        thresholds=th_rows,
        std=Standardised(sd_lv=sd_lv, sd_ov=None, resid_all=resvar),
    )
    rows += [param_row(name, "~*~", name, 1.0, 0.0, std=(1.0, 1.0)) for name in items]
    return OrdinalCFAResult(
        fit=fit,
        parameters=pd.DataFrame(rows),
        model=spec,
        implied=pd.DataFrame(sig - np.diag(np.diag(sig)) + np.eye(p), index=items, columns=items),
        sample=pd.DataFrame(ss.rho, index=items, columns=items),
        n=n,
        iterations=int(sol.nfev),
        converged=converged,
        warnings=tuple(notes),
        scaling_factor=fit["chisq.scaling.factor"],
        shift=float(b),
        polychoric=pd.DataFrame(ss.rho, index=items, columns=items),
        gamma=gamma,
    )


def _robust_catml(
    r: np.ndarray,
    sig: np.ndarray,
    pairs: np.ndarray,
    delta: np.ndarray,
    w: np.ndarray,
    e_inv: np.ndarray,
    gamma: np.ndarray,
    nth: int,
    df: int,
    df_b: int,
    n: int,
) -> dict[str, float]:
    """lavaan's robust CFI / TLI / RMSEA for categorical data (``lav_fit_catml_dwls``; Savalei 2021):
    the ML discrepancy of the polychoric matrix R from the implied correlation matrix at the DWLS
    estimates, XX3 = N F_ML(R, Sigma), with the correction c = tr(U' V U Gamma_c) / df, where
    U = I - Delta_c E^-1 Delta_c' W_c (correlation rows), V the normal-theory weight of the correlations
    at Sigma, V_(ij),(kl) = s^ik s^jl + s^il s^jk (s^ij the elements of Sigma^-1); baseline
    XX3_0 = -N log|R| with c_0 = tr(Gamma_c) / df_0. Then
    cfi.robust = 1 - max(XX3 - c df, 0) / max(XX3 - c df, XX3_0 - c_0 df_0, 0),
    rmsea.robust = sqrt(max(XX3 - c df, 0) / ((N - 1) df)) (lavaan's N - 1 of the categorical RMSEA),
    its CI and p values from XX3 / c with the noncentrality scaled by c, as lavaan."""
    nan = float("nan")
    out = {
        k: nan
        for k in (
            "cfi.robust",
            "tli.robust",
            "nnfi.robust",
            "rmsea.robust",
            "rmsea.ci.lower.robust",
            "rmsea.ci.upper.robust",
            "rmsea.pvalue.robust",
            "rmsea.notclose.pvalue.robust",
        )
    }
    p = r.shape[0]
    if df <= 0 or np.linalg.eigvalsh(r)[0] < np.sqrt(np.finfo(float).eps):
        return out  # lavaan: NA unless R is positive definite
    sigma = sig - np.diag(np.diag(sig)) + np.eye(p)
    sign, logdet_sig = np.linalg.slogdet(sigma)
    if sign <= 0:
        return out
    logdet_r = np.linalg.slogdet(r)[1]
    sinv = np.linalg.inv(sigma)
    nn = n - 1
    xx3 = n * (logdet_sig + float(np.sum(r * sinv)) - logdet_r - p)  # catML's test uses N
    xx3_null = -n * logdet_r
    i, j = pairs[:, 0], pairs[:, 1]
    v = sinv[np.ix_(i, i)] * sinv[np.ix_(j, j)] + sinv[np.ix_(i, j)] * sinv[np.ix_(j, i)]
    dc = delta[nth:]
    wc = w[nth:]
    u = np.eye(len(pairs)) - (dc @ e_inv @ dc.T) * wc[None, :]
    gc = gamma[nth:, nth:]
    c3 = float(np.trace(u.T @ v @ u @ gc)) / df
    c3_null = float(np.trace(gc)) / df_b
    t1 = max(xx3 - c3 * df, 0.0)
    t2 = max(xx3 - c3 * df, xx3_null - c3_null * df_b, 0.0)
    out["cfi.robust"] = 1.0 - t1 / t2 if t2 > 0 else 1.0
    out["tli.robust"] = out["nnfi.robust"] = 1.0 - ((xx3 - c3 * df) * df_b) / (
        (xx3_null - c3_null * df_b) * df
    )
    out["rmsea.robust"] = math.sqrt(max(xx3 / nn / df - c3 / nn, 0.0))
    scaled = xx3 / c3
    ci = rmsea(scaled, df, nn)
    out["rmsea.ci.lower.robust"] = ci["rmsea.ci.lower"] * math.sqrt(c3)
    out["rmsea.ci.upper.robust"] = ci["rmsea.ci.upper"] * math.sqrt(c3)
    out["rmsea.pvalue.robust"] = float(stats.ncx2.sf(scaled, df, nn * df * 0.05**2 / c3))
    out["rmsea.notclose.pvalue.robust"] = float(stats.ncx2.cdf(scaled, df, nn * df * 0.08**2 / c3))
    return out
