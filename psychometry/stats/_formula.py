"""Model formulas (patsy, as statsmodels reads them): one-line errors for the models of
:mod:`psychometry.stats` (mixed, logistic, GEE)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from psychometry.errors import StatsInputError


def formula_error(
    what: str, err: Exception, data: pd.DataFrame, re_formula: str | None = None
) -> StatsInputError:
    """The StatsInputError for a formula statsmodels could not build: names the missing column."""
    m = re.search(r"name '([^']+)' is not defined", str(err))
    cols = ", ".join(map(str, data.columns))
    if m:
        where = (
            "re_formula"
            if re_formula and re.search(rf"\b{re.escape(m.group(1))}\b", re_formula)
            else "formula"
        )
        return StatsInputError(
            f"{what}: {where} names {m.group(1)!r}, which is not a column of data (columns: {cols})"
        )
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return StatsInputError(f"{what}: cannot build the model from the formula: {first}")


def check_formula(what: str, formula: object) -> str:
    if not isinstance(formula, str) or "~" not in formula:
        raise StatsInputError(f"{what}: formula must be a string like 'y ~ x1 + x2', not {formula!r}")
    return formula


def check_design(what: str, X: np.ndarray, names: list[str]) -> None:
    """A constant predictor or collinear predictors: one line naming them."""

    sd = X.std(axis=0)
    const = [
        names[j] for j in range(X.shape[1]) if sd[j] == 0 and names[j] not in ("(Intercept)", "Intercept")
    ]
    if const:
        raise StatsInputError(f"{what}: predictor(s) {', '.join(const)} do not vary; drop them")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise StatsInputError(f"{what}: the predictors are collinear ({', '.join(names)}); drop one")
