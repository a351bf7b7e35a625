"""The column vocabulary of docs/api.md, as a check the stats tests call on every ``to_frame()``."""

from __future__ import annotations

import re

import pandas as pd

#: spellings docs/api.md replaced: p-values, intervals and counts have one name each
BANNED = re.compile(
    r"^(pvalue|pval|p_value|p-value|p_val|t_p|.*_p|ci|ci95|CI95|lower|upper|.*_lower|.*_upper|"
    r"low|high|n_obs|nobs|N|se_.*|std_err|.*[.(). ].*)$"
)
ALLOWED = {"p_adj"}


def check_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Fail when a ``to_frame()`` column is spelled outside docs/api.md's vocabulary; return ``df``."""
    assert isinstance(df, pd.DataFrame), type(df)
    bad = [c for c in map(str, df.columns) if c not in ALLOWED and (BANNED.match(c) or c != c.strip())]
    bad += [c for c in map(str, df.columns) if c.endswith("_low") and not c.endswith("ci_low")]
    bad += [c for c in map(str, df.columns) if c.endswith("_high") and not c.endswith("ci_high")]
    assert not bad, f"to_frame() columns outside docs/api.md's vocabulary: {bad}"
    return df
