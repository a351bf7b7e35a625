"""Section ``behaviour``: ``stats.behaviour_regression`` of each behavioural task's score on the first
inventory's scales (R's summary(lm()) layout), with a plot of each behaviour against each trait."""

from __future__ import annotations

from .. import plots
from ..analyses import BehaviourAnalysis
from ..document import Section
from ..outcome import Outcome
from .common import res_section

__all__ = ['behaviour_section']


def behaviour_section(
    analysis: BehaviourAnalysis | None, *, plots_on: bool = True, prefix: str = ""
) -> Section | None:
    """Behaviour prediction (stats.behaviour_regression of each task score on the first inventory's
    scales, persons = model/persona/repeat, conditions averaged) when tasks and inventories were given
    to the same persons (``analysis``: the model's shared behaviour analysis, read by the behaviour
    verdict too); None otherwise."""
    out = analysis
    if out is None:
        return None
    key, title = "behaviour", "Behaviour prediction: behavioural tasks regressed on traits"
    traits, behaviour, res, why = out
    if res is None:
        return Section.skipped(key, title, why or "no regression", level=1)
    note = (
        "Persons = model x persona x repeat; each score is the mean over the person's prompt conditions "
        "(psychometry.stats.trait_behaviour_scores). Predictors: the scales of the first inventory. "
        "OLS, R's summary(lm()) layout.\n\n"
    )
    sec = res_section(key, title, Outcome(value=res), level=1, before=note)
    if plots_on:
        assert traits is not None and behaviour is not None  # a regression was fitted on them
        preds = list(res.fits[next(iter(res.fits))].predictors)
        sec.figures.append(
            plots.behaviour_scatter(
                traits[preds],
                behaviour[list(res.fits)],
                name=f"{prefix}behaviour",
                title="Behaviour against each trait",
            )
        )
    return sec
