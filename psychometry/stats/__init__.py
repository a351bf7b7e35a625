"""psychometry.stats: psychometric statistics as pure functions over pandas DataFrames.

Each function takes a DataFrame (wide: one row per respondent, one column per item; or the long
results table of a run, see docs/architecture.md) and returns a result object with the numbers
as attributes, ``to_frame()`` and ``summary()`` (printed like R's psych / lavaan).

This sub-package imports nothing from the rest of psychometry except its error class
(``psychometry.errors.StatsInputError``): use it on human data too.
"""

from __future__ import annotations

import importlib

from psychometry.errors import StatsInputError as StatsInputError

# public name -> module that defines it
_EXPORTS = {
    # reliability
    "alpha": "reliability",
    "omega": "omega_sl",
    "splithalf": "reliability",
    "icc": "reliability",
    # validity
    "efa": "factor",
    "parallel_analysis": "factor",
    "cfa": "confirmatory",
    "mtmm": "validity",
    "compare_norms": "validity",
    # ordinal items
    "polychoric": "polycor",
    "polyserial": "polycor",
    "irt_fa": "irt",
    "irt_from_cfa": "irt",
    "multigroup_cfa": "multigroup",
    "invariance": "multigroup",
    # robustness (long results table)
    "item_matrix": "tidy",
    "refusal_rates": "robustness",
    "template_sensitivity": "robustness",
    "order_sensitivity": "robustness",
    "position_bias": "robustness",
    "response_styles": "robustness",
    "permutation_debias": "robustness",
    "pride_debias": "robustness",
    "calibrate_content_free": "robustness",
    "content_signal": "robustness",
    "scale_scores": "tidy",
    # behaviour prediction (traits -> behavioural tasks)
    "behaviour_regression": "prediction",
    "respondent_scores": "prediction",
    "trait_behaviour_scores": "prediction",
    # behaviour models (issue 18): mixed, logistic and GEE models, self-report consistency, human priors
    "mixed_model": "mixed",
    "logistic_regression": "logistic",
    "gee": "clustered",
    "behaviour_consistency": "consistency",
    "direction_share": "priors",
    "human_priors": "priors",
    # repeated games and two-turn items (issue 17)
    "game_profile": "games",
    "answer_flips": "sycophancy",
}

__all__ = sorted([*_EXPORTS, "StatsInputError"])


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'psychometry.stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # cache: later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return __all__
