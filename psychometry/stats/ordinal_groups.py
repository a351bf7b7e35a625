"""Multi-group ordinal CFA (WLSMV) and its invariance tests, as ``lavaan::cfa(model, data, group = g,
ordered = TRUE, group.equal = ...)`` and ``lavTestLRT`` (Satorra 2000 scaled-shifted difference).

Per group g (delta parameterisation, lavaan's multi-group rules): sample statistics s_g (thresholds,
polychoric correlations) and Gamma_g from the group's complete rows (:func:`ordinal_sample_stats`);
model thresholds tau*_g = delta_g (tau_g - Lambda alpha_g) and correlations
rho*_g,ij = delta_gi delta_gj (Lambda Phi_g Lambda')_ij, with marker loadings 1, Phi_g free, and

* configural: everything free per group, scale factors delta_g = 1, latent means alpha_g = 0;
* metric (``"loadings"``): Lambda equal across groups;
* scalar (``"loadings", "thresholds"``): Lambda and tau equal; delta_g and alpha_g free in groups 2..G.

Estimation: DWLS, W_g = diag(Gamma_g)^-1 (Levenberg-Marquardt; Jacobian by central differences, exact
for these polynomial moments).
chisq = sum_g (n_g - 1) (s_g - sigma_g)' W_g (s_g - sigma_g) (lavaan's per-group N - 1; the estimates
minimise it, i.e. group weights (n_g - 1) / (N - G)). Robust SEs: E^-1 (sum_g f_g D_g' W_g Gamma_g W_g D_g)
E^-1 / (N - G) with E = sum_g f_g D_g' W_g D_g, f_g = n_g / N (D_g = d sigma_g / d theta').
RMSEA = sqrt(max(chisq - df, 0) / ((N - G) df)) sqrt(G); SRMR = sum_g f_g SRMR_g. Scaled-shifted statistic: U = V - V D E^-1 D' V,
V = blockdiag(f_g W_g), Gamma_all = blockdiag(Gamma_g / f_g) (lavaan's
``lav_test_satorra_bentler_trace_original``). Baseline: all correlations 0 in every group. RMSEA with
sqrt(G) as above. Difference test between nested levels (lavaan's ``lav_test_diff_Satorra2000``, A by the
"delta" method): A spans the orthogonal complement of ginv(D_1) D_0 (D_1 the less restricted model),
P = E_1, PAAPAAP = P^-1 A' (A P^-1 A')^-1 A P^-1, tr(UG) = sum_g f_g tr(W_g Gamma_g W_g D_1g PAAPAAP D_1g'),
tr((UG)^2) with blockdiag(W_g) and blockdiag(f_g Gamma_g); a = sqrt(m / tr((UG)^2)),
b = m - a tr(UG), T_diff = a (T_0 - T_1) + b on m = df_0 - df_1 degrees of freedom.

Reference: Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of moment
structures. In Heijmans, Pollock & Satorra (Eds.), Innovations in multivariate statistical analysis.
Asparouhov, T. & Muthen, B. (2010). Simple second order chi-square correction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from psychometry.errors import StatsInputError
from psychometry.stats._api import Result
from psychometry.stats.ordinal import ordinal_sample_stats
from psychometry.stats.sem.indices import cfi, rmsea, tli
from psychometry.stats.sem.model import model_items, parse_model, structure
from psychometry.stats.sem.params import measurement_rows, param_row
from psychometry.stats.sem.start import start_values

__all__ = ["ORDINAL_LEVELS", "MultiGroupWLSMVResult", "multigroup_wlsmv"]

ORDINAL_LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "thresholds"),
}


@dataclass
class _OSpec:
    items: list[str]
    factors: list[str]
    nth_i: list[int]
    lam_pos: list[tuple[int, int]]
    markers: list[tuple[int, int]]
    phi_pos: list[tuple[int, int]]
    idx_lam: np.ndarray
    idx_tau: np.ndarray
    idx_phi: np.ndarray
    idx_delta: np.ndarray  # -1 = fixed 1
    idx_al: np.ndarray  # -1 = fixed 0
    q: int


def _build(spec, items: list[str], nth_i: list[int], ngroups: int, equal: set[str]) -> _OSpec:
    idx = {name: k for k, name in enumerate(items)}
    factors = list(spec)
    m, p, nth = len(factors), len(items), int(sum(nth_i))
    lam_pos = [(idx[i], j) for j, f in enumerate(factors) for i in spec[f][1:]]
    markers = [(idx[spec[f][0]], j) for j, f in enumerate(factors)]
    phi_pos = [(j, j) for j in range(m)] + [(j, l) for j in range(m) for l in range(j + 1, m)]
    counter = [0]

    def take(n: int) -> np.ndarray:
        out = np.arange(counter[0], counter[0] + n)
        counter[0] += n
        return out

    idx_lam = np.empty((ngroups, len(lam_pos)), int)
    idx_tau = np.empty((ngroups, nth), int)
    idx_phi = np.empty((ngroups, len(phi_pos)), int)
    idx_delta = np.full((ngroups, p), -1, int)
    idx_al = np.full((ngroups, m), -1, int)
    th_equal = "thresholds" in equal
    for g in range(ngroups):
        idx_lam[g] = idx_lam[0] if ("loadings" in equal and g) else take(len(lam_pos))
        idx_tau[g] = idx_tau[0] if (th_equal and g) else take(nth)
        idx_phi[g] = take(len(phi_pos))
        if th_equal and g:
            idx_delta[g] = take(p)
            idx_al[g] = take(m)
    return _OSpec(
        items=items,
        factors=factors,
        nth_i=nth_i,
        lam_pos=lam_pos,
        markers=markers,
        phi_pos=phi_pos,
        idx_lam=idx_lam,
        idx_tau=idx_tau,
        idx_phi=idx_phi,
        idx_delta=idx_delta,
        idx_al=idx_al,
        q=counter[0],
    )


def _mats(sp: _OSpec, x: np.ndarray, g: int):
    p, m = len(sp.items), len(sp.factors)
    lam = np.zeros((p, m))
    for i, j in sp.markers:
        lam[i, j] = 1.0
    for k, (i, j) in enumerate(sp.lam_pos):
        lam[i, j] = x[sp.idx_lam[g, k]]
    phi = np.zeros((m, m))
    for k, (j, l) in enumerate(sp.phi_pos):
        phi[j, l] = phi[l, j] = x[sp.idx_phi[g, k]]
    tau = x[sp.idx_tau[g]]
    delta = np.where(sp.idx_delta[g] >= 0, x[np.maximum(sp.idx_delta[g], 0)], 1.0)
    al = np.where(sp.idx_al[g] >= 0, x[np.maximum(sp.idx_al[g], 0)], 0.0)
    return lam, phi, tau, delta, al


def _moments(sp: _OSpec, x: np.ndarray, g: int, pairs: np.ndarray) -> np.ndarray:
    lam, phi, tau, delta, al = _mats(sp, x, g)
    item_of_th = np.repeat(np.arange(len(sp.items)), sp.nth_i)
    th = delta[item_of_th] * (tau - (lam @ al)[item_of_th])
    sig = lam @ phi @ lam.T
    cor = delta[pairs[:, 0]] * delta[pairs[:, 1]] * sig[pairs[:, 0], pairs[:, 1]]
    return np.concatenate([th, cor])


def _jac(sp: _OSpec, x: np.ndarray, g: int, pairs: np.ndarray, h: float = 1e-5) -> np.ndarray:
    used = np.unique(
        np.concatenate(
            [
                sp.idx_lam[g],
                sp.idx_tau[g],
                sp.idx_phi[g],
                sp.idx_delta[g][sp.idx_delta[g] >= 0],
                sp.idx_al[g][sp.idx_al[g] >= 0],
            ]
        )
    )
    base = _moments(sp, x, g, pairs)
    out = np.zeros((len(base), sp.q))
    for k in used:
        e = np.zeros(sp.q)
        e[k] = h
        out[:, k] = (_moments(sp, x + e, g, pairs) - _moments(sp, x - e, g, pairs)) / (2 * h)
    return out


@dataclass(frozen=True, eq=False)
class MultiGroupWLSMVResult(Result):
    """Result of :func:`multigroup_wlsmv`: ``fit`` (lavaan names: chisq, chisq.scaled, cfi.scaled, ...),
    ``parameters`` (loadings, thresholds, factor (co)variances, scale factors, latent means per group;
    columns lhs, op, rhs, group, estimate, se, statistic = z, p), ``groups``, ``n`` (per group),
    ``group_equal``, ``converged``; and, for difference
    tests, the Jacobian ``delta`` (stacked over groups), ``weights`` W_g, ``gammas`` Gamma_g and the
    information ``info``."""

    fit: dict[str, float]
    parameters: pd.DataFrame
    model: dict[str, list[str]]
    groups: list[str]
    n: list[int]
    group_equal: tuple[str, ...]
    converged: bool
    iterations: int
    delta: np.ndarray
    weights: list[np.ndarray]
    gammas: list[np.ndarray]
    info: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (``parameters``): lhs, op, rhs, group, estimate, se, statistic, p."""
        return self.parameters.copy()

    def summary(self) -> str:
        """The groups, the constraints and lavaan's main (scaled) fit measures."""
        f = self.fit
        return (
            f"Multi-group ordinal CFA (WLSMV), groups {', '.join(self.groups)} (n = "
            f"{', '.join(map(str, self.n))}); equal: {', '.join(self.group_equal) or 'none (configural)'}\n"
            f"  chisq {f['chisq']:.3f} (scaled {f['chisq.scaled']:.3f}) df {int(f['df'])}  CFI.scaled "
            f"{f['cfi.scaled']:.3f}  RMSEA.scaled {f['rmsea.scaled']:.3f}  SRMR {f['srmr']:.3f}"
        )


def multigroup_wlsmv(
    data: pd.DataFrame,
    *,
    model: str | Mapping[str, Sequence[str]],
    group: str,
    group_equal: Sequence[str] = (),
) -> MultiGroupWLSMVResult:
    """``lavaan::cfa(model, data, group = group, ordered = TRUE, group.equal = group_equal)``; see the
    module docstring. ``group_equal`` may hold "loadings" and "thresholds".

    Formula: per group DWLS on (thresholds, polychoric correlations), chisq = sum_g (n_g - 1)
    (s_g - sigma_g)' W_g (s_g - sigma_g), W_g = diag(Gamma_g)^-1, with the scaled-shifted statistic
    and robust SEs of the module docstring.

    Reference: Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of
    moment structures. Rosseel, Y. (2012). lavaan.

    Example
    -------
    >>> rng = np.random.default_rng(2)
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> ystar = rng.normal(size=(500, 1)) * lam + rng.normal(size=(500, 4)) * np.sqrt(1 - lam**2)
    >>> items = pd.DataFrame(np.digitize(ystar, [-1, 0, 1]) + 1, columns=["x1", "x2", "x3", "x4"])
    >>> data = items.assign(g=["a", "b"] * 250)
    >>> res = multigroup_wlsmv(data, model="f =~ x1 + x2 + x3 + x4", group="g", group_equal=["loadings"])
    >>> res.groups, int(res.fit["df"]), round(res.fit["cfi.scaled"], 3)
    (['a', 'b'], 7, 1.0)
    """
    spec = parse_model(model)
    equal = set(group_equal)
    if equal - {"loadings", "thresholds"}:
        raise StatsInputError(
            f"multigroup_cfa(ordered): group_equal {sorted(equal - {'loadings', 'thresholds'})} "
            "not supported (loadings, thresholds)"
        )
    if group not in data.columns:
        raise StatsInputError(f"multigroup_cfa: group column {group!r} is not in data")
    items = model_items(spec, data, "multigroup_cfa")
    d = data[items + [group]].dropna()
    labels = list(pd.unique(d[group]))
    if len(labels) < 2:
        raise StatsInputError("multigroup_cfa: need at least two groups")
    vals = d[items].to_numpy(float)
    if np.any(vals != np.round(vals)):
        raise StatsInputError("multigroup_cfa(ordered): ordinal items must hold integer category values")
    cats = [np.unique(vals[:, i]) for i in range(len(items))]
    stats_g, ns = [], []
    for lab in labels:
        xg = d.loc[d[group] == lab, items]
        for i, name in enumerate(items):
            if not np.array_equal(np.unique(xg[name].to_numpy(float)), cats[i]):
                raise StatsInputError(
                    f"multigroup_cfa(ordered): item {name!r} does not use the same categories "
                    f"in group {lab!r} as overall (an empty category in one group)"
                )
        stats_g.append(ordinal_sample_stats(xg.astype(float)))
        ns.append(len(xg))
    ng, p, n = len(labels), len(items), sum(ns)
    fg = np.array(ns, float) / n
    nth_i = [len(t) for t in stats_g[0].thresholds]
    nth = int(sum(nth_i))
    pairs = stats_g[0].pairs
    sp = _build(spec, items, nth_i, ng, equal)
    svec = [st.s for st in stats_g]
    wts = [1.0 / np.diag(st.gamma) for st in stats_g]

    # start: per group the single-group start values on the polychoric matrix, thresholds from the sample
    x0 = np.zeros(sp.q)
    cnt = np.zeros(sp.q)
    for g, st in enumerate(stats_g):
        one = structure(spec, items)
        lam, phi, _ = one.unpack(start_values(one, st.rho, spec, items, "default"))
        vals0 = (
            [(sp.idx_lam[g, k], lam[i, j]) for k, (i, j) in enumerate(sp.lam_pos)]
            + [(sp.idx_phi[g, k], phi[j, l]) for k, (j, l) in enumerate(sp.phi_pos)]
            + [(sp.idx_tau[g, t], v) for t, v in enumerate(np.concatenate(st.thresholds))]
            + [(k, 1.0) for k in sp.idx_delta[g] if k >= 0]
        )
        for k, v in vals0:
            x0[k] += v
            cnt[k] += 1
    x0 = np.where(cnt > 0, x0 / np.maximum(cnt, 1), 0.0)
    # lavaan's categorical convention: group weights (n_g - 1) / (N - G), i.e. chisq = sum (n_g - 1) e'We
    cg = (np.array(ns, float) - 1.0) / (n - ng)
    sw = [np.sqrt(cg[g] * wts[g]) for g in range(ng)]

    def resid(x: np.ndarray) -> np.ndarray:
        return np.concatenate([sw[g] * (svec[g] - _moments(sp, x, g, pairs)) for g in range(ng)])

    def jac(x: np.ndarray) -> np.ndarray:
        return np.concatenate([-sw[g][:, None] * _jac(sp, x, g, pairs) for g in range(ng)])

    sol = optimize.least_squares(
        resid, x0, jac=jac, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=5000
    )
    x = sol.x
    dlist = [_jac(sp, x, g, pairs) for g in range(ng)]
    e = sum(fg[g] * dlist[g].T @ (wts[g][:, None] * dlist[g]) for g in range(ng))
    e_inv = np.linalg.inv(e)
    meat = sum(
        fg[g] * (wts[g][:, None] * dlist[g]).T @ stats_g[g].gamma @ (wts[g][:, None] * dlist[g])
        for g in range(ng)
    )
    vcov = e_inv @ meat @ e_inv / (n - ng)  # lavaan: f_g = n_g / N in E and the meat, N - G
    se = np.sqrt(np.maximum(np.diag(vcov), 0.0))

    res_g = [svec[g] - _moments(sp, x, g, pairs) for g in range(ng)]
    chisq = float(sum((ns[g] - 1) * np.sum(wts[g] * res_g[g] ** 2) for g in range(ng)))
    nstat = nth + len(pairs)
    df = ng * nstat - sp.q
    vall = np.zeros((ng * nstat, ng * nstat))
    gall = np.zeros_like(vall)
    for g in range(ng):
        sl = slice(g * nstat, (g + 1) * nstat)
        vall[sl, sl] = np.diag(fg[g] * wts[g])
        gall[sl, sl] = stats_g[g].gamma / fg[g]
    dall = np.concatenate(dlist)
    u = vall - vall @ dall @ e_inv @ dall.T @ vall
    ug = u @ gall
    tr_ug, tr_ug2 = float(np.trace(ug)), float(np.sum(ug * ug.T))
    a = math.sqrt(df / tr_ug2)
    b = df - a * tr_ug
    chisq_ss = a * chisq + b
    # baseline: correlations 0 in every group
    chisq_b = float(sum((ns[g] - 1) * np.sum(wts[g][nth:] * svec[g][nth:] ** 2) for g in range(ng)))
    df_b = ng * len(pairs)
    tr_b = float(sum(np.sum(wts[g][nth:] * np.diag(stats_g[g].gamma)[nth:]) for g in range(ng)))
    tr_b2 = 0.0
    for g in range(ng):
        gc = stats_g[g].gamma[nth:, nth:] * wts[g][nth:][:, None]
        tr_b2 += float(np.sum(gc * gc.T))
    a_b = math.sqrt(df_b / tr_b2)
    chisq_b_ss = a_b * chisq_b + df_b - a_b * tr_b

    def rmsea_groups(t: float) -> float:
        return math.sqrt(max(t / (n - ng) / df - 1.0 / (n - ng), 0.0)) * math.sqrt(ng) if df > 0 else 0.0

    srmr = 0.0
    for g in range(ng):
        rc = res_g[g][nth:]
        srmr += fg[g] * math.sqrt(np.sum(rc**2) / (p * (p + 1) / 2))
    fit = {
        "npar": float(sp.q),
        "fmin": chisq / (2 * n),
        "chisq": chisq,
        "df": float(df),
        "pvalue": float(stats.chi2.sf(chisq, df)),
        "chisq.scaled": chisq_ss,
        "df.scaled": float(df),
        "pvalue.scaled": float(stats.chi2.sf(chisq_ss, df)),
        "chisq.scaling.factor": 1.0 / a,
        "baseline.chisq": chisq_b,
        "baseline.df": float(df_b),
        "baseline.chisq.scaled": chisq_b_ss,
        "cfi": cfi(chisq, df, chisq_b, df_b),
        "tli": tli(chisq, df, chisq_b, df_b),
        "cfi.scaled": cfi(chisq_ss, df, chisq_b_ss, df_b),
        "tli.scaled": tli(chisq_ss, df, chisq_b_ss, df_b),
        "rmsea": rmsea_groups(chisq),
        "rmsea.scaled": rmsea_groups(chisq_ss),
        "srmr": srmr,
        "ntotal": float(n),
        "shift": b,
    }
    fit.update(
        _robust_catml_groups(sp, x, stats_g, ns, pairs, dlist, wts, e_inv, nth, df, "thresholds" in equal)
    )
    fit = {k: float(v) for k, v in fit.items()}

    rows: list[dict[str, object]] = []
    for g in range(ng):
        lam, phi, tau, delta, al = _mats(sp, x, g)
        th_rows = []
        t = 0
        for i, name in enumerate(items):
            for c in range(nth_i[i]):
                th_rows.append(param_row(name, "|", f"t{c + 1}", tau[t], se[sp.idx_tau[g, t]], group=g))
                t += 1
        sig = lam @ phi @ lam.T
        rows += measurement_rows(
            spec,
            items,
            lam,
            {pos: se[sp.idx_lam[g, k]] for k, pos in enumerate(sp.lam_pos)},
            0.0,
            1.0 / delta**2 - np.diag(sig),
            np.zeros(p),
            phi,
            sp.phi_pos,
            se[sp.idx_phi[g]],
            group=g,
            thresholds=th_rows,
        )
        for i, name in enumerate(items):
            k = sp.idx_delta[g, i]
            rows.append(param_row(name, "~*~", name, delta[i], se[k] if k >= 0 else 0.0, group=g))
        rows += [param_row(name, "~1", "", 0.0, 0.0, group=g) for name in items]
        for j, f in enumerate(spec):
            k = sp.idx_al[g, j]
            rows.append(param_row(f, "~1", "", al[j], se[k] if k >= 0 else 0.0, group=g))
    return MultiGroupWLSMVResult(
        fit=fit,
        parameters=pd.DataFrame(rows),
        model=spec,
        groups=[str(l) for l in labels],
        n=ns,
        group_equal=tuple(group_equal),
        converged=bool(sol.success),
        iterations=int(sol.nfev),
        delta=dall,
        weights=wts,
        gammas=[st.gamma for st in stats_g],
        info=e,
    )


def _robust_catml_groups(
    sp: _OSpec,
    x: np.ndarray,
    stats_g: list,
    ns: list[int],
    pairs: np.ndarray,
    dlist: list[np.ndarray],
    wts: list[np.ndarray],
    e_inv: np.ndarray,
    nth: int,
    df: int,
    thresholds_equal: bool,
) -> dict[str, float]:
    """lavaan's robust (catML) CFI / TLI / RMSEA for several groups (``lav_fit_catml_dwls``): as the
    single-group :func:`psychometry.stats.ordinal._robust_catml` with XX3 = sum_g n_g F_ML(R_g, Sigma_g),
    V = blockdiag(f_g V_g), W = blockdiag(f_g W_g), Gamma = blockdiag(Gamma_g / f_g) on the correlations,
    RMSEA with N - G and sqrt(G). lavaan returns NA once thresholds are constrained (its catML refit
    fails there): so do we."""
    keys = (
        "cfi.robust",
        "tli.robust",
        "nnfi.robust",
        "rmsea.robust",
        "rmsea.ci.lower.robust",
        "rmsea.ci.upper.robust",
        "rmsea.pvalue.robust",
        "rmsea.notclose.pvalue.robust",
    )
    out = {k: float("nan") for k in keys}
    ng = len(ns)
    n = sum(ns)
    fg = np.array(ns, float) / n
    p = len(sp.items)
    if thresholds_equal or df <= 0:
        return out
    xx3 = xx3_null = 0.0
    vs, ws, gs, ds = [], [], [], []
    i, j = pairs[:, 0], pairs[:, 1]
    for g in range(ng):
        r = stats_g[g].rho
        if np.linalg.eigvalsh(r)[0] < np.sqrt(np.finfo(float).eps):
            return out
        lam, phi, _, delta, _ = _mats(sp, x, g)
        sig = (lam @ phi @ lam.T) * np.outer(delta, delta)
        sigma = sig - np.diag(np.diag(sig)) + np.eye(p)
        sinv = np.linalg.inv(sigma)
        logdet_r = np.linalg.slogdet(r)[1]
        xx3 += ns[g] * (np.linalg.slogdet(sigma)[1] + float(np.sum(r * sinv)) - logdet_r - p)
        xx3_null += -ns[g] * logdet_r
        vs.append(fg[g] * (sinv[np.ix_(i, i)] * sinv[np.ix_(j, j)] + sinv[np.ix_(i, j)] * sinv[np.ix_(j, i)]))
        ws.append(fg[g] * wts[g][nth:])
        gs.append(stats_g[g].gamma[nth:, nth:] / fg[g])
        ds.append(dlist[g][nth:])
    k = len(pairs)
    vall = np.zeros((ng * k, ng * k))
    gall = np.zeros_like(vall)
    for g in range(ng):
        sl = slice(g * k, (g + 1) * k)
        vall[sl, sl] = vs[g]
        gall[sl, sl] = gs[g]
    dall = np.concatenate(ds)
    wall = np.concatenate(ws)
    wiu = np.eye(ng * k) - (dall @ e_inv @ dall.T) * wall[None, :]
    df_b = ng * k
    c3 = float(np.trace(wiu.T @ vall @ wiu @ gall)) / df
    c3_null = float(np.trace(gall)) / df_b
    t1 = max(xx3 - c3 * df, 0.0)
    t2 = max(xx3 - c3 * df, xx3_null - c3_null * df_b, 0.0)
    out["cfi.robust"] = 1.0 - t1 / t2 if t2 > 0 else 1.0
    out["tli.robust"] = out["nnfi.robust"] = 1.0 - ((xx3 - c3 * df) * df_b) / (
        (xx3_null - c3_null * df_b) * df
    )
    nn = n - ng
    out["rmsea.robust"] = math.sqrt(max(xx3 / nn / df - c3 / nn, 0.0)) * math.sqrt(ng)
    scaled = xx3 / c3
    ci = rmsea(scaled, df, nn)
    out["rmsea.ci.lower.robust"] = ci["rmsea.ci.lower"] * math.sqrt(c3 * ng)
    out["rmsea.ci.upper.robust"] = ci["rmsea.ci.upper"] * math.sqrt(c3 * ng)
    out["rmsea.pvalue.robust"] = float(stats.ncx2.sf(scaled, df, nn * df * 0.05**2 / c3 / ng))
    out["rmsea.notclose.pvalue.robust"] = float(stats.ncx2.cdf(scaled, df, nn * df * 0.08**2 / c3 / ng))
    return out


def satorra2000(less: MultiGroupWLSMVResult, more: MultiGroupWLSMVResult) -> dict[str, float]:
    """lavTestLRT's scaled-shifted difference test (``lav_test_diff_Satorra2000``, A by the "delta"
    method) of the more restricted model ``more`` against the less restricted ``less``."""
    m = int(more.fit["df"] - less.fit["df"])
    t_diff = more.fit["chisq"] - less.fit["chisq"]
    d1, d0 = less.delta, more.delta
    h = np.linalg.pinv(d1) @ d0
    # orthogonal complement of col(h) in R^q1
    uu, sv, _ = np.linalg.svd(h, full_matrices=True)
    rank = int(np.sum(sv > sv.max() * max(h.shape) * np.finfo(float).eps))
    a_mat = uu[:, rank:].T
    p_inv = np.linalg.inv(less.info)
    apa = a_mat @ p_inv @ a_mat.T
    paap = p_inv @ a_mat.T @ np.linalg.pinv(apa) @ a_mat @ p_inv
    ns = np.array(less.n, float)
    fg = ns / ns.sum()
    ng = len(ns)
    nstat = d1.shape[0] // ng
    tr = 0.0
    vall = np.zeros((d1.shape[0], d1.shape[0]))
    gall = np.zeros_like(vall)
    for g in range(ng):
        sl = slice(g * nstat, (g + 1) * nstat)
        pi_g = d1[sl]
        w = less.weights[g]
        tr += fg[g] * float(np.trace((w[:, None] * less.gammas[g] * w[None, :]) @ pi_g @ paap @ pi_g.T))
        vall[sl, sl] = np.diag(w)
        gall[sl, sl] = fg[g] * less.gammas[g]
    ug = vall @ d1 @ paap @ d1.T @ vall @ gall
    tr2 = float(np.trace(ug @ ug))
    a = math.sqrt(m / tr2)
    b = m - a * tr
    stat = t_diff * a + b
    return {"chisq_diff": stat, "df_diff": float(m), "p_diff": float(stats.chi2.sf(stat, m)), "a": a, "b": b}
