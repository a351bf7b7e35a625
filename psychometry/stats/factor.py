"""Exploratory factor analysis (``efa``) and Horn's parallel analysis (``parallel_analysis``).

Both reproduce R's ``psych`` (Revelle): ``efa`` is ``psych::fa`` (minres, ML or principal axis
extraction; oblimin, varimax or promax rotation; psych's naming, sign and ordering conventions)
and ``parallel_analysis`` is ``psych::fa.parallel`` (simulated normal data). The numbers are
checked against R in ``tests/test_stats_factor.py`` (reference values:
``tests/reference/validity.R`` -> ``validity.json``).

Extraction (R the correlation matrix of the items, pairwise-complete as in psych, k factors):

* minres (psych's default, Harman & Jones 1966): the uniquenesses psi minimise the sum of the
  squared off-diagonal residuals  sum_{i<j} (r_ij - (L L')_ij)^2, where L = the first k
  eigenvectors of R - diag(psi) times the square roots of their eigenvalues. Optimised with
  L-BFGS-B from psi = 1 - smc, within [.005, 1], as ``psych::fa`` does.
* ml: maximum likelihood (Lawley & Maxwell 1971) with ``statsmodels.multivariate.factor.Factor``;
  loadings put in psych's canonical orientation  L = Psi^1/2 V (Lambda - I)^1/2, V and Lambda the
  eigenvectors/values of Psi^-1/2 R Psi^-1/2.
* pa: iterated principal axes from squared multiple correlations, stopping as psych does (change
  of the summed communalities < .001, at most 50 iterations).

Rotation: oblimin (gamma = 0, GPA, Jennrich 2002) and varimax (Kaiser 1958, with Kaiser row
normalisation as R's ``stats::varimax``) with ``statsmodels...factor_rotation.rotate_factors``;
promax as ``psych::kaiser(L, "Promax")``: Kaiser-normalised varimax, then the least-squares
(``factor_rotation.procrustes``) fit to the target Q = V |V|^(m-1), m = 4 (Hendrickson & White
1964), with unit-variance factors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

from psychometry.errors import StatsInputError

from ._api import Result
from ._linalg import numeric_items, oblimin, smc, top_eigen, varimax
from ._rprint import fmt_number, format_frame

__all__ = ["EFAResult", "ParallelAnalysisResult", "StatsInputError", "efa", "minres", "parallel_analysis"]

Rotation = Literal["oblimin", "varimax", "promax", "none"]
Method = Literal["minres", "ml", "pa"]

_PREFIX = {"minres": "MR", "ml": "ML", "pa": "PA"}


# ----------------------------------------------------------------------------- input checks
def _numeric_items(items: object, what: str = "items", *, min_columns: int = 2) -> pd.DataFrame:
    """Check that ``items`` is a DataFrame of numeric columns (:func:`psychometry.stats._linalg.numeric_items`)
    with finite values, at least 3 observations per column and no constant column; return it as float."""
    out = numeric_items(items, what, min_columns=min_columns, arrays=False)
    if np.isinf(out.to_numpy()).any():
        raise StatsInputError(f"{what}: infinite values")
    empty = [str(c) for c in out.columns if out[c].notna().sum() < 3]
    if empty:
        raise StatsInputError(f"{what}: column(s) {empty} have fewer than 3 non-missing values")
    constant = [str(c) for c in out.columns if out[c].std(skipna=True) == 0]
    if constant:
        raise StatsInputError(f"{what}: column(s) {constant} have zero variance (a correlation is undefined)")
    return out


def _correlation(items: pd.DataFrame, what: str = "items") -> np.ndarray:
    """Pearson correlations from pairwise-complete observations (R's ``cor(x, use = "pairwise")``)."""
    r = items.corr(method="pearson").to_numpy()
    if np.isnan(r).any():
        i, j = np.argwhere(np.isnan(r))[0]
        raise StatsInputError(
            f"{what}: columns {items.columns[i]!s} and {items.columns[j]!s} have no pair "
            "of complete observations with variance; their correlation is undefined"
        )
    return r


# ----------------------------------------------------------------------------- extraction
def _minres_loadings(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """psych's FAout.wls: L = V_k diag(sqrt(max(lambda_k, 0))) of R - diag(psi)."""
    reduced = r - np.diag(psi)
    values, vectors = top_eigen(reduced, k)
    return vectors * np.sqrt(np.maximum(values, 0.0))


def minres(r: np.ndarray, nfactors: int) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-residual (ULS) factor extraction of a correlation matrix, as ``psych::fa(fm="minres")``.

    Minimises  f(psi) = sum_{i<j} (r_ij - (L L')_ij)^2  over the uniquenesses psi in [.005, 1]
    (L-BFGS-B from psi = 1 - smc, with psych's gradient diag(L L' + diag(psi) - R)), then returns the
    unrotated loadings L (p x k) and psi.

    Reference: Harman, H. H. & Jones, W. H. (1966). Factor analysis by minimizing residuals
    (minres). Psychometrika, 31, 351-368. Revelle, W. psych::fa.
    """
    r = np.asarray(r, dtype=float)
    p = r.shape[0]
    lower = np.tril_indices(p, -1)
    upper_bound = max(1.0, float(np.max(smc(r))))

    diag_r = np.diag(r)

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        # psych's fit.residuals puts 1 - psi on the diagonal, FAgr.minres diag(R) - psi: the same
        # matrix for a correlation matrix
        s = r.copy()
        s[np.diag_indices(p)] = diag_r - psi
        values, vectors = top_eigen(s, nfactors)
        load = vectors * np.sqrt(np.maximum(values, 100 * np.finfo(float).eps))
        model = load @ load.T
        resid = (s - model)[lower]
        grad = np.diag(model) + psi - diag_r  # psych's FAgr.minres
        return float(np.sum(resid**2)), grad

    start = 1.0 - smc(r)
    start = np.clip(start, 0.005, upper_bound)
    res = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.005, upper_bound)] * p,
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 2000},
    )
    psi = res.x
    return _minres_loadings(psi, r, nfactors), psi


def _ml(r: np.ndarray, nfactors: int, n_obs: int) -> np.ndarray:
    """ML extraction with statsmodels; loadings in psych's canonical (FAout) orientation."""
    from statsmodels.multivariate.factor import Factor

    model = Factor(corr=r, n_factor=nfactors, method="ml", nobs=n_obs)
    fitted = model.fit(maxiter=1000, tol=1e-10, rng=np.random.default_rng(0))
    psi = np.clip(np.asarray(fitted.uniqueness, dtype=float), 0.005, None)
    scale = 1.0 / np.sqrt(psi)
    values, vectors = top_eigen(r * np.outer(scale, scale), nfactors)
    return (np.sqrt(psi)[:, None] * vectors) * np.sqrt(np.maximum(values - 1.0, 0.0))


def _pa(r: np.ndarray, nfactors: int, min_err: float = 0.001, max_iter: int = 50) -> np.ndarray:
    """Iterated principal axes, stopping as psych::fa(fm = "pa") does.

    psych stops when |sum h2_new - sum h2_old| < min_err (.001) or after 50 iterations; statsmodels'
    ``Factor(method="pa")`` uses a different stopping rule (norm of the change < tol), which moves
    the third decimal on bfi, so the loop is written out here.
    """
    m = r.copy()
    np.fill_diagonal(m, smc(r))
    comm = float(np.trace(m))
    load = np.zeros((r.shape[0], nfactors))
    for _ in range(max_iter):
        values, vectors = top_eigen(m, nfactors)
        load = vectors * np.sqrt(values)
        new = np.sum(load**2, axis=1)
        comm1 = float(np.sum(new))
        np.fill_diagonal(m, new)
        err = abs(comm - comm1)
        comm = comm1
        if not math.isfinite(err):
            raise StatsInputError("efa(method='pa'): a negative eigenvalue appeared; try method='minres'")
        if err <= min_err:
            break
    return load


# ----------------------------------------------------------------------------- rotation
def _rotate(load: np.ndarray, rotation: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate loadings: (rotated, Phi), Phi None for orthogonal rotations (and for one factor)."""
    from statsmodels.multivariate.factor_rotation import procrustes

    k = load.shape[1]
    if rotation == "none" or k < 2:
        return load, None
    if rotation == "oblimin":
        return oblimin(load)
    if rotation == "varimax":  # Kaiser-normalised, R's stats::varimax(normalize = TRUE)
        return varimax(load)[0], None
    if rotation == "promax":
        # psych::kaiser(L, rotate = "Promax"): rows normalised, psych::Promax(m = 4), rows restored
        h = np.sqrt(np.sum(load**2, axis=1))
        v, t_var = varimax(load / h[:, None])
        q = v * np.abs(v) ** 3
        u = procrustes(v, q)  # (V'V)^-1 V'Q, R's lm.fit(V, Q)
        d = np.diag(np.linalg.inv(u.T @ u))
        u = u @ np.diag(np.sqrt(d))
        z = v @ u
        ui = np.linalg.inv(t_var @ u)
        return z * h[:, None], ui @ ui.T
    raise StatsInputError(f"efa: rotation must be 'oblimin', 'varimax', 'promax' or None, got {rotation!r}")


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class EFAResult(Result):
    """Result of :func:`efa` (the numbers of ``psych::fa``).

    Attributes
    ----------
    loadings : DataFrame, items x factors: the (pattern) loadings after rotation.
    communalities : Series h2 = diag(L Phi L') (row sums of squared loadings when orthogonal).
    uniquenesses : Series u2 = 1 - h2.
    complexity : Series com = (sum_f l_if^2)^2 / sum_f l_if^4 (Hofmann 1978).
    variance : DataFrame: SS loadings (diag(Phi L'L) when oblique), Proportion Var, Cumulative Var,
        Proportion Explained, Cumulative Proportion (factors as columns).
    phi : DataFrame of factor correlations (oblique rotations) or None.
    structure : DataFrame L Phi (= loadings when orthogonal).
    eigenvalues : eigenvalues of R (``e.values``); common_eigenvalues: of R with h2 on its diagonal.
    """

    loadings: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    complexity: pd.Series
    variance: pd.DataFrame
    phi: pd.DataFrame | None
    structure: pd.DataFrame
    eigenvalues: np.ndarray
    common_eigenvalues: np.ndarray
    nfactors: int
    rotation: str
    method: str
    n: int
    rmsr: float = field(default=float("nan"))

    def to_frame(self) -> pd.DataFrame:
        """Loadings with h2, u2 and com columns (psych's printed table, unrounded)."""
        out = self.loadings.copy()
        out["h2"] = self.communalities
        out["u2"] = self.uniquenesses
        out["com"] = self.complexity
        return out

    def summary(self, digits: int = 2) -> str:
        """Printed like ``print(psych::fa(...))`` (loadings, variance accounted for, factor correlations)."""
        lines = [
            f"Factor Analysis using method =  {self.method}",
            f"Call: efa(items, nfactors = {self.nfactors}, rotation = {self.rotation!r}, method = {self.method!r})",
            "Standardized loadings (pattern matrix) based upon correlation matrix",
        ]
        table = self.loadings.round(digits) + 0.0
        table["h2"] = self.communalities.round(digits) + 0.0
        table["u2"] = self.uniquenesses.round(digits) + 0.0
        table["com"] = self.complexity.round(1) + 0.0
        lines.append(format_frame(table, digits))
        lines.append("")
        lines.append(format_frame(self.variance.round(digits) + 0.0, digits))
        if self.phi is not None:
            lines += ["", " With factor correlations of ", format_frame(self.phi.round(digits) + 0.0, digits)]
        lines += [
            "",
            f"Mean item complexity =  {fmt_number(float(self.complexity.mean()), 1)}",
            f"The root mean square of the residuals (RMSR) is  {fmt_number(self.rmsr, 2)} ",
            f"The number of observations was  {self.n} ",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()


def efa(
    data: pd.DataFrame, *, nfactors: int = 1, rotation: Rotation | None = "oblimin", method: Method = "minres"
) -> EFAResult:
    """Exploratory factor analysis of a wide item table, as ``psych::fa``.

    Parameters
    ----------
    data : DataFrame, one row per respondent, one numeric column per item (NaN allowed:
        correlations use pairwise-complete observations, as psych's default ``use = "pairwise"``).
    nfactors : number of factors k (1 <= k < number of items).
    rotation : "oblimin" (psych's default), "varimax", "promax" or None/"none".
    method : "minres" (psych's default), "ml" or "pa".

    Conventions (psych::fa): factors are named MR1.. / ML1.. / PA1.. in the order the rotation
    returns them, each column's sign is flipped so its loadings sum to a positive number, and the
    columns are sorted by decreasing variance accounted for (diag(Phi L'L) for oblique solutions).

    Formulae: h2_i = (L Phi L')_ii, u2_i = 1 - h2_i, com_i = (sum_f l_if^2)^2 / sum_f l_if^4;
    Proportion Var = SS loadings / number of items; Proportion Explained = SS / sum(SS).

    References: Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality
    Research (``fa``); Harman & Jones (1966) minres; Jennrich (2002) GPA oblimin; Kaiser (1958)
    varimax; Hendrickson & White (1964) promax; Hofmann (1978) complexity.

    Example
    -------
    >>> import pandas as pd, psychometry.stats as st
    >>> bfi = pd.read_csv("tests/data/psych_bfi.csv").iloc[:, :25]
    >>> res = st.efa(bfi, nfactors=5)                     # psych::fa(bfi[1:25], 5)
    >>> round(float(res.variance.loc["SS loadings", "MR2"]), 2)
    2.57
    """
    rotation_name = "none" if rotation is None else str(rotation)
    if rotation_name not in ("oblimin", "varimax", "promax", "none"):
        raise StatsInputError(
            f"efa: rotation must be 'oblimin', 'varimax', 'promax' or None, got {rotation!r}"
        )
    if method not in _PREFIX:
        raise StatsInputError(f"efa: method must be 'minres', 'ml' or 'pa', got {method!r}")
    x = _numeric_items(data, "efa: data", min_columns=3)
    p = x.shape[1]
    if isinstance(nfactors, bool) or not isinstance(nfactors, (int, np.integer)) or not 1 <= nfactors < p:
        raise StatsInputError(
            f"efa: nfactors must be an integer from 1 to {p - 1} (number of items - 1), got {nfactors!r}"
        )
    nfactors = int(nfactors)
    r = _correlation(x, "efa: data")
    n_obs = int(len(x))

    if method == "minres":
        load, _ = minres(r, nfactors)
    elif method == "ml":
        load = _ml(r, nfactors, n_obs)
    else:
        load = _pa(r, nfactors)

    # psych: flip unrotated columns to positive sums, then rotate
    signs = np.sign(load.sum(axis=0))
    signs[signs == 0] = 1
    load = load * signs
    load[load == 0] = 1e-15
    model = load @ load.T
    h2 = np.diag(model).copy()
    reduced = r.copy()
    np.fill_diagonal(reduced, h2)
    common_values = np.sort(np.linalg.eigvalsh(reduced))[::-1]
    eigenvalues = np.sort(np.linalg.eigvalsh(r))[::-1]

    rotated, phi = _rotate(load, rotation_name if nfactors > 1 else "none")
    signs = np.sign(rotated.sum(axis=0))
    signs[signs == 0] = 1
    rotated = rotated * signs
    if phi is not None:
        phi = phi * np.outer(signs, signs)
    names = [f"{_PREFIX[method]}{j + 1}" for j in range(nfactors)]
    if nfactors > 1:
        ss = np.diag(phi @ rotated.T @ rotated) if phi is not None else np.sum(rotated**2, axis=0)
        order = np.argsort(-ss, kind="stable")
        rotated = rotated[:, order]
        names = [names[j] for j in order]
        if phi is not None:
            phi = phi[np.ix_(order, order)]
    index = [str(c) for c in x.columns]
    loadings = pd.DataFrame(rotated, index=index, columns=names)
    phi_df = None if phi is None else pd.DataFrame(phi, index=names, columns=names)
    structure = loadings if phi is None else pd.DataFrame(rotated @ phi, index=index, columns=names)
    complexity = (np.sum(rotated**2, axis=1) ** 2) / np.sum(rotated**4, axis=1)

    ss = np.diag(phi @ rotated.T @ rotated) if phi is not None else np.sum(rotated**2, axis=0)
    vtotal = float(p)  # sum(h2 + u2) of a correlation matrix
    rows = {"SS loadings": ss, "Proportion Var": ss / vtotal}
    if nfactors > 1:
        rows["Cumulative Var"] = np.cumsum(ss / vtotal)
        rows["Proportion Explained"] = ss / ss.sum()
        rows["Cumulative Proportion"] = np.cumsum(ss / ss.sum())
    variance = pd.DataFrame(rows, index=names).T

    resid = r - model
    lower = np.tril_indices(p, -1)
    rmsr = float(np.sqrt(np.mean(resid[lower] ** 2)))
    return EFAResult(
        loadings=loadings,
        communalities=pd.Series(h2, index=index, name="h2"),
        uniquenesses=pd.Series(1.0 - h2, index=index, name="u2"),
        complexity=pd.Series(complexity, index=index, name="com"),
        variance=variance,
        phi=phi_df,
        structure=structure,
        eigenvalues=eigenvalues,
        common_eigenvalues=common_values,
        nfactors=nfactors,
        rotation=rotation_name,
        method=method,
        n=n_obs,
        rmsr=rmsr,
    )


# ----------------------------------------------------------------------------- parallel analysis
def _fa_values(r: np.ndarray) -> np.ndarray:
    """Eigenvalues of R with the one-factor minres communalities on the diagonal (psych's fa values)."""
    load, _ = minres(r, 1)
    reduced = r.copy()
    np.fill_diagonal(reduced, np.sum(load**2, axis=1))
    return np.sort(np.linalg.eigvalsh(reduced))[::-1]


def _leading_above(observed: np.ndarray, threshold: np.ndarray) -> int:
    """Number of leading observed eigenvalues above the threshold (psych: which(!(obs > sim))[1] - 1)."""
    above = observed > threshold
    return int(np.argmin(above)) if not above.all() else int(len(above))


@dataclass(frozen=True, eq=False)
class ParallelAnalysisResult(Result):
    """Result of :func:`parallel_analysis` (``psych::fa.parallel``).

    Attributes: ``nfactors`` and ``ncomponents`` (suggested numbers), and ``table`` with, per
    position, the observed PC and FA eigenvalues and the mean and ``quantile`` of the simulated ones.
    """

    nfactors: int
    ncomponents: int
    table: pd.DataFrame
    n_iter: int
    quantile: float
    n: int
    seed: int | None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self, digits: int = 2) -> str:
        head = self.table.iloc[: max(self.nfactors, self.ncomponents) + 2]
        return "\n".join(
            [
                f"Parallel analysis suggests that the number of factors =  {self.nfactors}  "
                f"and the number of components =  {self.ncomponents} ",
                "",
                f"Eigenvalues (observed, and mean / {self.quantile:g} quantile of {self.n_iter} random normal "
                f"data sets of {self.n} x {len(self.table)}):",
                format_frame(head.round(digits) + 0.0, digits),
            ]
        )


def parallel_analysis(
    data: pd.DataFrame, *, n_iter: int = 20, seed: int | None = None, quantile: float = 0.95
) -> ParallelAnalysisResult:
    """Horn's parallel analysis, as ``psych::fa.parallel(x, fa = "both")`` with simulated data.

    For each of ``n_iter`` data sets of independent standard normal variables (same n and p as
    ``data``, a wide item table) the eigenvalues of the correlation matrix (PC) and of the correlation matrix with
    one-factor minres communalities on its diagonal (FA, psych's default ``SMC = FALSE``) are found.
    The suggested number of components (factors) is the number of leading observed PC (FA)
    eigenvalues larger than the ``quantile`` (default .95, psych's ``quant``) of the simulated
    ones at the same position. psych also resamples the observed data; that curve is not computed
    here (psych's printed suggestion uses the simulated one).

    Random data: results vary with ``seed``; R's and numpy's generators differ, so compare the
    suggested counts (and the simulated means to about .01), not exact numbers.

    References: Horn, J. L. (1965). A rationale and test for the number of factors in factor
    analysis. Psychometrika, 30, 179-185. Revelle, W. psych::fa.parallel.

    Example
    -------
    >>> import pandas as pd, psychometry.stats as st
    >>> hs = pd.read_csv("tests/data/holzinger_swineford_1939.csv")
    >>> res = st.parallel_analysis(hs[[f"x{i}" for i in range(1, 10)]], seed=1)
    >>> res.nfactors, res.ncomponents, round(float(res.table.loc[1, "pc_observed"]), 2)
    (3, 3, 3.22)
    """
    x = _numeric_items(data, "parallel_analysis: data", min_columns=3)
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise StatsInputError(f"parallel_analysis: n_iter must be a positive integer, got {n_iter!r}")
    if not 0 < quantile < 1:
        raise StatsInputError(f"parallel_analysis: quantile must be in (0, 1), got {quantile!r}")
    r = _correlation(x, "parallel_analysis: data")
    n, p = x.shape
    pc_obs = np.sort(np.linalg.eigvalsh(r))[::-1]
    fa_obs = _fa_values(r)
    rng = np.random.default_rng(seed)
    pc_sim = np.empty((n_iter, p))
    fa_sim = np.empty((n_iter, p))
    for i in range(n_iter):
        sim = np.asarray(np.corrcoef(rng.standard_normal((n, p)), rowvar=False))
        pc_sim[i] = np.sort(np.linalg.eigvalsh(sim))[::-1]
        fa_sim[i] = _fa_values(sim)
    pc_q = np.quantile(pc_sim, quantile, axis=0)  # R's quantile type 7 = numpy's "linear"
    fa_q = np.quantile(fa_sim, quantile, axis=0)
    table = pd.DataFrame(
        {
            "pc_observed": pc_obs,
            "pc_sim_mean": pc_sim.mean(axis=0),
            "pc_sim_quantile": pc_q,
            "fa_observed": fa_obs,
            "fa_sim_mean": fa_sim.mean(axis=0),
            "fa_sim_quantile": fa_q,
        },
        index=pd.RangeIndex(1, p + 1, name="position"),
    )
    return ParallelAnalysisResult(
        nfactors=_leading_above(fa_obs, fa_q),
        ncomponents=_leading_above(pc_obs, pc_q),
        table=table,
        n_iter=int(n_iter),
        quantile=float(quantile),
        n=int(n),
        seed=seed,
    )
