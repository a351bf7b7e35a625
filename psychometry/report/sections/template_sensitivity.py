"""Section ``<instrument>/templates``: ``stats.template_sensitivity`` (Friedman test, Kendall's W) across
the prompt templates, with the template means plot: the shared analysis' result."""

from __future__ import annotations

import psychometry.stats as st

from .. import plots
from ..document import Section
from ..outcome import attempt
from .common import res_section
from .context import InstrumentContext

__all__ = ['template_section']


def template_section(c: InstrumentContext) -> Section:
    key, title = f"{c.iid}/templates", f"{c.iid}: prompt-template sensitivity"
    rows = c.cond
    if "template" not in rows.columns:
        return Section.skipped(key, title, "the table has no template column")
    if rows["template"].nunique() < 2:
        return Section.skipped(
            key,
            title,
            f"one prompt template only ({rows['template'].iloc[0]}); "
            "administer with several templates to compare them",
        )
    res = c.analysis.template_sensitivity()
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    sec = res_section(key, title, res)
    if c.plots:
        ss = attempt(st.scale_scores, rows)
        if ss.ok and ss.value["score"].notna().any():
            sec.figures.append(
                plots.template_means(
                    ss.value, name=f"{c.iid}-templates", title=f"{c.iid}: mean scale score by prompt template"
                )
            )
    return sec
