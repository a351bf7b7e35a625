"""Section ``<instrument>/styles``: ``stats.response_styles`` of the options chosen."""

from __future__ import annotations

import psychometry.stats as st

from ..document import Section
from ..outcome import attempt
from .common import res_section
from .context import InstrumentContext

__all__ = ['styles_section']


def styles_section(c: InstrumentContext) -> Section:
    key, title = f"{c.iid}/styles", f"{c.iid}: response styles"
    # styles describe the options chosen, also when the report analyses probability-weighted answers
    rows = c.cond.assign(value=c.cond["_chosen"]) if "_chosen" in c.cond.columns else c.cond
    res = attempt(st.response_styles, rows)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    return res_section(key, title, res)
