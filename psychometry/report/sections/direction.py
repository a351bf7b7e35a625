"""Section ``behaviour/direction``: do self-reports predict behaviour? One model's association of each
behaviour with each trait scale (``stats.mixed_model`` with a random intercept per persona, or the
OLS slope; which one and why is printed), the share of the associations in the human direction
(``stats.direction_share`` against ``stats.human_priors``: exact binomial test, Clopper-Pearson CI),
and the self-rating against the behaviour where a trait scale and a behaviour share a name
(``stats.behaviour_consistency``). The numbers are the model's shared
:class:`~psychometry.report.direction.DirectionAnalysis`, read by the verdict too."""

from __future__ import annotations

import math

import pandas as pd

from psychometry.stats._rprint import fmt_number, format_pval, format_strings

from ..direction import DirectionAnalysis
from ..document import Section
from ..outcome import Outcome
from .common import Printed, res_section

__all__ = ["direction_section"]

KEY, TITLE = "behaviour/direction", "Do self-reports predict behaviour? Trait-behaviour associations"


def _num(x: float, digits: int = 3) -> str:
    return "NA" if x is None or not math.isfinite(float(x)) else fmt_number(float(x), digits)


def association_table(analysis: DirectionAnalysis, behaviour: str, priors: dict[tuple[str, str], int]) -> str:
    """One behaviour's associations, one row per trait, R's coefficient-table columns."""
    m = analysis.associations[analysis.associations["behaviour"] == behaviour]
    cells = pd.DataFrame(
        {
            "Estimate": [_num(v) for v in m["estimate"]],
            "Std. Error": [_num(v) for v in m["se"]],
            "df": [_num(v, 1) for v in m["df"]],
            "t value": [_num(v) for v in m["statistic"]],
            "Pr(>|t|)": format_pval(list(m["p"].astype(float)), 2),
            "2.5 %": [_num(v) for v in m["ci_low"]],
            "97.5 %": [_num(v) for v in m["ci_high"]],
            "human": [{1: "+", -1: "-"}.get(priors.get((t, behaviour), 0), "") for t in m["trait"]],
        },
    )
    cells.index = [f"{i} {s}" for i, s in zip(m["instrument"], m["scale"])]
    if analysis.method == "mixed":
        cells["singular"] = ["yes" if s else "" for s in m["singular"]]
        head = (
            f"lmer({behaviour} ~ trait + (1 | {analysis.group})), one fit per trait; "
            f"{int(m['n'].max())} observations, {int(m['n_groups'].max())} {analysis.group}s:"
        )
    else:
        head = f"lm({behaviour} ~ trait), one fit per trait; {int(m['n'].max())} persons:"
    return head + "\n\n" + format_strings(cells)


def direction_section(analysis: DirectionAnalysis | None) -> Section | None:
    """The trait-behaviour associations of one model, their direction against the human priors and
    the self-rating consistency; None without tasks and inventories given to the same persons."""
    if analysis is None:
        return None
    if analysis.reason is not None:
        return Section.skipped(KEY, TITLE, analysis.reason, level=1)
    share = analysis.share.value if analysis.share is not None else None
    priors: dict[tuple[str, str], int] = {}
    if share is not None:
        priors = {(str(t), str(b)): int(d) for t, b, d in zip(share.matches["trait"],
                  share.matches["behaviour"], share.matches["direction"])}  # fmt: skip
    note = (
        f"Persons = model x persona x repeat ({analysis.n_persons} persons); traits: every scale of the "
        "inventories given with the tasks; estimates in behaviour points per trait point. "
        f"Why this model: {analysis.method_why}. "
        "'human': the direction of the association in people (psychometry.stats.human_priors; blank: "
        "no prior).\n\n"
    )

    def text() -> str:
        parts: list[str] = []
        for beh in pd.unique(analysis.associations["behaviour"]):
            parts.append(association_table(analysis, str(beh), priors))
        if analysis.skipped:
            parts.append("Not estimated:\n" + "\n".join(f"  {s}" for s in analysis.skipped))
        if share is not None and analysis.share_row is not None:
            mt = share.matches
            cells = pd.DataFrame(
                {
                    "behaviour": list(mt["behaviour"].astype(str)),
                    "estimate": [_num(v) for v in mt["estimate"]],
                    "p": format_pval(list(mt["p"].astype(float)), 2),
                    "human": [f"{int(d):+d}"[0] for d in mt["direction"]],
                    "agrees": ["yes" if h else "no" for h in mt["human"]],
                },
                index=list(mt["trait"].astype(str)),
            )
            parts.append(
                share.summary().rstrip("\n")
                + "\n\nThe associations with a prior:\n\n"
                + format_strings(cells)
            )
        else:
            parts.append(f"Direction share: not computed: {analysis.share_reason}.")
        for trait, beh, out in analysis.consistency:
            head = f"Self-rating {trait} against behaviour {beh} (Pearson r across persons, cor.test):"
            parts.append(head + "\n\n" + (out.value.summary().rstrip("\n") if out.value is not None
                                          else f"not computed: {out.brief}"))  # fmt: skip
        return "\n\n".join(parts) + "\n"

    return res_section(
        KEY, TITLE, Outcome(value=Printed(text), warnings=list(analysis.warnings)), level=1, before=note
    )
