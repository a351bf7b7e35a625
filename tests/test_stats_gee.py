"""psychometry.stats.gee against geepack::geeglm (tests/reference/gee.R).

What equals geeglm (1e-6): coefficients, robust (sandwich) standard errors, Wald chi-square, p,
the Wald intervals, the scale (phi = sum of squared Pearson residuals / N, estimated for the
binomial family too, as geeglm does) and the exchangeable working correlation alpha. The standard
errors of phi and alpha that geepack prints are not computed. ``summary()`` has geepack's layout
(its coefficient table is printed with R's printCoefmat rule, which geepack's digits do not
always follow: the numbers are compared, not that block).
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
from psychometry.stats.clustered import gee

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = pd.read_csv(ROOT / "tests" / "data" / "behaviour_rounds.csv")
COMMITTED = json.loads((ROOT / "tests" / "reference" / "gee.json").read_text())


def compare(case: dict) -> None:
    res = gee(
        ROUNDS, formula=case["formula"], groups="persona", family=case["family"], cov_struct=case["corstr"]
    )
    co = res.coefficients
    for col, key in (("estimate", "estimate"), ("se", "se"), ("wald", "wald"), ("p", "p"), ("ci_low", "ci_low"),
                     ("ci_high", "ci_high")):  # fmt: skip
        assert list(co.index) == list(case[key])
        np.testing.assert_allclose(co[col], list(case[key].values()), rtol=1e-6, atol=1e-8, err_msg=col)
    assert res.scale == pytest.approx(case["scale"], rel=1e-6)
    if case["corstr"] == "exchangeable":
        assert res.alpha == pytest.approx(case["alpha"], rel=1e-6, abs=1e-9)
    assert (res.n, res.n_clusters) == (case["nobs"], case["n_clusters"])
    printed = res.summary().split("\n")
    for line in case["printed"]:
        if line.startswith(("Correlation structure", "Number of clusters", " Coefficients:", "Estimated")):
            assert line in printed, line


@pytest.mark.parametrize("name", sorted(COMMITTED["cases"]))
def test_gee_equals_geepack(name):
    compare(COMMITTED["cases"][name])


def test_result_follows_the_api_convention():
    res = gee(ROUNDS, formula="cooperate ~ trait + round", groups="persona")
    f = check_frame(res.to_frame())
    assert list(f.columns[:8]) == ["term", "estimate", "se", "statistic", "df", "p", "ci_low", "ci_high"]
    assert "<table" in res._repr_html_()
    assert s.gee is gee


def test_bad_input_is_one_line_naming_the_argument():
    with pytest.raises(StatsInputError, match=r"formula names 'nope'"):
        gee(ROUNDS, formula="cooperate ~ nope", groups="persona")
    with pytest.raises(StatsInputError, match=r"groups 'who' is not a column"):
        gee(ROUNDS, formula="cooperate ~ trait", groups="who")
    with pytest.raises(StatsInputError, match=r"groups 'model' has 1 group"):
        gee(ROUNDS[ROUNDS["model"] == "m1"], formula="cooperate ~ trait", groups="model")
    with pytest.raises(StatsInputError, match=r"outcome 'giving' must be binary"):
        gee(ROUNDS, formula="giving ~ trait", groups="persona")
    with pytest.raises(StatsInputError, match=r"predictor\(s\) k do not vary"):
        gee(ROUNDS.assign(k=1.0), formula="cooperate ~ trait + k", groups="persona")
    with pytest.raises(StatsInputError, match="cov_struct must be one of exchangeable, independence"):
        gee(ROUNDS, formula="cooperate ~ trait", groups="persona", cov_struct="ar1")
    with pytest.raises(StatsInputError, match="family must be one of"):
        gee(ROUNDS, formula="cooperate ~ trait", groups="persona", family="gamma")


@pytest.fixture(scope="module")
def live(r_reference):
    return r_reference("gee")


@pytest.mark.r
@pytest.mark.parametrize("name", sorted(COMMITTED["cases"]))
def test_gee_equals_geepack_live(live, name):
    compare(live["cases"][name])


def test_a_fit_without_a_finite_solution_is_one_line_not_nan_estimates():
    # every persona answers 1, 0, 1, 0 (the option order alternates: a position habit), whatever its trait
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        [
            {"persona": f"p{p}", "choice": k % 2, "A": a}
            for p, a in enumerate(rng.normal(size=30))
            for k in range(4)
        ]
    )
    with pytest.raises(
        StatsInputError, match=r"^gee: the estimating equations have no finite solution"
    ) as exc:
        gee(data, formula="choice ~ A", groups="persona")
    assert "\n" not in str(exc.value)
