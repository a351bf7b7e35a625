"""Content signal (per instrument): ``stats.content_signal``: do a scale's forward- and reverse-keyed
items get different raw answers (the probability-weighted ones in logprob mode)? Under a pure position
habit they do not; when the model reads the items, the keyed direction separates them. The level rests
on the answers as analysed (raw, or debiased when the report is); with raw answers and a design that
allows debiasing (all cyclic rotations of the options, or content-free items), the debiased answers
are tested too and shown beside them."""

from __future__ import annotations

import math

from psychometry.stats.robustness.debias import CONTENT_FREE_SUFFIX

from ..analyses import InstrumentAnalysis
from .context import CheckContext
from .model import Verdict
from .text import num, pct, pval

__all__ = ["check"]

TITLE = "Content signal"


def _figure(tab, label: str) -> str:
    r = tab[tab["scale"] == "(all)"].iloc[0]
    return (
        f"{label}: forward- and reverse-keyed items {num(float(r['separation']))} points apart "
        f"({pct(float(r['share']))} of the range; {num(float(r['null_mean']))} with the keying shuffled), "
        f"permutation {pval(float(r['p']))}"
    )


def check(ctx: CheckContext, ia: InstrumentAnalysis) -> Verdict | None:
    """The content-signal verdict of one instrument (None for tasks)."""
    if ia.is_task or ia.iid.endswith(CONTENT_FREE_SUFFIX):
        return None  # no keyed scales: tasks, and the content-free items of contextual calibration
    th = ctx.thresholds
    analysis = ctx.analysis
    iid = ia.iid
    got = analysis.content_signal(iid)
    res = got.value
    already = "debias" in analysis.raw.columns
    label = f"debiased ({analysis.debias_method})" if already else "raw"
    if res is None and got.brief and "no scale has both forward- and reverse-keyed items" in got.brief:
        return Verdict(
            "content",
            TITLE,
            "n/a",
            "no reverse-keyed items",
            "Not checked: no scale has both forward- and reverse-keyed items to compare.",
            instrument=iid,
        )
    if res is None:
        return Verdict(
            "content",
            TITLE,
            "n/a",
            "not computed",
            f"Not computed: {got.brief}.".replace("..", "."),
            instrument=iid,
        )
    tab = res.table
    overall = tab[tab["scale"] == "(all)"].iloc[0]
    p, share = float(overall["p"]), float(overall["share"])
    fig = _figure(tab, label)
    details = [
        f"{r['scale']}: forward {num(float(r['mean_forward']))} vs reversed {num(float(r['mean_reversed']))}, "
        f"separation {num(float(r['separation']))} [{num(float(r['separation_ci_low']))}, "
        f"{num(float(r['separation_ci_high']))}], {pval(float(r['p']))}, acquiescence {num(float(r['acquiescence']))}"
        for _, r in tab.iterrows()
        if r["scale"] != "(all)"
    ]
    data = tab
    if not already and analysis.debias_method is not None:
        dgot = analysis.content_signal(iid, debiased=True)
        if dgot.value is not None:
            fig += "; " + _figure(dgot.value.table, f"debiased ({analysis.debias_method})")
        else:
            details.append(f"debiased ({analysis.debias_method}): not computed: {dgot.brief}")
    if not math.isfinite(p) or p >= th.p_value:
        level = "fails"
        sentence = (
            "No content signal: forward- and reverse-keyed items get the same answers, so the answers do not "
            "follow what the items say."
        )
    elif share >= th.content_share_ok:
        level = "ok"
        sentence = (
            "Item content moves the answers: the keyed direction separates forward- and reverse-keyed items."
        )
    else:
        level = "caution"
        sentence = (
            "Weak content signal: the keyed direction separates the items beyond chance, by less than "
            f"{pct(th.content_share_ok)} of the scale range."
        )
    return Verdict("content", TITLE, level, fig, sentence, instrument=iid, details=tuple(details), data=data)
