"""Prompt-template sensitivity (per instrument): ``stats.template_sensitivity``: Kendall's W of the
Friedman test and the spread of the template means as a share of the scale range."""

from __future__ import annotations

import math

from ..analyses import InstrumentAnalysis
from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import RANK, Verdict, worst_level
from .text import num, pct, pval, scale_range

__all__ = ["check", "templates_verdict"]


def check(ctx: CheckContext, ia: InstrumentAnalysis) -> Verdict:
    """The prompt-template verdict of one instrument."""
    return templates_verdict(ia, ctx.thresholds)


def templates_verdict(ia: InstrumentAnalysis, th: VerdictThresholds) -> Verdict:
    iid, rows = ia.iid, ia.cond
    title = "Prompt-template sensitivity"
    if "template" not in rows.columns or rows["template"].nunique() < 2:
        return Verdict(
            "templates",
            title,
            "n/a",
            "one prompt template",
            "Not checked: administer with several --templates to test it.",
            instrument=iid,
        )
    got = ia.template_sensitivity()
    res, why = got.value, got.brief
    if res is None:
        return Verdict("templates", title, "n/a", "not computed", f"Not computed: {why}", instrument=iid)
    rng = scale_range(rows)
    means = res.means
    details, levels, worst = [], [], None
    for _, r in res.table.iterrows():
        scale = str(r.get("scale", ""))
        m = means[means["scale"].astype(str) == scale]["mean"] if "scale" in means.columns else means["mean"]
        spread = float(m.max() - m.min()) if len(m) else math.nan
        share = spread / rng if rng and math.isfinite(rng) and rng > 0 else math.nan
        w, p = float(r["kendall_W"]), float(r["friedman_p"])
        if not math.isfinite(share) or share < th.shift_negligible:
            lv = "ok"
        elif math.isfinite(w) and w >= th.template_w_fails and share >= th.shift_fails:
            lv = "fails"
        elif (math.isfinite(w) and w >= th.template_w_caution) or (math.isfinite(p) and p < th.p_value):
            lv = "caution"
        else:
            lv = "ok"
        levels.append(lv)
        details.append(
            f"{scale}: template means {num(m.min())} to {num(m.max())} ({pct(share)} of the range), "
            f"Kendall's W = {num(w)}, Friedman {pval(p)}, n = {int(r['n_targets'])}"
        )
        key = (RANK[lv], share if math.isfinite(share) else -1)
        if worst is None or key > worst[0]:
            worst = (key, scale, spread, share, w, p)
    level = worst_level(levels)
    assert worst is not None  # levels is not empty
    _, scale, spread, share, w, p = worst
    n_bad = sum(lv != "ok" for lv in levels)
    fig = (
        f"{n_bad} of {len(levels)} scales move; largest {scale}: template means differ by {num(spread)} "
        f"({pct(share)} of the range), W = {num(w)}, Friedman {pval(p)}"
    )
    sentence = {
        "fails": "The wording of the prompt changes the scale scores a lot: a score is a property of the "
        "prompt as much as of the model.",
        "caution": "The prompt template shifts some scale scores; average over templates.",
        "ok": "The scale scores do not depend on the prompt template.",
    }[level]
    return Verdict(
        "templates", title, level, fig, sentence, instrument=iid, details=tuple(details), data=res.table
    )
