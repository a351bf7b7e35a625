"""Section ``<instrument>/norms``: ``stats.compare_norms`` of the scale scores against the instrument's
human norms (Welch test, Cohen's d with its CI): the shared analysis' result."""

from __future__ import annotations

import pandas as pd

from ..document import Section
from .common import one_line, res_section
from .context import InstrumentContext

__all__ = ['norms_section']


def norms_section(c: InstrumentContext, scores: pd.DataFrame | None, reason: str | None) -> Section | None:
    key, title = f"{c.iid}/norms", f"{c.iid}: comparison with human norms"
    if c.inst is None or not c.inst.norms:
        return None
    if scores is None:
        return Section.skipped(key, title, reason or "no scale scores")
    norms = c.analysis.norms
    lacking = [n.scale for n in c.inst.norms if n.n is None]
    if not norms:
        return Section.skipped(
            key,
            title,
            "the instrument's norms give no sample size n, which the Welch test and Cohen's d need",
        )
    res = c.analysis.compare_norms()
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    after = ""
    pops = list(dict.fromkeys(one_line(n.population) for n in c.inst.norms if n.population))
    if pops:
        after += "\n\nNorm sample: " + pops[0][:240]
    if lacking:
        after += f"\nScales without a norm sample size (not compared): {', '.join(lacking)}"
    return res_section(key, title, res, after=after)
