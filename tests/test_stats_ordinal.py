"""Specification of ``psychometry.stats.cfa(..., ordered=True)`` (WLSMV), checked against R's lavaan.

Reference numbers: tests/reference/ordinal_cfa.json and ordinal_cfa_pairwise.json, written by
tests/reference/ordinal_cfa.R and ordinal_cfa_pairwise.R (lavaan
0.6-14, ``cfa(model, data, ordered = TRUE)``: ``fitMeasures``, ``parameterEstimates(standardized = TRUE)``,
``lavInspect(fit, "gamma")``, the scaled-shifted test's scaling factor and shift) on real human data:
the SD-3 three-factor model on the first 1,000 and on all 17,740 complete rows of the openpsychometrics
release, the Big Five model on psych's bfi (2,436 complete rows), its A and C factors (full Gamma), and
eight bfi items recoded to 2 to 6 categories (a binary item, an unused middle answer), and all 18,192
SD-3 respondents with ``missing = "pairwise"`` (18,186 with at least one answer).
With Rscript on the PATH the comparisons also run against a fresh R run (marker ``r``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psychometry.errors import StatsInputError
from psychometry.stats import cfa
from psychometry.stats.confirmatory import LAVAAN_COLUMNS
from psychometry.stats.ordinal import OrdinalCFAResult, cfa_wlsmv

ROOT = Path(__file__).resolve().parents[1]
CASES = ["bfi_ac", "sd3_sub", "bfi_big5", "sd3_all", "bfi_mixed_categories", "sd3_all_pairwise"]
# every fit measure psychometry computes, compared to lavaan's fitMeasures() to 1e-6 (relative)
FIT_KEYS = [
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
    "baseline.pvalue",
    "baseline.chisq.scaled",
    "baseline.df.scaled",
    "baseline.pvalue.scaled",
    "baseline.chisq.scaling.factor",
    "cfi",
    "tli",
    "cfi.scaled",
    "tli.scaled",
    "nnfi",
    "nnfi.scaled",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "rmsea.pvalue",
    "rmsea.notclose.pvalue",
    "rmsea.scaled",
    "rmsea.ci.lower.scaled",
    "rmsea.ci.upper.scaled",
    "rmsea.pvalue.scaled",
    "rmsea.notclose.pvalue.scaled",
    "srmr",
    # lavaan's robust (catML, Savalei 2021) indices
    "cfi.robust",
    "tli.robust",
    "nnfi.robust",
    "rmsea.robust",
    "rmsea.ci.lower.robust",
    "rmsea.ci.upper.robust",
    "rmsea.pvalue.robust",
    "rmsea.notclose.pvalue.robust",
]
_FITS: dict[str, tuple[OrdinalCFAResult, float]] = {}


@pytest.fixture(scope="module", params=["committed", pytest.param("live", marks=pytest.mark.r)])
def refs(request, r_reference) -> dict:
    """ordinal_cfa.json and ordinal_cfa_pairwise.json (two scripts, so that each live R run stays short)."""
    out: dict = {}
    for name in ("ordinal_cfa", "ordinal_cfa_pairwise"):
        if request.param == "committed":
            out.update(json.loads((ROOT / "tests" / "reference" / f"{name}.json").read_text()))
        else:
            out.update(r_reference(name))
    return out


def sd3_all() -> pd.DataFrame:
    """All 18,192 SD-3 respondents, 0 (not answered) as NaN."""
    sd3 = pd.read_csv(ROOT / "tests" / "data" / "sd3_openpsychometrics.csv").iloc[:, :27]
    return sd3.replace(0, np.nan)


def sd3_complete() -> pd.DataFrame:
    return sd3_all().dropna()


def bfi_complete() -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "data" / "psych_bfi.csv").iloc[:, :25].dropna()


def mixed_categories() -> pd.DataFrame:
    """bfi items recoded to different numbers of categories: A1 without 6, A2 without 3 (an unused middle
    answer: one threshold fewer), A3 binary, C1 capped at 3."""
    d = bfi_complete()[["A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3"]].copy()
    d.loc[d.A1 == 6, "A1"] = 5
    d.loc[d.A2 == 3, "A2"] = 2
    d["A3"] = (d["A3"] >= 4).astype(int)
    d["C1"] = d["C1"].clip(upper=3)
    return d


def data_for(case: str) -> pd.DataFrame:
    return {
        "bfi_ac": lambda: bfi_complete().iloc[:, :10],
        "bfi_big5": bfi_complete,
        "sd3_sub": lambda: sd3_complete().iloc[:1000],
        "sd3_all": sd3_complete,
        "bfi_mixed_categories": mixed_categories,
        "sd3_all_pairwise": sd3_all,
    }[case]()


def fitted(case: str, model: str) -> tuple[OrdinalCFAResult, float]:
    if case not in _FITS:
        data = data_for(case)
        t0 = time.perf_counter()
        res = cfa(
            data, model=model, ordered=True, missing="pairwise" if case.endswith("_pairwise") else "listwise"
        )
        _FITS[case] = (res, time.perf_counter() - t0)
    return _FITS[case]


@pytest.mark.parametrize("case", CASES)
def test_fit_measures_equal_lavaan_wlsmv(case, refs):
    ref = refs[case]
    res, _ = fitted(case, ref["model"])
    assert res.n == ref["n"]
    for key in FIT_KEYS:
        assert res.fit[key] == pytest.approx(ref["fit"][key], rel=1e-6, abs=1e-9), key
    assert res.scaling_factor == pytest.approx(ref["scaling_factor"], rel=1e-6)
    assert res.shift == pytest.approx(ref["shift_parameter"], rel=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_thresholds_loadings_and_robust_ses_equal_lavaan(case, refs):
    ref = refs[case]
    res, _ = fitted(case, ref["model"])
    exp = pd.DataFrame(ref["estimates"]).rename(columns=LAVAAN_COLUMNS)
    exp = exp[exp["op"] != "~1"].reset_index(drop=True)  # lavaan's fixed zero intercepts
    got = res.parameters
    assert list(got["lhs"]) == list(exp["lhs"]) and list(got["op"]) == list(exp["op"])
    assert list(got["rhs"]) == list(exp["rhs"])
    for col, tol in (
        ("estimate", 2e-5),
        ("se", 2e-6),
        ("std_lv", 2e-5),
        ("std_all", 2e-5),
        ("statistic", 2e-4),
    ):
        e = exp[col].to_numpy(float)
        ok = ~np.isnan(e)
        np.testing.assert_allclose(got[col].to_numpy(float)[ok], e[ok], atol=tol, rtol=0, err_msg=col)


@pytest.mark.parametrize("case", CASES)
def test_asymptotic_covariance_gamma_equals_lavaan(case, refs):
    ref = refs[case]
    res, _ = fitted(case, ref["model"])
    np.testing.assert_allclose(np.diag(res.gamma), ref["gamma_diag"], rtol=1e-6)
    if "gamma" in ref:
        np.testing.assert_allclose(res.gamma, np.array(ref["gamma"]["values"]), atol=1e-6)


def test_sd3_all_respondents_takes_seconds(refs):
    res, seconds = fitted("sd3_all", refs["sd3_all"]["model"])
    assert res.n == 17740 and res.converged
    assert seconds < 60, seconds  # 1-4 s on a shared 2-core machine; lavaan 0.6-14 takes 11-35 s


def test_summary_prints_the_wlsmv_blocks(refs):
    res, _ = fitted("bfi_ac", refs["bfi_ac"]["model"])
    text = res.summary()
    for line in (
        "Estimator",
        "DWLS",
        "Scaling correction factor",
        "Shift parameter",
        "Thresholds:",
        "A1|t1",
        "Comparative Fit Index (CFI)",
    ):
        assert line in text
    assert "538.542" in text and "0.765" in text
    assert "Robust Comparative Fit Index (CFI)" in text and "0.908" in text and "Robust RMSEA" in text


def test_estimator_and_ordered_arguments():
    d = bfi_complete().iloc[:300, :5]
    model = "A =~ A1 + A2 + A3 + A4 + A5"
    a = cfa(d, model=model, estimator="WLSMV")
    b = cfa(d, model=model, ordered=["A1", "A2", "A3", "A4", "A5"])
    assert isinstance(a, OrdinalCFAResult) and a.fit["chisq"] == pytest.approx(b.fit["chisq"])
    with pytest.raises(StatsInputError, match="mixed"):
        cfa(d, model=model, ordered=["A1"])
    with pytest.raises(StatsInputError, match="WLSMV"):
        cfa(d, model=model, ordered=True, estimator="ML")
    with pytest.raises(StatsInputError, match="integer"):
        cfa(d + 0.5, model=model, ordered=True)
    with pytest.raises(StatsInputError, match="pairwise"):
        cfa(d, model=model, missing="pairwise")  # ML: listwise only


def test_listwise_is_the_default_and_drops_every_incomplete_row():
    # lavaan's default missing = "listwise": a row with any missing answer is dropped, as in cfa(ML)
    d = pd.read_csv(ROOT / "tests" / "data" / "psych_bfi.csv").iloc[:600, :5]
    assert d.isna().any(axis=1).sum() > 0
    model = "A =~ A1 + A2 + A3 + A4 + A5"
    listwise = cfa(d, model=model, ordered=True)
    complete = cfa(d.dropna(), model=model, ordered=True)
    assert listwise.n == len(d.dropna())
    assert listwise.fit["chisq"] == pytest.approx(complete.fit["chisq"], rel=1e-12)
    assert cfa(d, model=model, ordered=True, missing="pairwise").n > listwise.n


def test_ordinal_result_follows_the_api_convention(refs):
    from vocabulary import check_frame

    res, _ = fitted("bfi_ac", refs["bfi_ac"]["model"])
    table = check_frame(res.to_frame())
    assert list(table.columns[:7]) == ["lhs", "op", "rhs", "estimate", "se", "statistic", "p"]
    assert "Thresholds:" in res._repr_html_()
    d = bfi_complete().iloc[:300, :5]
    model = "A =~ A1 + A2 + A3 + A4 + A5"
    new = cfa(d, model=model, ordered=True)
    assert cfa_wlsmv(d, model=model).fit["chisq"] == new.fit["chisq"]
