"""The sections of one instrument, in the report's order: header, scale scores, reliability (the table,
psych::alpha and psych::omega per scale, item-rest correlations), human norms, CFA, measurement
invariance, response styles, template and option-order sensitivity, position bias, option probabilities."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..analyses import InstrumentAnalysis
from ..document import Section
from ..thresholds import VerdictThresholds
from .cfa import cfa_section
from .common import n_respondents, one_line
from .context import InstrumentContext
from .game import flip_sections, game_sections
from .invariance import invariance_sections
from .norms import norms_section
from .options import option_curves_section
from .order_sensitivity import order_section
from .position_bias import position_section
from .reliability import alpha_and_omega, item_rest_section, reliability_overview
from .response_styles import styles_section
from .scores import score_section, scores
from .template_sensitivity import template_section

__all__ = ['header', 'instrument_sections']


def header(c: InstrumentContext) -> Section:
    lines = []
    if c.inst is not None:
        lines.append(c.inst.name + (f" (version {c.inst.version})" if c.inst.version else ""))
        lines.append(one_line(c.inst.citation)[:300])
    if c.analysis.is_game:
        games = c.long.groupby(["respondent", "opponent"]).ngroups
        lines.append(
            f"{c.long['round'].max()} rounds against {c.long['opponent'].nunique()} opponents; "
            f"{n_respondents(c.long)} simulated respondents, {games} games"
        )
    else:
        lines.append(
            f"{c.long['item'].nunique()} items on {len(c.scale_ids)} scales; "
            f"{n_respondents(c.long)} simulated respondents"
        )
    title = f"{c.iid}: {c.inst.name}" if c.inst is not None else c.iid
    return Section(key=c.iid, title=title, level=2, body="\n".join(lines))


def instrument_sections(
    analysis: InstrumentAnalysis,
    *,
    plots: bool = True,
    omega_min_items: int = 6,
    cfa_min_per_item: float = 2.0,
    cfa_max_items: int | None = 60,
    model_label: str = "",
    thresholds: VerdictThresholds | None = None,
    invariance_scales: Sequence[str] | None = None,
) -> tuple[list[Section], pd.DataFrame | None]:
    """Every section of one instrument of one model (its shared analysis: the rows analysed as
    respondents, prompt conditions or persons with the conditions averaged, and the condition-level
    rows for the robustness sections), and its scale scores (respondents x scales, used by the MTMM
    section).

    ``thresholds``: the verdicts' cut-offs (the invariance tables' "holds" column);
    ``invariance_scales``: the scales of the invariance fits (default: the analysed rows' scales)."""
    c = InstrumentContext(
        analysis=analysis,
        plots=plots,
        omega_min_items=omega_min_items,
        cfa_min_per_item=cfa_min_per_item,
        cfa_max_items=cfa_max_items,
        model_label=model_label,
        thresholds=thresholds,
    )
    if analysis.is_game:  # a repeated game: its profile, not scale statistics
        return [header(c), *game_sections(c)], None
    if analysis.is_two_turn:  # items asked twice (before and after pushback): the answer changes
        return [header(c), *flip_sections(c)], None
    sc, reason, warns = scores(c)
    out = [header(c), score_section(c, sc, reason, warns)]
    overview = reliability_overview(c)
    if overview is not None:
        out.append(overview)
    rel, r_drop = alpha_and_omega(c)
    out += rel
    extra = item_rest_section(c, r_drop)
    if extra is not None:
        out.append(extra)
    norms = norms_section(c, sc, reason)
    if norms is not None:
        out.append(norms)
    out.append(cfa_section(c))
    out += invariance_sections(c, invariance_scales)
    out += [styles_section(c), template_section(c), order_section(c), position_section(c)]
    curves = option_curves_section(c)
    if curves is not None:
        out.append(curves)
    return out, sc
