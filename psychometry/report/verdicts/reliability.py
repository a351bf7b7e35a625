"""Reliability (per instrument): ``stats.alpha`` with the Feldt 95% CI per scale, and ``stats.omega``
total (6+ items) without an interval (psych::omega gives none); the table is the shared analyses'
(:meth:`~psychometry.report.analyses.InstrumentAnalysis.reliability_table`)."""

from __future__ import annotations

import math

from ..analyses import InstrumentAnalysis
from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import Verdict
from .text import num

__all__ = ["check", "reliability_verdict"]


def check(ctx: CheckContext, ia: InstrumentAnalysis) -> Verdict:
    """The reliability verdict of one inventory."""
    return reliability_verdict(ia, ctx.thresholds, ctx.habit)


def reliability_verdict(ia: InstrumentAnalysis, th: VerdictThresholds, habit: bool) -> Verdict:
    iid = ia.iid
    title = "Reliability"
    table = ia.reliability_table()
    details, levels = [], []
    for _, r in table.iterrows():
        a = float(r["alpha"])
        if not math.isfinite(a):
            lv = "fails"
        elif a >= th.reliability_ok:
            lv = "ok"
        elif a >= th.reliability_fails:
            lv = "caution"
        else:
            lv = "fails"
        levels.append(lv)
        om = ""
        if math.isfinite(float(r["omega_t"])):
            om = f", omega_t {num(r['omega_t'])}"
        ci = (
            f" [{num(r['alpha_low'])}, {num(r['alpha_high'])}]"
            if math.isfinite(float(r["alpha_low"]))
            else ""
        )
        why = f" ({r['why']})" if r["why"] and not math.isfinite(a) else ""
        details.append(f"{r['scale']}: alpha {num(a)}{ci}{om}{why}, k = {int(r['k'])}, n = {int(r['n'])}")
    n_ok = sum(lv == "ok" for lv in levels)
    n_fail = sum(lv == "fails" for lv in levels)
    total = len(levels)
    alphas = table["alpha"].astype(float)
    rng = (
        f"alpha {num(alphas.min())} to {num(alphas.max())}" if alphas.notna().any() else "alpha not computed"
    )
    fig = f"{n_ok} of {total} scales reach alpha {th.reliability_ok:.2f}; {rng}"
    if habit:
        return Verdict(
            "reliability",
            title,
            "fails",
            fig,
            "Not interpretable: on position-habit answers alpha reflects how the items are keyed, "
            "not a trait.",
            instrument=iid,
            details=tuple(details),
            data=table,
        )
    if total == 0:
        return Verdict("reliability", title, "n/a", "no scale", "No scale to check.", instrument=iid)
    if n_fail * 2 >= total:
        level = "fails"
    elif n_ok == total:
        level = "ok"
    else:
        level = "caution"
    sentence = {
        "fails": f"Most scales are unreliable (alpha below {th.reliability_fails:.2f} or not computable): "
        "their scores are mostly noise.",
        "caution": f"Some scales fall short of alpha {th.reliability_ok:.2f} (Nunnally 1978): interpret "
        "them with care.",
        "ok": f"Every scale reaches alpha {th.reliability_ok:.2f} (Nunnally 1978).",
    }[level]
    return Verdict(
        "reliability", title, level, fig, sentence, instrument=iid, details=tuple(details), data=table
    )
