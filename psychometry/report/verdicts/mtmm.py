"""Convergent and discriminant validity: ``stats.mtmm`` of the two instruments of the same traits
(:data:`~psychometry.report.analyses.MTMM_INSTRUMENTS`: BFI-44 vs IPIP-NEO-120) against Campbell &
Fiske's (1959) criteria."""

from __future__ import annotations

import math

import pandas as pd

from ..analyses import MTMM_INSTRUMENTS, InstrumentAnalysis, ModelAnalysis
from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import Verdict
from .text import num

__all__ = ["check", "mtmm_verdict"]


def check(ctx: CheckContext) -> Verdict | None:
    """The MTMM verdict when both instruments were given."""
    return mtmm_verdict(ctx.analysis, ctx.thresholds, ctx.habit)


def _inventory(analysis: ModelAnalysis, iid: str) -> InstrumentAnalysis | None:
    """The analysis of an inventory with analysed rows (None for a task or an instrument without rows)."""
    ia = analysis.instrument(iid)
    return None if ia is None or ia.is_task or ia.analysed_empty else ia


def _numeric_scores(scores: pd.DataFrame) -> pd.DataFrame:
    cols = [
        c
        for c in scores.columns
        if c != "type" and not str(c).startswith("z_") and pd.api.types.is_numeric_dtype(scores[c])
    ]
    return scores[cols].astype(float)


def mtmm_verdict(analysis: ModelAnalysis, th: VerdictThresholds, habit: bool) -> Verdict | None:
    a_id, b_id = MTMM_INSTRUMENTS
    scores = {iid: ia.scores for iid in analysis.instruments if (ia := _inventory(analysis, iid)) is not None}
    if a_id not in scores or b_id not in scores:
        return None
    title = "Convergent and discriminant validity (MTMM)"
    a, b = scores[a_id], scores[b_id]
    inst = f"{a_id} vs {b_id}"
    if a is None or b is None:
        return Verdict("mtmm", title, "n/a", "scale scores missing", "Not computed.", instrument=inst)
    a, b = _numeric_scores(a), _numeric_scores(b)
    common = [s for s in a.columns if s in b.columns]
    got = analysis.mtmm(common)
    res, why = got.value, got.brief
    if res is None:
        return Verdict(
            "mtmm",
            title,
            "fails" if habit else "n/a",
            "not computed",
            f"Not computed: {why}",
            instrument=inst,
        )
    conv = res.convergent
    disc = res.discriminant
    n_hthm = int(disc["exceeds_hthm"].sum())
    n_htmm = int(disc["exceeds_htmm"].sum())
    k = len(conv)
    fig = (
        f"mean convergent r = {num(res.mean_convergent)}; {n_hthm} of {k} exceed their heterotrait-heteromethod "
        f"and {n_htmm} of {k} their heterotrait-monomethod correlations; n = {res.n}"
    )
    details = tuple(
        f"{t}: r = {num(r['r'])} [{num(r['ci_low'])}, {num(r['ci_high'])}], max |r| hthm "
        f"{num(disc.loc[t, 'max_hthm'])}, htmm {num(disc.loc[t, 'max_htmm'])}"
        for t, r in conv.iterrows()
    )
    if habit:
        return Verdict(
            "mtmm",
            title,
            "fails",
            fig,
            "Not interpretable: correlations of position-habit answers "
            "follow the keying of the scales, not the traits.",
            instrument=inst,
            details=details,
            data=res,
        )
    mc = float(res.mean_convergent)
    if not math.isfinite(mc) or mc < th.convergent_fails or n_hthm * 2 < k:
        level = "fails"
    elif mc >= th.convergent_ok and n_hthm == k and n_htmm == k:
        level = "ok"
    else:
        level = "caution"
    sentence = {
        "fails": "The two instruments do not agree on the same traits (Campbell & Fiske 1959): no evidence "
        "that they measure the traits they name.",
        "caution": "The instruments agree in part: some traits fail Campbell & Fiske's (1959) criteria.",
        "ok": "The two instruments agree on each trait more than on different traits (Campbell & Fiske "
        "1959).",
    }[level]
    return Verdict("mtmm", title, level, fig, sentence, instrument=inst, details=details, data=res)
