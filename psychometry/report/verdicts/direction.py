"""Do self-reports predict behaviour? The share of the model's trait-behaviour associations that point
the way they do in people (``stats.direction_share`` against ``stats.human_priors``; Han et al. 2025),
with its exact binomial test of 0.5 and Clopper-Pearson interval: ok when the interval lies above
``direction_share_ok``, fails when it lies below ``direction_share_fails`` (the associations run
against the human direction) or when the traits are a position habit; caution otherwise."""

from __future__ import annotations

from ..direction import DirectionAnalysis
from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import Verdict
from .text import num, pct, pval

__all__ = ["check", "direction_verdict"]

TITLE = "Do self-reports predict behaviour?"


def check(ctx: CheckContext) -> Verdict | None:
    """The direction verdict, when tasks and inventories were given to the same persons."""
    return direction_verdict(ctx.analysis.direction, ctx.thresholds, ctx.habit)


def direction_verdict(
    analysis: DirectionAnalysis | None, th: VerdictThresholds, habit: bool
) -> Verdict | None:
    if analysis is None:
        return None
    row = analysis.share_row
    if row is None:
        return Verdict(
            "direction",
            TITLE,
            "fails" if habit else "n/a",
            "not computed",
            f"Not computed: {analysis.share_reason}.",
            data=analysis,
        )
    n, k = int(row["n"]), int(row["n_human"])
    ns, ks = int(row["n_significant"]), int(row["n_significant_human"])
    lo, hi = float(row["share_ci_low"]), float(row["share_ci_high"])
    fig = (
        f"{k} of {n} associations in the human direction ({pct(k / n)} [{pct(lo)}, {pct(hi)}], "
        f"binomial test of 50%: {pval(float(row['p']))}); significant: {ks} of {ns}"
    )
    how = "lmer, random intercept per " + analysis.group if analysis.method == "mixed" else "lm"
    assert analysis.share is not None  # a share row exists
    matched = analysis.share.value.matches
    human = {
        (str(t), str(b)): bool(h) for t, b, h in zip(matched["trait"], matched["behaviour"], matched["human"])
    }
    details = tuple(
        f"{r['instrument']} {r['scale']} -> {r['behaviour']}: {num(r['estimate'], 2)} "
        f"[{num(r['ci_low'], 2)}, {num(r['ci_high'], 2)}], {pval(r['p'])} ({how}); "
        f"{'human' if human[(r['trait'], r['behaviour'])] else 'against the human'} direction"
        for _, r in analysis.associations.iterrows()
        if (r["trait"], r["behaviour"]) in human
    )
    if habit:
        return Verdict(
            "direction",
            TITLE,
            "fails",
            fig,
            "Not interpretable: traits measured as a position habit predict nothing.",
            details=details,
            data=analysis,
        )
    if lo > th.direction_share_ok:
        level, sentence = (
            "ok",
            "More associations point the human way than chance allows: the self-reports predict "
            "behaviour as in people.",
        )
    elif hi < th.direction_share_fails:
        level, sentence = (
            "fails",
            "The associations point against the human direction more often than chance allows.",
        )
    else:
        level, sentence = (
            "caution",
            "The share in the human direction is not distinguishable from chance (50%): no evidence "
            "that the self-reports predict behaviour as in people.",
        )
    return Verdict("direction", TITLE, level, fig, sentence, details=details, data=analysis)
