"""Robustness of LLM questionnaire answers, computed on the long results table.

* :func:`refusal_rates`: how often the model refuses or gives an unreadable answer (Wilson 95% CIs);
* :func:`template_sensitivity`: does the prompt template change the scale score (ICC, Friedman test,
  repeated-measures ANOVA, Holm-corrected paired comparisons);
* :func:`order_sensitivity`: does the order of the response options change the scale score (paired t,
  Wilcoxon signed-rank, correlation; Friedman across more than two orders);
* :func:`position_bias`: is a shown position chosen regardless of its content (chi-square against
  uniform; mean option probability per position in logprob mode);
* :func:`response_styles`: acquiescence, extreme and midpoint responding, straight-lining, entropy.

Every function is pure (DataFrame in, frozen result object out with the numbers as attributes,
``to_frame()`` and ``summary()``), vectorised over the table (groupby, no loop over rows) and takes
the column names as parameters (defaults: the long-table contract of docs/architecture.md).
Formulas, references and the tests that check each number: docs/statistics/robustness.md.
"""

from __future__ import annotations

from psychometry.stats.tidy import LongTableError

from ._shared import SIGNIFICANCE_RULE as SIGNIFICANCE_RULE
from .order import OrderSensitivityResult, order_sensitivity
from .position import PositionBiasResult, position_bias
from .refusal import REFUSAL_FACTORS as REFUSAL_FACTORS
from .refusal import RefusalRatesResult, refusal_rates
from .styles import ResponseStylesResult, response_styles
from .template import TemplateSensitivityResult, template_sensitivity

__all__ = [
    "LongTableError",
    "OrderSensitivityResult",
    "PositionBiasResult",
    "RefusalRatesResult",
    "ResponseStylesResult",
    "TemplateSensitivityResult",
    "order_sensitivity",
    "position_bias",
    "refusal_rates",
    "response_styles",
    "template_sensitivity",
]
