"""lavaan's fit indices, shared by the ML and WLSMV fits: CFI (Bentler 1990), TLI (Tucker & Lewis
1973) and RMSEA with its 90% CI and close / not-close fit p values (Steiger & Lind 1980; MacCallum,
Browne & Sugawara 1996)."""

from __future__ import annotations

import math

from scipy import optimize, stats

__all__ = ["cfi", "rmsea", "tli"]


def cfi(chisq: float, df: float, chisq_b: float, df_b: float) -> float:
    """CFI = 1 - max(chisq - df, 0) / max(chisq - df, chisq_b - df_b, 0) (1 when both are 0)."""
    den = max(chisq - df, chisq_b - df_b, 0.0)
    return 1.0 - max(chisq - df, 0.0) / den if den > 0 else 1.0


def tli(chisq: float, df: float, chisq_b: float, df_b: float) -> float:
    """TLI = (chisq_b/df_b - chisq/df) / (chisq_b/df_b - 1) (1 when df = 0)."""
    return (chisq_b / df_b - chisq / df) / (chisq_b / df_b - 1.0) if df > 0 else 1.0


def rmsea(chisq: float, df: int, n: int) -> dict[str, float]:
    """RMSEA, its 90% CI and the close / not-close fit p values (lavaan, N in the denominator)."""
    if df <= 0:
        nan = float("nan")
        return {
            "rmsea": 0.0,
            "rmsea.ci.lower": 0.0,
            "rmsea.ci.upper": 0.0,
            "rmsea.pvalue": nan,
            "rmsea.notclose.pvalue": nan,
        }
    rmsea = math.sqrt(max(chisq - df, 0.0) / (n * df))

    def ncp_for(prob: float) -> float:
        # lambda with P(chi2_df(lambda) <= chisq) = prob; 0 when even lambda = 0 gives less
        if stats.chi2.cdf(chisq, df) < prob:
            return 0.0
        hi = max(chisq, 1.0)
        while stats.ncx2.cdf(chisq, df, hi) > prob:
            hi *= 2
        return optimize.brentq(lambda lam: stats.ncx2.cdf(chisq, df, lam) - prob, 1e-12, hi, xtol=1e-12)

    lower = math.sqrt(ncp_for(0.95) / (n * df))
    upper = math.sqrt(ncp_for(0.05) / (n * df))
    p_close = float(stats.ncx2.sf(chisq, df, n * df * 0.05**2))
    p_notclose = float(stats.ncx2.cdf(chisq, df, n * df * 0.08**2))
    return {
        "rmsea": rmsea,
        "rmsea.ci.lower": lower,
        "rmsea.ci.upper": upper,
        "rmsea.pvalue": p_close,
        "rmsea.notclose.pvalue": p_notclose,
    }
