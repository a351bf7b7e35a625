"""Measurement invariance (per inventory and design factor with 2+ levels: option order, prompt
template): ``stats.invariance`` per scale (configural, metric, scalar), each level held against the
previous one by Chen's (2007) changes in CFI and RMSEA (:func:`~psychometry.report.analyses.invariance_holds`)."""

from __future__ import annotations

from ..analyses import INVARIANCE_FACTORS, InstrumentAnalysis, InvarianceAnalysis, invariance_holds
from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import Verdict, worst_level
from .text import num, pval

__all__ = ["check", "invariance_verdict"]


def check(ctx: CheckContext, ia: InstrumentAnalysis) -> list[Verdict]:
    """One verdict per design factor (option order, prompt template) with two levels or more."""
    rows = ia.cond
    out = []
    for factor in INVARIANCE_FACTORS:
        if factor in rows.columns and rows[factor].nunique() >= 2:
            out.append(invariance_verdict(ia.iid, ia.invariance(factor), ctx.thresholds, ctx.habit))
    return out


def invariance_verdict(iid: str, analysis: InvarianceAnalysis, th: VerdictThresholds, habit: bool) -> Verdict:
    plural, singular = INVARIANCE_FACTORS.get(analysis.factor, (analysis.factor, analysis.factor))
    title = f"Measurement invariance across {plural}"
    done = [s for s in analysis.scales if s.result is not None]
    skipped = [s for s in analysis.scales if s.result is None]
    details: list[str] = []
    levels: dict[str, str] = {}
    for s in analysis.scales:
        if s.result is None:
            details.append(f"{s.scale}: not computed: {s.reason}")
            continue
        t = s.result.table
        metric, scalar = invariance_holds(t.loc["metric"], th), invariance_holds(t.loc["scalar"], th)
        levels[s.scale] = "ok" if metric and scalar else ("caution" if metric else "fails")
        held = "scalar" if metric and scalar else ("metric only" if metric else "none")
        steps = "; ".join(
            f"{lv}: CFI change {num(t.loc[lv, 'delta_cfi'], 3)}, RMSEA change {num(t.loc[lv, 'delta_rmsea'], 3)}, "
            f"chi2 diff({int(t.loc[lv, 'df_diff'])}) = {num(t.loc[lv, 'chisq_diff'], 2)}, {pval(t.loc[lv, 'p_diff'])}"
            for lv in ("metric", "scalar")
        )
        details.append(
            f"{s.scale}: invariance holds: {held}; {steps}; n = "
            + ", ".join(f"{k} {lv}" for lv, k in s.n)
            + (f" (warning: {s.warnings[0]})" if s.warnings else "")
        )
    k = len(done)
    n_metric = sum(lv != "fails" for lv in levels.values())
    n_scalar = sum(lv == "ok" for lv in levels.values())
    cut = f"CFI drop <= {th.invariance_delta_cfi:.3f}, RMSEA rise <= {th.invariance_delta_rmsea:.3f}"
    if not done:
        reasons = list(dict.fromkeys(s.reason for s in skipped if s.reason))
        fig = f"not computed on {len(skipped)} of {len(analysis.scales)} scales" + (
            f": {reasons[0]}" if reasons else ""
        )
        if habit:
            return Verdict(
                "invariance",
                title,
                "fails",
                fig,
                f"Not interpretable: position-habit answers follow the shown position, not a trait, so "
                f"nothing says whether scores may be compared across {plural}.",
                instrument=iid,
                details=tuple(details),
                data=analysis,
            )
        return Verdict(
            "invariance",
            title,
            "n/a",
            fig,
            f"Not computed: too few respondents per {singular} or answers without variance; no evidence "
            f"that scores may be compared across {plural}.",
            instrument=iid,
            details=tuple(details),
            data=analysis,
        )
    level = worst_level(list(levels.values()))
    # the step that decides: the worst metric step when metric fails, else the worst scalar step
    step = "metric" if level == "fails" else "scalar"
    worst = min(
        (s for s in done if levels[s.scale] == level),
        key=lambda s: float(s.result.table.loc[step, "delta_cfi"]),
    )
    wt = worst.result.table.loc[step]
    fig = (
        f"scalar invariance holds on {n_scalar} of {k} scales, metric on {n_metric} of {k} ({cut}; Chen 2007); "
        f"largest {step} change {worst.scale}: CFI {num(wt['delta_cfi'], 3)}, RMSEA {num(wt['delta_rmsea'], 3)}"
    )
    if skipped:
        fig += f"; {len(skipped)} scale{'s' if len(skipped) > 1 else ''} not computed"
    if habit:
        return Verdict(
            "invariance",
            title,
            "fails",
            fig,
            f"Not interpretable: position-habit answers follow the shown position, not a trait, so their "
            f"factor structure says nothing about comparing scores across {plural}.",
            instrument=iid,
            details=tuple(details),
            data=analysis,
        )
    sentence = {
        "ok": f"Scores may be compared across {plural}: the scales measure alike under each {singular} "
        f"(scalar invariance holds on {'every scale' if not skipped else f'the {k} scales fitted'}).",
        "caution": f"Scale means may not be compared across {plural} (scalar invariance fails on {k - n_scalar} of "
        f"{k} scales); the loadings are equal (metric invariance), so correlations may.",
        "fails": f"Scores may not be compared across {plural}: the items load differently (metric invariance fails "
        f"on {k - n_metric} of {k} scales), so the scales do not measure the same thing under each "
        f"{singular}.",
    }[level]
    return Verdict(
        "invariance", title, level, fig, sentence, instrument=iid, details=tuple(details), data=analysis
    )
