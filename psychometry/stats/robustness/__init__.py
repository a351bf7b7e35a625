"""Robustness of LLM questionnaire answers, computed on the long results table.

* :func:`refusal_rates`: how often the model refuses or gives an unreadable answer (Wilson 95% CIs);
* :func:`template_sensitivity`: does the prompt template change the scale score (ICC, Friedman test,
  repeated-measures ANOVA, Holm-corrected paired comparisons);
* :func:`order_sensitivity`: does the order of the response options change the scale score (paired t,
  Wilcoxon signed-rank, correlation; Friedman across more than two orders);
* :func:`position_bias`: is a shown position chosen regardless of its content (chi-square against
  uniform; mean option probability per position in logprob mode);
* :func:`response_styles`: acquiescence, extreme and midpoint responding, straight-lining, entropy;
* :func:`permutation_debias`, :func:`pride_debias`, :func:`calibrate_content_free`: position debiasing
  of logprob-mode answers (permutation averaging and PriDe, Zheng et al. 2024; contextual calibration,
  Zhao et al. 2021), an analysis choice: the long table with debiased probabilities;
* :func:`content_signal`: does item content move the answers beyond position (a permutation test of
  the keyed direction within scales, with the separation of forward- and reverse-keyed items).

Every function is pure (DataFrame in, frozen result object out with the numbers as attributes,
``to_frame()`` and ``summary()``), vectorised over the table (groupby, no loop over rows) and takes
the column names as parameters (defaults: the long-table contract of docs/architecture.md).
Formulas, references and the tests that check each number: docs/statistics/robustness.md.
"""

from __future__ import annotations

from psychometry.stats.tidy import LongTableError

from ._shared import SIGNIFICANCE_RULE as SIGNIFICANCE_RULE
from .content_signal import ContentSignalResult, content_signal
from .debias import (
    CalibrationResult,
    PermutationDebiasResult,
    PrideDebiasResult,
    calibrate_content_free,
    permutation_debias,
    pride_debias,
)
from .order import OrderSensitivityResult, order_sensitivity
from .position import PositionBiasResult, position_bias
from .refusal import REFUSAL_FACTORS as REFUSAL_FACTORS
from .refusal import RefusalRatesResult, refusal_rates
from .styles import ResponseStylesResult, response_styles
from .template import TemplateSensitivityResult, template_sensitivity

__all__ = [
    "CalibrationResult",
    "ContentSignalResult",
    "LongTableError",
    "OrderSensitivityResult",
    "PermutationDebiasResult",
    "PositionBiasResult",
    "PrideDebiasResult",
    "RefusalRatesResult",
    "ResponseStylesResult",
    "TemplateSensitivityResult",
    "calibrate_content_free",
    "content_signal",
    "order_sensitivity",
    "permutation_debias",
    "position_bias",
    "pride_debias",
    "refusal_rates",
    "response_styles",
    "template_sensitivity",
]
