"""Specification of psychometry.stats.efa and parallel_analysis, checked against R's psych.

Reference numbers: tests/reference/validity.json, written by tests/reference/validity.R (psych 2.2.9,
GPArotation 2022.10-2, R 4.2) on tests/data/psych_bfi.csv (psych's `bfi`, 2,800 x 25 items) and
tests/data/holzinger_swineford_1939.csv. Every test runs against the committed JSON; with
Rscript on the PATH the same tests also run against a fresh R run (marker `r`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vocabulary import check_frame

from psychometry.errors import PsychometryError
from psychometry.stats.factor import _rotate, efa, parallel_analysis

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def ref(validity_reference) -> dict:
    """Committed reference values, and (marker ``r``) those of a live R run (tests/conftest.py)."""
    return validity_reference


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(DATA / "psych_bfi.csv").iloc[:, :25]


@pytest.fixture(scope="module")
def hs39() -> pd.DataFrame:
    return pd.read_csv(DATA / "holzinger_swineford_1939.csv")[[f"x{i}" for i in range(1, 10)]]


@pytest.fixture(scope="module")
def minres_oblimin(bfi):
    return efa(bfi, nfactors=5)  # psych::fa(bfi[1:25], nfactors = 5)


@pytest.fixture(scope="module")
def ml_varimax(bfi):
    return efa(bfi, nfactors=5, rotation="varimax", method="ml")  # fa(..., fm = "ml", rotate = "varimax")


@pytest.fixture(scope="module")
def pa_promax(bfi):
    return efa(bfi, nfactors=5, rotation="promax", method="pa")  # fa(..., fm = "pa", rotate = "promax")


def frame(m: dict) -> pd.DataFrame:
    return pd.DataFrame(m["values"], index=m["rows"], columns=m["cols"])


# ------------------------------------------------------------------ minres + oblimin (psych's default)
def test_minres_oblimin_names_orders_and_signs_factors_like_psych(minres_oblimin, ref):
    # psych::fa(bfi[1:25], 5) prints the columns MR2 MR1 MR3 MR5 MR4 (sorted by variance accounted for)
    assert list(minres_oblimin.loadings.columns) == ref["efa_bfi_minres_oblimin"]["loadings"]["cols"]
    assert list(minres_oblimin.loadings.columns) == ["MR2", "MR1", "MR3", "MR5", "MR4"]


def test_minres_oblimin_loadings_match_psych_fa_to_3_decimals(minres_oblimin, ref):
    expected = frame(ref["efa_bfi_minres_oblimin"]["loadings"])  # fa(bfi[1:25], 5)$loadings
    np.testing.assert_allclose(minres_oblimin.loadings[expected.columns], expected, atol=1e-3)


def test_minres_oblimin_h2_u2_com_match_psych_fa(minres_oblimin, ref):
    r = ref["efa_bfi_minres_oblimin"]  # fa(...)$communality, $uniquenesses, $complexity
    np.testing.assert_allclose(minres_oblimin.communalities, r["h2"], atol=1e-3)
    np.testing.assert_allclose(minres_oblimin.uniquenesses, r["u2"], atol=1e-3)
    np.testing.assert_allclose(minres_oblimin.complexity, r["com"], atol=1e-3)


def test_minres_oblimin_variance_accounted_and_factor_correlations_match_psych(minres_oblimin, ref):
    r = ref["efa_bfi_minres_oblimin"]  # fa(...)$Vaccounted and $Phi
    np.testing.assert_allclose(minres_oblimin.variance, frame(r["Vaccounted"]), atol=1e-3)
    assert list(minres_oblimin.variance.index) == r["Vaccounted"]["rows"]
    np.testing.assert_allclose(minres_oblimin.phi, frame(r["Phi"]), atol=1e-3)
    # psych overview / ?fa print: SS loadings 2.57 2.20 2.03 1.99 1.59 for bfi, 5 factors
    np.testing.assert_allclose(
        minres_oblimin.variance.loc["SS loadings"].round(2), [2.57, 2.20, 2.03, 1.99, 1.59]
    )


def test_minres_eigenvalues_and_rmsr_match_psych(minres_oblimin, ref):
    r = ref["efa_bfi_minres_oblimin"]  # fa(...)$e.values, $values, $rms
    np.testing.assert_allclose(minres_oblimin.eigenvalues, r["e_values"], atol=1e-6)
    np.testing.assert_allclose(minres_oblimin.common_eigenvalues, r["values"], atol=1e-3)
    assert minres_oblimin.rmsr == pytest.approx(r["rms"], abs=1e-4)


def test_summary_prints_the_same_loading_and_variance_tables_as_psych(minres_oblimin, ref):
    # print(fa(bfi[1:25], 5)): from "Standardized loadings" to "Mean item complexity", line by line
    theirs = [line.rstrip() for line in ref["efa_bfi_minres_oblimin"]["print"].splitlines()]
    mine = [line.rstrip() for line in minres_oblimin.summary().splitlines()]
    start = "Standardized loadings (pattern matrix) based upon correlation matrix"
    stop_r, stop_py = theirs.index("Mean item complexity =  1.5"), mine.index("Mean item complexity =  1.5")
    assert mine[mine.index(start) : stop_py + 1] == theirs[theirs.index(start) : stop_r + 1]
    assert mine[0] == "Factor Analysis using method =  minres"


def test_to_frame_has_loadings_h2_u2_com(minres_oblimin):
    df = check_frame(minres_oblimin.to_frame())
    assert list(df.columns) == ["MR2", "MR1", "MR3", "MR5", "MR4", "h2", "u2", "com"]
    assert len(df) == 25


# ------------------------------------------------------------------ ML + varimax
def test_ml_extraction_matches_psych_fa_ml(ml_varimax, ref):
    r = ref["efa_bfi_ml_varimax"]  # fa(bfi[1:25], 5, fm = "ml", rotate = "varimax")
    assert list(ml_varimax.loadings.columns) == r["loadings"]["cols"]
    np.testing.assert_allclose(ml_varimax.communalities, r["h2"], atol=1e-3)
    np.testing.assert_allclose(ml_varimax.common_eigenvalues, r["values"], atol=1e-3)


def test_ml_varimax_loadings_match_psych_within_rs_varimax_stopping_error(ml_varimax, ref):
    # R's stats::varimax stops at a relative change of 1e-5 in its criterion; on bfi its loadings
    # are up to .0011 from the converged rotation (validity.R: varimax_converged_bfi_ml). We rotate
    # to convergence, so psych's printed loadings agree to .002 (variance accounted for to .005).
    r = ref["efa_bfi_ml_varimax"]
    expected = frame(r["loadings"])
    np.testing.assert_allclose(ml_varimax.loadings[expected.columns], expected, atol=2e-3)
    np.testing.assert_allclose(ml_varimax.variance, frame(r["Vaccounted"]), atol=5e-3)
    assert ml_varimax.phi is None


def test_varimax_rotation_equals_converged_r_varimax_to_6_decimals(ref):
    # varimax(unclass(fa(bfi[1:25], 5, fm = "ml", rotate = "none")$loadings), eps = 1e-14)
    r = ref["varimax_converged_bfi_ml"]
    rotated, phi = _rotate(np.array(r["unrotated"]["values"]), "varimax")
    np.testing.assert_allclose(rotated, np.array(r["loadings"]["values"]), atol=1e-6)
    assert phi is None


# ------------------------------------------------------------------ PA + promax
def test_pa_promax_matches_psych_fa(pa_promax, ref):
    r = ref["efa_bfi_pa_promax"]  # fa(bfi[1:25], 5, fm = "pa", rotate = "promax")
    expected = frame(r["loadings"])
    assert list(pa_promax.loadings.columns) == r["loadings"]["cols"]
    # principal axes stop as psych does: communalities equal to 1e-6
    np.testing.assert_allclose(pa_promax.communalities, r["h2"], atol=1e-6)
    # promax starts from stats::varimax (stops early, see above): loadings and Phi to .001
    np.testing.assert_allclose(pa_promax.loadings[expected.columns], expected, atol=1e-3)
    np.testing.assert_allclose(pa_promax.phi, frame(r["Phi"]), atol=1e-3)
    np.testing.assert_allclose(pa_promax.variance, frame(r["Vaccounted"]), atol=5e-3)


# ------------------------------------------------------------------ one factor
def test_one_factor_unrotated_matches_psych(bfi, ref):
    r = ref["efa_bfi_minres_none_1"]  # fa(bfi[1:25], nfactors = 1, rotate = "none")
    res = efa(bfi, nfactors=1, rotation=None)
    assert list(res.loadings.columns) == ["MR1"]
    np.testing.assert_allclose(res.loadings["MR1"], np.array(r["loadings"]["values"])[:, 0], atol=1e-3)
    np.testing.assert_allclose(res.variance, frame(r["Vaccounted"]), atol=1e-3)
    assert list(res.variance.index) == ["SS loadings", "Proportion Var"]


def test_oblique_solutions_satisfy_h2_equals_diag_of_L_phi_Lt(minres_oblimin):
    l = minres_oblimin.loadings.to_numpy()
    phi = minres_oblimin.phi.to_numpy()
    np.testing.assert_allclose(np.diag(l @ phi @ l.T), minres_oblimin.communalities, atol=1e-8)
    np.testing.assert_allclose(minres_oblimin.structure, l @ phi, atol=1e-12)


def test_every_factor_column_sums_to_a_positive_number(minres_oblimin, ml_varimax, pa_promax):
    for res in (minres_oblimin, ml_varimax, pa_promax):
        assert (res.loadings.sum() > 0).all()


# ------------------------------------------------------------------ parallel analysis
def test_parallel_analysis_suggests_the_same_counts_as_psych(bfi, hs39, ref):
    # set.seed(42); fa.parallel(bfi[1:25], n.iter = 20): "number of factors = 6, components = 6";
    # HS39 x1-x9: 3 and 3. Random data (numpy vs R generators): the counts are what must agree.
    res = parallel_analysis(bfi, n_iter=20, seed=42)
    assert (
        (res.nfactors, res.ncomponents)
        == (ref["parallel_bfi"]["nfact"], ref["parallel_bfi"]["ncomp"])
        == (6, 6)
    )
    res = parallel_analysis(hs39, n_iter=20, seed=42)
    assert (
        (res.nfactors, res.ncomponents)
        == (ref["parallel_hs39"]["nfact"], ref["parallel_hs39"]["ncomp"])
        == (3, 3)
    )


def test_parallel_analysis_observed_eigenvalues_match_psych(hs39, ref):
    res = parallel_analysis(hs39, n_iter=20, seed=1)
    # fa.parallel(...)$pc.values (eigenvalues of R) and $fa.values (one-factor minres communalities)
    np.testing.assert_allclose(res.table["pc_observed"], ref["parallel_hs39"]["pc_values"], atol=1e-6)
    np.testing.assert_allclose(res.table["fa_observed"], ref["parallel_hs39"]["fa_values"], atol=1e-3)


def test_parallel_analysis_simulated_means_are_near_psychs(hs39, ref):
    # Different random numbers: the mean random-data PC eigenvalues agree to about .05 over 20 draws.
    res = parallel_analysis(hs39, n_iter=20, seed=1)
    np.testing.assert_allclose(res.table["pc_sim_mean"], ref["parallel_hs39"]["pc_sim"], atol=0.05)


def test_parallel_analysis_is_reproducible_with_a_seed(hs39):
    a = parallel_analysis(hs39, n_iter=5, seed=7).table
    b = parallel_analysis(hs39, n_iter=5, seed=7).table
    pd.testing.assert_frame_equal(a, b)


def test_parallel_analysis_summary_states_the_suggestion(hs39):
    text = parallel_analysis(hs39, n_iter=5, seed=7).summary()
    assert text.startswith(
        "Parallel analysis suggests that the number of factors =  3  and the number of components =  3"
    )


# ------------------------------------------------------------------ input errors
def test_efa_rejects_a_non_numeric_column_by_name(bfi):
    # numeric strings are converted (as alpha's input check does); other values are an error
    bad = bfi.assign(A2=bfi["A2"].map(lambda v: "two" if v == 2 else v))
    with pytest.raises(PsychometryError, match="A2"):
        efa(bad, nfactors=2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"nfactors": 25}, "nfactors"),
        ({"nfactors": 0}, "nfactors"),
        ({"nfactors": 2, "rotation": "quartimax"}, "rotation"),
        ({"nfactors": 2, "method": "gls"}, "method"),
    ],
)
def test_efa_rejects_bad_arguments_with_a_message_naming_them(bfi, kwargs, message):
    with pytest.raises(PsychometryError, match=message):
        efa(bfi, **kwargs)


def test_efa_rejects_a_constant_item_by_name(hs39):
    with pytest.raises(PsychometryError, match="x3"):
        efa(hs39.assign(x3=1.0), nfactors=2)


def test_efa_rejects_a_non_dataframe():
    with pytest.raises(PsychometryError, match="DataFrame"):
        efa(np.zeros((10, 4)), nfactors=1)


def test_parallel_analysis_rejects_a_bad_n_iter(hs39):
    with pytest.raises(PsychometryError, match="n_iter"):
        parallel_analysis(hs39, n_iter=0)


def test_efa_and_parallel_analysis_are_exported_by_psychometry_stats():
    import psychometry.stats as st

    assert st.efa is efa
    assert st.parallel_analysis is parallel_analysis


# ------------------------------------------------------------------ docs/api.md
def test_results_follow_the_column_vocabulary_and_interface(minres_oblimin, hs39):
    assert minres_oblimin.n == 2800
    assert "<table" in minres_oblimin._repr_html_()
    pa = parallel_analysis(hs39, n_iter=5, seed=7)
    t = check_frame(pa.to_frame())
    assert list(t.columns) == [
        "pc_observed",
        "pc_sim_mean",
        "pc_sim_quantile",
        "fa_observed",
        "fa_sim_mean",
        "fa_sim_quantile",
    ]
    assert pa.n == 301 and "<table" in pa._repr_html_()


def test_rotations_are_the_shared_helpers(bfi):
    # one varimax and one oblimin (stats._linalg), used by efa and omega alike
    from psychometry.stats import _linalg, omega_sl

    load = efa(bfi, nfactors=3, rotation=None).loadings.to_numpy()
    np.testing.assert_array_equal(_rotate(load, "varimax")[0], _linalg.varimax(load)[0])
    np.testing.assert_array_equal(_rotate(load, "oblimin")[0], _linalg.oblimin(load)[0])
    assert omega_sl.oblimin is _linalg.oblimin and omega_sl.varimax is _linalg.varimax


# ------------------------------------------------------------------ deprecated spellings (until 1.1)
