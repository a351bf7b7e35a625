"""Specification of psychometry.stats.irt (normal-ogive graded-response parameters from the ordinal factor
solution), checked against ``psych::irt.fa`` on real human data.

Reference numbers: tests/reference/ordinal_cfa.json (tests/reference/ordinal_cfa.R, psych 2.2.9):
``irt.fa(x, nfactors = 1)`` on the SD-3 Machiavellianism items (17,740 complete rows) and on bfi A1..A5
(2,436 complete rows; A1 is reverse keyed), with ``plot(res, type = "IIC")``'s item information at
theta = -3..3, and ``irt.fa(sd3, nfactors = 3)`` on all 27 SD-3 items. psych's polychoric and minres stop
at tolerances near 1e-5, hence the 1e-4 comparisons.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from psychometry.errors import StatsInputError
from psychometry.stats import cfa
from psychometry.stats.irt import irt_fa, irt_from_cfa

ROOT = Path(__file__).resolve().parents[1]
TOL = 1e-4


@pytest.fixture(scope="module", params=["committed", pytest.param("live", marks=pytest.mark.r)])
def refs(request, r_reference) -> dict:
    if request.param == "committed":
        return json.loads((ROOT / "tests" / "reference" / "ordinal_cfa.json").read_text())
    return r_reference("ordinal_cfa")


def data(case: str) -> pd.DataFrame:
    if case == "irt_sd3_M":
        sd3 = pd.read_csv(ROOT / "tests" / "data" / "sd3_openpsychometrics.csv").iloc[:, :27]
        return sd3.replace(0, np.nan).dropna()[[f"M{i}" for i in range(1, 10)]]
    bfi = pd.read_csv(ROOT / "tests" / "data" / "psych_bfi.csv").iloc[:, :25].dropna()
    return bfi[[f"A{i}" for i in range(1, 6)]]


@pytest.mark.parametrize("case", ["irt_sd3_M", "irt_bfi_A"])
def test_irt_fa_parameters_and_information_equal_psych(case, refs):
    ref = refs[case]
    res = irt_fa(data(case))
    assert list(res.discrimination.index) == ref["items"]
    np.testing.assert_allclose(res.loadings, ref["loadings"], atol=TOL)
    np.testing.assert_allclose(res.discrimination, ref["discrimination"], atol=TOL)
    np.testing.assert_allclose(
        res.difficulty.to_numpy(), np.array(ref["difficulty"]["values"], float), atol=TOL
    )
    info = res.information(ref["info_theta"], method="psych")
    np.testing.assert_allclose(info.T.to_numpy(), np.array(ref["item_information"]["values"]), atol=TOL)


def test_three_factor_irt_fa_on_all_sd3_items_equals_psych(refs):
    # irt.fa(sd3, nfactors = 3): oblimin-rotated minres loadings, one difficulty table per factor
    ref = refs["irt_sd3_3factors"]
    sd3 = pd.read_csv(ROOT / "tests" / "data" / "sd3_openpsychometrics.csv").iloc[:, :27]
    res = irt_fa(sd3.replace(0, np.nan).dropna(), nfactors=3)
    assert list(res) == ref["factors"]
    a = np.column_stack([res[f].discrimination for f in res])
    np.testing.assert_allclose(a, np.array(ref["discrimination"]["values"]), atol=TOL)
    for f, diff in zip(res, ref["difficulty"]):
        np.testing.assert_allclose(res[f].difficulty.to_numpy(), np.array(diff["values"], float), atol=TOL)


def test_parameters_are_the_normal_ogive_transformation_of_loadings_and_thresholds():
    res = irt_fa(data("irt_bfi_A"))
    lam = res.loadings.to_numpy()
    np.testing.assert_allclose(res.discrimination, lam / np.sqrt(1 - lam**2))
    np.testing.assert_allclose(res.difficulty.to_numpy(), res.tau.to_numpy() / np.sqrt(1 - lam**2)[:, None])
    assert res.discrimination["A1"] < 0 < res.discrimination["A2"]  # A1 is reverse keyed


def test_normal_information_is_the_fisher_information_of_the_graded_response_model():
    res = irt_fa(data("irt_bfi_A"))
    theta = np.array([-2.0, -0.5, 0.0, 1.3])
    info = res.information(theta).to_numpy()
    # I(theta) = E[(d log P_c / d theta)^2] with the category probabilities differentiated numerically
    for i, item in enumerate(res.discrimination.index):
        a, d = res.discrimination[item], res.difficulty.loc[item].to_numpy()

        def probs(t: float) -> np.ndarray:
            up = np.concatenate([[1.0], sps.norm.cdf(a * t - d), [0.0]])  # noqa: B023
            return up[:-1] - up[1:]

        for k, t in enumerate(theta):
            h = 1e-5
            dp = (probs(t + h) - probs(t - h)) / (2 * h)
            assert info[k, i] == pytest.approx(np.sum(dp**2 / probs(t)), rel=1e-6)
    assert res.test_information(theta).to_numpy() == pytest.approx(info.sum(axis=1))


def test_irt_from_an_ordinal_cfa_uses_standardised_loadings_and_thresholds():
    d = data("irt_bfi_A")
    fit = cfa(d, model="A =~ A1 + A2 + A3 + A4 + A5", ordered=True)
    out = irt_from_cfa(fit)["A"]
    std = fit.parameters.query("op == '=~'")["std_all"].to_numpy()
    np.testing.assert_allclose(out.discrimination, std / np.sqrt(1 - std**2))
    t1 = fit.parameters.query("op == '|' and lhs == 'A2' and rhs == 't1'")["estimate"].iloc[0]
    assert out.difficulty.loc["A2", "t1"] == pytest.approx(t1 / np.sqrt(1 - std[1] ** 2))
    with pytest.raises(StatsInputError):
        irt_fa(d, nfactors=5)


def test_irt_results_follow_the_api_convention():
    from vocabulary import check_frame

    from psychometry.stats._api import Result

    d = data("irt_bfi_A")
    res = irt_fa(d)
    assert isinstance(res, Result)
    table = check_frame(res.to_frame())
    assert list(table.columns[:1]) == ["discrimination"] and list(table.index) == list(d.columns)
    assert "discrimination" in res.summary() and "<" in res._repr_html_()
    fit = cfa(d, model="A =~ A1 + A2 + A3 + A4 + A5", ordered=True)
    new = irt_from_cfa(fit)["A"]
    check_frame(new.to_frame())
    assert res.n == new.n == len(d)
