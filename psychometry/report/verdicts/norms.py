"""Distance from human norms (per inventory with norms): ``stats.compare_norms``, Cohen's d of the
model's scale scores against the instrument's norm sample, with its CI."""

from __future__ import annotations

import math

from ..analyses import InstrumentAnalysis
from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import Verdict
from .text import num

__all__ = ["check", "norms_verdict"]


def check(ctx: CheckContext, ia: InstrumentAnalysis) -> Verdict | None:
    """The norm verdict of one inventory (None without norms)."""
    return norms_verdict(ia, ctx.thresholds, ctx.habit)


def norms_verdict(ia: InstrumentAnalysis, th: VerdictThresholds, habit: bool) -> Verdict | None:
    iid, inst, scores = ia.iid, ia.inst, ia.scores
    if inst is None or not inst.norms or scores is None:
        return None
    title = "Distance from human norms"
    if not ia.norms:
        return None
    got = ia.compare_norms()
    res, why = got.value, got.brief
    if res is None:
        return Verdict("norms", title, "n/a", "not computed", f"Not computed: {why}", instrument=iid)
    t = res.table
    d = t["d"].astype(float)
    far = d.abs().idxmax() if d.notna().any() else None
    details = tuple(
        f"{s}: model {num(r['mean'])} vs human {num(r['norm_mean'])} (sd {num(r['norm_sd'])}), "
        f"d = {num(r['d'])}"
        + (f" [{num(r['d_low'])}, {num(r['d_high'])}]" if math.isfinite(r['d_low']) else "")
        + f", z = {num(r['z'])}"
        for s, r in t.iterrows()
    )
    if far is None:
        return Verdict(
            "norms", title, "n/a", "no d", "Not computed.", instrument=iid, details=details, data=t
        )
    n_med = int((d.abs() >= th.norm_d_caution).sum())
    fig = f"largest |d| = {num(abs(d[far]))} on {far}; {n_med} of {len(d)} scales at |d| >= {th.norm_d_caution:.2f}"
    if habit:
        return Verdict(
            "norms",
            title,
            "fails",
            fig,
            "Not interpretable: the scores come from a position habit, so "
            "their distance from people's scores means nothing.",
            instrument=iid,
            details=details,
            data=t,
        )
    if abs(d[far]) >= th.norm_d_fails:
        level, sentence = (
            "fails",
            (
                f"The profile is far from people's: {far} lies {num(abs(d[far]))} pooled SDs from "
                "the human mean, outside what the norm sample shows."
            ),
        )
    elif n_med:
        level, sentence = (
            "caution",
            "Some traits differ from the human norms by a medium or large effect (Cohen 1988).",
        )
    else:
        level, sentence = "ok", "Every trait lies within half a standard deviation of the human norms."
    return Verdict("norms", title, level, fig, sentence, instrument=iid, details=details, data=t)
