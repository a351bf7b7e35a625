"""Behaviour prediction: ``stats.behaviour_regression`` of each behavioural task's score on the first
inventory's scales (persons = model x persona x repeat, conditions averaged); the F test and R²."""

from __future__ import annotations

from ..analyses import BehaviourAnalysis
from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import Verdict
from .text import num, pval

__all__ = ["behaviour_verdict", "check"]


def check(ctx: CheckContext) -> Verdict | None:
    """The behaviour verdict, when tasks and inventories were given to the same persons."""
    return behaviour_verdict(ctx.analysis.behaviour, ctx.thresholds, ctx.habit)


def behaviour_verdict(
    analysis: BehaviourAnalysis | None, th: VerdictThresholds, habit: bool
) -> Verdict | None:
    if analysis is None:
        return None
    title = "Behaviour prediction"
    _t, _b, res, why = analysis
    if res is None:
        return Verdict(
            "behaviour", title, "fails" if habit else "n/a", "not computed", f"Not computed: {why}."
        )
    stats_ = res.fit_statistics
    details = tuple(
        f"{beh}: R2 = {num(r['r_squared'], 3)}, F({int(r['df1'])}, {int(r['df2'])}) = {num(r['F'])}, "
        f"{pval(r['p'])}, n = {int(r['n'])}"
        for beh, r in stats_.iterrows()
    )
    sig = stats_[stats_["p"] < th.p_value]
    fig = (
        f"{len(sig)} of {len(stats_)} behaviours predicted by the traits (F test {pval(th.p_value).replace('p = ', 'p < ')}); "
        f"R2 {num(stats_['r_squared'].min(), 2)} to {num(stats_['r_squared'].max(), 2)}"
    )
    if habit:
        return Verdict(
            "behaviour",
            title,
            "fails",
            fig,
            "Not interpretable: traits measured as a position habit cannot predict anything.",
            details=details,
            data=res,
        )
    if sig.empty:
        level, sentence = (
            "fails",
            "The trait scores predict none of the behaviours: no evidence of predictive validity.",
        )
    elif (sig["r_squared"] >= th.behaviour_r2_ok).any():
        level, sentence = "ok", "The traits predict behaviour with at least a medium effect (Cohen 1988)."
    else:
        level, sentence = "caution", "The traits predict some behaviour, with small effects only."
    return Verdict("behaviour", title, level, fig, sentence, details=details, data=res)
