"""psychometry.stats.logistic_regression against R's glm(family = binomial) (tests/reference/logistic.R).

What equals R (1e-8 absolute or relative): coefficients, standard errors, z, p, the Wald intervals
(``confint.default``) and odds ratios, null and residual deviance, AIC, BIC, logLik, the number of
Fisher scoring iterations, and ``summary()`` line for line but the call's data name.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vocabulary import check_frame

import psychometry.stats as s
from psychometry.errors import StatsInputError
from psychometry.stats.logistic import logistic_regression

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
COMMITTED = json.loads((ROOT / "tests" / "reference" / "logistic.json").read_text())
FRAMES = {"mtcars": pd.read_csv(DATA / "mtcars.csv"), "rounds": pd.read_csv(DATA / "behaviour_rounds.csv")}
COLUMNS = (
    "estimate",
    "se",
    "z",
    "p",
    "ci_low",
    "ci_high",
    "odds_ratio",
    "odds_ratio_ci_low",
    "odds_ratio_ci_high",
)


def compare(name: str, case: dict) -> None:
    res = logistic_regression(FRAMES[name.split("_")[0]], formula=case["formula"])
    for col in COLUMNS:
        assert list(res.coefficients.index) == list(case[col])
        np.testing.assert_allclose(
            res.coefficients[col], list(case[col].values()), rtol=1e-8, atol=1e-10, err_msg=col
        )
    for attr in ("null_deviance", "deviance", "aic", "bic", "loglik"):
        assert getattr(res, attr) == pytest.approx(case[attr], abs=1e-8), attr
    assert (res.df_null, res.df_resid, res.n, res.iterations) == (
        case["df_null"],
        case["df_resid"],
        case["nobs"],
        case["iterations"],
    )
    printed = res.summary().split("\n")
    cut = printed.index("Odds ratios with Wald 95% intervals (exp(confint.default(fit))):")
    assert [ln for ln in printed[:cut] if not ln.startswith("glm(")] == [
        ln for ln in case["printed"] if not ln.startswith("glm(")
    ]


@pytest.mark.parametrize("name", sorted(COMMITTED["cases"]))
def test_logistic_regression_equals_r_glm(name):
    compare(name, COMMITTED["cases"][name])


def test_result_follows_the_api_convention():
    res = logistic_regression(FRAMES["rounds"], formula="cooperate ~ trait + round")
    f = check_frame(res.to_frame())
    assert list(f.columns[:7]) == ["term", "estimate", "se", "statistic", "p", "ci_low", "ci_high"]
    assert "<table" in res._repr_html_()
    assert s.logistic_regression is logistic_regression
    narrow = logistic_regression(FRAMES["rounds"], formula="cooperate ~ trait", conf_level=0.8)
    assert narrow.coefficients["ci_high"]["trait"] < res.coefficients["ci_high"]["trait"] + 1


def test_a_boolean_outcome_is_read_as_0_1():
    d = FRAMES["rounds"].assign(cooperate=FRAMES["rounds"]["cooperate"].astype(bool))
    a = logistic_regression(d, formula="cooperate ~ trait")
    b = logistic_regression(FRAMES["rounds"], formula="cooperate ~ trait")
    np.testing.assert_allclose(a.coefficients["estimate"], b.coefficients["estimate"])


def test_bad_input_is_one_line_naming_the_argument():
    d = FRAMES["rounds"]
    with pytest.raises(StatsInputError, match=r"formula names 'nope', which is not a column"):
        logistic_regression(d, formula="cooperate ~ nope")
    with pytest.raises(StatsInputError, match=r"outcome 'giving' must be binary"):
        logistic_regression(d, formula="giving ~ trait")
    with pytest.raises(StatsInputError, match=r"predictor\(s\) const do not vary"):
        logistic_regression(d.assign(const=2.0), formula="cooperate ~ trait + const")
    sep = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1], "x": [1.0, 2, 3, 4, 5, 6]})
    with pytest.raises(StatsInputError, match="perfectly separated"):
        logistic_regression(sep, formula="y ~ x")
    with pytest.raises(StatsInputError, match="formula must be a string"):
        logistic_regression(d, formula="cooperate")


@pytest.fixture(scope="module")
def live(r_reference):
    return r_reference("logistic")


@pytest.mark.r
@pytest.mark.parametrize("name", sorted(COMMITTED["cases"]))
def test_logistic_regression_equals_r_glm_live(live, name):
    compare(name, live["cases"][name])
