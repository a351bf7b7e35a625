"""Graded-response (normal-ogive) IRT parameters from an ordinal factor solution, as ``psych::irt.fa``.

With a standardised loading lambda_i of item i on a factor theta ~ N(0, 1) and the item's thresholds
tau_ik on the latent response y*_i = lambda_i theta + e_i (var e_i = 1 - lambda_i^2),

    P(x_i > k | theta) = Phi((lambda_i theta - tau_ik) / sqrt(1 - lambda_i^2)) = Phi(a_i theta - d_ik),
    a_i = lambda_i / sqrt(1 - lambda_i^2)        (discrimination),
    d_ik = tau_ik / sqrt(1 - lambda_i^2)         (psych's "difficulty"; the location on theta is d_ik / a_i)

(Lord & Novick 1968; Takane & de Leeuw 1987; McDonald 1999). :func:`irt_fa` is ``psych::irt.fa(x)``:
psych's polychoric correlations and thresholds (:func:`psychometry.stats.polychoric`), a minres
factor analysis of them (one factor), then the conversion above. :func:`irt_from_cfa` converts a
WLSMV solution of :func:`psychometry.stats.cfa` (``ordered=True``; standardised loadings and
thresholds) in the same way, one factor per item.

Information (``IRTResult.information``):

* ``method="normal"``: the Fisher information of the normal-ogive graded-response model,
  I_i(theta) = sum_c P'_ic(theta)^2 / P_ic(theta), P_ic = P(x_i > c-1) - P(x_i > c),
  P'(x_i > k) = a_i phi(a_i theta - d_ik); test information = sum over items;
* ``method="psych"``: what ``plot(irt.fa(x), type = "IIC")`` reports (its ``sumInfo``): the sum over
  thresholds of the logistic information a_i^2 L (1 - L), L = 1 / (1 + exp(a_i (sign(a_i) d_ik - theta))),
  items with |a_i| <= ``cut`` (.3) counted as 0 -- psych's approximation, kept for comparison.

References: Lord, F. M. & Novick, M. R. (1968). Statistical theories of mental test scores.
Takane, Y. & de Leeuw, J. (1987). On the relationship between item response theory and factor
analysis of discretized variables. Psychometrika, 52, 393-408. Samejima, F. (1969). Estimation of
latent ability using a response pattern of graded scores. Revelle, W. psych::irt.fa.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from psychometry.errors import StatsInputError
from psychometry.stats._api import Result

if TYPE_CHECKING:
    from psychometry.stats.confirmatory import CFAResult

__all__ = ["IRTResult", "irt_fa", "irt_from_cfa"]


@dataclass(frozen=True, eq=False)
class IRTResult(Result):
    """Normal-ogive graded-response parameters of one factor.

    Attributes
    ----------
    discrimination : Series a_i = lambda_i / sqrt(1 - lambda_i^2) (indexed by item).
    difficulty : DataFrame d_ik = tau_ik / sqrt(1 - lambda_i^2) (items x thresholds; +-inf / NaN kept).
    loadings : Series of the standardised loadings; tau : DataFrame of the thresholds.
    n : rows of the data (as psych's n.obs).
    """

    discrimination: pd.Series
    difficulty: pd.DataFrame
    loadings: pd.Series
    tau: pd.DataFrame
    n: int
    source: str = "irt.fa"

    def to_frame(self) -> pd.DataFrame:
        """One row per item (indexed by item): discrimination, then the difficulties d_ik."""
        out = self.difficulty.copy()
        out.insert(0, "discrimination", self.discrimination)
        return out

    def information(
        self, theta: np.ndarray | float | None = None, method: str = "normal", cut: float = 0.3
    ) -> pd.DataFrame:
        """Item information at ``theta`` (default -3..3 by .1): DataFrame theta x items; the test
        information is its row sum (:meth:`test_information`)."""
        th = np.atleast_1d(np.arange(-3, 3.0001, 0.1) if theta is None else np.asarray(theta, float))
        a = self.discrimination.to_numpy(float)
        d = self.difficulty.to_numpy(float)
        if method == "psych":
            dd = np.sign(a)[:, None] * d  # (items, k)
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(a[:, None, None] * (dd[:, :, None] - th[None, None, :]))
                info = e * a[:, None, None] ** 2 / (1 + e) ** 2
            info = np.where(np.isnan(info), 0.0, info).sum(axis=1)  # (items, theta)
            info[np.abs(a) <= cut] = 0.0
        elif method == "normal":
            z = a[:, None, None] * th[None, None, :] - d[:, :, None]  # (items, k, theta)
            z = np.where(np.isnan(z), -np.inf, z)  # NaN-padded thresholds: no such category
            upper = special.ndtr(z)  # P(x > k)
            dens = (
                a[:, None, None] * np.exp(-0.5 * np.where(np.isfinite(z), z, 0.0) ** 2) / np.sqrt(2 * np.pi)
            )
            dens = np.where(np.isfinite(z), dens, 0.0)
            ones = np.ones((len(a), 1, len(th)))
            zeros = np.zeros((len(a), 1, len(th)))
            pstar = np.concatenate([ones, upper, zeros], axis=1)
            dstar = np.concatenate([zeros, dens, zeros], axis=1)
            pc = pstar[:, :-1] - pstar[:, 1:]
            dc = dstar[:, :-1] - dstar[:, 1:]
            with np.errstate(divide="ignore", invalid="ignore"):
                info = np.where(pc > 1e-300, dc**2 / np.where(pc > 1e-300, pc, 1.0), 0.0).sum(axis=1)
        else:
            raise StatsInputError(f"information: method must be 'normal' or 'psych', got {method!r}")
        return pd.DataFrame(
            info.T, index=pd.Index(np.round(th, 10), name="theta"), columns=self.discrimination.index
        )

    def test_information(self, theta: np.ndarray | float | None = None, method: str = "normal") -> pd.Series:
        """Test information (sum of the item informations) at ``theta``; its standard error of
        measurement is 1 / sqrt(information)."""
        return self.information(theta, method).sum(axis=1).rename("information")

    def summary(self, digits: int = 2) -> str:
        """Item parameters like ``print(irt.fa(x)$irt)``: discrimination and difficulties per item."""
        return (
            "Item Response Analysis using Factor Analysis (normal ogive)\n\n"
            + self.to_frame().round(digits).to_string()
        )


def _convert(loadings: pd.Series, tau: pd.DataFrame, n_obs: int, source: str) -> IRTResult:
    lam = loadings.to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(1.0 - lam**2)
        a = lam / root
        d = tau.to_numpy(float) / root[:, None]
    bad = np.isnan(a)
    if bad.any():
        # psych: a Heywood case (|lambda| >= 1) gets the largest discrimination and the raw thresholds
        warnings.warn(
            "irt: a discrimination with a NaN value was replaced with the maximum discrimination "
            f"(Heywood case): {list(loadings.index[bad])}",
            RuntimeWarning,
            stacklevel=3,
        )
        a[bad] = np.nanmax(a)
        d[bad] = tau.to_numpy(float)[bad]
    return IRTResult(
        discrimination=pd.Series(a, index=loadings.index, name="MR1"),
        difficulty=pd.DataFrame(d, index=tau.index, columns=tau.columns),
        loadings=loadings,
        tau=tau,
        n=n_obs,
        source=source,
    )


def _psych_fa_minres(r: np.ndarray, nfactors: int) -> tuple[np.ndarray, list[str]]:
    """psych::fa(r, nfactors, fm = "minres", rotate = "oblimin") loadings with psych's conventions (the
    steps of :func:`psychometry.stats.efa`): columns flipped to positive sums before and after the
    rotation, named MR1.. by position, sorted by their (oblique) sums of squared loadings."""
    from psychometry.stats.factor import _rotate, minres

    load, _ = minres(r, nfactors)
    signs = np.sign(load.sum(axis=0))
    signs[signs == 0] = 1
    load = load * signs
    load[load == 0] = 1e-15
    rotated, phi = _rotate(load, "oblimin" if nfactors > 1 else "none")
    signs = np.sign(rotated.sum(axis=0))
    signs[signs == 0] = 1
    rotated = rotated * signs
    names = [f"MR{j + 1}" for j in range(nfactors)]
    if nfactors > 1:
        phi = phi * np.outer(signs, signs)
        ss = np.diag(phi @ rotated.T @ rotated)
        order = np.argsort(-ss, kind="stable")
        rotated = rotated[:, order]
        names = [names[j] for j in order]
    return rotated, names


def irt_fa(data: pd.DataFrame, *, nfactors: int = 1) -> IRTResult | dict[str, IRTResult]:
    """``psych::irt.fa(data, nfactors)`` for ordinal items: polychoric correlations (psych's rules),
    minres loadings (oblimin-rotated when nfactors > 1, psych's sign and order conventions), then
    a = lambda / sqrt(1 - lambda^2) and d = tau / sqrt(1 - lambda^2) per factor. One factor returns an
    :class:`IRTResult`; several return ``{"MR1": IRTResult, ...}`` (psych's ``$irt$difficulty[[f]]`` and
    discrimination column f), with every item in every factor, as psych. Binary items go through the
    same two-step polychoric (psych would use ``tetrachoric``, whose zero-cell correction can differ).

    Formula: a_i = lambda_i / sqrt(1 - lambda_i^2), d_ik = tau_ik / sqrt(1 - lambda_i^2), so that
    P(x_i > k | theta) = Phi(a_i theta - d_ik) (module docstring).

    References: Takane, Y. & de Leeuw, J. (1987). On the relationship between item response theory and
    factor analysis of discretized variables. Psychometrika, 52, 393-408. Revelle, W. psych::irt.fa.

    Example
    -------
    >>> rng = np.random.default_rng(2)
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> ystar = rng.normal(size=(500, 1)) * lam + rng.normal(size=(500, 4)) * np.sqrt(1 - lam**2)
    >>> items = pd.DataFrame(np.digitize(ystar, [-1, 0, 1]) + 1, columns=["x1", "x2", "x3", "x4"])
    >>> res = irt_fa(items)
    >>> res.discrimination.round(2).tolist()
    [1.44, 0.92, 0.78, 0.56]
    >>> res.difficulty.loc["x1"].round(2).tolist()
    [-1.66, 0.21, 1.86]
    """
    from psychometry.stats.polycor import polychoric

    if (
        isinstance(nfactors, bool)
        or not isinstance(nfactors, (int, np.integer))
        or not 1 <= nfactors < data.shape[1]
    ):
        raise StatsInputError(
            f"irt_fa: nfactors must be an integer from 1 to {data.shape[1] - 1}, got {nfactors!r}"
        )
    pc = polychoric(data)
    load, names = _psych_fa_minres(pc.rho.to_numpy(), int(nfactors))
    out = {
        name: _convert(pd.Series(load[:, j], index=pc.rho.index, name=name), pc.tau, pc.n, "irt.fa")
        for j, name in enumerate(names)
    }
    return out[names[0]] if nfactors == 1 else out


def irt_from_cfa(fit: CFAResult) -> dict[str, IRTResult]:
    """IRT parameters from an ordinal CFA (``cfa(..., ordered=True)``): for each factor, its items'
    standardised loadings (``std_all``) and thresholds; items loading on several factors are not
    supported. ``fit`` is the result of ``cfa(data, model=..., ordered=True)``.

    Formula: a_i = lambda_i / sqrt(1 - lambda_i^2), d_ik = tau_ik / sqrt(1 - lambda_i^2) with the
    standardised loadings lambda_i and the thresholds tau_ik of the WLSMV fit (delta parameterisation).

    Reference: Takane, Y. & de Leeuw, J. (1987). Psychometrika, 52, 393-408.

    Example
    -------
    >>> rng = np.random.default_rng(2)
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> ystar = rng.normal(size=(500, 1)) * lam + rng.normal(size=(500, 4)) * np.sqrt(1 - lam**2)
    >>> items = pd.DataFrame(np.digitize(ystar, [-1, 0, 1]) + 1, columns=["x1", "x2", "x3", "x4"])
    >>> from psychometry.stats import cfa
    >>> fit = cfa(items, model="f =~ x1 + x2 + x3 + x4", ordered=True)
    >>> res = irt_from_cfa(fit)["f"]
    >>> res.discrimination.round(2).tolist()
    [1.45, 0.92, 0.78, 0.56]
    """
    est = fit.parameters
    if "|" not in set(est["op"]):
        raise StatsInputError("irt_from_cfa: the CFA has no thresholds (fit it with ordered=True)")
    loads = est[est["op"] == "=~"]
    if loads["rhs"].duplicated().any():
        raise StatsInputError("irt_from_cfa: an item loads on more than one factor")
    th = est[est["op"] == "|"]
    out: dict[str, IRTResult] = {}
    for factor, sub in loads.groupby("lhs", sort=False):
        items = list(sub["rhs"])
        rows = {i: th.loc[th["lhs"] == i, "estimate"].to_numpy(float) for i in items}
        k = max(len(v) for v in rows.values())
        tau = pd.DataFrame(
            [list(v) + [np.nan] * (k - len(v)) for v in rows.values()],
            index=items,
            columns=[f"t{c + 1}" for c in range(k)],
        )
        loadings = pd.Series(sub["std_all"].to_numpy(float), index=items, name=str(factor))
        out[str(factor)] = _convert(loadings, tau, fit.n, "cfa")
    return out
