"""Specification of psychometry.stats.invariance (multi-group CFA, measurement invariance; ML), checked
against R's lavaan.

Reference numbers: tests/reference/invariance.json (tests/reference/invariance.R, lavaan 0.6-14):
``cfa(model, data, group = g, group.equal = ...)`` at the configural, metric (loadings), scalar (+ intercepts)
and strict (+ residuals) levels, ``fitMeasures``, ``parameterEstimates`` and ``lavTestLRT`` on Holzinger &
Swineford (1939) by school (the lavaan tutorial's example: chisq 115.851 / 124.044 / 164.103 on 48 / 54 /
60 df) and on psych's bfi A and C items by gender (2,632 real respondents). With Rscript on the PATH the
comparisons also run against a fresh R run (marker ``r``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vocabulary import check_frame

from psychometry.errors import StatsInputError
from psychometry.stats._api import Result
from psychometry.stats.confirmatory import LAVAAN_COLUMNS
from psychometry.stats.multigroup import (
    LEVELS,
    InvarianceResult,
    MultiGroupCFAResult,
    invariance,
    multigroup_cfa,
)
from psychometry.stats.ordinal_groups import MultiGroupWLSMVResult

ROOT = Path(__file__).resolve().parents[1]
FIT_KEYS = [
    "npar",
    "fmin",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "baseline.pvalue",
    "cfi",
    "tli",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "rmsea.pvalue",
    "srmr",
    "ntotal",
]
_CACHE: dict[str, object] = {}


@pytest.fixture(scope="module", params=["committed", pytest.param("live", marks=pytest.mark.r)])
def refs(request, r_reference) -> dict:
    if request.param == "committed":
        return json.loads((ROOT / "tests" / "reference" / "invariance.json").read_text())
    return r_reference("invariance")


def data_for(case: str) -> pd.DataFrame:
    if case == "hs39_school":
        return pd.read_csv(ROOT / "tests" / "data" / "holzinger_swineford_1939.csv")
    bfi = pd.read_csv(ROOT / "tests" / "data" / "psych_bfi.csv")
    return bfi[[*bfi.columns[:10], "gender"]].dropna(subset=list(bfi.columns[:10]))


def fitted(case: str, ref: dict):
    if case not in _CACHE:
        _CACHE[case] = invariance(data_for(case), model=ref["model"], group=ref["group"])
    return _CACHE[case]


@pytest.mark.parametrize("case", ["hs39_school", "bfi_gender"])
def test_every_level_equals_lavaan_group_equal(case, refs):
    ref = refs[case]
    res = fitted(case, ref)
    for level in LEVELS:
        fit = res.fits[level]
        assert fit.converged
        assert fit.groups == [str(g) for g in ref["group_labels"]] and fit.n == ref["n"]
        assert list(fit.group_equal) == list(ref[level]["group_equal"])
        for key in FIT_KEYS:
            # SRMR moves with the estimates, where lavaan's nlminb stops about 1e-5 short
            rel = 1e-5 if key == "srmr" else 1e-6
            assert fit.fit[key] == pytest.approx(ref[level]["fit"][key], rel=rel, abs=1e-8), (level, key)
        exp = pd.DataFrame(ref[level]["estimates"]).rename(columns=LAVAAN_COLUMNS)
        got = fit.parameters
        assert list(got["lhs"]) == list(exp["lhs"]) and list(got["op"]) == list(exp["op"])
        assert list(got["group"]) == list(exp["group"])
        np.testing.assert_allclose(got["estimate"], exp["estimate"], atol=1e-4)
        np.testing.assert_allclose(got["se"], exp["se"], atol=1e-5)


@pytest.mark.parametrize("case", ["hs39_school", "bfi_gender"])
def test_chi_square_difference_tests_equal_lavtestlrt(case, refs):
    lrt = refs[case]["lrt"]
    table = fitted(case, refs[case]).table
    assert list(table.index) == lrt["models"]
    np.testing.assert_allclose(table["chisq"], lrt["chisq"], rtol=1e-6)
    np.testing.assert_array_equal(table["df"], lrt["df"])
    np.testing.assert_allclose(table["chisq_diff"].iloc[1:], lrt["chisq_diff"][1:], rtol=1e-5)
    np.testing.assert_array_equal(table["df_diff"].iloc[1:], lrt["df_diff"][1:])
    np.testing.assert_allclose(table["p_diff"].iloc[1:], lrt["p"][1:], rtol=1e-4, atol=1e-12)


def test_hs39_reproduces_the_lavaan_tutorial_and_chen_verdicts(refs):
    t = fitted("hs39_school", refs["hs39_school"]).table
    assert [round(x, 3) for x in t["chisq"][:3]] == [115.851, 124.044, 164.103]
    # metric holds (Delta CFI -.003, Delta RMSEA -.004), scalar does not (Delta CFI -.038)
    assert t.loc["metric", "chen2007"] and not t.loc["scalar", "chen2007"]
    assert t.loc["scalar", "delta_cfi"] == pytest.approx(-0.0384, abs=5e-4)
    assert "Chen 2007" in fitted("hs39_school", refs["hs39_school"]).summary()


def test_bad_arguments():
    hs = data_for("hs39_school")
    model = "visual =~ x1 + x2 + x3"
    with pytest.raises(StatsInputError, match="group column"):
        multigroup_cfa(hs, model=model, group="county")
    with pytest.raises(StatsInputError, match="group_equal"):
        multigroup_cfa(hs, model=model, group="school", group_equal=["slopes"])
    with pytest.raises(StatsInputError, match="unknown level"):
        invariance(hs, model=model, group="school", levels=["configural", "partial"])


# ---------------------------------------------------------------- ordinal items (WLSMV)
ORD_FIT_KEYS = [
    "npar",
    "fmin",
    "chisq",
    "df",
    "pvalue",
    "chisq.scaled",
    "df.scaled",
    "pvalue.scaled",
    "chisq.scaling.factor",
    "baseline.chisq",
    "baseline.df",
    "baseline.chisq.scaled",
    "cfi",
    "tli",
    "cfi.scaled",
    "tli.scaled",
    "rmsea",
    "rmsea.scaled",
    "srmr",
    "ntotal",
    # robust (catML); lavaan gives NA once thresholds are constrained, and so do we
    "cfi.robust",
    "tli.robust",
    "rmsea.robust",
    "rmsea.ci.lower.robust",
    "rmsea.ci.upper.robust",
    "rmsea.pvalue.robust",
    "rmsea.notclose.pvalue.robust",
]


def ordinal_data(case: str) -> pd.DataFrame:
    if case == "bfi_gender_ordinal":
        return data_for("bfi_gender")
    sd3 = pd.read_csv(ROOT / "tests" / "data" / "sd3_openpsychometrics.csv")
    sd3 = sd3[sd3["country"].isin(["US", "GB"])][[f"M{i}" for i in range(1, 10)] + ["country"]]
    return sd3.replace(0, np.nan).dropna()


def ordinal_fitted(case: str, ref: dict):
    key = "ord:" + case
    if key not in _CACHE:
        _CACHE[key] = invariance(ordinal_data(case), model=ref["model"], group=ref["group"], ordered=True)
    return _CACHE[key]


@pytest.mark.parametrize("case", ["bfi_gender_ordinal", "sd3_country_ordinal"])
def test_ordinal_levels_equal_lavaan_wlsmv_group_equal(case, refs):
    ref = refs[case]
    res = ordinal_fitted(case, ref)
    for level in ("configural", "metric", "scalar"):
        fit = res.fits[level]
        assert fit.converged and fit.groups == [str(g) for g in ref["group_labels"]] and fit.n == ref["n"]
        for key in ORD_FIT_KEYS:
            expected = ref[level]["fit"][key]
            if expected is None:
                assert np.isnan(fit.fit[key]), (level, key)
            else:
                assert fit.fit[key] == pytest.approx(expected, rel=1e-6, abs=1e-9), (level, key)
        assert fit.fit["shift"] == pytest.approx(ref[level]["shift_parameter"], rel=1e-6)
        exp = pd.DataFrame(ref[level]["estimates"]).rename(columns=LAVAAN_COLUMNS)
        got = fit.parameters
        assert list(got["lhs"]) == list(exp["lhs"]) and list(got["op"]) == list(exp["op"])
        assert list(got["rhs"]) == list(exp["rhs"]) and list(got["group"]) == list(exp["group"])
        np.testing.assert_allclose(got["estimate"], exp["estimate"], atol=2e-5)
        np.testing.assert_allclose(got["se"], exp["se"], atol=2e-6)


@pytest.mark.parametrize("case", ["bfi_gender_ordinal", "sd3_country_ordinal"])
def test_ordinal_scaled_difference_tests_equal_lavtestlrt_satorra_2000(case, refs):
    lrt = refs[case]["lrt"]
    assert "satorra.2000" in lrt["method"]
    t = ordinal_fitted(case, refs[case]).table
    np.testing.assert_allclose(t["chisq_standard"], lrt["chisq"], rtol=1e-6)
    np.testing.assert_allclose(t["chisq_diff"].iloc[1:], lrt["chisq_diff"][1:], rtol=1e-5)
    np.testing.assert_array_equal(t["df_diff"].iloc[1:], lrt["df_diff"][1:])
    np.testing.assert_allclose(t["p_diff"].iloc[1:], lrt["p"][1:], rtol=1e-4, atol=1e-15)
    assert "Satorra 2000" in ordinal_fitted(case, refs[case]).summary()


def test_ordinal_group_without_a_category_is_refused():
    d = ordinal_data("bfi_gender_ordinal").copy()
    d.loc[d["gender"] == 1, "A1"] = d.loc[d["gender"] == 1, "A1"].clip(upper=5)
    with pytest.raises(StatsInputError, match="same categories"):
        multigroup_cfa(d, model="A =~ A1 + A2 + A3", group="gender", ordered=True)


def test_cfa_group_argument_is_the_multigroup_fit(refs):
    from psychometry.stats import cfa

    ref = refs["hs39_school"]
    res = cfa(data_for("hs39_school"), model=ref["model"], group="school", group_equal=["loadings"])
    assert res.fit["chisq"] == pytest.approx(ref["metric"]["fit"]["chisq"], rel=1e-6)
    ordinal = cfa(
        ordinal_data("bfi_gender_ordinal"),
        model=refs["bfi_gender_ordinal"]["model"],
        group="gender",
        ordered=True,
    )
    assert ordinal.fit["chisq.scaled"] == pytest.approx(
        refs["bfi_gender_ordinal"]["configural"]["fit"]["chisq.scaled"], rel=1e-6
    )
    with pytest.raises(StatsInputError, match="group_equal needs group"):
        cfa(data_for("hs39_school"), model=ref["model"], group_equal=["loadings"])


# ---------------------------------------------------------------- docs/api.md: one vocabulary, old spellings deprecated


def test_results_follow_the_api_convention(refs):
    res = fitted("hs39_school", refs["hs39_school"])
    assert isinstance(res, InvarianceResult) and isinstance(res, Result)
    table = check_frame(res.to_frame())
    assert "p" in table.columns and "pvalue" not in table.columns
    assert list(table.index) == list(LEVELS) and table.index.name == "level"
    assert "Chen 2007" in res._repr_html_()
    fit = res.fits["metric"]
    assert isinstance(fit, MultiGroupCFAResult)
    assert list(check_frame(fit.to_frame()).columns) == [
        "lhs",
        "op",
        "rhs",
        "group",
        "estimate",
        "se",
        "statistic",
        "p",
    ]
    assert "Multi-group CFA (ML)" in fit._repr_html_()
    ordinal = ordinal_fitted("bfi_gender_ordinal", refs["bfi_gender_ordinal"])
    check_frame(ordinal.to_frame())
    wfit = ordinal.fits["scalar"]
    assert isinstance(wfit, MultiGroupWLSMVResult)
    assert list(check_frame(wfit.to_frame()).columns)[4:] == ["estimate", "se", "statistic", "p"]
    assert "WLSMV" in wfit._repr_html_()
