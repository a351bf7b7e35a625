"""Reliability sections of an instrument: ``reliability`` (alpha with its Feldt CI and omega per scale in
one table, with the forest plot; Markdown / HTML only), psych::alpha and psych::omega per scale, and the
item-rest correlations plot. The statistics are the shared analysis' (computed once, read by the
reliability verdict too)."""

from __future__ import annotations

import pandas as pd

from psychometry.stats._rprint import format_frame

from .. import plots
from ..document import Section
from ..outcome import Outcome
from .common import Printed, res_section
from .context import InstrumentContext

__all__ = ['alpha_and_omega', 'item_rest_section', 'reliability_overview']


def reliability_overview(c: InstrumentContext) -> Section | None:
    """Alpha with its Feldt CI and omega per scale in one table, and the forest plot."""
    key, title = f"{c.iid}/reliability", f"{c.iid}: reliability at a glance"
    if not c.plots:  # a Markdown / HTML section (its plot); the text report keeps psych's blocks only
        return None
    t = c.analysis.reliability_table(c.omega_min_items)
    if t.empty or not t["alpha"].notna().any():
        return None
    shown = t.set_index("scale")[["k", "n", "alpha", "alpha_low", "alpha_high", "omega_t", "omega_h"]]
    shown.columns = ["k", "n", "alpha", "a.lower", "a.upper", "omega_t", "omega_h"]
    shown.index.name = None
    table = Printed(  # the table goes through summary_html like the statistics' results
        lambda: (
            "Cronbach's alpha with the Feldt 95% confidence interval (psych::alpha) and McDonald's omega "
            "total / hierarchical (psych::omega, 6+ items; psych gives omega no interval)\n"
            + format_frame(shown, 2)
        )
    )
    sec = res_section(key, title, Outcome(value=table))
    sec.figures.append(
        plots.reliability_forest(
            {c.model_label or "alpha": t},
            name=f"{c.iid}-reliability",
            title=f"{c.iid}: reliability per scale",
        )
    )
    return sec


def alpha_and_omega(c: InstrumentContext) -> tuple[list[Section], dict[str, pd.Series]]:
    out: list[Section] = []
    r_drop: dict[str, pd.Series] = {}
    for sid in c.scale_ids:
        items = c.scale_items(sid)
        label = f"{c.iid} {sid}" + (f" ({c.scale_name(sid)})" if c.scale_name(sid) != sid else "")
        wide = c.analysis.item_matrix(sid)
        akey, atitle = f"{c.iid}/alpha/{sid}", f"{label}: Cronbach's alpha (psych::alpha)"
        okey, otitle = f"{c.iid}/omega/{sid}", f"{label}: McDonald's omega (psych::omega)"
        if not wide.ok:
            out += [Section.skipped(akey, atitle, wide.reason), Section.skipped(okey, otitle, wide.reason)]
            continue
        x = wide.value
        n = int(x.notna().any(axis=1).sum())  # respondents with at least one answered item
        if n == 0:
            why = "no answered item (every response refused or unparsed)"
            out += [Section.skipped(akey, atitle, why), Section.skipped(okey, otitle, why)]
            continue
        if len(items) < 2:
            out.append(
                Section.skipped(akey, atitle, f"scale {sid} has {len(items)} item; alpha needs at least 2")
            )
        elif n < 2:
            out.append(Section.skipped(akey, atitle, f"{n} respondent; alpha needs at least 2"))
        else:
            a = c.analysis.alpha(sid)
            if a.ok:
                out.append(res_section(akey, atitle, a))
                r_drop[sid] = a.value.item_stats["r.drop"]
            else:
                out.append(Section.skipped(akey, atitle, a.reason))
        k = len(items)
        nf = min(3, k // 3)
        if k < c.omega_min_items or nf < 2:
            out.append(
                Section.skipped(
                    okey,
                    otitle,
                    f"scale {sid} has {k} items; omega (Schmid-Leiman, "
                    f"3 items per group factor) is computed from {max(c.omega_min_items, 6)}",
                )
            )
        elif n <= k:
            out.append(
                Section.skipped(
                    okey, otitle, f"{n} respondents for {k} items; omega needs more respondents than items"
                )
            )
        else:
            o = c.analysis.omega(sid, nf)
            if o.ok:
                note = (
                    "Items are reversed by the sign of their general loading (psych's flip, marked '-'), "
                    "not by the instrument's keys, so omega's Alpha line can differ from psych::alpha's "
                    "above.\n"
                )
                out.append(res_section(okey, otitle + f", {nf} group factors", o, before=note))
            else:
                out.append(Section.skipped(okey, otitle, o.reason))
    return out, r_drop


def item_rest_section(c: InstrumentContext, r_drop: dict[str, pd.Series]) -> Section | None:
    if not c.plots or not r_drop:
        return None
    fig = plots.item_rest_correlations(
        r_drop, name=f"{c.iid}-item-rest", title=f"{c.iid}: item-rest correlations"
    )
    return Section(
        key=f"{c.iid}/item-rest",
        title=f"{c.iid}: item-rest correlations",
        body="Item-rest correlations (r.drop) of the alpha blocks above, as a plot.",
        figures=[fig],
    )
