"""Specification of psychometry.stats.cfa, checked against R's lavaan.

Reference numbers: tests/reference/validity.json (tests/reference/validity.R, lavaan 0.6-14):
`cfa(model, data = HolzingerSwineford1939)` and the Big Five model on psych's raw `bfi` items (reverse-keyed
items left raw, so negative loadings; listwise complete cases) with `fitMeasures()` and
`parameterEstimates(fit, standardized = TRUE)`; with Rscript on the PATH the tests also run against a
fresh R run (marker `r`). Published check: the lavaan tutorial (https://lavaan.ugent.be/tutorial/cfa.html).
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vocabulary import check_frame

from psychometry.errors import PsychometryError
from psychometry.stats.confirmatory import LAVAAN_COLUMNS, CFAResult, cfa, parse_model
from psychometry.stats.sem import ml
from psychometry.stats.sem.model import structure
from psychometry.stats.sem.start import start_values

ROOT = Path(__file__).resolve().parents[1]
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def refs(validity_reference) -> dict:
    """Committed reference values, and (marker ``r``) those of a live R run (tests/conftest.py)."""
    return validity_reference


@pytest.fixture(scope="module")
def ref(refs) -> dict:
    return refs["cfa_hs39"]


@pytest.fixture(scope="module")
def ref_bfi(refs) -> dict:
    return refs["cfa_bfi_raw"]


@pytest.fixture(scope="module")
def hs39() -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "data" / "holzinger_swineford_1939.csv")


@pytest.fixture(scope="module")
def fit(hs39):
    return cfa(hs39, model=HS_MODEL)


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
    # (here estimate, se, statistic, p, std_lv, std_all)
    expected = pd.DataFrame(ref["estimates"]).rename(columns=LAVAAN_COLUMNS)
    got = fit.parameters
    assert list(got["lhs"]) == list(expected["lhs"])
    assert list(got["op"]) == list(expected["op"])
    assert list(got["rhs"]) == list(expected["rhs"])
    for col in ("estimate", "se", "statistic", "p", "std_lv", "std_all"):
        e = expected[col].to_numpy(float)
        g = got[col].to_numpy(float)
        fixed = e == 0 if col == "se" else np.isnan(e)  # lavaan: se 0 and z/p NA for fixed loadings
        np.testing.assert_allclose(g[~fixed], e[~fixed], atol=1e-4, err_msg=col)


def test_marker_loadings_are_fixed_to_one_without_standard_error(fit):
    par = fit.parameters
    markers = par[(par["op"] == "=~") & par["rhs"].isin(["x1", "x4", "x7"])]
    assert (markers["estimate"] == 1.0).all()
    assert markers["se"].isna().all() and markers["statistic"].isna().all()


def test_summary_prints_lavaans_blocks_and_latent_variable_rows(fit, ref):
    text = fit.summary()
    for block in (
        "Model Test User Model:",
        "Model Test Baseline Model:",
        "User Model versus Baseline Model:",
        "Loglikelihood and Information Criteria:",
        "Root Mean Square Error of Approximation:",
        "Standardized Root Mean Square Residual:",
        "Latent Variables:",
        "Covariances:",
        "Variances:",
    ):
        assert block in text
    # the rows of summary(fit, fit.measures = TRUE, standardized = TRUE), e.g.
    # "    x2                0.554    0.100    5.554    0.000    0.498    0.424"
    r_lines = {line.rstrip() for line in ref["summary"].splitlines()}
    for name in ("x2", "x3", "x5", "x6", "x8", "x9", "textual", ".x1", ".x9", "visual", "speed"):
        mine = [line.rstrip() for line in text.splitlines() if line.strip().startswith(name + " ")]
        assert mine and all(line in r_lines for line in mine), name
    for label in (
        "  Test statistic                                85.306",
        "  Comparative Fit Index (CFI)                    0.931",
        "  90 Percent confidence interval - upper         0.114",
        "  SRMR                                           0.065",
        "                   Estimate  Std.Err  z-value  P(>|z|)   Std.lv  Std.all",
    ):
        assert label in text.splitlines()


def test_dict_model_gives_the_same_fit_as_lavaan_syntax(hs39, fit):
    res = cfa(
        hs39, model={"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
    )
    assert res.fit["chisq"] == pytest.approx(fit.fit["chisq"], rel=1e-8)


def test_fit_measures_are_attributes_too(fit):
    assert fit.cfi == fit.fit["cfi"] and fit.rmsea_ci_lower == fit.fit["rmsea.ci.lower"]
    assert list(check_frame(fit.to_frame()).columns) == [
        "lhs",
        "op",
        "rhs",
        "estimate",
        "se",
        "statistic",
        "p",
        "std_lv",
        "std_all",
    ]


def test_lavaan_syntax_allows_comments_semicolons_and_repeated_factors():
    spec = parse_model("# model\nvisual =~ x1 + x2  # first\nvisual =~ x3; textual =~ x4 + x5 + x6")
    assert spec == {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}


def test_rows_with_missing_items_are_dropped_listwise(hs39, fit):
    data = hs39.copy()
    data.loc[:9, "x5"] = np.nan
    assert cfa(data, model=HS_MODEL).n == len(hs39) - 10


def test_recovers_the_generating_model_from_a_large_simulated_sample():
    # data from Lambda (2 factors x 3 items), Phi, Theta: ML estimates are consistent
    rng = np.random.default_rng(3)
    lam = np.array([[1.0, 0], [0.8, 0], [0.6, 0], [0, 1.0], [0, 1.2], [0, 0.7]])
    phi = np.array([[1.0, 0.3], [0.3, 0.5]])
    theta = np.diag([0.5, 0.4, 0.6, 0.3, 0.5, 0.4])
    sigma = lam @ phi @ lam.T + theta
    x = pd.DataFrame(
        rng.multivariate_normal(np.zeros(6), sigma, size=20000), columns=[f"y{i}" for i in range(1, 7)]
    )
    res = cfa(x, model="f =~ y1 + y2 + y3\ng =~ y4 + y5 + y6")
    est = res.parameters.set_index(["lhs", "op", "rhs"])["estimate"]
    assert est[("f", "=~", "y2")] == pytest.approx(0.8, abs=0.03)
    assert est[("g", "=~", "y5")] == pytest.approx(1.2, abs=0.05)
    assert est[("f", "~~", "g")] == pytest.approx(0.3, abs=0.03)
    assert res.fit["rmsea"] < 0.02 and res.fit["cfi"] > 0.99


@pytest.mark.parametrize(
    "model, message",
    [
        ("visual =~ x1 + x2 + nope", "nope"),
        ("visual ~ x1 + x2", "only 'factor =~"),
        ("visual =~ NA*x1 + x2 + x3", "NA\\*x1"),
        ({"visual": "x1 + x2"}, "list of item names"),
        ({"visual": []}, "no items"),
        ("", "no factor"),
    ],
)
def test_bad_models_raise_errors_naming_the_problem(hs39, model, message):
    with pytest.raises(PsychometryError, match=message):
        cfa(hs39, model=model)


def test_an_unidentified_model_is_rejected(hs39):
    with pytest.raises(PsychometryError, match="not identified"):
        cfa(hs39, model="f =~ x1 + x2")


def test_a_non_numeric_item_is_rejected_by_name(hs39):
    with pytest.raises(PsychometryError, match="school"):
        cfa(hs39, model="f =~ x1 + x2 + school")


def test_cfa_is_exported_by_psychometry_stats_as_the_function():
    import psychometry.stats as st
    import psychometry.stats.omega_sl  # noqa: F401

    assert st.cfa is cfa
    assert st.cfa is cfa  # a second look-up, after the submodule was imported
    assert callable(st.omega) and st.omega.__name__ == "omega"


# ---------------------------------------------------------------- Big Five on raw bfi items (negative loadings)

BFI_MODEL = "\n".join(f"{t} =~ " + " + ".join(f"{t}{k}" for k in range(1, 6)) for t in "ACENO")
BFI_REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "data" / "psych_bfi.csv").iloc[:, :25]


@pytest.fixture(scope="module")
def fit_bfi(bfi):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean fit: no convergence / Heywood warning
        return cfa(bfi, model=BFI_MODEL)


def test_bfi_raw_items_fit_equals_lavaan_to_three_decimals(fit_bfi, ref_bfi):
    # lavaan 0.6-14, cfa(model, data = bfi[, 1:25]): chisq 4165.467 on 265 df, CFI .782, TLI .754,
    # RMSEA .078 (.076-.080), SRMR .075, N = 2436 complete cases
    f, r = fit_bfi.fit, ref_bfi["fit"]
    assert fit_bfi.converged and ref_bfi["converged"]
    assert fit_bfi.n == r["ntotal"] == 2436
    assert f["df"] == r["df"] == 265 and f["npar"] == r["npar"] == 60
    for key in ("chisq", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr"):
        assert round(f[key], 3) == round(r[key], 3), key
    assert round(f["chisq"], 3) == 4165.467 and round(f["cfi"], 3) == 0.782 and round(f["srmr"], 3) == 0.075
    for key, expected in r.items():  # and every fit measure to 6 significant digits
        assert f[key] == pytest.approx(expected, rel=1e-6, abs=1e-9), key


def test_bfi_raw_items_standardised_loadings_equal_lavaan_to_three_decimals(fit_bfi, ref_bfi):
    expected = pd.DataFrame(ref_bfi["estimates"]).rename(columns=LAVAAN_COLUMNS)
    got = fit_bfi.parameters
    assert list(zip(got["lhs"], got["op"], got["rhs"])) == list(
        zip(expected["lhs"], expected["op"], expected["rhs"])
    )
    load = (expected["op"] == "=~").to_numpy()
    assert load.sum() == 25
    np.testing.assert_array_equal(
        got["std_all"].to_numpy()[load].round(3), expected["std_all"].to_numpy()[load].round(3)
    )
    # the whole table: lavaan stops at a relative change of 1e-10 in F, so its estimates carry ~3e-5 of noise
    for col, tol in (
        ("estimate", 1e-4),
        ("se", 1e-5),
        ("statistic", 1e-3),
        ("std_lv", 1e-4),
        ("std_all", 1e-4),
    ):
        e, g = expected[col].to_numpy(float), got[col].to_numpy(float)
        fixed = e == 0 if col == "se" else np.isnan(e)
        np.testing.assert_allclose(g[~fixed], e[~fixed], atol=tol, err_msg=col)


def test_bfi_reverse_keyed_items_load_negatively_relative_to_their_marker(fit_bfi):
    est = fit_bfi.parameters[fit_bfi.parameters["op"] == "=~"].set_index("rhs")["std_all"]
    reversed_ = set(BFI_REVERSED)
    for factor in "ACENO":
        marker_reversed = f"{factor}1" in reversed_
        for k in range(2, 6):
            item = f"{factor}{k}"
            assert (est[item] < 0) == ((item in reversed_) != marker_reversed), item


def test_reversing_items_first_gives_the_same_fit_and_flips_only_signs(bfi, fit_bfi):
    rev = bfi.copy()
    rev[BFI_REVERSED] = 7 - rev[BFI_REVERSED]
    res = cfa(rev, model=BFI_MODEL)
    assert res.converged and res.iterations < 30
    assert res.fit["chisq"] == pytest.approx(fit_bfi.fit["chisq"], rel=1e-9)
    a = res.parameters[res.parameters["op"] == "=~"]["std_all"].to_numpy()
    b = fit_bfi.parameters[fit_bfi.parameters["op"] == "=~"]["std_all"].to_numpy()
    np.testing.assert_allclose(np.abs(a), np.abs(b), atol=1e-7)
    assert (a > 0).all()


def test_lavaans_simple_start_values_reach_the_same_optimum(bfi, fit_bfi, hs39, fit):
    # start = "simple" (every loading 1, factor variances .05) fails in lavaan 0.6-14 on the raw bfi
    # items ("the optimizer warns that a solution has NOT been found!"); here the fallback with
    # standardised factors, where no ridge (factor variance -> 0, loadings -> infinity) exists, converges
    res = cfa(bfi, model=BFI_MODEL, start="simple")
    assert res.converged and not res.warnings
    assert res.fit["chisq"] == pytest.approx(fit_bfi.fit["chisq"], rel=1e-9)
    assert cfa(hs39, model=HS_MODEL, start="simple").fit["chisq"] == pytest.approx(fit.fit["chisq"], rel=1e-9)


def test_default_start_values_have_the_signs_and_sizes_of_the_solution(bfi, fit_bfi):
    # FABIN3 (instrumental variables) loadings: right signs, sizes near the ML estimates
    items = [f"{t}{k}" for t in "ACENO" for k in range(1, 6)]
    spec = parse_model(BFI_MODEL)
    s = np.cov(bfi[items].dropna().to_numpy(float), rowvar=False, bias=True)
    st = structure(spec, items)
    lam, phi, th = st.unpack(start_values(st, s, spec, items, "default"))
    est = fit_bfi.parameters[fit_bfi.parameters["op"] == "=~"]["estimate"].to_numpy()
    start = np.array([lam[items.index(i), "ACENO".index(i[0])] for i in items])
    assert (np.sign(start) == np.sign(est)).all()
    np.testing.assert_allclose(start, est, rtol=0.4)  # FABIN3 is not ML: within 40%
    np.testing.assert_allclose(th, np.diag(s) / 2)  # lavaan: residual variances half the observed ones
    assert np.linalg.eigvalsh(phi)[0] > 0 and (np.diag(phi) > 0).all()


def test_the_10_iteration_fits_converge_by_the_stated_criterion(fit, fit_bfi):
    # Newton / Fisher scoring stops when g'H^-1 g / 2 < FTOL (= 1e-14); both fits need < 15 iterations
    assert fit.converged and fit.iterations < 15
    assert fit_bfi.converged and fit_bfi.iterations < 15
    assert ml.FTOL == 1e-14


def _hs_problem(hs39):
    spec = parse_model(HS_MODEL)
    items = [i for f in spec for i in spec[f]]
    s = np.cov(hs39[items].to_numpy(float), rowvar=False, bias=True)
    return spec, items, s, float(np.linalg.slogdet(s)[1])


def test_gradient_and_hessians_equal_finite_differences(hs39):
    spec, items, s, logdet_s = _hs_problem(hs39)
    for std_lv in (False, True):
        st = structure(spec, items, std_lv=std_lv)
        st_m = structure(spec, items)
        theta = start_values(st_m, s, spec, items, "default")
        if std_lv:
            theta = ml._marker_to_std(st_m, st, theta)
        _f0, w = ml._discrepancy(st, theta, s, logdet_s)
        g = ml._gradient(st, theta, s, w)
        h = ml._observed_hessian(st, theta, s, w)
        eps = 1e-6
        g_num, h_num = np.empty_like(g), np.empty_like(h)
        for k in range(len(theta)):
            e = np.zeros_like(theta)
            e[k] = eps
            fp, wp = ml._discrepancy(st, theta + e, s, logdet_s)
            fm, wm = ml._discrepancy(st, theta - e, s, logdet_s)
            g_num[k] = (fp - fm) / (2 * eps)
            h_num[:, k] = (ml._gradient(st, theta + e, s, wp) - ml._gradient(st, theta - e, s, wm)) / (
                2 * eps
            )
        np.testing.assert_allclose(g, g_num, atol=1e-7)
        np.testing.assert_allclose(h, h_num, atol=1e-7)
        # at S = Sigma(theta) the exact Hessian is the expected one, Delta'(W (x) W)Delta (Kronecker form)
        s_model = st.sigma(theta)
        _, w_model = ml._discrepancy(st, theta, s_model, float(np.linalg.slogdet(s_model)[1]))
        lam, phi, _ = st.unpack(theta)
        u, v, hh = ml._uv(st, lam, phi)
        delta = np.stack(
            [
                (hh[a] * (np.outer(u[:, a], v[:, a]) + np.outer(v[:, a], u[:, a]))).ravel()
                for a in range(st.q)
            ],
            axis=1,
        )
        kron = delta.T @ np.kron(w_model, w_model) @ delta
        np.testing.assert_allclose(ml._expected_hessian(st, theta, w_model), kron, atol=1e-10)
        np.testing.assert_allclose(ml._observed_hessian(st, theta, s_model, w_model), kron, atol=1e-10)


def test_a_non_positive_definite_sigma_is_infinite_and_the_step_is_shortened(hs39, fit, monkeypatch):
    spec, items, s, logdet_s = _hs_problem(hs39)
    st = structure(spec, items, std_lv=True)
    # Sigma not positive definite: F = +inf, no Sigma^-1 (not the old 1e10 with a zero gradient)
    bad = np.concatenate([np.ones(st.n_l), -np.ones(st.p), np.zeros(len(st.pj))])
    assert ml._discrepancy(st, bad, s, logdet_s) == (np.inf, None)
    # a start close to the boundary (residual variances 5% of the item variances, loadings .1 of
    # their size, factor correlations .9): the first full steps leave the positive-definite cone
    start = np.concatenate(
        [0.1 * np.array([0.9, 0.5, 0.6, 1.0, 1.0, 0.9, 0.6, 0.7, 0.6]), 0.05 * np.diag(s), [0.9, 0.9, 0.9]]
    )
    infinite = []
    real = ml._discrepancy

    def counting(*args):
        out = real(*args)
        infinite.append(out[1] is None)
        return out

    monkeypatch.setattr(ml, "_discrepancy", counting)
    opt = ml._minimise(st, s, logdet_s, start)
    assert sum(infinite) >= 3 and opt.backtracks >= 3
    assert opt.converged and opt.decrement / 2 < ml.FTOL
    assert opt.fmin * len(hs39) == pytest.approx(fit.fit["chisq"], rel=1e-10)


def test_running_out_of_iterations_is_reported_and_warned(hs39, monkeypatch):
    spec, items, s, logdet_s = _hs_problem(hs39)
    st = structure(spec, items, std_lv=True)
    start = ml._marker_to_std(
        structure(spec, items),
        st,
        start_values(structure(spec, items), s, spec, items, "simple"),
    )
    assert not ml._minimise(st, s, logdet_s, start, maxiter=2).converged
    real = ml._minimise
    # every attempt (Newton / Fisher, BFGS, damped Newton, standardised factors) limited to 1-2 steps
    monkeypatch.setattr(ml, "_minimise", lambda st_, s_, ld_, x, **kw: real(st_, s_, ld_, x, maxiter=2))
    monkeypatch.setattr(ml, "_bfgs", functools.partial(ml._bfgs, maxiter=1))
    monkeypatch.setattr(ml, "_levenberg", functools.partial(ml._levenberg, maxiter=1))
    with pytest.warns(RuntimeWarning, match="did not find a solution"):
        res = cfa(hs39, model=HS_MODEL, start="simple")
    assert not res.converged and "did not find a solution" in res.warnings[0]
    assert "did NOT converge" in res.summary()


def test_a_heywood_case_is_estimated_unbounded_and_warned():
    # one factor, 3 items with r12 = r13 = .8, r23 = .5: lambda_1^2 = r12 r13 / r23 = 1.28, so the
    # ML (here exact, df = 0) residual variance of y1 is 1 - 1.28 = -.28 (lavaan: "some estimated ov
    # variances are negative")
    r = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    z = np.random.default_rng(1).normal(size=(500, 3))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True)).T)  # covariance exactly I
    x = pd.DataFrame(z @ np.linalg.cholesky(r).T, columns=["y1", "y2", "y3"])  # covariance exactly r
    with pytest.warns(RuntimeWarning, match=r"Heywood case\): y1"):
        res = cfa(x, model="f =~ y1 + y2 + y3")
    est = res.parameters.set_index(["lhs", "op", "rhs"])
    assert res.converged
    assert est.loc[("y1", "~~", "y1"), "estimate"] == pytest.approx(-0.28, abs=1e-8)
    assert est.loc[("f", "~~", "f"), "estimate"] == pytest.approx(1.28, abs=1e-8)
    assert res.fit["chisq"] == pytest.approx(0.0, abs=1e-8)


def test_start_must_be_default_or_simple(hs39):
    with pytest.raises(PsychometryError, match="start"):
        cfa(hs39, model=HS_MODEL, start="lavaan")


# ---------------------------------------------------------------- weakly structured data (negative factor variances)

WEAK_MODEL = "f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5 + x6"
WEAK_SEEDS = (6, 9, 21)


def _weak_data(seed: int) -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "data" / f"cfa_weak_{seed}.csv")


def test_weak_data_files_are_the_documented_random_draws():
    # tests/data/cfa_weak_<seed>.csv: numpy default_rng(seed).normal(size=(200, 6)) rounded to 3 decimals
    for seed in WEAK_SEEDS:
        expected = np.round(np.random.default_rng(seed).normal(size=(200, 6)), 3)
        np.testing.assert_array_equal(_weak_data(seed).to_numpy(), expected)


@pytest.mark.parametrize("seed", WEAK_SEEDS)
def test_weak_data_fit_equals_lavaans_marker_solution_with_negative_factor_variances(refs, seed):
    # lavaan 0.6-14 converges (marker parameterisation, unbounded) to a solution with a negative factor
    # variance (seeds 6, 21) or a non-positive-definite factor covariance matrix (seed 9); the std.lv
    # parameterisation cannot represent it and drifted (factor variance -> 0, loadings -> infinity)
    ref = refs[f"cfa_weak_{seed}"]
    assert ref["converged"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = cfa(_weak_data(seed), model=WEAK_MODEL)
    assert res.converged
    assert res.fit["df"] == ref["fit"]["df"] == 8 and res.fit["npar"] == ref["fit"]["npar"]
    assert res.fit["chisq"] == pytest.approx(ref["fit"]["chisq"], abs=1e-4)
    for key in ("cfi", "tli", "logl", "rmsea", "srmr"):
        assert res.fit[key] == pytest.approx(ref["fit"][key], abs=1e-4), key
    expected = pd.DataFrame(ref["estimates"]).rename(columns=LAVAAN_COLUMNS)
    got = res.parameters
    assert list(zip(got["lhs"], got["op"], got["rhs"])) == list(
        zip(expected["lhs"], expected["op"], expected["rhs"])
    )
    for col in ("estimate", "se", "statistic", "std_lv", "std_all"):
        e, g = expected[col].to_numpy(float), got[col].to_numpy(float)
        if col == "se":
            e = np.where(e == 0, np.nan, e)  # lavaan: se 0 for the fixed marker loadings
        # NaN where lavaan has NA (fixed parameters; std of a factor with a negative variance)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e), err_msg=col)
        np.testing.assert_allclose(
            g[~np.isnan(e)], e[~np.isnan(e)], atol=1e-4 if col != "statistic" else 1e-3, err_msg=col
        )
    # lavaan's warnings: "some estimated lv variances are negative" or "covariance matrix of latent
    # variables is not positive definite" -- the same kind here, in CFAResult.warnings and as RuntimeWarning
    lv_var = expected[
        (expected["op"] == "~~") & expected["lhs"].isin(["f1", "f2"]) & (expected["lhs"] == expected["rhs"])
    ]
    if (lv_var["estimate"] < 0).any():
        assert any("lv variances are negative" in w for w in ref["warnings"])
        note = [w for w in res.warnings if "lv variances are negative" in w]
        assert note and all(f in note[0] for f in lv_var.loc[lv_var["estimate"] < 0, "lhs"])
    else:
        assert any("not positive definite" in w for w in ref["warnings"])
        assert any("latent variables is not positive definite" in w for w in res.warnings)
    assert {str(w.message) for w in caught if w.category is RuntimeWarning} >= set(res.warnings)


def test_weak_data_estimates_match_lavaan_to_1e4(refs):
    # est to 1e-4 (lavaan stops at a relative change of 1e-10 in F: a few 1e-5 of noise)
    for seed in WEAK_SEEDS:
        ref = refs[f"cfa_weak_{seed}"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cfa(_weak_data(seed), model=WEAK_MODEL)
        e = np.array(ref["estimates"]["est"], dtype=float)
        np.testing.assert_allclose(
            res.parameters["estimate"].to_numpy(float), e, atol=1e-4, err_msg=str(seed)
        )
        np.testing.assert_allclose(
            res.parameters["se"].to_numpy(float)[np.array(ref["estimates"]["se"]) > 0],
            np.array(ref["estimates"]["se"])[np.array(ref["estimates"]["se"]) > 0],
            atol=1e-4,
            err_msg=str(seed),
        )


# ---------------------------------------------------------------- docs/api.md: one vocabulary, old spellings deprecated


def test_result_follows_the_api_convention(fit):
    assert isinstance(fit, CFAResult)
    table = check_frame(fit.to_frame())
    pd.testing.assert_frame_equal(pd.DataFrame(table), fit.parameters)
    assert "Latent Variables:" in fit.summary() and "Latent Variables:" in fit._repr_html_()
