"""Section ``mtmm``: the multitrait-multimethod matrix (``stats.mtmm``) of BFI-44 vs IPIP-NEO-120 on their
common scales, with its heat map."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .. import plots
from ..analyses import MTMM_INSTRUMENTS, ModelAnalysis
from ..document import Section
from .common import res_section

__all__ = ['mtmm_section']


def mtmm_section(
    analysis: ModelAnalysis,
    scores: Mapping[str, pd.DataFrame | None],
    *,
    plots_on: bool = False,
    prefix: str = "",
) -> Section | None:
    """Multitrait-multimethod matrix of BFI-44 vs IPIP-NEO-120 on their common scales (None unless
    both instruments are in the report). ``scores``: the instruments' scale scores of the report;
    the statistic is the model's shared analysis' (the MTMM verdict reads the same)."""
    a_id, b_id = MTMM_INSTRUMENTS
    if a_id not in scores or b_id not in scores:
        return None
    key, title = "mtmm", f"Multitrait-multimethod matrix: {a_id} vs {b_id}"
    a, b = scores[a_id], scores[b_id]
    if a is None or b is None:
        return Section.skipped(key, title, "scale scores of one of the instruments are missing", level=1)
    common = [s for s in a.columns if s in b.columns and s not in ("type",) and not str(s).startswith("z_")]
    res = analysis.mtmm(common)
    if not res.ok:
        return Section.skipped(key, title, res.reason, level=1)
    sec = res_section(
        key,
        title,
        res,
        level=1,
        before="Scale scores of the same simulated respondents (model/persona/template/order/repeat) "
        "on both instruments.\n\n",
    )
    if plots_on:
        sec.figures.append(
            plots.mtmm_heatmap(
                res.value.correlations, name=f"{prefix}mtmm", title=f"MTMM correlations: {a_id} vs {b_id}"
            )
        )
    return sec
