"""Position habit: ``stats.position_bias`` by option order. H is the share of answers at the position
chosen most *in every option order* (its minimum over the orders); a chi-square test per order."""

from __future__ import annotations

from ..analyses import ModelAnalysis
from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import Verdict
from .text import num, pct, pval

__all__ = ["check", "positions_verdict"]


def check(ctx: CheckContext) -> Verdict | None:
    """The position-habit verdict, when answers were given with their shown positions."""
    raw = ctx.analysis.raw
    if "debias" in raw.columns and len(raw) and not raw["position"].notna().any():
        method = str(raw["debias"].iloc[0])
        return Verdict(
            "positions",
            "Position habit",
            "n/a",
            f"answers debiased ({method}): no chosen positions",
            "Not checked on debiased answers: "
            + (
                "each item's options were averaged over every shown position."
                if method == "permutation"
                else "no debiased answer has a single most probable option."
            ),
        )
    answered = raw[raw["status"] == "ok"] if "status" in raw.columns else raw
    if len(answered) and "position" in raw.columns and "shown_values" in raw.columns:
        return positions_verdict(ctx.analysis, ctx.thresholds)
    return None


def positions_verdict(analysis: ModelAnalysis, th: VerdictThresholds) -> Verdict:
    rows = analysis.raw
    title = "Position habit"
    by = "order" if "order" in rows.columns else None
    got = analysis.position_bias(by)
    res, why = got.value, got.brief
    if res is None:
        return Verdict("positions", title, "n/a", "not computed", f"Position bias not computed: {why}")
    counts = res.counts
    best: tuple[float, int, int, list[str], float] | None = None  # share, position, k, orders, n
    details = []
    for k, g in counts.groupby("n_options", sort=True):
        prop = (
            g.pivot_table(index=by, columns="position", values="proportion", aggfunc="first")
            if by
            else g.set_index("position")["proportion"].to_frame().T
        )
        habit = prop.min(axis=0)  # share at this position in the order where it is lowest
        p = int(habit.idxmax())
        share = float(habit.max())
        n = float(g["n"].sum())
        orders = [str(o) for o in prop.index] if by else []
        if best is None or share > best[0] or (share == best[0] and n > best[4]):
            best = (share, p, int(k), orders, n)
        tests = res.tests[res.tests["n_options"] == k]
        for _, t in tests.iterrows():
            who = f"order {t[by]}" if by else "all"
            details.append(
                f"{int(k)} options, {who}: "
                + ", ".join(
                    f"p{int(pp)} {num(v, 2)}"
                    for pp, v in zip(
                        g[g[by] == t[by]]["position"] if by else g["position"],
                        g[g[by] == t[by]]["proportion"] if by else g["proportion"],
                    )
                )
                + f"; chi2({int(t['df'])}) = {num(t['chi2'], 1)}, {pval(t['p'])}"
            )
    assert best is not None
    share, p, k, orders, _ = best
    ordinal = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(p, f"{p}th")
    many = len(orders) >= 2
    where = (
        f"under every option order ({', '.join(orders)})"
        if many
        else (f"under the one option order ({orders[0]})" if orders else "")
    )
    fig = f"{pct(share)} of the answers are the option shown {ordinal} ({k} options) {where}".rstrip()
    mp = counts[(counts["n_options"] == k) & (counts["position"] == p)]["mean_prob"].dropna()
    if len(mp):  # logprob mode: how much probability the habit takes
        fig += f"; mean probability of that option {mp.mean():.2f}"
    data = res.counts
    if share >= th.position_fails and many:
        return Verdict(
            "positions",
            title,
            "fails",
            fig,
            f"The answers are a position habit: the model picks the option shown {ordinal}, whatever it "
            "says, so its answers do not follow the item content.",
            details=tuple(details),
            data=data,
        )
    if share >= th.position_caution:
        if many:
            sentence = (
                f"The model prefers the option shown {ordinal} in every order: part of each answer is "
                "position, not content."
            )
        else:
            sentence = (
                f"{pct(share)} of the answers are at shown position {p}; with one option order, position "
                "and content cannot be told apart (administer with --orders original,reversed)."
            )
        return Verdict("positions", title, "caution", fig, sentence, details=tuple(details), data=data)
    sentence = (
        "No shown position is chosen across option orders: the answers move with the options."
        if many
        else "No position dominates (one option order: position and content are confounded)."
    )
    return Verdict("positions", title, "ok", fig, sentence, details=tuple(details), data=data)
