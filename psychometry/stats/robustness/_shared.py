"""Helpers shared by the robustness statistics: argument checks, labels, and scale scores paired
across the levels of one factor (:func:`_paired_scores`) with the Friedman test on them."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Union

import pandas as pd
import pingouin as pg

from psychometry.stats._columns import LongColumns
from psychometry.stats.tidy import (
    FACTORS,
    LongTableError,
    present,
    require_columns,
    score_scales,
)

By = Union[None, str, Sequence[str | Sequence[str]]]  # noqa: UP007

SIGNIFICANCE_RULE = (
    "significant = Friedman test across conditions (scale scores paired on everything else), "
    "p < 1 - conf_level; our definition (Gupta et al. 2024 do not state their test)"
)


def _check_conf_level(conf_level: float, what: str) -> None:
    if not 0 < conf_level < 1:
        raise LongTableError(f"{what}: conf_level must be between 0 and 1, got {conf_level!r}")


def _tidy(table: pd.DataFrame, renamed: dict[str, str]) -> pd.DataFrame:
    """``table`` with its columns renamed to docs/api.md's vocabulary."""
    return table.rename(columns=renamed)


def _col(df: pd.DataFrame, *names: str) -> pd.Series:
    """A pingouin output column under its current or older name (p_unc / p-unc ...)."""
    for n in names:
        if n in df.columns:
            return df[n]
    raise KeyError(names[0])


def _first(df: pd.DataFrame, *names: str) -> float:
    try:
        return float(_col(df, *names).iloc[0])
    except (KeyError, IndexError, TypeError, ValueError):
        return math.nan


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return [str(c) for c in x]


def _label(key: object) -> str:
    if isinstance(key, tuple):
        return "/".join(str(k) for k in key)
    return str(key)


def _paired_scores(
    long: pd.DataFrame,
    factor: str,
    pair_on: Sequence[str] | None,
    by: Sequence[str],
    what: str,
    cols: LongColumns,
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Scale scores with a subject id (``__s``) pairing respondents on ``pair_on`` (default: every
    identifying factor except ``factor``); returns (scores, group columns, pair_on)."""
    require_columns(long, [factor], what)
    ss = score_scales(long, cols)
    if pair_on is None:
        pair_on = [c for c in present(ss, FACTORS) if c != factor and c not in by]
        if not pair_on:
            raise LongTableError(
                f"{what}: no identifying columns to pair respondents on (looked for "
                f"{', '.join(c for c in FACTORS if c != factor)}); pass pair_on="
            )
    else:
        pair_on = _as_list(pair_on)
        require_columns(ss, pair_on, what)
    groups = list(by) + present(ss, ["instrument"]) + ["scale"]
    require_columns(ss, groups, what)
    ss["__s"] = ss.groupby(pair_on, sort=False, dropna=False).ngroup()
    dup = ss.duplicated(groups + ["__s", factor])
    if dup.any():
        row = ss[dup].iloc[0]
        raise LongTableError(
            f"{what}: more than one respondent for {factor}={row[factor]!r} and "
            f"{', '.join(f'{c}={row[c]!r}' for c in pair_on)}: the pairing columns "
            f"({', '.join(pair_on)}) do not identify a respondent; pass pair_on= or by="
        )
    return ss, groups, list(pair_on)


def _friedman(dl: pd.DataFrame) -> tuple[float, float, float, float]:
    """(Q, df, p, Kendall's W) of pingouin.friedman on the long frame (subject, condition, score)."""
    if dl["condition"].nunique() < 2 or dl["subject"].nunique() < 2:
        return (math.nan,) * 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            f = pg.friedman(dl, dv="score", within="condition", subject="subject")
        except (ValueError, ZeroDivisionError, FloatingPointError):
            return (math.nan,) * 4
    return _first(f, "Q"), _first(f, "ddof1"), _first(f, "p_unc", "p-unc"), _first(f, "W")


def _complete_long(
    g: pd.DataFrame, factor: str, levels: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide (subject x level) complete cases and the same as a long (subject, condition, score) frame."""
    wide = g.pivot(index="__s", columns=factor, values="score")
    if levels is not None:
        wide = wide.reindex(columns=list(levels))
    wide = wide.dropna()
    dl = wide.stack().rename("score").reset_index()
    dl.columns = ["subject", "condition", "score"]
    dl["condition"] = dl["condition"].astype(str)
    return wide, dl
