"""Section ``<instrument>/scores``: the scale scores (psychometry.scoring, or stats.scale_scores without
the instrument's definition) described per scale, with the trait profile and the score distributions."""

from __future__ import annotations

import pandas as pd

from psychometry.stats._rhtml import summary_html
from psychometry.stats._rprint import format_frame

from .. import plots
from ..document import Section
from .common import Printed, frame_text, html_warnings, with_warnings
from .context import InstrumentContext

__all__ = ['score_section', 'scores']


def scores(c: InstrumentContext) -> tuple[pd.DataFrame | None, str | None, list[str]]:
    """Instrument-scored scale scores (respondents x scales) via psychometry.scoring, or the mean-scored
    scores of stats.scale_scores when the instrument's definition is not available (the shared
    analysis' scoring)."""
    res = c.analysis.scoring
    if not res.ok:
        return None, res.reason, res.warnings
    if c.inst is not None:
        return res.value, None, res.warnings
    wide = c.analysis.scores
    assert wide is not None
    return wide.reindex(columns=[s for s in c.scale_ids if s in wide.columns]), None, res.warnings


def score_section(
    c: InstrumentContext, scores: pd.DataFrame | None, reason: str | None, warns: list[str]
) -> Section:
    key, title = f"{c.iid}/scores", f"{c.iid}: scale scores"
    if scores is None:
        return Section.skipped(key, title, reason or "no scores")
    cols = [s for s in c.scale_ids if s in scores.columns]
    desc = pd.DataFrame(
        {
            "n": scores[cols].notna().sum(),
            "mean": scores[cols].mean(),
            "sd": scores[cols].std(),
            "min": scores[cols].min(),
            "max": scores[cols].max(),
        }
    )
    desc.index = [f"{s} {c.scale_name(s)}" if c.scale_name(s) != s else s for s in cols]
    how = (
        "instrument scoring (psychometry.scoring: reverse keying, mean or sum, offset, at least half the "
        "items answered)"
        if c.inst is not None
        else "item means after reverse keying (stats.scale_scores)"
    )
    body = [f"Scale scores over simulated respondents: {how}", "", frame_text(desc)]
    if "type" in scores.columns:
        types = scores["type"].dropna().value_counts()
        if len(types):
            body += ["", "Types (dichotomies of the instrument):", types.to_string()]
    sec = Section(key=key, title=title, body=with_warnings("\n".join(body), warns))
    sec.html = summary_html(
        Printed(lambda: f"Scale scores over simulated respondents: {how}\n" + format_frame(desc, 2))
    ) + html_warnings(warns)
    if c.plots and desc["n"].sum() > 0:
        norms = (
            {n.scale: (n.mean, n.sd) for n in c.inst.norms if n.scale in cols} if c.inst is not None else {}
        )
        sec.figures.append(
            plots.trait_profile(
                {c.model_label or "model": scores[cols].astype(float)},
                name=f"{c.iid}-profile",
                title=f"{c.iid}: trait profile" + (" vs human norms" if norms else ""),
                norms=norms,
                labels={s: c.scale_name(s) for s in cols},
            )
        )
        sec.figures.append(
            plots.score_distributions(
                scores[cols],
                name=f"{c.iid}-scores",
                title=f"{c.iid}: scale score distributions",
                labels={s: c.scale_name(s) for s in cols},
            )
        )
    return sec
