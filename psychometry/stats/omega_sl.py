"""McDonald's omega (hierarchical and total) by the Schmid-Leiman transformation, as ``psych::omega``.

Steps (psych::schmid / psych::omegah, psych 2.2.9):

1. minres factor analysis of the correlation matrix R with ``nfactors`` factors: minimise the sum of
   squared off-diagonal residuals over the uniquenesses (L-BFGS-B as psych's ``fa``), then varimax
   (Kaiser-normalised, as ``stats::varimax``), columns signed positive and sorted by sums of squares;
2. oblimin rotation (gamma = 0, no Kaiser normalisation, as ``GPArotation::oblimin``; done with
   :func:`statsmodels.multivariate.factor_rotation.rotate_factors`): pattern P, factor correlations Phi;
3. a one-factor minres analysis of Phi gives the general loadings gamma of the group factors
   (two factors: gamma_1 = gamma_2 = sqrt|phi_12|, psych's option = "equal");
4. item general loadings g = P gamma; group loadings sign(P) sqrt(P^2 (1 - gamma^2)); h2 = the
   communalities of step 1, u2 = 1 - h2, p2 = g^2/h2; items with negative g are reversed (flip);
5. with V = 1'R1: omega_h = (sum g)^2 / V, omega_t = (V - sum u2)/V, omega_h asymptotic
   = (sum g)^2/(V - sum u2), alpha = (V - k)/V k/(k-1), G6 = (V - k + sum smc)/V, ECV = share of the
   general factor in the common variance.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from psychometry.stats._rprint import (
    fmt_number,
    format_frame,
    format_named_vector,
    format_signif,
    format_strings,
)
from psychometry.stats.factor import minres as _factor_minres
from psychometry.stats.reliability import ReliabilityError, _numeric_items

from ._api import Result
from ._linalg import cov2cor, oblimin, smc, varimax

__all__ = ["OmegaResult", "omega"]


def _is_correlation(m: pd.DataFrame) -> bool:
    """psych::isCorrelation: square, symmetric, unit diagonal, entries within [-1, 1]."""
    a = m.to_numpy(dtype=float)
    return (
        a.shape[0] == a.shape[1]
        and not np.isnan(a).any()
        and np.allclose(a, a.T)
        and np.allclose(np.diag(a), 1.0)
        and a.min() >= -1
        and a.max() <= 1
    )


def _signed_minres(R: np.ndarray, nfactors: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-residual loadings of a correlation matrix (:func:`psychometry.stats.factor.minres`,
    as ``psych::fa(fm="minres")`` before rotation), columns signed to a positive sum as psych does.
    Returns (loadings, communalities 1 - psi)."""
    L, psi = _factor_minres(np.asarray(R, dtype=float), nfactors)
    signs = np.sign(L.sum(axis=0))
    signs[signs == 0] = 1
    return L * signs, 1 - psi


def _varimax(L: np.ndarray) -> np.ndarray:
    """Kaiser-normalised varimax (:func:`psychometry.stats._linalg.varimax`), columns signed to
    positive sums and sorted by decreasing sums of squares, as psych::fa does."""
    rotated, _ = varimax(L)
    signs = np.sign(rotated.sum(axis=0))
    signs[signs == 0] = 1
    rotated = rotated * signs
    order = np.argsort(-(rotated**2).sum(axis=0), kind="stable")
    return rotated[:, order]


@dataclass(frozen=True)
class OmegaResult(Result):
    """McDonald's omega by Schmid-Leiman (see :func:`omega`). ``n`` is the number of respondents
    (None when omega was given a correlation matrix)."""

    omega_h: float
    omega_h_asymptotic: float
    omega_total: float
    alpha: float
    g6: float
    ecv: float
    nfactors: int
    n_items: int
    n: int | None
    schmid_leiman: pd.DataFrame = field(repr=False)
    phi: pd.DataFrame | None = field(repr=False)
    omega_group: pd.DataFrame = field(repr=False)
    flipped: tuple[str, ...] = ()
    heywood: bool = False

    def to_frame(self) -> pd.DataFrame:
        """One row: alpha, g6 (psych's G.6), omega_h, omega_h_asymptotic, omega_t, ecv (ECV),
        nfactors, n_items and n (NaN for a correlation matrix)."""
        df = pd.DataFrame(
            [
                {
                    "alpha": self.alpha,
                    "g6": self.g6,
                    "omega_h": self.omega_h,
                    "omega_h_asymptotic": self.omega_h_asymptotic,
                    "omega_t": self.omega_total,
                    "ecv": self.ecv,
                    "nfactors": self.nfactors,
                    "n_items": self.n_items,
                    "n": math.nan if self.n is None else self.n,
                }
            ],
            index=[""],
        )
        return df

    def summary(self, digits: int = 2, cut: float = 0.2) -> str:
        with np.errstate(divide="ignore", invalid="ignore"):  # degenerate fits print Inf/NaN as R does
            return self._summary(digits, cut)

    def _summary(self, digits: int, cut: float) -> str:
        """psych's ``print(omega(...))``: the coefficients, the Schmid-Leiman loadings (entries below
        ``cut`` blank), sums of squares, ECV and the total/general/group omegas per subscale."""
        f = lambda v: fmt_number(v, digits)  # noqa: E731
        lines = [
            "Omega ",
            f"Call: omega(items, nfactors = {self.nfactors})",
            f"Alpha:                 {f(self.alpha)} ",
            f"G.6:                   {f(self.g6)} ",
            f"Omega Hierarchical:    {f(self.omega_h)} ",
            f"Omega H asymptotic:    {f(self.omega_h_asymptotic)} ",
            f"Omega Total            {f(self.omega_total)} ",
            "",
            f"Schmid Leiman Factor loadings greater than  {fmt_number(cut, 7)} ",
        ]
        sl = self.schmid_leiman
        nf = self.nfactors
        loads = sl.round(digits)

        def fmt(col: pd.Series) -> list[str]:  # R's format(): common width within a column
            strs = format_signif(col.tolist(), digits)
            width = max(len(x) for x in strs)
            return [x.rjust(width) for x in strs]

        fx = {c: fmt(loads[c]) for c in loads.columns[: nf + 1]}
        nc = len(fmt(loads.iloc[:, 2])[0])  # psych: nchar(fx[1, 3])
        table = pd.DataFrame(index=sl.index)
        for c in loads.columns[: nf + 1]:
            table[c] = [" " * nc if abs(v) < cut else s for v, s in zip(loads[c], fx[c])]
        for c in ("h2", "u2", "p2"):
            table[c] = format_signif(loads[c].tolist(), 7)
        lines.append(format_strings(table))
        ev = (sl.iloc[:, : nf + 1] ** 2).sum()
        lines += ["", "With Sums of squares  of:", format_named_vector(ev.round(digits), digits)]
        groups = ev.iloc[1:]
        p2 = loads["p2"]  # psych takes mean and sd of the rounded p2
        if nf > 1:
            lines += [
                "",
                f"general/max  {f(ev.iloc[0] / groups.max())}   max/min =   {f(groups.max() / groups.min())}",
            ]
        lines += [
            f"mean percent general =  {f(p2.mean())}    with sd =  {f(p2.std())} and cv of  "
            f"{f(p2.std() / p2.mean())} ",
            f"Explained Common Variance of the general factor =  {f(self.ecv)} ",
            "",
        ]
        og = self.omega_group.copy()
        og.columns = [
            "Omega total for total scores and subscales",
            "Omega general for total scores and subscales ",
            "Omega group for total scores and subscales",
        ]
        lines += [" Total, General and Subset omega for each subset", format_frame(og.T.round(digits), 7)]
        if self.flipped:
            lines += ["", f"Reversed (negative general loading): {', '.join(self.flipped)}"]
        if self.heywood:
            lines += [
                "",
                "Note: a group factor's general loading is at the bound (Heywood case in the "
                "factor analysis of Phi); omega_h is then determined only to about 1e-3.",
            ]
        if nf == 1:
            lines += ["", "One factor: omega_h is not meaningful, omega_t is the one-factor omega total."]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def omega(data: pd.DataFrame, *, nfactors: int = 3) -> OmegaResult:
    r"""McDonald's omega hierarchical and total by Schmid-Leiman, equal to ``psych::omega(m, nfactors)``.

    .. math::

        \omega_h = \frac{(\sum_i g_i)^2}{1'R1},\qquad
        \omega_t = \frac{1'R1 - \sum_i u^2_i}{1'R1},\qquad
        \omega_{h,\infty} = \frac{(\sum_i g_i)^2}{1'R1 - \sum_i u^2_i}

    with g the Schmid-Leiman general loadings and u2 the uniquenesses (see the module docstring for the
    steps). With ``nfactors=1`` only omega_t is meaningful (one-factor omega total, psych's
    1'R1 denominator). Also returns alpha (standardised), G6, ECV, the Schmid-Leiman table
    (g, F1*, ..., h2, u2, p2) and per-subscale omegas.

    ``data`` is a wide item DataFrame (pairwise-complete correlations are used, as psych) or a
    correlation matrix (square, symmetric, unit diagonal; e.g. Thurstone's). Items whose general
    loading is negative are reversed (psych's flip = TRUE) and marked with '-'.

    References: McDonald (1999) Test theory: a unified treatment; Schmid & Leiman (1957) Psychometrika
    22, 53-61; Zinbarg, Revelle, Yovel & Li (2005) Psychometrika 70, 123-133; Revelle & Zinbarg (2009)
    Psychometrika 74, 145-154; psych::omega.

    Examples
    --------
    >>> import pandas as pd, psychometry.stats as s
    >>> R = pd.read_csv("tests/data/thurstone.csv", index_col=0)
    >>> round(s.omega(R).omega_h, 2)
    0.74
    """
    if isinstance(data, np.ndarray):
        data = pd.DataFrame(data)
    if not isinstance(data, pd.DataFrame):
        raise ReliabilityError(
            f"omega: expected a DataFrame of items or a correlation matrix, got {type(data).__name__}"
        )
    if not isinstance(nfactors, (int, np.integer)) or nfactors < 1:
        raise ReliabilityError(f"omega: nfactors must be a positive integer, got {nfactors!r}")
    n_obs: int | None
    if _is_correlation(data):
        R = data.to_numpy(dtype=float)
        names = [str(c) for c in data.columns]
        n_obs = None
    else:
        x = _numeric_items(data, "omega")
        Rdf = x.corr()
        if Rdf.isna().to_numpy().any():
            raise ReliabilityError(
                "omega: some item pairs have no respondents in common or an item has no "
                "variance (correlation undefined)"
            )
        R, names, n_obs = Rdf.to_numpy(), list(x.columns), len(x)
    R = cov2cor(R)
    k = R.shape[0]
    if nfactors >= k:
        raise ReliabilityError(f"omega: nfactors = {nfactors} needs more than {nfactors} items (got {k})")

    L0, _comm = _signed_minres(R, nfactors)
    heywood = False
    if nfactors == 1:
        orth = L0
        P = L0
        gamma = np.array([1.0])
        Phi = None
    else:
        orth = _varimax(L0)
        P, Phi = oblimin(orth)
        if nfactors > 2:
            gl, gcomm = _signed_minres(Phi, 1)
            gamma = gl[:, 0]
            heywood = bool((gcomm >= 0.995 - 1e-9).any())
        else:
            # psych::schmid's message: with two group factors the general loadings are not identified
            warnings.warn(
                "Three factors are required for identification -- general factor loadings set to "
                "be equal. Proceed with caution",
                RuntimeWarning,
                stacklevel=2,
            )
            phi12 = Phi[0, 1]
            gamma = np.array([math.sqrt(abs(phi12)), math.copysign(math.sqrt(abs(phi12)), phi12)])
    g = P @ gamma
    h2 = (orth**2).sum(axis=1)
    u2 = 1 - h2
    p2 = g**2 / h2
    uniq2 = np.clip(P**2 - (P * gamma) ** 2, 0, None)
    groups = np.sign(P) * np.sqrt(uniq2)

    key = np.where(np.sign(g) == 0, 1.0, np.sign(g))
    flipped = tuple(n for n, s in zip(names, key) if s < 0)
    if flipped:
        R = np.diag(key) @ R @ np.diag(key)
        g = g * key
        groups = groups * key[:, None]
    labels = [n + ("-" if s < 0 else "") for n, s in zip(names, key)]
    cols = ["g"] + [f"F{i + 1}*" for i in range(nfactors)]
    sl = pd.DataFrame(
        np.column_stack([g, groups, h2, u2, p2]), index=labels, columns=cols + ["h2", "u2", "p2"]
    )

    V = R.sum()
    gsq = g.sum() ** 2
    om_tot = (V - u2.sum()) / V
    alpha_ = (V - np.trace(R)) / V * k / (k - 1)
    g6 = (V + smc(R).sum() - np.trace(R)) / V
    ev = (sl[cols] ** 2).sum()
    ecv = ev.iloc[0] / ev.sum()

    # omega total / general / group per subscale (items assigned to their largest group loading)
    sub = np.argmax(np.abs(groups), axis=1)
    omt, omgo, omg = [om_tot], [gsq / V], [math.nan]
    grs = 0.0
    for j in range(nfactors):
        idx = np.flatnonzero(sub == j)
        if len(idx) == 0:
            for values in (omt, omgo, omg):
                values.append(math.nan)
            continue
        vgr = R[np.ix_(idx, idx)].sum()
        gr = groups[idx, j].sum()
        grs += gr**2
        omg.append(gr**2 / vgr)
        omgo.append(g[idx].sum() ** 2 / vgr)
        omt.append((gr**2 + g[idx].sum() ** 2) / vgr)
    omg[0] = grs / V
    omega_group = pd.DataFrame({"total": omt, "general": omgo, "group": omg}, index=cols)
    return OmegaResult(
        omega_h=float(gsq / V),
        omega_h_asymptotic=float(gsq / (V - u2.sum())),
        omega_total=float(om_tot),
        alpha=float(alpha_),
        g6=float(g6),
        ecv=float(ecv),
        nfactors=int(nfactors),
        n_items=k,
        n=n_obs,
        schmid_leiman=sl,
        phi=None if Phi is None else pd.DataFrame(Phi, index=cols[1:], columns=cols[1:]),
        omega_group=omega_group,
        flipped=flipped,
        heywood=heywood,
    )
