"""R's printing conventions used by every summary(): non-finite numbers read as R prints them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from psychometry.stats._rprint import fmt_number, format_frame, format_frame_signif


def test_non_finite_numbers_print_as_r_does():
    # R: print(c(Inf, -Inf, NA)) gives Inf -Inf NA (a NaN statistic is reported as NA here)
    assert [fmt_number(v) for v in (math.inf, -math.inf, math.nan)] == ["Inf", "-Inf", "NA"]
    df = pd.DataFrame({"a": [-np.inf, 1.234], "b": [np.inf, np.nan]}, index=["x", "y"])
    for text in (format_frame(df), format_frame_signif(df)):
        assert "-Inf" in text and " Inf" in text and "NA" in text and "inf" not in text
