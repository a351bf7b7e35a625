"""Section ``<instrument>/cfa``: ``stats.cfa`` of the intended scale structure (one factor per scale,
lavaan::cfa), when enough respondents answered every item."""

from __future__ import annotations

import numpy as np

import psychometry.stats as st
from psychometry.stats.reliability import reverse_items

from ..document import Section
from ..outcome import attempt
from .common import res_section
from .context import InstrumentContext

__all__ = ['cfa_section']


def cfa_section(c: InstrumentContext) -> Section:
    key, title = f"{c.iid}/cfa", f"{c.iid}: confirmatory factor analysis of the scale structure (lavaan::cfa)"
    model = {sid: c.scale_items(sid) for sid in c.scale_ids}
    model = {s: items for s, items in model.items() if len(items) >= 2}
    if not model:
        return Section.skipped(key, title, "no scale with at least 2 items")
    p = sum(len(v) for v in model.values())
    if c.cfa_max_items is not None and p > c.cfa_max_items:
        return Section.skipped(
            key,
            title,
            f"{p} items in the model, more than cfa_max_items = "
            f"{c.cfa_max_items} (a fit of this size takes long; raise the limit to fit it)",
        )
    wide = attempt(st.item_matrix, c.long)
    if not wide.ok:
        return Section.skipped(key, title, wide.reason)
    x = wide.value
    n_complete = int(x[[i for v in model.values() for i in v]].dropna().shape[0])
    need = int(np.ceil(c.cfa_min_per_item * p))
    if n_complete < need:
        return Section.skipped(
            key,
            title,
            f"{n_complete} respondents answered every item; the CFA of {p} items "
            f"needs at least {need} ({c.cfa_min_per_item:g} per item)",
        )
    items = [i for v in model.values() for i in v]
    keys = c.reversed_items(items)
    if keys:  # reverse-keyed items reversed first: same fit, all loadings positive (better start values)
        rev = attempt(reverse_items, x[items], keys)
        if not rev.ok:
            return Section.skipped(key, title, rev.reason)
        x = rev.value
    res = attempt(st.cfa, x, model=model)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    spec = "\n".join(f"  {f} =~ {' + '.join(items)}" for f, items in model.items())
    note = (
        f"\nReverse-keyed items ({len(keys)}) were reversed before fitting (psych's max + min - x), so "
        "every loading is expected to be positive; the fit does not depend on it."
        if keys
        else ""
    )
    return res_section(
        key,
        title,
        res,
        before=f"Model (one factor per scale, as keyed by the instrument):\n{spec}{note}\n\n",
        preformatted_before=True,
    )
