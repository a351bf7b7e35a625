"""Verdicts: the findings a report leads with, computed per model from the package's statistics.

Each :class:`Verdict` answers one question about one model's answers (does it answer at all? are
the answers a position habit? does item content move them beyond position? do option order and prompt template move the scores? are the scales
reliable? may scores be compared across option orders and prompt templates (measurement
invariance)? do two instruments of the same traits agree (MTMM)? how far from human norms? do traits
predict behaviour?) with a level (``ok`` / ``caution`` / ``fails``; ``n/a`` when the design does not
allow the check), the figure it rests on and one sentence. :func:`compute_verdicts` returns one
:class:`ModelVerdicts` per model: models are never pooled.

One check per module, named by the statistic it reads (``answers``, ``position_bias``,
``content_signal``, ``order_sensitivity``, ``template_sensitivity``, ``reliability``, ``invariance``, ``mtmm``,
``norms``, ``behaviour``); :data:`~psychometry.report.verdicts.registry.CHECKS` lists them in the
order of the findings, and :func:`model_verdicts` (:mod:`.compute`) loops over it. The statistics
come from the model's shared analyses (:mod:`psychometry.report.analyses`, computed once and read by
the report's sections too); nothing here re-implements a statistic.

The cut-offs are a :class:`VerdictThresholds` (defaults with their sources in
:data:`THRESHOLD_SOURCES` and docs/report.md; load your own with :func:`load_thresholds`).
"""

from __future__ import annotations

from ..analyses import (
    INVARIANCE_FACTORS,
    INVARIANCE_LEVELS,
    MTMM_INSTRUMENTS,
    InvarianceAnalysis,
    ScaleInvariance,
    behaviour_analysis,
    instrument_scores,
    invariance_analysis,
    invariance_holds,
)
from ..thresholds import THRESHOLD_SOURCES, VerdictThresholds, load_thresholds
from .compute import compute_verdicts, model_verdicts, verdicts_text
from .model import LEVELS, ModelVerdicts, Verdict

__all__ = [
    "INVARIANCE_FACTORS",
    "INVARIANCE_LEVELS",
    "LEVELS",
    "MTMM_INSTRUMENTS",
    "THRESHOLD_SOURCES",
    "InvarianceAnalysis",
    "ModelVerdicts",
    "ScaleInvariance",
    "Verdict",
    "VerdictThresholds",
    "behaviour_analysis",
    "compute_verdicts",
    "instrument_scores",
    "invariance_analysis",
    "invariance_holds",
    "load_thresholds",
    "model_verdicts",
    "verdicts_text",
]
