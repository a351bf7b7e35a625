"""Option-order sensitivity (per instrument): ``stats.order_sensitivity`` of the original against the
reversed option order: Cohen's d_z = t / sqrt(n), the mean absolute difference as a share of the scale
range, the Wilcoxon p."""

from __future__ import annotations

import math

import pandas as pd

from ..analyses import InstrumentAnalysis
from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import RANK, Verdict, worst_level
from .text import num, pct, pval, scale_range

__all__ = ["check", "orders_verdict"]


def check(ctx: CheckContext, ia: InstrumentAnalysis) -> Verdict:
    """The option-order verdict of one instrument."""
    return orders_verdict(ia, ctx.thresholds)


def orders_verdict(ia: InstrumentAnalysis, th: VerdictThresholds) -> Verdict:
    iid, rows = ia.iid, ia.cond
    title = "Option-order sensitivity"
    if "order" not in rows.columns or rows["order"].nunique() < 2:
        return Verdict(
            "orders",
            title,
            "n/a",
            "one option order",
            "Not checked: administer with --orders original,reversed to test it.",
            instrument=iid,
        )
    orders = [str(o) for o in pd.unique(rows["order"])]
    a, b = ("original", "reversed") if {"original", "reversed"} <= set(orders) else (orders[0], orders[1])
    got = ia.order_sensitivity(a, b)
    res, why = got.value, got.brief
    if res is None:
        return Verdict("orders", title, "n/a", "not computed", f"Not computed: {why}", instrument=iid)
    rng = scale_range(rows)
    details, levels, worst = [], [], None
    for _, r in res.table.iterrows():
        n = int(r["n_pairs"])
        md, mad = float(r["mean_diff"]), float(r["mean_abs_diff"])
        if math.isfinite(float(r["t"])) and n >= 2:
            dz = float(r["t"]) / math.sqrt(n)
        elif n >= 1 and math.isfinite(md) and md != 0:
            dz = math.copysign(math.inf, md)  # every pair differs by the same amount: sd(d) = 0
        else:
            dz = 0.0
        share = mad / rng if rng and math.isfinite(rng) and rng > 0 else math.nan
        p = float(r["wilcoxon_p"])
        if not math.isfinite(share) or share < th.shift_negligible:
            lv = "ok"
        elif abs(dz) >= th.order_dz_fails and share >= th.shift_fails:
            lv = "fails"
        elif abs(dz) >= th.order_dz_caution or (math.isfinite(p) and p < th.p_value):
            lv = "caution"
        else:
            lv = "ok"
        levels.append(lv)
        scale = str(r.get("scale", ""))
        details.append(
            f"{scale}: {a} {num(r['mean_a'])} vs {b} {num(r['mean_b'])}, mean |diff| {num(mad)} "
            f"({pct(share)} of the range), d_z = {num(dz)}, Wilcoxon {pval(p)}, n = {n} pairs"
        )
        key = (RANK[lv], share if math.isfinite(share) else -1)
        if worst is None or key > worst[0]:
            worst = (key, scale, mad, share, dz, p)
    level = worst_level(levels)
    assert worst is not None  # levels is not empty
    _, scale, mad, share, dz, p = worst
    n_bad = sum(lv != "ok" for lv in levels)
    fig = (
        f"{n_bad} of {len(levels)} scales move; largest {scale}: mean |diff| {num(mad)} ({pct(share)} of the "
        f"range), d_z = {num(dz)}, Wilcoxon {pval(p)}"
    )
    sentence = {
        "fails": f"Reversing the options changes the scale scores by a large amount: the scores depend on the "
        f"order of the options ({a} vs {b}).",
        "caution": f"Reversing the options shifts some scale scores ({a} vs {b}); report both orders or "
        "average them.",
        "ok": f"The scale scores do not depend on the order of the options ({a} vs {b}).",
    }[level]
    return Verdict(
        "orders", title, level, fig, sentence, instrument=iid, details=tuple(details), data=res.table
    )
