"""lavaan's parameter table (``parameterEstimates()``), one row builder for every CFA estimator.

Rows come in lavaan's order: loadings (``=~``), thresholds (``|``, ordinal fits), residual variances,
factor variances, factor covariances (``~~``), then what the caller appends (scale factors ``~*~``,
intercepts and latent means ``~1``). Columns: lhs, op, rhs, [group], estimate, se, statistic (z), p,
[std_lv, std_all]; z = estimate / se and p = 2 P(Z > |z|) for a free parameter (se > 0), NaN otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["LAVAAN_COLUMNS", "Standardised", "measurement_rows", "param_row"]


def param_row(
    lhs: str,
    op: str,
    rhs: str,
    est: float,
    se: float,
    *,
    group: int | None = None,
    std: tuple[float, float] | None = None,
) -> dict[str, object]:
    """One row of the parameter table; ``group`` is 0-based (stored 1-based, as lavaan), ``std`` the
    (std_lv, std_all) pair of a single-group fit."""
    z = est / se if se > 0 else float("nan")
    row: dict[str, object] = {"lhs": lhs, "op": op, "rhs": rhs}
    if group is not None:
        row["group"] = group + 1
    row["estimate"] = float(est)
    row["se"] = float(se)
    row["statistic"] = float(z)
    row["p"] = float(2 * stats.norm.sf(abs(z))) if se > 0 else float("nan")
    if std is not None:
        row["std_lv"] = float(std[0])
        row["std_all"] = float(std[1])
    return row


@dataclass(frozen=True)
class Standardised:
    """What the standardised columns of a single-group fit need: the factors' standard deviations
    (NaN for a negative variance), the items' implied standard deviations (``None`` in the delta
    parameterisation, where the latent responses have unit variance) and the residual variances'
    std_all."""

    sd_lv: np.ndarray
    sd_ov: np.ndarray | None
    resid_all: np.ndarray


def measurement_rows(
    spec: Mapping[str, Sequence[str]],
    items: Sequence[str],
    lam: np.ndarray,
    lam_se: Mapping[tuple[int, int], float],
    fixed_se: float,
    resid: np.ndarray,
    resid_se: Sequence[float] | np.ndarray,
    phi: np.ndarray,
    phi_pos: Sequence[tuple[int, int]],
    phi_se: Sequence[float] | np.ndarray,
    *,
    group: int | None = None,
    thresholds: Sequence[dict[str, object]] = (),
    std: Standardised | None = None,
) -> list[dict[str, object]]:
    """The rows of the measurement model in lavaan's order.

    ``lam_se`` maps (item, factor) of each free loading to its se (fixed loadings get ``fixed_se``);
    ``resid`` / ``resid_se`` are the residual variances and their se per item; ``phi_pos`` lists the
    factor (co)variances (j, l) in the order of ``phi_se``; ``thresholds`` are rows placed after the
    loadings. With ``std`` the rows carry std_lv and std_all (lavaan's ``standardized = TRUE``): a
    factor variance is 1 (NaN when negative), a covariance phi_jl / sqrt(|phi_jj phi_ll|).
    """
    idx = {name: k for k, name in enumerate(items)}
    factors = list(spec)
    rows: list[dict[str, object]] = []
    for j, f in enumerate(factors):
        for name in spec[f]:
            i = idx[name]
            est = lam[i, j]
            se = lam_se.get((i, j), fixed_se)
            pair = None
            if std is not None:
                lv = est * std.sd_lv[j]
                pair = (lv, lv if std.sd_ov is None else lv / std.sd_ov[i])
            rows.append(param_row(f, "=~", name, est, se, group=group, std=pair))
    rows.extend(thresholds)
    for i, name in enumerate(items):
        pair = None if std is None else (resid[i], std.resid_all[i])
        rows.append(param_row(name, "~~", name, resid[i], resid_se[i], group=group, std=pair))
    for k, (j, l) in enumerate(phi_pos):
        if j == l:
            one = 1.0 if phi[j, j] > 0 else float("nan")  # lavaan: NA for a negative variance
            pair = None if std is None else (one, one)
            rows.append(param_row(factors[j], "~~", factors[j], phi[j, j], phi_se[k], group=group, std=pair))
    for k, (j, l) in enumerate(phi_pos):
        if j != l:
            pair = None
            if std is not None:
                # lavaan's standardised covariance, also with a negative variance
                prod = abs(phi[j, j] * phi[l, l])
                r = phi[j, l] / math.sqrt(prod) if prod > 0 else float("nan")
                pair = (r, r)
            rows.append(param_row(factors[j], "~~", factors[l], phi[j, l], phi_se[k], group=group, std=pair))
    return rows


#: lavaan's ``parameterEstimates()`` column names -> the ``to_frame()`` vocabulary of docs/api.md
LAVAAN_COLUMNS = {"est": "estimate", "z": "statistic", "pvalue": "p"}
