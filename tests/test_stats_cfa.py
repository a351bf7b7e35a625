"""Specification of psychometry.stats.cfa, checked against R's lavaan.

Reference numbers: tests/reference/validity.json (tests/reference/validity.R, lavaan 0.6-14):
`cfa(model, data = HolzingerSwineford1939)` with `fitMeasures()` and
`parameterEstimates(fit, standardized = TRUE)`; with Rscript on the PATH the tests also run against a
fresh R run (marker `r`). Published check: the lavaan tutorial (https://lavaan.ugent.be/tutorial/cfa.html).
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psychometry.errors import PsychometryError
from psychometry.stats.confirmatory import cfa, parse_model

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "tests" / "reference" / "validity.json"
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module", params=["committed", pytest.param("live", marks=pytest.mark.r)])
def ref(request, tmp_path_factory) -> dict:
    if request.param == "committed":
        return json.loads(COMMITTED.read_text())["cfa_hs39"]
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not on the PATH")
    out = tmp_path_factory.mktemp("r") / "validity.json"
    subprocess.run(["Rscript", "tests/reference/validity.R", str(out)], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    return json.loads(out.read_text())["cfa_hs39"]


@pytest.fixture(scope="module")
def hs39() -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "data" / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def fit(hs39):
    return cfa(hs39, HS_MODEL)


def test_hs39_reproduces_the_published_lavaan_tutorial_numbers(fit):
    # lavaan tutorial, "A first example: confirmatory factor analysis (CFA)", summary(fit, fit.measures = TRUE):
    # chisq 85.306 on 24 df, baseline 918.852 on 36 df, CFI .931, TLI .896, logL -3737.745,
    # AIC 7517.490, BIC 7595.339, RMSEA .092 (90% CI .071-.114), SRMR .065
    f = fit.fit
    assert round(f["chisq"], 3) == 85.306 and f["df"] == 24
    assert round(f["baseline.chisq"], 3) == 918.852 and f["baseline.df"] == 36
    assert round(f["cfi"], 3) == 0.931 and round(f["tli"], 3) == 0.896
    assert round(f["logl"], 3) == -3737.745
    assert round(f["aic"], 3) == 7517.490 and round(f["bic"], 3) == 7595.339
    assert round(f["rmsea"], 3) == 0.092
    assert (round(f["rmsea.ci.lower"], 3), round(f["rmsea.ci.upper"], 3)) == (0.071, 0.114)
    assert round(f["srmr"], 3) == 0.065


def test_hs39_fit_measures_equal_lavaans_fitmeasures(fit, ref):
    # fitMeasures(fit, c("npar", "chisq", ..., "srmr", "ntotal")) -- every measure to 6 significant digits
    for key, expected in ref["fit"].items():
        assert fit.fit[key] == pytest.approx(expected, rel=1e-6, abs=1e-9), key


def test_hs39_parameter_estimates_equal_lavaans(fit, ref):
    # parameterEstimates(fit, standardized = TRUE): est, se, z, pvalue, std.lv, std.all, same row order
    expected = pd.DataFrame(ref["estimates"])
    got = fit.estimates
    assert list(got["lhs"]) == list(expected["lhs"])
    assert list(got["op"]) == list(expected["op"])
    assert list(got["rhs"]) == list(expected["rhs"])
    for col in ("est", "se", "z", "pvalue", "std_lv", "std_all"):
        e = expected[col].to_numpy(float)
        g = got[col].to_numpy(float)
        fixed = e == 0 if col == "se" else np.isnan(e)      # lavaan: se 0 and z/p NA for fixed loadings
        np.testing.assert_allclose(g[~fixed], e[~fixed], atol=1e-4, err_msg=col)


def test_marker_loadings_are_fixed_to_one_without_standard_error(fit):
    markers = fit.estimates[(fit.estimates["op"] == "=~") & fit.estimates["rhs"].isin(["x1", "x4", "x7"])]
    assert (markers["est"] == 1.0).all()
    assert markers["se"].isna().all() and markers["z"].isna().all()


def test_summary_prints_lavaans_blocks_and_latent_variable_rows(fit, ref):
    text = fit.summary()
    for block in ("Model Test User Model:", "Model Test Baseline Model:", "User Model versus Baseline Model:",
                  "Loglikelihood and Information Criteria:", "Root Mean Square Error of Approximation:",
                  "Standardized Root Mean Square Residual:", "Latent Variables:", "Covariances:", "Variances:"):
        assert block in text
    # the rows of summary(fit, fit.measures = TRUE, standardized = TRUE), e.g.
    # "    x2                0.554    0.100    5.554    0.000    0.498    0.424"
    r_lines = {line.rstrip() for line in ref["summary"].splitlines()}
    for name in ("x2", "x3", "x5", "x6", "x8", "x9", "textual", ".x1", ".x9", "visual", "speed"):
        mine = [line.rstrip() for line in text.splitlines() if line.strip().startswith(name + " ")]
        assert mine and all(line in r_lines for line in mine), name
    for label in ("  Test statistic                                85.306",
                  "  Comparative Fit Index (CFI)                    0.931",
                  "  90 Percent confidence interval - upper         0.114",
                  "  SRMR                                           0.065",
                  "                   Estimate  Std.Err  z-value  P(>|z|)   Std.lv  Std.all"):
        assert label in text.splitlines()


def test_dict_model_gives_the_same_fit_as_lavaan_syntax(hs39, fit):
    res = cfa(hs39, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]})
    assert res.fit["chisq"] == pytest.approx(fit.fit["chisq"], rel=1e-8)


def test_fit_measures_are_attributes_too(fit):
    assert fit.cfi == fit.fit["cfi"] and fit.rmsea_ci_lower == fit.fit["rmsea.ci.lower"]
    assert set(fit.to_frame().columns) == {"lhs", "op", "rhs", "est", "se", "z", "pvalue", "std_lv", "std_all"}


def test_lavaan_syntax_allows_comments_semicolons_and_repeated_factors():
    spec = parse_model("# model\nvisual =~ x1 + x2  # first\nvisual =~ x3; textual =~ x4 + x5 + x6")
    assert spec == {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}


def test_rows_with_missing_items_are_dropped_listwise(hs39, fit):
    data = hs39.copy()
    data.loc[:9, "x5"] = np.nan
    assert cfa(data, HS_MODEL).n_obs == len(hs39) - 10


def test_recovers_the_generating_model_from_a_large_simulated_sample():
    # data from Lambda (2 factors x 3 items), Phi, Theta: ML estimates are consistent
    rng = np.random.default_rng(3)
    lam = np.array([[1.0, 0], [0.8, 0], [0.6, 0], [0, 1.0], [0, 1.2], [0, 0.7]])
    phi = np.array([[1.0, 0.3], [0.3, 0.5]])
    theta = np.diag([0.5, 0.4, 0.6, 0.3, 0.5, 0.4])
    sigma = lam @ phi @ lam.T + theta
    x = pd.DataFrame(rng.multivariate_normal(np.zeros(6), sigma, size=20000), columns=[f"y{i}" for i in range(1, 7)])
    res = cfa(x, "f =~ y1 + y2 + y3\ng =~ y4 + y5 + y6")
    est = res.estimates.set_index(["lhs", "op", "rhs"])["est"]
    assert est[("f", "=~", "y2")] == pytest.approx(0.8, abs=0.03)
    assert est[("g", "=~", "y5")] == pytest.approx(1.2, abs=0.05)
    assert est[("f", "~~", "g")] == pytest.approx(0.3, abs=0.03)
    assert res.fit["rmsea"] < 0.02 and res.fit["cfi"] > 0.99


@pytest.mark.parametrize("model, message", [
    ("visual =~ x1 + x2 + nope", "nope"),
    ("visual ~ x1 + x2", "only 'factor =~"),
    ("visual =~ NA*x1 + x2 + x3", "NA\\*x1"),
    ({"visual": "x1 + x2"}, "list of item names"),
    ({"visual": []}, "no items"),
    ("", "no factor"),
])
def test_bad_models_raise_errors_naming_the_problem(hs39, model, message):
    with pytest.raises(PsychometryError, match=message):
        cfa(hs39, model)


def test_an_unidentified_model_is_rejected(hs39):
    with pytest.raises(PsychometryError, match="not identified"):
        cfa(hs39, "f =~ x1 + x2")


def test_a_non_numeric_item_is_rejected_by_name(hs39):
    with pytest.raises(PsychometryError, match="school"):
        cfa(hs39, "f =~ x1 + x2 + school")


def test_cfa_is_exported_by_psychometry_stats_as_the_function():
    import psychometry.stats as st

    import psychometry.stats.omega_sl  # noqa: F401  (importing submodules must not shadow the functions)

    assert st.cfa is cfa
    assert st.cfa is cfa  # a second look-up, after the submodule was imported
    assert callable(st.omega) and st.omega.__name__ == "omega"
