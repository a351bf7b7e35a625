"""Start values of a CFA in the marker parameterisation: lavaan's own (:func:`lavaan_start`) and the
least-squares start of :func:`start_values` (FABIN3 loadings, Hagglund 1982)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .model import Structure

__all__ = ["fabin3", "lavaan_start", "start_values"]


def fabin3(s: np.ndarray, ind: Sequence[int], others: Sequence[int]) -> np.ndarray:
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


def start_values(
    st: Structure, s: np.ndarray, spec: Mapping[str, Sequence[str]], items: Sequence[str], how: str
) -> np.ndarray:
    """Starting values, as lavaan's ``start = "default"`` (or ``"simple"``).

    * residual variances: half the observed variances, theta_ii = s_ii / 2 (lavaan's rule);
    * loadings: FABIN3 per factor (:func:`fabin3`; lavaan's default), marker 1;
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
        lam[ind, j] = fabin3(s, ind, others)
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


def lavaan_start(
    st: Structure, s: np.ndarray, spec: Mapping[str, Sequence[str]], items: Sequence[str]
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
