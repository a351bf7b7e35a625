"""Sections ``<instrument>/invariance/<factor>``: measurement invariance of each scale across option
orders and prompt templates (``stats.invariance``: configural, metric, scalar; lavTestLRT differences; the
changes in CFI and RMSEA against the report's Chen 2007 cut-offs)."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Sequence

import pandas as pd

from psychometry.stats._rprint import format_frame, format_pval

from ..analyses import INVARIANCE_FACTORS, invariance_holds
from ..document import Section
from ..outcome import Outcome
from ..thresholds import VerdictThresholds
from .common import Printed, one_line, res_section
from .context import InstrumentContext

__all__ = ['invariance_sections']


def invariance_sections(c: InstrumentContext, scales: Sequence[str] | None = None) -> list[Section]:
    """Measurement invariance of each scale across option orders and prompt templates (2+ levels each):
    stats.invariance's table per scale (configural, metric, scalar; lavTestLRT differences; CFI and
    RMSEA changes against the report's Chen 2007 cut-offs). The fits are the shared analysis' (the
    invariance verdicts read the same); ``scales``: the scales fitted (default: the analysed ones)."""
    if c.inst is not None and c.inst.kind == "task":
        return []
    th = c.thresholds or VerdictThresholds()
    rows = c.cond
    out: list[Section] = []
    for factor, (plural, singular) in INVARIANCE_FACTORS.items():
        if factor not in rows.columns or rows[factor].nunique() < 2:
            continue
        key = f"{c.iid}/invariance/{factor}"
        title = f"{c.iid}: measurement invariance across {plural} (lavaan multi-group CFA)"
        ana = c.analysis.invariance(factor, c.scale_ids if scales is None else scales)
        head = (
            f"Multi-group CFA per scale, groups = {plural} ({', '.join(ana.groups)}); a respondent is one "
            f"prompt condition under one {singular}. One factor per scale, reverse-keyed items reversed first; "
            f"ML on the answers as continuous (lavaan::cfa(model, data, group = \"{factor}\", group.equal = "
            "...): configural = nothing equal, metric = loadings, scalar = loadings + intercepts). Each level "
            "is tested against the previous one: chi-square difference as lavTestLRT; holds = CFI drops by "
            f"at most {th.invariance_delta_cfi:.3f} and RMSEA rises by at most "
            f"{th.invariance_delta_rmsea:.3f} (Chen 2007)."
        )
        blocks: list[tuple[str, pd.DataFrame | None, list[str]]] = []
        for si in ana.scales:
            label = f"Scale {si.scale}" + (
                f" ({c.scale_name(si.scale)})" if c.scale_name(si.scale) != si.scale else ""
            )
            label += f", {len(si.items)} items"
            if si.n and si.result is not None:
                label += "; n = " + ", ".join(f"{k} {lv}" for lv, k in si.n)
            if si.result is None:
                blocks.append((label + f": not computed: {one_line(si.reason or 'no fit')}", None, []))
                continue
            t = si.result.table
            shown = pd.DataFrame(index=list(t.index))
            shown["chisq"] = t["chisq"].astype(float)
            shown["df"] = t["df"].astype(float)
            shown["pvalue"] = format_pval(list(t["p"].astype(float)), 3)
            shown["cfi"] = t["cfi"].astype(float)
            shown["rmsea"] = t["rmsea"].astype(float)
            shown["chisq.diff"] = t["chisq_diff"].astype(float)
            shown["df.diff"] = t["df_diff"].astype(float)
            shown["p.diff"] = format_pval(list(t["p_diff"].astype(float)), 3)
            shown["cfi.delta"] = t["delta_cfi"].astype(float)
            shown["rmsea.delta"] = t["delta_rmsea"].astype(float)
            shown["holds"] = [
                "" if lv == "configural" else ("yes" if invariance_holds(t.loc[lv], th) else "no")
                for lv in t.index
            ]
            blocks.append((label, shown, list(si.warnings)))

        # the tables go through _rprint (text) and summary_html (HTML) like the other sections
        sec = res_section(key, title, Outcome(value=Printed(functools.partial(_tables, head, blocks))))
        out.append(sec)
    return out


def _tables(head: str, blocks: list[tuple[str, pd.DataFrame | None, list[str]]]) -> str:
    parts = [textwrap.fill(head, 100)]
    for label, shown, warns in blocks:
        parts.append("")
        parts.append(label)
        if shown is not None:
            parts.append(format_frame(shown, 3))
        parts += [f"Warning: {w}" for w in warns]
    return "\n".join(parts)
