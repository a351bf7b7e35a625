"""Section ``<instrument>/positions``: ``stats.position_bias`` by option order, with the heat map of the
shares by template, order and shown position: the shared analysis' results."""

from __future__ import annotations

from .. import plots
from ..document import Section
from .common import res_section
from .context import InstrumentContext

__all__ = ['position_section']


def position_section(c: InstrumentContext) -> Section:
    key, title = f"{c.iid}/positions", f"{c.iid}: option-position bias"
    rows = c.cond
    by = "order" if "order" in rows.columns else None
    res = c.analysis.position_bias(by)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    sec = res_section(key, title, res)
    if c.plots and len(res.value.counts):
        grid = [col for col in ("template", "order") if col in rows.columns]
        heat = c.analysis.position_bias(grid or None)
        if heat.ok:
            sec.figures.append(
                plots.position_heatmap(
                    heat.value.counts,
                    name=f"{c.iid}-positions",
                    title=f"{c.iid}: share of answers by shown position",
                    rows=tuple(grid),
                )
            )
    return sec
