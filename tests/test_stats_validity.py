"""Specification of psychometry.stats.mtmm and compare_norms, checked against R.

Reference numbers: tests/reference/validity.json (tests/reference/validity.R): `cor.test` and `cor` on
two "methods" per Big Five trait built from psych's bfi items (complete cases; method a = mean of items
1-3, method b = mean of items 4-5, reversed items 7 - x), and `t.test` (Welch) plus
`psych::cohen.d.ci` for men vs women on bfi Agreeableness. With Rscript on the PATH the tests also run
against a fresh R run (marker `r`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vocabulary import check_frame

from psychometry.errors import PsychometryError
from psychometry.stats.validity import cohens_d_ci, compare_norms, mtmm

ROOT = Path(__file__).resolve().parents[1]
TRAITS = "ACENO"


@pytest.fixture(scope="module")
def ref(validity_reference) -> dict:
    """Committed reference values, and (marker ``r``) those of a live R run (tests/conftest.py)."""
    return validity_reference


@pytest.fixture(scope="module")
def bfi_scored() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(method a scores, method b scores, complete-case keyed items + gender), as validity.R builds them."""
    bfi = pd.read_csv(ROOT / "tests" / "data" / "psych_bfi.csv")
    cc = bfi[bfi.iloc[:, :25].notna().all(axis=1)].copy()
    for item in ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]:  # psych's bfi.keys reversed items
        cc[item] = 7 - cc[item]
    a = pd.DataFrame({t: cc[[f"{t}{i}" for i in (1, 2, 3)]].mean(axis=1) for t in TRAITS})
    b = pd.DataFrame({f"{t}_b": cc[[f"{t}{i}" for i in (4, 5)]].mean(axis=1) for t in TRAITS})
    return a, b, cc


@pytest.fixture(scope="module")
def res(bfi_scored):
    a, b, _ = bfi_scored
    return mtmm(a, other=b, pairs={t: f"{t}_b" for t in TRAITS}, methods=("items1-3", "items4-5"))


# ------------------------------------------------------------------ MTMM
def test_convergent_correlations_cis_and_p_equal_r_cor_test(res, ref):
    # cor.test(score_a, score_b) per trait: estimate, conf.int (Fisher z), p.value
    for expected in ref["mtmm_bfi"]["convergent"]:
        got = res.convergent.loc[expected["trait"]]
        assert got["r"] == pytest.approx(expected["r"], abs=1e-10)
        assert got["ci_low"] == pytest.approx(expected["lower"], abs=1e-10)
        assert got["ci_high"] == pytest.approx(expected["upper"], abs=1e-10)
        assert got["p"] == pytest.approx(expected["p"], rel=1e-6)
        assert got["n"] == ref["mtmm_bfi"]["n"] == 2436


def test_mtmm_matrix_equals_r_cor_of_both_methods(res, ref):
    # cor(cbind(a, b)) on the complete cases
    np.testing.assert_allclose(
        res.correlations.to_numpy(), np.array(ref["mtmm_bfi"]["cor"]["values"]), atol=1e-12
    )
    assert res.correlations.index[0] == ("items1-3", "A") and res.correlations.index[5] == ("items4-5", "A")


def test_mean_abs_heterotrait_heteromethod_r_equals_r(res, ref):
    # mean(abs(hh[row(hh) != col(hh)])) with hh = cor(a, b): Serapio-Garcia et al. (2023)'s discriminant index
    assert res.mean_abs_hthm == pytest.approx(ref["mtmm_bfi"]["mean_abs_heterotrait_heteromethod"], abs=1e-12)


def test_discriminant_checks_compare_each_convergent_r_with_its_row_and_column(res):
    corr = res.correlations.to_numpy()
    hh = corr[:5, 5:]
    # Extraversion (index 2): row and column of the heterotrait-heteromethod block, without the diagonal
    expected = max(abs(np.delete(hh[2], 2)).max(), abs(np.delete(hh[:, 2], 2)).max())
    assert res.discriminant.loc["E", "max_hthm"] == pytest.approx(expected)
    assert res.discriminant["exceeds_hthm"].all() and res.discriminant["exceeds_htmm"].all()


def test_a_trait_that_correlates_more_with_another_trait_fails_the_discriminant_check():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((500, 2))
    a = pd.DataFrame({"x": f[:, 0], "y": f[:, 1]})
    # method b's "x" is mostly trait y: its convergent r is smaller than r(a:y, b:x)
    b = pd.DataFrame(
        {
            "x": 0.3 * f[:, 0] + f[:, 1] + 0.3 * rng.standard_normal(500),
            "y": f[:, 1] + 0.5 * rng.standard_normal(500),
        }
    )
    out = mtmm(a, other=b, pairs={"x": "x", "y": "y"})
    assert not out.discriminant.loc["x", "exceeds_hthm"]


def test_rows_are_matched_on_the_index(bfi_scored):
    a, b, _ = bfi_scored
    shuffled = b.sample(frac=1.0, random_state=1)
    pairs = {t: f"{t}_b" for t in TRAITS}
    pd.testing.assert_frame_equal(
        mtmm(a, other=shuffled, pairs=pairs).convergent, mtmm(a, other=b, pairs=pairs).convergent
    )
    assert mtmm(a, other=b.iloc[:100], pairs=pairs).n == 100


def test_summary_prints_matrix_convergent_and_discriminant_blocks(res):
    text = res.summary()
    assert "Multitrait-multimethod matrix (items1-3 vs items4-5), n = 2436" in text
    assert "Convergent validity" in text and "Discriminant validity" in text
    assert "mean |r| heterotrait-heteromethod = 0.18" in text


@pytest.mark.parametrize(
    "pairs, message",
    [
        ({"A": "nope", "C": "C_b"}, "nope"),
        ({"A": "A_b"}, "at least two"),
        ({"A": "A_b", "C": "A_b"}, "two pairs"),
    ],
)
def test_mtmm_rejects_bad_pairs_with_a_message_naming_them(bfi_scored, pairs, message):
    a, b, _ = bfi_scored
    with pytest.raises(PsychometryError, match=message):
        mtmm(a, other=b, pairs=pairs)


# ------------------------------------------------------------------ norms
@pytest.fixture(scope="module")
def agreeableness(bfi_scored, ref):
    _, _, cc = bfi_scored
    score = cc[[f"A{i}" for i in range(1, 6)]].mean(axis=1)
    men = pd.DataFrame({"A": score[cc["gender"] == 1]})
    norm = ref["norms_bfi_agreeableness"]["norm"]  # women's mean, sd, n (R: mean(y), sd(y), length(y))
    res = compare_norms(men, norms={"A": (norm["mean"], norm["sd"], norm["n"])})
    return check_frame(res.to_frame()).loc["A"]


def test_welch_t_df_and_p_equal_r_t_test(agreeableness, ref):
    r = ref["norms_bfi_agreeableness"]  # t.test(men, women, var.equal = FALSE)
    assert agreeableness["statistic"] == pytest.approx(r["t"], rel=1e-8)
    assert agreeableness["df"] == pytest.approx(r["df"], rel=1e-8)
    assert agreeableness["p"] == pytest.approx(r["p"], rel=1e-6)


def test_cohens_d_uses_the_pooled_sd_and_a_noncentral_t_ci_as_psych(agreeableness, ref):
    r = ref["norms_bfi_agreeableness"]  # d = (m1 - m2)/pooled sd; psych::cohen.d.ci(d, n1, n2)
    assert agreeableness["d"] == pytest.approx(r["d"], abs=1e-10)
    # psych's uniroot stops at ~1e-7; 3 decimals is what is claimed
    assert agreeableness["d_ci_low"] == pytest.approx(r["d_lower"], abs=1e-5)
    assert agreeableness["d_ci_high"] == pytest.approx(r["d_upper"], abs=1e-5)


def test_z_places_the_sample_mean_in_the_norm_distribution():
    scores = pd.DataFrame({"E": [3.0, 4.0, 5.0]})  # mean 4
    table = compare_norms(scores, norms={"E": (3.0, 0.5, 1000)}).to_frame()
    assert table.loc["E", "z"] == pytest.approx(2.0)  # (4 - 3) / .5
    assert table.loc["E", "percentile"] == pytest.approx(0.9772498680518208)  # pnorm(2) in R


def test_cohens_d_ci_of_zero_is_symmetric():
    lo, hi = cohens_d_ci(0.0, 50, 50)
    assert lo == pytest.approx(-hi, abs=1e-9)
    # normal approximation check: se(d) ~ sqrt(1/n1 + 1/n2) = .2, so about +-.39
    assert hi == pytest.approx(0.392, abs=0.005)


def test_norms_accept_a_dataframe_a_dict_of_tuples_and_a_dict_of_dicts():
    scores = pd.DataFrame({"E": [3.0, 4.0, 4.5, 2.0], "A": [4.0, 4.0, 3.5, 5.0]})
    as_tuples = compare_norms(scores, norms={"E": (3.2, 0.9, 500), "A": (3.9, 0.7, 500)}).to_frame()
    as_dicts = compare_norms(
        scores, norms={"E": {"mean": 3.2, "sd": 0.9, "n": 500}, "A": {"mean": 3.9, "sd": 0.7, "n": 500}}
    ).to_frame()
    as_frame = compare_norms(
        scores,
        norms=pd.DataFrame({"mean": [3.2, 3.9], "sd": [0.9, 0.7], "n": [500, 500]}, index=["E", "A"]),
    ).to_frame()
    pd.testing.assert_frame_equal(as_tuples, as_dicts)
    pd.testing.assert_frame_equal(as_tuples, as_frame)


def test_a_single_respondent_gets_z_but_no_t_test():
    table = compare_norms(pd.DataFrame({"E": [4.0]}), norms={"E": (3.0, 0.5, 100)}).to_frame()
    assert table.loc["E", "z"] == pytest.approx(2.0)
    assert math.isnan(table.loc["E", "statistic"]) and math.isnan(table.loc["E", "d_ci_low"])


def test_identical_answers_are_allowed():
    table = compare_norms(pd.DataFrame({"E": [4.0] * 10}), norms={"E": (3.0, 0.5, 100)}).to_frame()
    assert table.loc["E", "sd"] == 0 and table.loc["E", "statistic"] > 0


@pytest.mark.parametrize(
    "norms, message",
    [
        ({"X": (3.0, 0.5, 100)}, "X"),
        ({"E": (3.0, 0.0, 100)}, "sd must be"),
        ({"E": (3.0, 0.5, 1)}, "n must be"),
        ({"E": (3.0, 0.5)}, "mean, sd, n"),
        ({"E": {"mean": 3.0, "sd": 0.5}}, "'n'"),
        (pd.DataFrame({"mean": [3.0]}, index=["E"]), "sd"),
    ],
)
def test_bad_norms_raise_errors_naming_the_scale_or_field(norms, message):
    with pytest.raises(PsychometryError, match=message):
        compare_norms(pd.DataFrame({"E": [3.0, 4.0]}), norms=norms)


def test_summary_has_one_row_per_scale():
    out = compare_norms(pd.DataFrame({"E": [3.0, 4.0, 5.0]}), norms={"E": (3.0, 0.5, 1000)})
    assert out.summary().splitlines()[-1].startswith("E ")


def test_mtmm_and_compare_norms_are_exported_by_psychometry_stats():
    import psychometry.stats as st

    assert st.mtmm is mtmm and st.compare_norms is compare_norms


def test_cohens_d_ci_is_finite_far_in_the_tails():
    # A model's 180 scores 0.92 pooled SDs below a norm of n = 6076 (t = -12): scipy's noncentral t
    # cdf underflows to NaN far from the root, so the root is bracketed in unit steps from t. The
    # interval then agrees with Hedges & Olkin's (1985, eq. 5.14) large-sample interval
    # d +- 1.96 sqrt(1/n1 + 1/n2 + d^2 / (2 (n1 + n2))), the noncentral t's limit, to 1e-3.
    for d in (-0.92, -1.37, 8.0, 40.0):
        lo, hi = cohens_d_ci(d, 180, 6076)
        se = math.sqrt(1 / 180 + 1 / 6076 + d * d / (2 * 6256))
        assert (lo, hi) == pytest.approx((d - 1.959964 * se, d + 1.959964 * se), abs=1e-3)


def test_norm_summary_prints_tiny_p_values_as_r_format_pval_does():
    # R: format.pval(c(1e-30, 0.0712), digits = 2) gives "<2e-16" "0.071"; never a bare 0
    scores = pd.DataFrame({"E": [3.0, 3.1, 2.9, 3.05] * 10})
    text = compare_norms(scores, norms={"E": (3.25, 0.9, 6076)}).summary()
    assert "<2e-16" in text


# ------------------------------------------------------------------ docs/api.md
def test_mtmm_to_frame_follows_the_column_vocabulary(res):
    t = check_frame(res.to_frame())
    assert list(t.columns[:7]) == ["scale_a", "scale_b", "r", "r_ci_low", "r_ci_high", "p", "n"]
    assert t["r_ci_low"].tolist() == res.convergent["ci_low"].tolist()  # the attribute keeps its names
    assert "<table" in res._repr_html_()


def test_compare_norms_to_frame_follows_the_column_vocabulary():
    out = compare_norms(pd.DataFrame({"E": [3.0, 4.0, 5.0]}), norms={"E": (3.0, 0.5, 1000)})
    t = check_frame(out.to_frame())
    assert {"statistic", "df", "p", "d", "d_ci_low", "d_ci_high", "n"} <= set(t.columns)
    assert t.loc["E", "statistic"] == out.table.loc["E", "t"]  # the printed table keeps R's t
    assert "<table" in out._repr_html_()


# ------------------------------------------------------------------ deprecated spellings (until 1.1)


NORM_SCORES = pd.DataFrame({"E": [3.0, 3.5, 2.5, 4.0, 3.0, 2.0]})
NORM = {"E": (3.25, 0.9, 6076)}


def test_compare_norms_has_no_alpha_argument():
    # 0.1 never had alpha= here, so there is no deprecated spelling to keep (docs/api.md: conf_level)
    with pytest.raises(TypeError):
        compare_norms(NORM_SCORES, norms=NORM, alpha=0.1)
