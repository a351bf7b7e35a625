"""Single-group confirmatory factor analysis by maximum likelihood, as R's ``lavaan::cfa``
(:func:`cfa_ml`, behind :func:`psychometry.stats.cfa`).

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
start values (:func:`~psychometry.stats.sem.start.lavaan_start`: FABIN3 / three-indicator loadings with lavaan's bounds, half the
observed variances as residual variances, factor variances .05, covariances 0), so solutions with a
negative factor variance -- which lavaan reaches on weakly structured data and reports as converged --
are reachable. Newton steps with the exact Hessian when it is positive definite and the full step
decreases F, otherwise Fisher scoring with the expected Hessian and Armijo backtracking; a
non-positive-definite Sigma counts as F = +inf; converged when g'H^-1 g / 2 < 1e-14. When that does not
converge within 100 iterations: BFGS (like lavaan's quasi-Newton nlminb) from the same start, then from
the least-squares start (:func:`~psychometry.stats.sem.start.start_values`), then a damped Newton path, then the fit with
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
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from psychometry.errors import StatsInputError

from .indices import cfi, rmsea, tli
from .model import Structure, model_items, parse_model, structure
from .params import Standardised, measurement_rows
from .result import CFAResult
from .start import lavaan_start, start_values

__all__ = ["cfa_ml"]


def _discrepancy(
    st: Structure, theta: np.ndarray, s: np.ndarray, logdet_s: float
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


def _gradient(st: Structure, theta: np.ndarray, s: np.ndarray, w: np.ndarray) -> np.ndarray:
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


def _uv(st: Structure, lam: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _expected_hessian(st: Structure, theta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """H = Delta' (Sigma^-1 (x) Sigma^-1) Delta, Delta = d vec(Sigma) / d theta'; H_ab = tr(W D_a W D_b).

    H is the expected (Fisher) second derivative of F_ML, twice lavaan's unit expected
    information (I = H / 2; Cov(theta) = I^-1 / N). Computed by :func:`_trace_products`.
    """
    lam, phi, _ = st.unpack(theta)
    u, v, h = _uv(st, lam, phi)
    return _trace_products(u, v, h, w, w)


def _observed_hessian(st: Structure, theta: np.ndarray, s: np.ndarray, w: np.ndarray) -> np.ndarray:
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


def _marker_to_std(st: Structure, st_std: Structure, theta: np.ndarray) -> np.ndarray:
    """Marker-parameterised theta -> standardised factors: lambda_ij sqrt(phi_jj), phi_jl / sqrt(phi_jj phi_ll).

    Factor variances that are not positive are taken as .05 (lavaan's default start)."""
    lam, phi, th = st.unpack(theta)
    d = np.sqrt(np.where(np.diag(phi) > 0, np.diag(phi), 0.05))
    return st_std.pack(lam * d, phi / np.outer(d, d), th)


def _std_to_marker(st: Structure, st_std: Structure, theta: np.ndarray) -> tuple[np.ndarray, bool]:
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
    st: Structure,
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
    st: Structure, s: np.ndarray, logdet_s: float, start: np.ndarray, maxiter: int = 2000
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
    st: Structure, s: np.ndarray, logdet_s: float, start: np.ndarray, maxiter: int = MAXITER
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
    st: Structure,
    st_std: Structure,
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


def cfa_ml(
    data: pd.DataFrame, *, model: str | Mapping[str, Sequence[str]], start: str = "default"
) -> CFAResult:
    """Single-group ML CFA, as ``lavaan::cfa(model, data)``; called by :func:`psychometry.stats.cfa`
    (which checks the other arguments). Formulas and estimation: the module docstring."""
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

    st = structure(spec, items)
    n_l, n_t, q = st.n_l, p, st.q
    df = p * (p + 1) // 2 - q
    if df < 0:
        raise StatsInputError(
            f"cfa: the model has {q} free parameters but only {p * (p + 1) // 2} "
            "variances and covariances: it is not identified"
        )

    # lavaan's parameterisation (marker loadings 1, factor (co)variances free) from lavaan's start
    # values, with fallbacks (BFGS, damped Newton, standardised factors; see _fit)
    st_std = structure(spec, items, std_lv=True)
    if start == "default":
        start_marker = lavaan_start(st, s, spec, items)
        start_alt = start_values(st, s, spec, items, "default")
    else:
        start_marker = start_alt = start_values(st, s, spec, items, start)
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
        warnings.warn(note, RuntimeWarning, stacklevel=3)  # the caller of stats.cfa()

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
    fit["cfi"] = cfi(chisq, df, chisq_b, df_b)
    fit["tli"] = tli(chisq, df, chisq_b, df_b)
    fit["logl"] = float(logl)
    fit["unrestricted.logl"] = float(logl_h1)
    fit["aic"] = -2 * logl + 2 * q
    fit["bic"] = -2 * logl + q * math.log(n)
    fit["bic2"] = -2 * logl + q * math.log((n + 2) / 24)
    fit.update(rmsea(chisq, df, n))
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
    k_free = {(int(i), int(j)): se_free[k] for k, (i, j) in enumerate(zip(st.li, st.lj))}
    phi_pos = [(int(j), int(l)) for j, l in zip(st.pj, st.pl)]
    rows = measurement_rows(
        spec,
        items,
        lam,
        k_free,
        float("nan"),
        th,
        se_free[n_l : n_l + n_t],
        phi,
        phi_pos,
        se_free[n_l + n_t :],
        std=Standardised(sd_lv=sd_lv, sd_ov=sd_ov, resid_all=th / np.diag(sigma)),
    )
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
