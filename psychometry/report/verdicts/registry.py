"""The registry of checks: :data:`CHECKS`, in the order the findings list them.

The orchestration (:func:`psychometry.report.verdicts.compute.model_verdicts`) loops over it: a
``model`` check runs once; consecutive ``instrument`` / ``inventory`` checks run per instrument (each
instrument's checks together, in the order of the instruments). A new check is one module (a
``check`` function, see :mod:`psychometry.report.verdicts.context`) and one line here, e.g. the
behaviour verdict: ``Check("behaviour", "model", behaviour.check)``.
"""

from __future__ import annotations

from . import (
    answers,
    behaviour,
    content_signal,
    direction,
    invariance,
    mtmm,
    norms,
    order_sensitivity,
    position_bias,
    reliability,
    template_sensitivity,
)
from .context import Check

__all__ = ["CHECKS"]

CHECKS: list[Check] = [
    Check("answers", "model", answers.check),
    Check("positions", "model", position_bias.check),
    Check("content", "instrument", content_signal.check),
    Check("orders", "instrument", order_sensitivity.check),
    Check("templates", "instrument", template_sensitivity.check),
    Check("reliability", "inventory", reliability.check),
    Check("invariance", "inventory", invariance.check),
    Check("mtmm", "model", mtmm.check),
    Check("norms", "inventory", norms.check),
    Check("behaviour", "model", behaviour.check),
    Check("direction", "model", direction.check),
]
