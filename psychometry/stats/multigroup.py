"""Multi-group CFA and measurement invariance (ML), as ``lavaan::cfa(model, data, group = g,
group.equal = ...)`` and ``lavTestLRT``.

Model per group g (lavaan's multi-group defaults, mean structure on): Sigma_g = Lambda_g Phi_g Lambda_g'
+ Theta_g, mu_g = nu_g + Lambda_g alpha_g; the first loading of each factor fixed to 1 in every
group; factor (co)variances and residual variances free per group; item intercepts nu_g free;
latent means alpha_g fixed to 0 -- except when the intercepts are equal across groups, where the
latent means are free in every group but the first (lavaan's rule). ``group_equal`` constrains
"loadings", "intercepts", "residuals" (and "lv.variances", "lv.covariances", "means") to be equal
across groups.

Estimation: maximum likelihood on each group's sample covariance matrix S_g (divisor n_g) and mean
vector m_g (listwise-complete rows),

    F = sum_g (n_g / N) [log|Sigma_g| + tr(S_g Sigma_g^-1) + (m_g - mu_g)' Sigma_g^-1 (m_g - mu_g) - log|S_g| - p],

by Fisher scoring with step halving (gradient and expected information from the Jacobian of
(vec Sigma_g, mu_g), which is computed by central differences: the moments are polynomials of degree
three in the parameters, so the differences are exact to rounding). SEs from the expected
information, Cov = I^-1 / N with I = sum_g (n_g/N) [1/2 J_S' (Sigma^-1 (x) Sigma^-1) J_S + J_m' Sigma^-1 J_m].

Fit (lavaan's definitions): chisq = N F, df = G (p(p+1)/2 + p) - npar; baseline: independence model per
group with free means, chisq_b = sum_g n_g (sum_i log s_gii - log|S_g|), df_b = G p(p-1)/2; CFI, TLI
as single-group; RMSEA = sqrt(max(chisq - df, 0) / (N df)) sqrt(G) with its CI and p value on the
same scale; SRMR per group over the p(p+1)/2 standardised covariance residuals and the p standardised
mean residuals (m_i - mu_i) / sqrt(s_ii), combined as sum_g (n_g / N) SRMR_g.

Invariance (:func:`invariance`): configural, metric (loadings), scalar (+ intercepts) and strict
(+ residual variances) models; each compared to the previous one by the chi-square difference test
(``lavTestLRT``: chisq_diff, df_diff, p) and by Delta CFI, Delta RMSEA and Delta SRMR with Chen's (2007)
cut-offs: invariance holds at a level when CFI drops by no more than .010 and RMSEA rises by no more
than .015 and SRMR rises by no more than .030 (metric) or .010 (scalar, strict).

Ordinal items (``ordered=True``): WLSMV multi-group CFA with lavaan's ordinal levels (configural;
metric = loadings; scalar = loadings + thresholds) and lavTestLRT's Satorra (2000) scaled-shifted
difference test; see :mod:`psychometry.stats.ordinal_groups`.

References: Joreskog, K. G. (1971). Simultaneous factor analysis in several populations.
Psychometrika, 36, 409-426. Meredith, W. (1993). Measurement invariance, factor analysis and
factorial invariance. Psychometrika, 58, 525-543. Chen, F. F. (2007). Sensitivity of goodness of fit
indexes to lack of measurement invariance. Structural Equation Modeling, 14, 464-504.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from psychometry.errors import StatsInputError
from psychometry.stats._api import Result
from psychometry.stats.ordinal_groups import (
    ORDINAL_LEVELS,
    MultiGroupWLSMVResult,
    multigroup_wlsmv,
    satorra2000,
)
from psychometry.stats.sem.indices import cfi, rmsea, tli
from psychometry.stats.sem.model import model_items, parse_model, structure
from psychometry.stats.sem.params import measurement_rows, param_row
from psychometry.stats.sem.start import lavaan_start

__all__ = ["InvarianceResult", "MultiGroupCFAResult", "invariance", "multigroup_cfa"]

LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
_EQUAL_OK = {"loadings", "intercepts", "residuals", "lv.variances", "lv.covariances", "means"}
#: Chen (2007): largest acceptable drop in CFI / rise in RMSEA / rise in SRMR at each level
CHEN_2007 = {
    "metric": (0.010, 0.015, 0.030),
    "scalar": (0.010, 0.015, 0.010),
    "strict": (0.010, 0.015, 0.010),
}


@dataclass(frozen=True, eq=False)
class MultiGroupCFAResult(Result):
    """Result of :func:`multigroup_cfa`: ``fit`` (lavaan's fit-measure names), ``parameters``
    (lhs, op, rhs, group, estimate, se, statistic = z, p; lavaan's row order per group), ``groups``
    (labels), ``n`` (per group), ``group_equal``, ``converged``, ``iterations``."""

    fit: dict[str, float]
    parameters: pd.DataFrame
    model: dict[str, list[str]]
    groups: list[str]
    n: list[int]
    group_equal: tuple[str, ...]
    converged: bool
    iterations: int

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (``parameters``): lhs, op, rhs, group, estimate, se, statistic, p."""
        return self.parameters.copy()

    def summary(self) -> str:
        """The groups, the constraints and lavaan's main fit measures."""
        f = self.fit
        lines = [
            f"Multi-group CFA (ML), groups {', '.join(self.groups)} (n = {', '.join(map(str, self.n))}); "
            f"equal: {', '.join(self.group_equal) or 'none (configural)'}",
            f"  chisq {f['chisq']:.3f}  df {int(f['df'])}  p {f['pvalue']:.3f}  CFI {f['cfi']:.3f}  "
            f"TLI {f['tli']:.3f}  RMSEA {f['rmsea']:.3f} [{f['rmsea.ci.lower']:.3f}, {f['rmsea.ci.upper']:.3f}]  "
            f"SRMR {f['srmr']:.3f}",
        ]
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class InvarianceResult(Result):
    """Result of :func:`invariance`: ``fits`` {level: MultiGroupCFAResult (MultiGroupWLSMVResult with
    ``ordered``)}; ``table`` (also ``to_frame()``) one row per level (index ``level``) with npar,
    chisq, df, p (the model's chi-square test), cfi, tli, rmsea, srmr, chisq_diff, df_diff, p_diff
    (lavTestLRT against the previous level), delta_cfi, delta_rmsea, delta_srmr and ``chen2007`` (True
    when the level holds by Chen's cut-offs)."""

    fits: dict[str, MultiGroupCFAResult | MultiGroupWLSMVResult]
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The table of levels (``table``)."""
        return self.table.copy()

    def summary(self) -> str:
        """The table of levels, printed with its heading (lavaan's ``pvalue`` for the p column)."""
        t = pd.DataFrame(self.table).rename(columns={"p": "pvalue"})
        ordered = "chisq_standard" in t.columns
        lines = [
            (
                "Measurement invariance (WLSMV; scaled-shifted fit; Satorra 2000 difference test as lavTestLRT; "
                "Chen 2007 cut-offs on the scaled CFI/RMSEA)"
            )
            if ordered
            else "Measurement invariance (ML; chi-square difference test as lavTestLRT; Chen 2007 cut-offs)",
            "",
        ]
        lines.append(t.round(4).to_string())
        return "\n".join(lines)


@dataclass
class _Spec:
    items: list[str]
    factors: list[str]
    lam_pos: list[tuple[int, int]]  # free loading positions (item, factor), same in every group
    markers: list[tuple[int, int]]
    phi_pos: list[tuple[int, int]]  # factor (co)variances (j <= l)
    idx_lam: np.ndarray  # (G, n_l) index into x
    idx_nu: np.ndarray  # (G, p)
    idx_th: np.ndarray  # (G, p)
    idx_phi: np.ndarray  # (G, n_phi)
    idx_al: np.ndarray  # (G, m), -1 = fixed 0
    q: int


def _build(spec: Mapping[str, Sequence[str]], items: list[str], ngroups: int, equal: set[str]) -> _Spec:
    idx = {name: k for k, name in enumerate(items)}
    factors = list(spec)
    m, p = len(factors), len(items)
    lam_pos = [(idx[i], j) for j, f in enumerate(factors) for i in spec[f][1:]]
    markers = [(idx[spec[f][0]], j) for j, f in enumerate(factors)]
    phi_pos = [(j, j) for j in range(m)] + [(j, l) for j in range(m) for l in range(j + 1, m)]
    counter = [0]

    # lavaan's free-parameter order per group: loadings, residual variances, factor (co)variances,
    # intercepts, latent means; shared parameters take their first group's index
    idx_lam = np.empty((ngroups, len(lam_pos)), int)
    idx_th = np.empty((ngroups, p), int)
    idx_phi = np.empty((ngroups, len(phi_pos)), int)
    idx_nu = np.empty((ngroups, p), int)
    idx_al = np.full((ngroups, m), -1, int)
    free_means = "intercepts" in equal
    var_pos = [k for k, (j, l) in enumerate(phi_pos) if j == l]
    cov_pos = [k for k, (j, l) in enumerate(phi_pos) if j != l]
    for g in range(ngroups):

        def take(n: int, shared: bool, first: np.ndarray | None) -> np.ndarray:
            if shared and g > 0 and first is not None:  # noqa: B023
                return first
            out = np.arange(counter[0], counter[0] + n)
            counter[0] += n
            return out

        idx_lam[g] = take(len(lam_pos), "loadings" in equal, idx_lam[0] if g else None)
        idx_th[g] = take(p, "residuals" in equal, idx_th[0] if g else None)
        phi_g = np.empty(len(phi_pos), int)
        phi_g[var_pos] = take(len(var_pos), "lv.variances" in equal, idx_phi[0][var_pos] if g else None)
        phi_g[cov_pos] = take(len(cov_pos), "lv.covariances" in equal, idx_phi[0][cov_pos] if g else None)
        idx_phi[g] = phi_g
        idx_nu[g] = take(p, "intercepts" in equal, idx_nu[0] if g else None)
        if free_means and g > 0:
            idx_al[g] = take(m, "means" in equal and g > 1, idx_al[1] if g > 1 else None)
    return _Spec(
        items=items,
        factors=factors,
        lam_pos=lam_pos,
        markers=markers,
        phi_pos=phi_pos,
        idx_lam=idx_lam,
        idx_nu=idx_nu,
        idx_th=idx_th,
        idx_phi=idx_phi,
        idx_al=idx_al,
        q=counter[0],
    )


def _matrices(
    sp: _Spec, x: np.ndarray, g: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p, m = len(sp.items), len(sp.factors)
    lam = np.zeros((p, m))
    for i, j in sp.markers:
        lam[i, j] = 1.0
    for k, (i, j) in enumerate(sp.lam_pos):
        lam[i, j] = x[sp.idx_lam[g, k]]
    phi = np.zeros((m, m))
    for k, (j, l) in enumerate(sp.phi_pos):
        phi[j, l] = phi[l, j] = x[sp.idx_phi[g, k]]
    th = x[sp.idx_th[g]]
    nu = x[sp.idx_nu[g]]
    al = np.where(sp.idx_al[g] >= 0, x[np.maximum(sp.idx_al[g], 0)], 0.0)
    return lam, phi, th, nu, al


def _moments(sp: _Spec, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    lam, phi, th, nu, al = _matrices(sp, x, g)
    return lam @ phi @ lam.T + np.diag(th), nu + lam @ al


def _objective(
    sp: _Spec,
    x: np.ndarray,
    s: list[np.ndarray],
    mbar: list[np.ndarray],
    w: np.ndarray,
    logdet_s: list[float],
) -> float:
    total = 0.0
    p = len(sp.items)
    for g in range(len(s)):
        sig, mu = _moments(sp, x, g)
        try:
            c = np.linalg.cholesky(sig)
        except np.linalg.LinAlgError:
            return math.inf
        inv = np.linalg.inv(sig)
        d = mbar[g] - mu
        total += w[g] * (2 * np.sum(np.log(np.diag(c))) + np.sum(inv * s[g]) + d @ inv @ d - logdet_s[g] - p)
    return float(total)


def _jacobians(sp: _Spec, x: np.ndarray, g: int, h: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """d vec(Sigma_g) / dx' (p^2 x q) and d mu_g / dx' (p x q) by central differences (exact for cubics)."""
    p = len(sp.items)
    js = np.zeros((p * p, sp.q))
    jm = np.zeros((p, sp.q))
    used = np.unique(
        np.concatenate(
            [sp.idx_lam[g], sp.idx_nu[g], sp.idx_th[g], sp.idx_phi[g], sp.idx_al[g][sp.idx_al[g] >= 0]]
        )
    )
    for k in used:
        e = np.zeros(sp.q)
        e[k] = h
        s1, m1 = _moments(sp, x + e, g)
        s0, m0 = _moments(sp, x - e, g)
        js[:, k] = ((s1 - s0) / (2 * h)).ravel()
        jm[:, k] = (m1 - m0) / (2 * h)
    return js, jm


def _grad_info(
    sp: _Spec, x: np.ndarray, s: list[np.ndarray], mbar: list[np.ndarray], w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of F and its expected Hessian H (= 2 x the unit expected information)."""
    grad = np.zeros(sp.q)
    hess = np.zeros((sp.q, sp.q))
    for g in range(len(s)):
        sig, mu = _moments(sp, x, g)
        inv = np.linalg.inv(sig)
        d = mbar[g] - mu
        st = s[g] + np.outer(d, d)
        mmat = inv - inv @ st @ inv
        js, jm = _jacobians(sp, x, g)
        grad += w[g] * (js.T @ mmat.ravel() - 2.0 * jm.T @ (inv @ d))
        hess += w[g] * (js.T @ np.kron(inv, inv) @ js + 2.0 * jm.T @ inv @ jm)
    return grad, hess


def _start(sp: _Spec, spec, s: list[np.ndarray], mbar: list[np.ndarray]) -> np.ndarray:
    x = np.zeros(sp.q)
    cnt = np.zeros(sp.q)
    for g in range(len(s)):
        st = structure(spec, sp.items)
        lam, phi, th = st.unpack(lavaan_start(st, s[g], spec, sp.items))
        vals = (
            [(sp.idx_lam[g, k], lam[i, j]) for k, (i, j) in enumerate(sp.lam_pos)]
            + [(sp.idx_th[g, i], th[i]) for i in range(len(sp.items))]
            + [(sp.idx_phi[g, k], phi[j, l]) for k, (j, l) in enumerate(sp.phi_pos)]
            + [(sp.idx_nu[g, i], mbar[g][i]) for i in range(len(sp.items))]
        )
        for k, v in vals:
            x[k] += v
            cnt[k] += 1
    return np.where(cnt > 0, x / np.maximum(cnt, 1), 0.0)


def multigroup_cfa(
    data: pd.DataFrame,
    *,
    model: str | Mapping[str, Sequence[str]],
    group: str,
    group_equal: Sequence[str] = (),
    ordered: bool = False,
) -> MultiGroupCFAResult | MultiGroupWLSMVResult:
    """``lavaan::cfa(model, data, group = group, group.equal = group_equal)`` by ML (see the module
    docstring). Groups are ordered as they first appear in ``data`` (lavaan's order).

    Formula: F = sum_g (n_g / N) [log|Sigma_g| + tr(S_g Sigma_g^-1) + (m_g - mu_g)' Sigma_g^-1
    (m_g - mu_g) - log|S_g| - p], Sigma_g = Lambda_g Phi_g Lambda_g' + Theta_g, mu_g = nu_g +
    Lambda_g alpha_g, with the parameters named in ``group_equal`` ("loadings", "intercepts",
    "residuals", "lv.variances", "lv.covariances", "means") equal across groups.

    ``ordered=True``: all items ordinal, WLSMV (``cfa(..., ordered = TRUE)``; group_equal from
    "loadings", "thresholds"); see :mod:`psychometry.stats.ordinal_groups`.

    References: Joreskog, K. G. (1971). Simultaneous factor analysis in several populations.
    Psychometrika, 36, 409-426. Rosseel, Y. (2012). lavaan. Journal of Statistical Software, 48(2).

    Example
    -------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 2))
    >>> y = np.repeat(f, 3, axis=1) * [1, 0.8, 0.7, 1, 0.9, 0.6] + rng.normal(scale=0.6, size=(300, 6))
    >>> data = pd.DataFrame(y, columns=["y1", "y2", "y3", "y4", "y5", "y6"]).assign(g=["a", "b"] * 150)
    >>> model = "f1 =~ y1 + y2 + y3\\nf2 =~ y4 + y5 + y6"
    >>> res = multigroup_cfa(data, model=model, group="g", group_equal=["loadings"])
    >>> res.groups, int(res.fit["df"]), round(res.fit["cfi"], 3)
    (['a', 'b'], 20, 0.993)
    """
    if ordered:
        return multigroup_wlsmv(data, model=model, group=group, group_equal=group_equal)
    spec = parse_model(model)
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"multigroup_cfa: data must be a pandas DataFrame, got {type(data).__name__}")
    if group not in data.columns:
        raise StatsInputError(f"multigroup_cfa: group column {group!r} is not in data")
    equal = set(group_equal)
    if equal - _EQUAL_OK:
        raise StatsInputError(
            f"multigroup_cfa: group_equal {sorted(equal - _EQUAL_OK)} not supported "
            f"(choose from {sorted(_EQUAL_OK)})"
        )
    items = model_items(spec, data, "multigroup_cfa")
    d = data[items + [group]].dropna()
    labels = list(pd.unique(d[group]))
    if len(labels) < 2:
        raise StatsInputError("multigroup_cfa: need at least two groups")
    p, _m, ng = len(items), len(spec), len(labels)
    s, mbar, ns, logdet = [], [], [], []
    for lab in labels:
        xg = d.loc[d[group] == lab, items].to_numpy(float)
        if len(xg) <= p:
            raise StatsInputError(f"multigroup_cfa: group {lab!r} has {len(xg)} complete rows for {p} items")
        s.append(np.cov(xg, rowvar=False, bias=True))
        mbar.append(xg.mean(axis=0))
        ns.append(len(xg))
        sign, ld = np.linalg.slogdet(s[-1])
        if sign <= 0:
            raise StatsInputError(f"multigroup_cfa: the covariance matrix of group {lab!r} is singular")
        logdet.append(float(ld))
    n = sum(ns)
    w = np.array(ns, float) / n
    sp = _build(spec, items, ng, equal)
    x = _start(sp, spec, s, mbar)
    fval = _objective(sp, x, s, mbar, w, logdet)
    converged = False
    it = 0
    for it in range(1, 501):  # noqa: B007
        grad, hess = _grad_info(sp, x, s, mbar, w)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        dec = float(grad @ step) / 2
        if dec < 1e-14:
            converged = True
            break
        t = 1.0
        accepted = False
        while t > 1e-10:
            cand = x - t * step
            fc = _objective(sp, cand, s, mbar, w, logdet)
            if fc <= fval:
                accepted = True
                break
            t /= 2
        if not accepted:  # no decrease left: at the optimum up to rounding
            converged = dec < 1e-9
            break
        x, fval = cand, fc
    grad, hess = _grad_info(sp, x, s, mbar, w)
    info = hess / 2.0
    try:
        se_x = np.sqrt(np.maximum(np.diag(np.linalg.inv(info)) / n, 0.0))
    except np.linalg.LinAlgError:
        se_x = np.full(sp.q, np.nan)

    chisq = n * fval
    df = ng * (p * (p + 1) // 2 + p) - sp.q
    chisq_b = float(sum(ns[g] * (np.sum(np.log(np.diag(s[g]))) - logdet[g]) for g in range(ng)))
    df_b = ng * p * (p - 1) // 2
    fit: dict[str, float] = {
        "npar": float(sp.q),
        "fmin": fval / 2,
        "chisq": chisq,
        "df": float(df),
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        "baseline.chisq": chisq_b,
        "baseline.df": float(df_b),
        "baseline.pvalue": float(stats.chi2.sf(chisq_b, df_b)),
    }
    fit["cfi"] = cfi(chisq, df, chisq_b, df_b)
    fit["tli"] = tli(chisq, df, chisq_b, df_b)
    logl = 0.0
    logl_h1 = 0.0
    srmr = 0.0
    for g in range(ng):
        sig, mu = _moments(sp, x, g)
        inv = np.linalg.inv(sig)
        dvec = mbar[g] - mu
        logl += (
            -ns[g]
            / 2
            * (p * math.log(2 * math.pi) + np.linalg.slogdet(sig)[1] + np.sum(inv * s[g]) + dvec @ inv @ dvec)
        )
        logl_h1 += -ns[g] / 2 * (p * math.log(2 * math.pi) + logdet[g] + p)
        sd = np.sqrt(np.diag(s[g]))
        res = (s[g] - sig) / np.outer(sd, sd)
        mres = dvec / sd
        srmr_g = math.sqrt((np.sum(res[np.tril_indices(p)] ** 2) + np.sum(mres**2)) / (p * (p + 1) / 2 + p))
        srmr += w[g] * srmr_g
    fit["logl"] = float(logl)
    fit["unrestricted.logl"] = float(logl_h1)
    fit["aic"] = -2 * logl + 2 * sp.q
    fit["bic"] = -2 * logl + sp.q * math.log(n)
    rm = (
        rmsea(chisq, df, n)
        if df > 0
        else {"rmsea": 0.0, "rmsea.ci.lower": 0.0, "rmsea.ci.upper": 0.0, "rmsea.pvalue": float("nan")}
    )
    # lavaan's multi-group RMSEA: sqrt(G) times the single-group formula (also for the CI); the
    # close-fit p value tests RMSEA <= .05 on the same scale
    fit["rmsea"] = rm["rmsea"] * math.sqrt(ng)
    fit["rmsea.ci.lower"] = rm["rmsea.ci.lower"] * math.sqrt(ng)
    fit["rmsea.ci.upper"] = rm["rmsea.ci.upper"] * math.sqrt(ng)
    fit["rmsea.pvalue"] = float(stats.ncx2.sf(chisq, df, n * df * 0.05**2 / ng)) if df > 0 else float("nan")
    fit["srmr"] = float(srmr)
    fit["ntotal"] = float(n)
    fit = {k: float(v) for k, v in fit.items()}

    rows: list[dict[str, object]] = []
    for g in range(ng):
        lam, phi, th, nu, al = _matrices(sp, x, g)
        rows += measurement_rows(
            spec,
            items,
            lam,
            {pos: se_x[sp.idx_lam[g, k]] for k, pos in enumerate(sp.lam_pos)},
            0.0,
            th,
            se_x[sp.idx_th[g]],
            phi,
            sp.phi_pos,
            se_x[sp.idx_phi[g]],
            group=g,
        )
        rows += [
            param_row(name, "~1", "", nu[i], se_x[sp.idx_nu[g, i]], group=g) for i, name in enumerate(items)
        ]
        for j, f in enumerate(spec):
            k = sp.idx_al[g, j]
            rows.append(param_row(f, "~1", "", al[j], se_x[k] if k >= 0 else 0.0, group=g))
    est_frame = pd.DataFrame(rows)
    notes = []
    if not converged:
        notes.append(
            f"multigroup_cfa: the optimizer did not converge after {it} iterations; the estimates "
            "are not trustworthy"
        )
    var = est_frame[
        (est_frame["op"] == "~~") & (est_frame["lhs"] == est_frame["rhs"]) & (est_frame["estimate"] < 0)
    ]
    if not var.empty:
        notes.append(
            "multigroup_cfa: some estimated variances are negative: "
            + ", ".join(f"{r.lhs} (group {labels[r.group - 1]})" for r in var.itertuples())
        )
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    return MultiGroupCFAResult(
        fit=fit,
        parameters=est_frame,
        model=spec,
        groups=[str(l) for l in labels],
        n=ns,
        group_equal=tuple(group_equal),
        converged=converged,
        iterations=it,
    )


def invariance(
    data: pd.DataFrame,
    *,
    model: str | Mapping[str, Sequence[str]],
    group: str,
    levels: Sequence[str] | None = None,
    ordered: bool = False,
) -> InvarianceResult:
    """Configural, metric, scalar and strict invariance across ``group`` (ML), each level tested against
    the previous one as ``lavTestLRT`` does, with Delta CFI / RMSEA / SRMR and Chen's (2007) verdict.

    Formula: each level is :func:`multigroup_cfa` with ``group_equal`` = () (configural), loadings
    (metric), + intercepts (scalar), + residuals (strict); the difference test of a level against the
    previous one is chisq_diff = chisq_level - chisq_previous on df_diff = df_level - df_previous
    degrees of freedom, p_diff = P(chi2_df_diff > chisq_diff); ``chen2007`` holds when Delta CFI >= -.010,
    Delta RMSEA <= .015 and Delta SRMR <= .030 (metric) or .010 (scalar, strict).

    References: Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance.
    Psychometrika, 58, 525-543. Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of
    measurement invariance. Structural Equation Modeling, 14, 464-504. Satorra, A. (2000) (ordered).

    Returns an :class:`InvarianceResult`: ``fits`` per level and ``table`` / ``to_frame()`` (one row per
    level: npar, chisq, df, p, cfi, tli, rmsea, srmr, chisq_diff, df_diff, p_diff, delta_cfi,
    delta_rmsea, delta_srmr, chen2007).

    ``ordered=True`` (WLSMV): levels configural, metric (loadings), scalar (loadings + thresholds), as
    lavaan's ``group.equal``; the difference test is lavTestLRT's Satorra (2000) scaled-shifted
    difference, and the table's chisq, cfi, tli and rmsea are the scaled (scaled-shifted) ones, with
    ``chisq_standard`` the DWLS statistic the difference test starts from.

    Example
    -------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 2))
    >>> y = np.repeat(f, 3, axis=1) * [1, 0.8, 0.7, 1, 0.9, 0.6] + rng.normal(scale=0.6, size=(300, 6))
    >>> data = pd.DataFrame(y, columns=["y1", "y2", "y3", "y4", "y5", "y6"]).assign(g=["a", "b"] * 150)
    >>> res = invariance(data, model="f1 =~ y1 + y2 + y3\\nf2 =~ y4 + y5 + y6", group="g",
    ...                  levels=["configural", "metric"])
    >>> t = res.to_frame()
    >>> t.loc["metric", ["chisq", "df", "p", "cfi", "chisq_diff", "df_diff", "p_diff"]].round(3).tolist()
    [25.014, 20.0, 0.201, 0.993, 3.763, 4.0, 0.439]
    >>> bool(t.loc["metric", "chen2007"])
    True
    """
    if ordered:
        table_levels = ORDINAL_LEVELS
    else:
        table_levels = LEVELS
    levels = list(table_levels) if levels is None else list(levels)
    bad = [lv for lv in levels if lv not in table_levels]
    if bad:
        raise StatsInputError(f"invariance: unknown level(s) {bad}; choose from {list(table_levels)}")
    fits: dict[str, MultiGroupCFAResult | MultiGroupWLSMVResult]
    wlsmv: dict[str, MultiGroupWLSMVResult] = {}
    if ordered:
        wlsmv = {
            lv: multigroup_wlsmv(data, model=model, group=group, group_equal=table_levels[lv])
            for lv in levels
        }
        fits = dict(wlsmv)
    else:
        fits = {
            lv: multigroup_cfa(data, model=model, group=group, group_equal=table_levels[lv]) for lv in levels
        }
    suffix = ".scaled" if ordered else ""
    rows = []
    prev = None
    for lv in levels:
        f = fits[lv].fit
        row = {
            "level": lv,
            "npar": f["npar"],
            "chisq": f["chisq" + suffix],
            "df": f["df"],
            "p": f["pvalue" + suffix],
            "cfi": f["cfi" + suffix],
            "tli": f["tli" + suffix],
            "rmsea": f["rmsea" + suffix],
            "srmr": f["srmr"],
        }
        if ordered:
            row["chisq_standard"] = f["chisq"]
        if prev is None:
            row.update(
                chisq_diff=np.nan,
                df_diff=np.nan,
                p_diff=np.nan,
                delta_cfi=np.nan,
                delta_rmsea=np.nan,
                delta_srmr=np.nan,
                chen2007=np.nan,
            )
        else:
            p0 = fits[prev].fit
            if ordered:
                test = satorra2000(wlsmv[prev], wlsmv[lv])
                cd, dd, pd_ = test["chisq_diff"], test["df_diff"], test["p_diff"]
            else:
                cd, dd = f["chisq"] - p0["chisq"], f["df"] - p0["df"]
                pd_ = float(stats.chi2.sf(cd, dd)) if dd > 0 else np.nan
            row.update(
                chisq_diff=cd,
                df_diff=dd,
                p_diff=pd_,
                delta_cfi=f["cfi" + suffix] - p0["cfi" + suffix],
                delta_rmsea=f["rmsea" + suffix] - p0["rmsea" + suffix],
                delta_srmr=f["srmr"] - p0["srmr"],
            )
            cut = CHEN_2007.get(lv)
            d_cfi = f["cfi" + suffix] - p0["cfi" + suffix]
            d_rmsea = f["rmsea" + suffix] - p0["rmsea" + suffix]
            d_srmr = f["srmr"] - p0["srmr"]
            row["chen2007"] = (
                bool(d_cfi >= -cut[0] and d_rmsea <= cut[1] and d_srmr <= cut[2]) if cut else np.nan
            )
        rows.append(row)
        prev = lv
    return InvarianceResult(fits=fits, table=pd.DataFrame(rows).set_index("level"))
