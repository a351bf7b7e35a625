"""Polychoric and polyserial correlations, as R's ``psych::polychoric`` / ``psych::polyserial`` and
``lavaan::lavCor(ordered = ...)``.

Model: each ordinal item x_i (categories 1..K_i) is a coarsened standard normal x*_i, x_i = c when
tau_{i,c-1} < x*_i <= tau_{i,c} (tau_{i,0} = -inf, tau_{i,K} = +inf); two items' latent variables
are bivariate standard normal with correlation rho.

Two-step estimation (Olsson 1979; the default of psych and lavaan):

1. thresholds from each item's marginal proportions, tau_{i,c} = Phi^-1(cumulative proportion of
   categories <= c) (the univariate ML estimate);
2. for each pair, with the thresholds fixed, the ML estimate of rho from the K_i x K_j contingency
   table n_ab:  max_rho sum_ab n_ab log P_ab(rho),
   P_ab = F(tau_a, kappa_b) - F(tau_{a-1}, kappa_b) - F(tau_a, kappa_{b-1}) + F(tau_{a-1}, kappa_{b-1}),
   F the bivariate normal CDF with correlation rho.

The likelihood depends on the data only through the table, so each pair costs one tabulation and a
few evaluations of F on the (K_i+1) x (K_j+1) grid of thresholds. F is Genz's (2004) BVND algorithm
(Drezner & Wesolowsky 1990 with 20-point Gauss-Legendre quadrature, absolute error < 1e-14),
vectorised over all pairs; rho is found for all pairs at once by Fisher scoring
(dF/drho is the bivariate normal density) with step halving, converged when every step is < 1e-10.

Conventions (psych 2.2.9, lavaan 0.6-14):

* ``method="psych"`` (``psych::polychoric(x)``, its defaults ``global = TRUE, correct = .5,
  smooth = TRUE``): the categories are the integers from the smallest to the largest value of all
  items; each item's thresholds come from its own non-missing answers, each pair's table from the
  rows where both are answered (pairwise). An empty category gives a repeated threshold (an empty
  middle category), -inf (empty lowest) or +inf (empty highest); cells of probability 0 are left out
  of the likelihood. When the items do not all reach the same highest value, psych switches to
  ``global = FALSE`` (and warns): each pair then gets thresholds from its own table, after dropping
  its empty rows and columns and replacing its zero cells by ``correct`` (.5) counts (the margins
  are taken from the corrected table over the uncorrected total, as psych does). A correlation matrix
  that is not positive definite is smoothed as ``psych::cor.smooth`` (eigenvalues below 1e-12 set to
  1e-10, rescaled to sum to p, back to a correlation matrix).
* ``method="lavaan"`` (``lavCor(x, ordered = names(x))``, also the first step of
  ``cfa(..., ordered = TRUE)``): the categories of an item are the values it takes, so an empty
  category simply does not exist (an item with an unused middle answer has one threshold fewer);
  no continuity correction (lavaan's ``zero.add = c(.5, 0)`` only touches 2 x 2 tables);
  rows with a missing value on any item are dropped (lavaan's listwise default). Without
  empty categories both methods solve the same likelihood.

Polyserial (an ordinal item y and a continuous x): ``polyserial(x, items)`` is ``psych::polyserial``
(Olsson, Drasgow & Dorans 1982's ad hoc estimator r_xy sqrt((n-1)/n) sd(y) / sum_c phi(tau_c));
``method="lavaan"`` is lavaan's two-step ML estimate (x standardised with its N-divisor mean and
SD, the item's thresholds fixed, rho maximising sum_i log[phi(z_i) (Phi((tau_{c_i} - rho z_i)/s) -
Phi((tau_{c_i-1} - rho z_i)/s))], s = sqrt(1 - rho^2)).

References: Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
coefficient. Psychometrika, 44, 443-460. Olsson, U., Drasgow, F. & Dorans, N. J. (1982). The
polyserial correlation coefficient. Psychometrika, 47, 337-347. Genz, A. (2004). Numerical
computation of rectangular bivariate and trivariate normal and t probabilities. Statistics and
Computing, 14, 251-260. Revelle, W. psych: polychoric. Rosseel, Y. (2012) lavaan.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from psychometry.errors import StatsInputError
from psychometry.stats._api import Result

__all__ = ["PolychoricResult", "PolyserialResult", "bvn_cdf", "polychoric", "polyserial"]


_GL_T, _GL_W = np.polynomial.legendre.leggauss(20)
_TWO_PI = 2.0 * math.pi
#: +-inf thresholds are evaluated at +-BIG: Phi(-BIG) < 1e-23, far below any tolerance here
BIG = 10.0


def _phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / math.sqrt(_TWO_PI)


def _Phi(x: np.ndarray) -> np.ndarray:
    return special.ndtr(x)


def _bvn_upper(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for standard bivariate normal (X, Y) with correlation r (Genz's BVNU),
    element-wise over broadcast arrays; finite h, k and |r| < 1."""
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(r, float))
    out = np.empty(h.shape)
    small = np.abs(r) < 0.925
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        if np.any(small):
            hh, kk, rr = h[small], k[small], r[small]
            hk = hh * kk
            hs = (hh * hh + kk * kk) / 2.0
            asr = np.arcsin(rr)
            sn = np.sin(asr[:, None] * (1.0 + _GL_T[None, :]) / 2.0)
            val = np.sum(_GL_W * np.exp((sn * hk[:, None] - hs[:, None]) / (1.0 - sn * sn)), axis=1)
            out[small] = val * asr / (2.0 * _TWO_PI) + _Phi(-hh) * _Phi(-kk)
        big = ~small
        if np.any(big):
            hh, kk, rr = h[big], k[big].copy(), r[big]
            neg = rr < 0
            kk[neg] = -kk[neg]
            hk = hh * kk
            bvn = np.zeros(hh.shape)
            lt1 = np.abs(rr) < 1.0
            as_ = (1.0 - rr) * (1.0 + rr)
            a = np.sqrt(as_)
            bs = (hh - kk) ** 2
            c = (4.0 - hk) / 8.0
            d = (12.0 - hk) / 16.0
            v = (
                a
                * np.exp(-(bs / as_ + hk) / 2.0)
                * (1.0 - c * (bs - as_) * (1.0 - d * bs / 5.0) / 3.0 + c * d * as_ * as_ / 5.0)
            )
            b = np.sqrt(bs)
            corr = (
                np.exp(-hk / 2.0)
                * math.sqrt(_TWO_PI)
                * _Phi(-b / a)
                * b
                * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0)
            )
            v = np.where(hk > -160.0, v - np.where(hk > -160.0, corr, 0.0), v)
            a2 = a / 2.0
            xs = (a2[:, None] * (_GL_T[None, :] + 1.0)) ** 2
            rs = np.sqrt(1.0 - xs)
            asr = -(bs[:, None] / xs + hk[:, None]) / 2.0
            term = (
                a2[:, None]
                * _GL_W[None, :]
                * np.exp(asr)
                * (
                    np.exp(-hk[:, None] * xs / (2.0 * (1.0 + rs) ** 2)) / rs
                    - (1.0 + c[:, None] * xs * (1.0 + d[:, None] * xs))
                )
            )
            v = v + np.sum(np.where(asr > -100.0, term, 0.0), axis=1)
            bvn = np.where(lt1, -v / _TWO_PI, 0.0)
            pos = ~neg
            bvn = np.where(pos, bvn + _Phi(-np.maximum(hh, kk)), bvn)
            extra = np.where(hh < 0, _Phi(kk) - _Phi(hh), _Phi(-hh) - _Phi(-kk))
            bvn = np.where(neg, -bvn + np.where(kk > hh, extra, 0.0), bvn)
            out[big] = bvn
    return out


def bvn_cdf(a: np.ndarray, b: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Bivariate standard normal CDF P(X <= a, Y <= b; corr r), element-wise; a, b may be +-inf."""
    a, b, r = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float), np.asarray(r, float))
    ac = np.clip(a, -BIG, BIG)
    bc = np.clip(b, -BIG, BIG)
    out = _bvn_upper(-ac, -bc, r)
    out = np.where(a >= BIG, _Phi(bc), out)
    out = np.where(b >= BIG, _Phi(ac), out)
    out = np.where((a >= BIG) & (b >= BIG), 1.0, out)
    out = np.where((a <= -BIG) | (b <= -BIG), 0.0, out)
    return np.clip(out, 0.0, 1.0)


def _bvn_pdf(a: np.ndarray, b: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Bivariate standard normal density (0 where a or b is beyond +-BIG)."""
    s2 = 1.0 - r * r
    with np.errstate(over="ignore", invalid="ignore"):
        val = np.exp(-(a * a - 2.0 * r * a * b + b * b) / (2.0 * s2)) / (_TWO_PI * np.sqrt(s2))
    return np.where((np.abs(a) >= BIG) | (np.abs(b) >= BIG), 0.0, val)


def _ext(tau: np.ndarray) -> np.ndarray:
    """(..., K-1) thresholds -> (..., K+1) with -BIG / +BIG ends (infinite thresholds clipped)."""
    tau = np.clip(tau, -BIG, BIG)
    lo = np.full(tau.shape[:-1] + (1,), -BIG)
    hi = np.full(tau.shape[:-1] + (1,), BIG)
    return np.concatenate([lo, tau, hi], axis=-1)


def cell_probabilities(
    ta: np.ndarray, tb: np.ndarray, rho: np.ndarray, derivative: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Cell probabilities P (npairs, Ka, Kb) of the bivariate probit tables and dP/drho.

    ``ta`` (npairs, Ka+1), ``tb`` (npairs, Kb+1): extended thresholds (first -BIG, last +BIG).
    """
    r = np.asarray(rho, float)[:, None, None]
    A = ta[:, :, None]
    B = tb[:, None, :]
    F = bvn_cdf(A, B, r)
    P = F[:, 1:, 1:] - F[:, :-1, 1:] - F[:, 1:, :-1] + F[:, :-1, :-1]
    P = np.maximum(P, 0.0)
    if not derivative:
        return P, None
    D = _bvn_pdf(np.clip(A, -BIG, BIG), np.clip(B, -BIG, BIG), r)
    dP = D[:, 1:, 1:] - D[:, :-1, 1:] - D[:, 1:, :-1] + D[:, :-1, :-1]
    return P, dP


def _loglik(tables: np.ndarray, P: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where((tables > 0) & (P > 0), tables * np.log(np.where(P > 0, P, 1.0)), 0.0)
    return term.sum(axis=(1, 2))


def fit_rho(
    tables: np.ndarray,
    ta: np.ndarray,
    tb: np.ndarray,
    start: np.ndarray | None = None,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> np.ndarray:
    """Two-step ML polychoric correlations for many tables at once (thresholds fixed).

    ``tables`` (npairs, Ka, Kb) counts (or weights); ``ta``/``tb`` extended thresholds. Fisher scoring
    with step halving, bounded to |rho| <= .9999; pairs that do not converge within ``maxiter``
    are finished by bounded Brent minimisation of the negative log-likelihood.
    """
    npairs = tables.shape[0]
    rho = np.zeros(npairs) if start is None else np.clip(np.asarray(start, float), -0.95, 0.95)
    lim = 0.9999
    ntot = tables.sum(axis=(1, 2))
    ll = _loglik(tables, cell_probabilities(ta, tb, rho)[0])
    active = np.ones(npairs, bool)
    for _ in range(maxiter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        P, dP = cell_probabilities(ta[idx], tb[idx], rho[idx], derivative=True)
        assert dP is not None
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = P > 1e-300
            score = np.sum(
                np.where(ok & (tables[idx] > 0), tables[idx] * dP / np.where(ok, P, 1.0), 0.0), axis=(1, 2)
            )
            info = ntot[idx] * np.sum(np.where(ok, dP * dP / np.where(ok, P, 1.0), 0.0), axis=(1, 2))
        step = np.where(info > 0, score / np.where(info > 0, info, 1.0), 0.0)
        new = rho[idx].copy()
        accepted = np.zeros(idx.size, bool)
        t = 1.0
        for _half in range(30):
            cand = np.clip(rho[idx] + t * step, -lim, lim)
            ll_c = _loglik(tables[idx], cell_probabilities(ta[idx], tb[idx], cand)[0])
            good = (~accepted) & (ll_c >= ll[idx] - 1e-12 * np.abs(ll[idx]))
            new[good] = cand[good]
            ll[idx[good]] = ll_c[good]
            accepted |= good
            if accepted.all():
                break
            t /= 2.0
        delta = np.abs(new - rho[idx])
        rho[idx] = new
        done = (delta < tol) | ~accepted
        active[idx[done]] = False
    for i in np.flatnonzero(active).tolist():  # not converged: bounded Brent on the 1-d likelihood

        def nll(x: float, i: int = i) -> float:
            return -float(
                _loglik(
                    tables[i : i + 1], cell_probabilities(ta[i : i + 1], tb[i : i + 1], np.array([x]))[0]
                )[0]
            )

        rho[i] = optimize.minimize_scalar(
            nll, bounds=(-lim, lim), method="bounded", options={"xatol": 1e-12}
        ).x
    return rho


def thresholds_from_counts(counts: np.ndarray) -> np.ndarray:
    """Thresholds Phi^-1(cumulative proportions) of category counts (..., K) -> (..., K-1)."""
    counts = np.asarray(counts, float)
    cum = np.cumsum(counts, axis=-1)[..., :-1] / counts.sum(axis=-1, keepdims=True)
    return special.ndtri(cum)


def _pad(tau: np.ndarray, k: int) -> np.ndarray:
    """Pad a threshold vector with +inf to k-1 thresholds (missing top categories)."""
    return np.concatenate([tau, np.full(k - 1 - len(tau), np.inf)])


def _tables(codes: np.ndarray, pairs: np.ndarray, k: int) -> np.ndarray:
    """(npairs, k, k) contingency tables of 0-based codes (-1 = missing) for the given item pairs."""
    _n, _p = codes.shape
    out = np.zeros((len(pairs), k, k))
    for t, (i, j) in enumerate(pairs):
        a, b = codes[:, i], codes[:, j]
        ok = (a >= 0) & (b >= 0)
        out[t] = np.bincount(a[ok] * k + b[ok], minlength=k * k).reshape(k, k)
    return out


def cor_smooth(r: np.ndarray, eig_tol: float = 1e-12) -> tuple[np.ndarray, bool]:
    """``psych::cor.smooth``: when the smallest eigenvalue is below machine epsilon, eigenvalues below
    ``eig_tol`` become 100 eig_tol, they are rescaled to sum to p, and the result is rescaled to a
    correlation matrix. Returns (matrix, smoothed?)."""
    vals, vecs = np.linalg.eigh(r)
    if vals.min() >= np.finfo(float).eps:
        return r, False
    vals = np.where(vals < eig_tol, 100 * eig_tol, vals)
    vals = vals * r.shape[0] / vals.sum()
    m = (vecs * vals) @ vecs.T
    d = np.sqrt(np.diag(m))
    return m / np.outer(d, d), True


@dataclass(frozen=True, eq=False)
class PolychoricResult(Result):
    """Result of :func:`polychoric`.

    Attributes
    ----------
    rho : DataFrame (p x p) of polychoric correlations.
    n_pairwise : DataFrame (p x p) of the rows each correlation rests on (method "psych": pairwise
        complete; "lavaan": the complete rows).
    tau : DataFrame (items x thresholds) as psych's ``$tau`` (method "psych": columns 1..K-1 over the
        common range of categories, +-inf for empty end categories) or, method "lavaan", the
        thresholds ``item|t1`` ... of each item's observed categories (NaN-padded).
    n : rows used (method "psych": all rows, as psych's ``n.obs``; "lavaan": complete rows).
    method : "psych" or "lavaan"; global_thresholds : False when psych's per-pair rule applied.
    smoothed : True when the matrix was not positive definite and cor.smooth was applied.
    n_corrected : number of pairs whose zero cells were replaced by ``correct`` (global = FALSE).
    """

    rho: pd.DataFrame
    tau: pd.DataFrame
    n: int
    method: str
    global_thresholds: bool
    smoothed: bool
    n_corrected: int
    warnings: tuple[str, ...] = ()
    n_pairwise: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per item pair (item1 before item2 in the column order): item1, item2, rho, n."""
        items = list(self.rho.index)
        r = self.rho.to_numpy()
        nn = self.n_pairwise.to_numpy() if self.n_pairwise is not None else np.full(r.shape, self.n)
        rows = [
            {"item1": items[a], "item2": items[b], "rho": float(r[a, b]), "n": int(nn[a, b])}
            for a in range(len(items))
            for b in range(a + 1, len(items))
        ]
        return pd.DataFrame(rows, columns=["item1", "item2", "rho", "n"])

    def summary(self, digits: int = 2) -> str:
        """Printed like ``print(psych::polychoric(x))``: the lower triangle and the thresholds."""
        items = list(self.rho.index)
        w = max(max(len(i) for i in items), digits + 3)
        lines = [
            f"Polychoric correlations ({self.method}, n = {self.n})",
            " " * (w + 1) + " ".join(i[: digits + 3].rjust(digits + 3) for i in items),
        ]
        r = self.rho.to_numpy()
        for a, name in enumerate(items):
            cells = [f"{r[a, b]:.{digits}f}".replace("0.", ".", 1).rjust(digits + 3) for b in range(a + 1)]
            lines.append(name.ljust(w) + " " + " ".join(cells))
        lines += ["", " with tau of ", self.tau.round(digits).to_string()]
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover
        return self.summary()


def _integer_items(data: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"{what}: data must be a pandas DataFrame, got {type(data).__name__}")
    if data.shape[1] < 2:
        raise StatsInputError(f"{what}: need at least 2 item columns, got {data.shape[1]}")
    bad = [
        c
        for c in data.columns
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
    ]
    if bad:
        raise StatsInputError(f"{what}: column(s) {bad} are not numeric")
    x = data.astype(float)
    vals = x.to_numpy()
    fin = vals[np.isfinite(vals)]
    if fin.size and np.any(fin != np.round(fin)):
        raise StatsInputError(f"{what}: ordinal items must hold integer category values")
    return x


def polychoric(
    data: pd.DataFrame,
    *,
    method: str = "psych",
    correct: float = 0.5,
    smooth: bool = True,
    max_cat: int = 8,
) -> PolychoricResult:
    """Polychoric correlations with thresholds, as ``psych::polychoric(data)`` (``method="psych"``)
    or ``lavaan::lavCor(data, ordered = names(data))`` (``method="lavaan"``).

    Parameters
    ----------
    data : DataFrame, one integer-coded ordinal item per column (NaN = missing).
    method : "psych" (pairwise-complete tables, common category range, psych's empty-category rules)
        or "lavaan" (listwise-complete rows, each item's observed categories); see the module
        docstring for the conventions.
    correct : psych's continuity correction for zero cells, used only when psych's global
        thresholds are switched off (items with different maxima).
    smooth : psych's ``cor.smooth`` of a non-positive-definite result (method "psych").
    max_cat : psych's limit on the number of categories.

    Formula: thresholds tau_ic = Phi^-1(proportion of answers <= c of item i); rho maximises
    sum_ab n_ab log P_ab(rho), P_ab the bivariate-normal probability of cell (a, b) with the
    thresholds fixed (two-step ML; module docstring). psych::polychoric on psych's bfi A2, A3 gives
    .556, as here (``tests/test_stats_polychoric.py``).

    References: Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
    coefficient. Psychometrika, 44, 443-460. Revelle, W. psych: polychoric.

    Returns a :class:`PolychoricResult`: ``rho`` (matrix), ``tau``, ``n`` (rows), ``n_pairwise``; ``to_frame()`` one row per
    item pair (item1, item2, rho, n).

    Example
    -------
    >>> rng = np.random.default_rng(2)
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> ystar = rng.normal(size=(500, 1)) * lam + rng.normal(size=(500, 4)) * np.sqrt(1 - lam**2)
    >>> items = pd.DataFrame(np.digitize(ystar, [-1, 0, 1]) + 1, columns=["x1", "x2", "x3", "x4"])
    >>> res = polychoric(items)
    >>> res.rho.loc["x1"].round(3).tolist()
    [1.0, 0.56, 0.508, 0.392]
    >>> res.tau.loc["x1"].round(2).tolist()
    [-0.95, 0.12, 1.06]
    """
    x = _integer_items(data, "polychoric")
    if method not in ("psych", "lavaan"):
        raise StatsInputError(f"polychoric: method must be 'psych' or 'lavaan', got {method!r}")
    items = [str(c) for c in x.columns]
    notes: list[str] = []
    if method == "lavaan":
        x = x.dropna()
        if len(x) < 2:
            raise StatsInputError("polychoric: fewer than 2 complete rows")
        codes, levels = _codes_observed(x.to_numpy())
        taus, tables, pairs, k = _lavaan_stats(codes, levels)
        ta = np.stack([_ext(_pad(taus[i], k)) for i, _ in pairs])
        tb = np.stack([_ext(_pad(taus[j], k)) for _, j in pairs])
        rho_v = fit_rho(tables, ta, tb, start=_pearson_start(codes, pairs))
        r = _assemble(rho_v, pairs, len(items))
        kmax = max(len(t) for t in taus)
        tau = pd.DataFrame(
            [list(t) + [np.nan] * (kmax - len(t)) for t in taus],
            index=items,
            columns=[f"t{c + 1}" for c in range(kmax)],
        )
        return PolychoricResult(
            rho=pd.DataFrame(r, index=items, columns=items),
            tau=tau,
            n=len(x),
            method="lavaan",
            global_thresholds=True,
            smoothed=False,
            n_corrected=0,
            n_pairwise=pd.DataFrame(np.full((len(items), len(items)), len(x)), index=items, columns=items),
        )

    vals = x.to_numpy()
    sd = np.nanstd(vals, axis=0)
    bad = [items[i] for i in np.flatnonzero(~(sd > 0))]
    if bad:
        raise StatsInputError(
            f"polychoric: item(s) {bad} have no variance (psych deletes them; drop them first)"
        )
    gmin = np.nanmin(vals)
    codes_f = vals - gmin  # 0-based codes over the common range
    nvalues = int(np.nanmax(codes_f)) + 1
    if nvalues > max_cat:
        raise StatsInputError(
            f"polychoric: {nvalues} categories (more than max_cat = {max_cat}); "
            "polychoric is probably not needed"
        )
    codes = np.where(np.isnan(codes_f), -1, codes_f).astype(int)
    p = len(items)
    counts = np.stack([np.bincount(codes[codes[:, i] >= 0, i], minlength=nvalues) for i in range(p)])
    tau_g = thresholds_from_counts(counts)  # (p, nvalues-1), +-inf for empty ends
    item_max = np.nanmax(codes_f, axis=0)
    global_ = bool(item_max.min() == item_max.max())
    pairs = np.array([(i, j) for i in range(p) for j in range(i)])  # lower triangle, psych's order
    tables = _tables(codes, pairs, nvalues)
    n_corr = 0
    if global_:
        ta = _ext(tau_g[pairs[:, 0]])
        tb = _ext(tau_g[pairs[:, 1]])
        rho_v = fit_rho(tables, ta, tb, start=_pearson_start(codes, pairs))
    else:
        notes.append(
            "polychoric: the items do not have an equal number of response alternatives, "
            "global set to FALSE (psych's rule: thresholds per pair, zero cells corrected)"
        )
        rho_v = np.empty(len(pairs))
        for t, tab in enumerate(tables):
            tot = tab.sum()
            tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
            if correct > 0 and np.any(tab == 0):
                n_corr += 1
                tab = np.where(tab == 0, correct, tab)
            if min(tab.shape) < 2:
                rho_v[t] = np.nan
                continue
            rc = special.ndtri(np.cumsum(tab.sum(axis=1))[:-1] / tot)
            cc = special.ndtri(np.cumsum(tab.sum(axis=0))[:-1] / tot)
            kk = max(tab.shape)
            padded = np.zeros((kk, kk))
            padded[: tab.shape[0], : tab.shape[1]] = tab
            rho_v[t] = fit_rho(padded[None], _ext(_pad(rc, kk))[None], _ext(_pad(cc, kk))[None])[0]
        if n_corr and correct > 0:
            notes.append(
                f"polychoric: {n_corr} cells were adjusted for 0 values using the correction "
                "for continuity (psych's wording and count: pairs with zero cells)"
            )
    r = _assemble(rho_v, pairs, p)
    smoothed = False
    if smooth and not np.any(np.isnan(r)):
        r, smoothed = cor_smooth(r)
        if smoothed:
            notes.append("polychoric: matrix was not positive definite, smoothing was done")
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    tau = pd.DataFrame(tau_g, index=items, columns=[str(c + 1) for c in range(nvalues - 1)])
    npair = _assemble(tables.sum(axis=(1, 2)), pairs, p)
    np.fill_diagonal(npair, (codes >= 0).sum(axis=0))
    return PolychoricResult(
        rho=pd.DataFrame(r, index=items, columns=items),
        tau=tau,
        n=len(x),
        method="psych",
        global_thresholds=global_,
        smoothed=smoothed,
        n_corrected=n_corr,
        warnings=tuple(notes),
        n_pairwise=pd.DataFrame(npair.astype(int), index=items, columns=items),
    )


def _assemble(rho_v: np.ndarray, pairs: np.ndarray, p: int) -> np.ndarray:
    r = np.eye(p)
    r[pairs[:, 0], pairs[:, 1]] = rho_v
    r[pairs[:, 1], pairs[:, 0]] = rho_v
    return r


def _pearson_start(codes: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Pearson correlations of the codes (pairwise) as starting values."""
    out = np.empty(len(pairs))
    for t, (i, j) in enumerate(pairs):
        ok = (codes[:, i] >= 0) & (codes[:, j] >= 0)
        a, b = codes[ok, i].astype(float), codes[ok, j].astype(float)
        sa, sb = a.std(), b.std()
        out[t] = float(np.mean((a - a.mean()) * (b - b.mean())) / (sa * sb)) if sa > 0 and sb > 0 else 0.0
    return out


def _codes_observed(vals: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """0-based codes of each column over its own observed (sorted unique) values (lavaan's ordered());
    -1 where the value is missing (NaN)."""
    codes = np.full(vals.shape, -1, dtype=int)
    levels = []
    for i in range(vals.shape[1]):
        ok = ~np.isnan(vals[:, i])
        lev, inv = np.unique(vals[ok, i], return_inverse=True)
        codes[ok, i] = inv
        levels.append(lev)
    return codes, levels


def _lavaan_stats(
    codes: np.ndarray, levels: list[np.ndarray]
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, int]:
    """Thresholds per item, tables for the pairs in lavaan's order (j < i, j outer), K = max categories."""
    p = codes.shape[1]
    k = max(len(lv) for lv in levels)
    if min(len(lv) for lv in levels) < 2:
        raise StatsInputError("polychoric: an item has only one observed category")
    taus = [
        thresholds_from_counts(np.bincount(codes[codes[:, i] >= 0, i], minlength=len(levels[i])))
        for i in range(p)
    ]
    pairs = np.array([(i, j) for j in range(p - 1) for i in range(j + 1, p)])
    tables = _tables(codes, pairs, k)
    return taus, tables, pairs, k


@dataclass(frozen=True, eq=False)
class PolyserialResult(Result):
    """Result of :func:`polyserial`.

    Attributes
    ----------
    rho : Series of polyserial correlations, one per item (indexed by item).
    n : rows used (method "psych": all rows, psych's n; "lavaan": rows complete on x and every item).
    n_pairwise : Series of the rows each correlation rests on (method "psych": rows where x and the
        item are both answered; "lavaan": rows complete on x and every item).
    method : "psych" or "lavaan".
    """

    rho: pd.Series
    n: int
    n_pairwise: pd.Series
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per item: item, rho, n."""
        return pd.DataFrame(
            {
                "item": [str(i) for i in self.rho.index],
                "rho": self.rho.to_numpy(float),
                "n": self.n_pairwise.reindex(self.rho.index).to_numpy(int),
            }
        )

    def summary(self, digits: int = 2) -> str:
        """The correlations, one per item, like ``print(psych::polyserial(x, y))``."""
        table = self.to_frame().set_index("item").round(digits).to_string()
        return f"Polyserial correlations ({self.method})\n\n{table}"


def polyserial(
    data: pd.DataFrame, *, x: pd.Series | np.ndarray | str, method: str = "psych"
) -> PolyserialResult:
    """Polyserial correlations of ordinal items (``data``) with a continuous variable ``x``.

    ``x`` is one value per row of ``data`` (a Series, an array) or the name of a column of ``data``
    (the other columns are then the items).

    ``method="psych"``: ``psych::polyserial(x, items)``, the ad hoc estimator of Olsson, Drasgow &
    Dorans (1982), rho = r_xy sqrt((n - 1) / n) sd(y) / sum_c phi(tau_c), with the pairwise-complete
    Pearson r_xy, the item's thresholds tau_c from its non-missing answers and n the number of rows.
    ``method="lavaan"``: the two-step ML estimate of ``lavCor(cbind(x, items), ordered = ...)`` on
    complete rows: x standardised (N divisor) to z, the item's thresholds fixed, rho maximising
    sum_i log[Phi((tau_{c_i} - rho z_i) / s) - Phi((tau_{c_i - 1} - rho z_i) / s)], s = sqrt(1 - rho^2).

    Returns a :class:`PolyserialResult` (``rho``, ``n``, ``n_pairwise``, ``to_frame()``).

    References: Olsson, U., Drasgow, F. & Dorans, N. J. (1982). The polyserial correlation
    coefficient. Psychometrika, 47, 337-347. Revelle, W. psych: polyserial. Rosseel, Y. (2012) lavaan.

    Example
    -------
    >>> x = np.linspace(-2, 2, 40)
    >>> items = pd.DataFrame({"a": np.digitize(x + np.tile([0.5, -0.5], 20), [-1, 0, 1]),
    ...                       "b": np.digitize(-x + np.tile([0.8, 0.0, -0.8, 0.0], 10), [-0.5, 0.5])})
    >>> res = polyserial(items, x=x)
    >>> res.rho.round(3).to_dict()
    {'a': 0.984, 'b': -0.98}
    """
    if isinstance(x, str):
        if not isinstance(data, pd.DataFrame) or x not in data.columns:
            raise StatsInputError(f"polyserial: x={x!r} is not a column of data")
        items, xv = data.drop(columns=[x]), data[x].to_numpy(float)
    else:
        if isinstance(x, pd.DataFrame) or not isinstance(data, pd.DataFrame):
            raise StatsInputError(
                "polyserial: data are the ordinal items (a DataFrame) and x the continuous variable: "
                "polyserial(items, x=x)"
            )
        items, xv = data, np.asarray(x, float)
    if items.shape[1] < 1:
        raise StatsInputError("polyserial: data hold no item column")
    y = _integer_items(items if items.shape[1] >= 2 else pd.concat([items, items], axis=1), "polyserial")
    y = y.iloc[:, : items.shape[1]]
    if xv.ndim != 1 or len(xv) != len(y):
        raise StatsInputError("polyserial: x must be one variable with one value per row of the items")
    names = [str(c) for c in y.columns]
    out: dict[str, float] = {}
    count: dict[str, int] = {}
    if method == "psych":
        vals = y.to_numpy()
        lo, hi = np.nanmin(vals), np.nanmax(vals)
        n_cases = len(y)
        for c, name in enumerate(names):
            col = vals[:, c]
            counts = np.array([np.sum(col == v) for v in np.arange(lo, hi + 1)], float)
            tau = thresholds_from_counts(counts)
            stau = float(np.sum(_phi(tau[np.isfinite(tau)])))
            ok = ~np.isnan(col) & ~np.isnan(xv)
            rxy = float(np.corrcoef(xv[ok], col[ok])[0, 1])
            sdy = float(np.nanstd(col, ddof=1))
            out[name] = float(np.clip(rxy * math.sqrt((n_cases - 1) / n_cases) * sdy / stau, -1, 1))
            count[name] = int(ok.sum())
        return PolyserialResult(rho=pd.Series(out), n=n_cases, n_pairwise=pd.Series(count), method="psych")
    if method != "lavaan":
        raise StatsInputError(f"polyserial: method must be 'psych' or 'lavaan', got {method!r}")
    ok = ~np.isnan(xv) & ~y.isna().any(axis=1).to_numpy()
    z = xv[ok]
    z = (z - z.mean()) / z.std()
    codes, levels = _codes_observed(y.to_numpy()[ok])
    for c, name in enumerate(names):
        tau = _ext(thresholds_from_counts(np.bincount(codes[:, c], minlength=len(levels[c]))))
        up, lo_ = tau[codes[:, c] + 1], tau[codes[:, c]]

        def nll(r: float) -> float:
            s = math.sqrt(1 - r * r)
            pr = _Phi((up - r * z) / s) - _Phi((lo_ - r * z) / s)  # noqa: B023
            return -float(np.sum(np.log(np.maximum(pr, 1e-300))))

        out[name] = float(
            optimize.minimize_scalar(
                nll, bounds=(-0.9999, 0.9999), method="bounded", options={"xatol": 1e-12}
            ).x
        )
        count[name] = int(ok.sum())
    return PolyserialResult(rho=pd.Series(out), n=int(ok.sum()), n_pairwise=pd.Series(count), method="lavaan")
