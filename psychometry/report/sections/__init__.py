"""The report's sections, each computed from the long results table with ``psychometry.stats`` and
``psychometry.scoring`` (nothing here re-implements a statistic: the text is the result objects'
``summary()``), one module per statistic: ``overview`` (data, refusals), per instrument
(:func:`instrument_sections`: ``scores``, ``reliability``, ``norms``, ``cfa``, ``invariance``,
``response_styles``, ``template_sensitivity``, ``order_sensitivity``, ``position_bias``,
``options``), across instruments (``mtmm``, ``behaviour``, ``direction``) and across models (``compare``).

The statistics that the verdicts read too come from the model's shared analyses
(:mod:`psychometry.report.analyses`), computed once. Every function returns one or more
:class:`~psychometry.report.document.Section` and never raises for data the statistics cannot use:
too few respondents, a constant item, a single template... give a section whose body is one
``not computed: <reason>`` line (see :func:`psychometry.report.outcome.attempt`).
"""

from __future__ import annotations

from .behaviour import behaviour_section
from .compare import comparison_sections
from .direction import direction_section
from .instrument import instrument_sections
from .mtmm import mtmm_section
from .overview import overview, refusals

__all__ = [
    "behaviour_section",
    "comparison_sections",
    "direction_section",
    "instrument_sections",
    "mtmm_section",
    "overview",
    "refusals",
]
