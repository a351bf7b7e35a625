"""Numeric helpers shared by the reliability and factor-analysis modules (one implementation each).

- :func:`numeric_items`: a wide item table checked and returned as float columns;
- :func:`smc`, :func:`cov2cor`, :func:`lower_triangle`, :func:`top_eigen`: matrix helpers as psych
  computes them;
- :func:`varimax` (Kaiser-normalised, as ``stats::varimax``) and :func:`oblimin` (gamma = 0, as
  ``GPArotation::oblimin(normalize = FALSE)``), both with
  :func:`statsmodels.multivariate.factor_rotation.rotate_factors`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from psychometry.errors import StatsInputError

__all__ = ["cov2cor", "lower_triangle", "numeric_items", "oblimin", "smc", "top_eigen", "varimax"]


def numeric_items(
    items: object,
    what: str = "items",
    *,
    min_columns: int = 2,
    arrays: bool = True,
    error: type[StatsInputError] = StatsInputError,
) -> pd.DataFrame:
    """Check a wide item table (one row per respondent, one column per item) and return it as float
    columns (NaN = missing), with at least ``min_columns`` columns and 2 rows.

    Numeric strings are converted; any other value is an error naming the item and the row. A numpy
    array is accepted when ``arrays`` is true (columns named V1, V2, ... as R's ``data.frame``).
    Errors are raised as ``error`` (a :class:`~psychometry.errors.StatsInputError`).

    >>> numeric_items(pd.DataFrame({"a": [1, 2], "b": ["3", "4"]})).dtypes.tolist()
    [dtype('float64'), dtype('float64')]
    """
    if arrays and isinstance(items, np.ndarray) and items.ndim == 2:
        items = pd.DataFrame(items, columns=[f"V{i + 1}" for i in range(items.shape[1])])
    if not isinstance(items, pd.DataFrame):
        raise error(
            f"{what}: expected a pandas DataFrame (one row per respondent, one column "
            f"per item), got {type(items).__name__}"
        )
    if items.shape[1] < min_columns:
        raise error(f"{what}: need at least {min_columns} item columns, got {items.shape[1]}")
    if items.columns.duplicated().any():
        dup = [str(c) for c in items.columns[items.columns.duplicated()]]
        raise error(f"{what}: duplicated item column(s) {', '.join(dup)}")
    out = {}
    for col in items.columns:
        s = items[col]
        if s.dtype == bool or not (pd.api.types.is_numeric_dtype(s) or s.isna().all()):
            conv = pd.to_numeric(s, errors="coerce")
            bad = s[conv.isna() & s.notna()]
            if len(bad):
                raise error(
                    f"{what}: item '{col}' has non-numeric value {bad.iloc[0]!r} (row {bad.index[0]!r})"
                )
            s = conv
        out[str(col)] = s.astype(float)
    df = pd.DataFrame(out, index=items.index)
    if len(df) < 2:
        raise error(f"{what}: need at least 2 respondents (rows), got {len(df)}")
    return df


def smc(R: np.ndarray) -> np.ndarray:
    """Squared multiple correlations 1 - 1/diag(R^+) (pseudo-inverse; clipped to [0, 1] as
    ``psych::smc``).

    >>> smc(np.array([[1.0, 0.5], [0.5, 1.0]])).round(2).tolist()
    [0.25, 0.25]
    """
    inv = np.linalg.pinv(R)
    with np.errstate(divide="ignore"):
        out = 1 - 1 / np.diag(inv)
    return np.clip(out, 0, 1)


def cov2cor(C: np.ndarray) -> np.ndarray:
    """A covariance matrix scaled to a correlation matrix (R's ``cov2cor``)."""
    d = np.sqrt(np.diag(C))
    return C / np.outer(d, d)


def lower_triangle(R: np.ndarray) -> np.ndarray:
    """The entries below the diagonal (R's ``R[lower.tri(R)]``, by rows here)."""
    return R[np.tril_indices_from(R, -1)]


def top_eigen(m: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenvalues (descending) and their eigenvectors of a symmetric matrix."""
    values, vectors = np.linalg.eigh(m)
    order = np.argsort(values)[::-1][:k]
    return values[order], vectors[:, order]


def varimax(L: np.ndarray, *, tol: float = 1e-7, max_tries: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Varimax with Kaiser row normalisation (R's ``stats::varimax(normalize = TRUE)``; Kaiser 1958),
    rotated to convergence. Returns the rotated loadings and the rotation matrix T
    (rotated = (L / h) T h, h the row norms).

    >>> L = np.array([[0.8, 0.3], [0.7, 0.4], [0.3, 0.8], [0.2, 0.7]])
    >>> rot, T = varimax(L)
    >>> bool(np.allclose(rot @ rot.T, L @ L.T))  # an orthogonal rotation keeps the communalities
    True
    """
    from statsmodels.multivariate.factor_rotation import rotate_factors

    h = np.sqrt(np.sum(L**2, axis=1))
    rotated, T = rotate_factors(L / h[:, None], "varimax", tol=tol, max_tries=max_tries)
    return rotated * h[:, None], T


def oblimin(L: np.ndarray, *, tol: float = 1e-5, max_tries: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Oblimin with gamma = 0 (quartimin; GPA, Jennrich 2002), as ``GPArotation::oblimin`` with
    ``normalize = FALSE``. statsmodels returns the pattern P = L (T')^-1 with factor correlations
    Phi = T'T, GPArotation's convention. Returns (P, Phi).
    """
    from statsmodels.multivariate.factor_rotation import rotate_factors

    P, T = rotate_factors(L, "oblimin", 0.0, "oblique", tol=tol, max_tries=max_tries)
    return P, T.T @ T
