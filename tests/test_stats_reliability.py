"""Specification of psychometry.stats.alpha / splithalf / icc, checked against R's psych.

Reference numbers come from tests/reference/reliability.json, written by tests/reference/reliability.R
(psych 2.2.9, `alpha(x, keys=)` and `splitHalf(x, check.keys=FALSE, key=)` on tests/data/*.csv); tests
marked ``r`` re-run that script live when Rscript is available.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from vocabulary import check_frame

import psychometry.stats as s
from psychometry.stats.reliability import ReliabilityError, reverse_items

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
REF_PATH = ROOT / "tests" / "reference" / "reliability.json"
REF = json.loads(REF_PATH.read_text())

# Closed-form statistics agree with psych to ~1e-14 here; 1e-6 (far finer than the 3 printed decimals)
# leaves room for BLAS and summation-order differences across machines.
TOL = 1e-6

#: psych's summary row (alpha()$total) -> the columns of AlphaResult.to_frame()
PSYCH_TOTAL = {
    "raw_alpha": "alpha",
    "std.alpha": "std_alpha",
    "G6(smc)": "g6",
    "average_r": "average_r",
    "S/N": "signal_noise",
    "ase": "ase",
    "mean": "mean",
    "sd": "sd",
    "median_r": "median_r",
}


def load(name: str) -> pd.DataFrame:
    if name == "attitude":
        return pd.read_csv(DATA / "attitude.csv")
    if name == "bfi":
        return pd.read_csv(DATA / "psych_bfi.csv")
    if name == "sd3":
        d = pd.read_csv(DATA / "sd3_openpsychometrics.csv")
        return d[[c for c in d.columns if c[0] in "MNP" and c[1:].isdigit()]].replace(
            0, np.nan
        )  # 0 = missing
    raise KeyError(name)


def case_items(name: str, items: list[str]) -> pd.DataFrame:
    source = "attitude" if name.startswith("attitude") else ("sd3" if name.startswith("sd3") else "bfi")
    return load(source)[items]


def frame(f: dict) -> pd.DataFrame:
    """A data frame stored by reliability.R ({rownames, columns}) back as a DataFrame."""
    return pd.DataFrame(
        {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in f["columns"].items()},
        index=[str(r) for r in np.atleast_1d(f["rownames"])],
    )


def assert_alpha_matches(name: str, ref: dict, tol: float = TOL) -> None:
    a = s.alpha(case_items(name, ref["items"]), keys=ref["keys"] or None)
    total = frame(ref["total"])
    assert list(total.columns) == list(PSYCH_TOTAL)
    ours = check_frame(a.to_frame())[list(PSYCH_TOTAL.values())]
    np.testing.assert_allclose(ours.to_numpy(), total.to_numpy(), atol=tol)
    assert a.feldt == pytest.approx((ref["feldt"]["lower"], ref["feldt"]["upper"]), abs=tol)
    assert a.duhachek == pytest.approx((ref["duhachek"]["lower"], ref["duhachek"]["upper"]), abs=tol)
    drop = frame(ref["alpha_drop"])
    assert list(a.alpha_drop.index) == list(drop.index) and list(a.alpha_drop.columns) == list(drop.columns)
    np.testing.assert_allclose(a.alpha_drop.to_numpy(), drop.to_numpy(), atol=tol)
    stats_ = frame(ref["item_stats"])
    assert list(a.item_stats.columns) == list(stats_.columns)
    np.testing.assert_allclose(a.item_stats.to_numpy(), stats_.to_numpy(), atol=tol)
    if ref["response_freq"] is None:
        assert a.response_freq is None
    else:
        freq = frame(ref["response_freq"])
        assert list(a.response_freq.columns) == list(freq.columns)
        np.testing.assert_allclose(a.response_freq.to_numpy(), freq.to_numpy(), atol=tol)


def printed_tables(text: str) -> list[str]:
    """The lines of a printed alpha from the summary row on (the Call line differs by design)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if "raw_alpha std.alpha" in line)
    out = []
    for line in lines[start:]:
        if line.startswith(("Covariances", "Listwise", "Items ")):
            break
        out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    return out


# --- alpha against psych ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REF["alpha"]))
def test_alpha_equals_psych_alpha_on_reference_scales(name):
    # R: psych::alpha(x, keys = <reversed items>) on attitude, the bfi scales and the SD-3 scales
    assert_alpha_matches(name, REF["alpha"][name])


@pytest.mark.parametrize("name", sorted(REF["alpha"]))
def test_alpha_summary_prints_the_same_tables_as_psych_print(name):
    # R: capture.output(print(psych::alpha(...))), stored in reliability.json as "printed"
    ref = REF["alpha"][name]
    ours = s.alpha(case_items(name, ref["items"]), keys=ref["keys"] or None).summary()
    assert printed_tables(ours) == printed_tables(ref["printed"])


def test_alpha_summary_on_bfi_agreeableness_shows_psych_key_lines():
    # R: print(alpha(bfi[1:5], keys = "A1")) (psych 2.2.9), key lines copied from its output
    out = s.alpha(load("bfi")[["A1", "A2", "A3", "A4", "A5"]], keys=["A1"]).summary()
    assert out.splitlines()[1] == "Reliability analysis   "
    assert "       0.7      0.71    0.68      0.33 2.5 0.009  4.7 0.9     0.34" in out
    assert "Feldt     0.69   0.7  0.72" in out
    assert "A1-      0.72      0.73    0.67      0.40 2.6   0.0087 0.0065  0.38" in out
    assert "A1- 2784  0.58  0.57  0.38   0.31  4.6 1.4" in out
    assert "A1 0.33 0.29 0.14 0.12 0.08 0.03 0.01" in out


def test_alpha_on_attitude_reproduces_the_psych_overview_vignette():
    # psych overview vignette ("An introduction to the psych package", alpha(attitude)):
    # .84 .84 .88 .43 5.2 .042 60 8.2 .45; Feldt .74-.92; Duhachek .76-.93
    a = s.alpha(load("attitude"))
    printed = [a.raw_alpha, a.std_alpha, a.g6, a.average_r, a.signal_noise, a.ase, a.mean, a.sd, a.median_r]
    assert [round(v, 2) for v in printed[:5]] == [0.84, 0.84, 0.88, 0.43, 5.21]
    assert round(a.signal_noise, 1) == 5.2 and round(a.ase, 3) == 0.042
    assert round(a.mean) == 60 and round(a.sd, 1) == 8.2 and round(a.median_r, 2) == 0.45
    assert [round(v, 2) for v in a.feldt] == [0.74, 0.92]
    assert [round(v, 2) for v in a.duhachek] == [0.76, 0.93]


def test_bfi_agreeableness_ase_is_alphas_not_scoreitems():
    # statistics-notes.md: alpha()'s ase on bfi Agreeableness is .009 (scoreItems' older formula: .014)
    a = s.alpha(load("bfi")[["A1", "A2", "A3", "A4", "A5"]], keys=["A1"])
    assert round(a.ase, 3) == 0.009


# --- keys and missing data --------------------------------------------------------------------------


def test_keys_as_names_mapping_dash_names_and_vector_are_equivalent():
    items = load("bfi")[["A1", "A2", "A3", "A4", "A5"]]
    base = s.alpha(items, keys=["A1"]).to_frame()
    for keys in ({"A1": -1, "A2": 1}, ["-A1"], [-1, 1, 1, 1, 1], "A1"):
        pd.testing.assert_frame_equal(s.alpha(items, keys=keys).to_frame(), base)


def test_reversal_uses_max_plus_min_over_all_items_of_the_call():
    # psych: x -> (max + min) - x with max/min of all items, not of the reversed item alone
    df = pd.DataFrame({"a": [1.0, 2, 3], "b": [2.0, 5, 4]})
    assert reverse_items(df, ["a"])["a"].tolist() == [5.0, 4.0, 3.0]


def test_unknown_key_is_a_clear_error_naming_the_item():
    with pytest.raises(ReliabilityError, match="'Z9'"):
        s.alpha(load("attitude"), keys=["Z9"])


def test_non_numeric_item_is_a_clear_error_naming_the_item():
    df = pd.DataFrame({"q1": [1, 2, 3], "q2": ["1", "two", "3"]})
    with pytest.raises(ReliabilityError, match="item 'q2'.*'two'"):
        s.alpha(df)


def test_fewer_than_two_items_is_an_error():
    with pytest.raises(ReliabilityError, match="at least 2 item"):
        s.alpha(pd.DataFrame({"q1": [1, 2, 3]}))


def test_listwise_equals_alpha_of_complete_cases():
    items = load("bfi")[["A1", "A2", "A3", "A4", "A5"]]
    lw = s.alpha(items, keys=["A1"], na="listwise")
    assert lw.raw_alpha == pytest.approx(s.alpha(items.dropna(), keys=["A1"]).raw_alpha, abs=1e-12)
    assert lw.n == len(items.dropna())


def test_unkeyed_negative_items_raise_a_warning_as_psych_does():
    items = load("bfi")[["A1", "A2", "A3", "A4", "A5"]]
    with pytest.warns(UserWarning, match="A1"):
        a = s.alpha(items)
    assert a.negative_items == ("A1",)


def test_constant_item_is_dropped_with_a_warning():
    df = load("attitude").assign(const=5.0)
    with pytest.warns(UserWarning, match="const"):
        a = s.alpha(df)
    assert a.dropped_items == ("const",) and a.n_items == 7


def test_summary_prints_for_any_wide_item_frame():
    # the "must show": print(s.alpha(df).summary()) gives a psych-style block
    code = (
        "import psychometry.stats as s, pandas as pd; df = pd.read_csv('tests/data/attitude.csv'); "
        "print(s.alpha(df).summary())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "Reliability analysis" in out and "Reliability if an item is dropped:" in out


# --- properties --------------------------------------------------------------------------------------

item_matrices = arrays(np.int8, st.tuples(st.integers(8, 30), st.integers(3, 6)), elements=st.integers(1, 5))


@settings(max_examples=30, deadline=None)
@given(item_matrices, st.randoms(use_true_random=False))
def test_alpha_is_unchanged_by_reordering_items(m, rnd):
    df = pd.DataFrame(m.astype(float), columns=[f"i{j}" for j in range(m.shape[1])])
    if (df.std() == 0).any() or df.corr().isna().to_numpy().any():
        return
    cols = list(df.columns)
    rnd.shuffle(cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = s.alpha(df), s.alpha(df[cols])
    assert b.raw_alpha == pytest.approx(a.raw_alpha, abs=1e-9, nan_ok=True)
    assert b.std_alpha == pytest.approx(a.std_alpha, abs=1e-9, nan_ok=True)
    assert b.g6 == pytest.approx(a.g6, abs=1e-9, nan_ok=True)
    pd.testing.assert_frame_equal(b.item_stats.loc[a.item_stats.index], a.item_stats, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(item_matrices, st.data())
def test_reversing_an_item_twice_is_identity(m, data):
    df = pd.DataFrame(m.astype(float), columns=[f"i{j}" for j in range(m.shape[1])])
    keys = data.draw(st.lists(st.sampled_from(list(df.columns)), min_size=1, unique=True))
    # on the response scale's bounds (1..5), as psych::reverse.code(keys, items, mini, maxi)
    twice = reverse_items(reverse_items(df, keys, mini=1, maxi=5), keys, mini=1, maxi=5)
    pd.testing.assert_frame_equal(twice, df)


def test_reversal_uses_the_range_of_all_items_by_default_as_psych_alpha_does():
    df = pd.DataFrame({"a": [2.0, 3.0, 2.0], "b": [1.0, 5.0, 4.0]})
    assert reverse_items(df, ["a"])["a"].tolist() == [4.0, 3.0, 4.0]  # 1 + 5 - x
    assert reverse_items(df, ["a"], mini=1, maxi=7)["a"].tolist() == [6.0, 5.0, 6.0]


@settings(max_examples=20, deadline=None)
@given(arrays(np.float64, st.integers(4, 12), elements=st.floats(1, 7, allow_nan=False)), st.integers(2, 4))
def test_icc_of_identical_raters_is_one(scores, n_raters):
    if np.ptp(scores) == 0:
        return
    long = pd.DataFrame(
        [{"target": t, "rater": r, "score": v} for t, v in enumerate(scores) for r in range(n_raters)]
    )
    res = s.icc(long, targets="target", raters="rater", ratings="score")
    for form in ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"):
        assert res[form] == pytest.approx(1.0, abs=1e-9)


# --- splithalf ---------------------------------------------------------------------------------------


def split_items(name: str, ref: dict) -> pd.DataFrame:
    return case_items(name, ref["items"])


@pytest.mark.parametrize("name", ["attitude_6", "bfi_agree_conscientious"])
def test_splithalf_equals_psych_splithalf_for_an_even_number_of_items(name):
    # R: splitHalf(x, check.keys = FALSE, key = ...): max (lambda 4), min (beta), average split half
    ref = REF["splithalf"][name]
    r = s.splithalf(split_items(name, ref), keys=ref["key"] or None)
    assert (r.max_split, r.min_split, r.mean_split) == pytest.approx(
        (ref["maxrb"], ref["minrb"], ref["meanr"]), abs=TOL
    )
    assert (r.alpha, r.lambda2, r.lambda6) == pytest.approx(
        (ref["alpha"], ref["lambda2"], ref["lambda6"]), abs=TOL
    )


@pytest.mark.parametrize("name", ["attitude", "bfi_agree", "sd3_machiavellianism"])
def test_splithalf_for_odd_k_covers_all_splits_psych_enumerates_only_half(name):
    # psych::splitHalf stops after choose(k, floor(k/2))/2 combinations for odd k; we enumerate all,
    # so our max is at least and our min at most psych's; lambda 2, 3, 6 are identical.
    ref = REF["splithalf"][name]
    r = s.splithalf(split_items(name, ref), keys=ref["key"] or None)
    assert r.max_split >= ref["maxrb"] - TOL and r.min_split <= ref["minrb"] + TOL
    assert (r.alpha, r.lambda2, r.lambda6) == pytest.approx(
        (ref["alpha"], ref["lambda2"], ref["lambda6"]), abs=TOL
    )


def test_average_split_half_of_standardised_items_equals_standardised_alpha_for_even_k():
    # Cronbach (1951): alpha is the mean of all split-half (Flanagan-Rulon) coefficients, equal halves
    r = s.splithalf(load("attitude").iloc[:, :6])
    assert r.mean_split == pytest.approx(r.alpha, abs=1e-12)
    assert r.alpha == pytest.approx(s.alpha(load("attitude").iloc[:, :6]).std_alpha, abs=1e-12)


def test_spearman_brown_halves_of_parallel_items_recover_the_full_test_reliability():
    # compound-symmetric items (all r = .3, k = 6): half-test r = 3*.3/(1+2*.3)... SB gives k r/(1+(k-1) r)
    rng = np.random.default_rng(1)
    cov = np.full((6, 6), 0.3) + 0.7 * np.eye(6)
    x = pd.DataFrame(rng.multivariate_normal(np.zeros(6), cov, size=200_000))
    r = s.splithalf(x)
    expected = 6 * 0.3 / (1 + 5 * 0.3)
    assert r.first_second == pytest.approx(expected, abs=0.01)
    assert r.odd_even == pytest.approx(expected, abs=0.01)


# --- ICC ---------------------------------------------------------------------------------------------


def test_icc_wraps_pingouin_and_recommends_icc2():
    # pingouin's documented example (pingouin.intraclass_corr, data "icc"): ICC1 = .728
    import pingouin as pg

    res = s.icc(pg.read_dataset("icc"), targets="Wine", raters="Judge", ratings="Scores")
    assert round(res["ICC1"], 3) == 0.728
    assert res.recommended == "ICC2" and "Recommended: ICC2" in res.summary()
    wine = pg.read_dataset("icc")
    assert s.icc(wine, targets="Wine", raters="Judge", ratings="Scores", average=True).recommended == "ICC2k"


def test_icc_missing_column_is_a_clear_error():
    with pytest.raises(ReliabilityError, match="raters column 'judge'"):
        s.icc(
            pd.DataFrame({"t": [1, 2], "Judge": [1, 1], "y": [1, 2]}),
            targets="t",
            raters="judge",
            ratings="y",
        )


# --- live R ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_reference(r_reference):
    return r_reference("reliability")


@pytest.mark.r
@pytest.mark.parametrize("name", sorted(REF["alpha"]))
def test_alpha_equals_psych_run_live(live_reference, name):
    assert_alpha_matches(name, live_reference["alpha"][name])
    ours = s.alpha(
        case_items(name, live_reference["alpha"][name]["items"]),
        keys=live_reference["alpha"][name]["keys"] or None,
    ).summary()
    assert printed_tables(ours) == printed_tables(live_reference["alpha"][name]["printed"])


@pytest.mark.r
def test_committed_reference_is_what_the_r_script_writes(live_reference):
    # the committed JSON is regenerated exactly by the script (same psych version) or close to it
    for name, ref in REF["alpha"].items():
        np.testing.assert_allclose(
            frame(live_reference["alpha"][name]["total"]).to_numpy(),
            frame(ref["total"]).to_numpy(),
            atol=1e-3,
        )


def test_response_frequencies_keep_values_that_print_alike_apart():
    # two categories equal to 7 significant digits must stay two columns (not a duplicated label)
    df = pd.DataFrame({"a": [1.0, 2.0, 2.00000001, 1.0], "b": [2.0, 1.0, 2.00000001, 2.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = s.alpha(df)
    assert res.response_freq.columns.is_unique and res.response_freq.shape[1] == 4  # 3 values + miss
    assert "Non missing response frequency" in res.summary()


# --- docs/api.md: result interface and column vocabulary ---------------------------------------------


def _wine():
    import pingouin as pg

    return pg.read_dataset("icc")


def test_alpha_to_frame_follows_the_column_vocabulary():
    a = s.alpha(load("attitude"))
    t = check_frame(a.to_frame())
    assert t.loc["", "alpha"] == a.raw_alpha and t.loc["", "std_alpha"] == a.std_alpha
    assert (t.loc["", "alpha_ci_low"], t.loc["", "alpha_ci_high"]) == a.feldt
    assert (t.loc["", "alpha_duhachek_ci_low"], t.loc["", "alpha_duhachek_ci_high"]) == a.duhachek
    assert t.loc["", "n"] == a.n == 30 and t.loc["", "n_items"] == 7
    assert "raw_alpha std.alpha G6(smc)" in a.summary()  # psych's names stay in the printed summary
    assert "<table" in a._repr_html_()


def test_splithalf_to_frame_follows_the_column_vocabulary():
    r = s.splithalf(load("attitude").iloc[:, :6])
    t = check_frame(r.to_frame())
    assert t.loc["", "max_split"] == r.max_split and t.loc["", "mean_split"] == r.mean_split
    assert t.loc["", "n"] == r.n == 30 and "Split half" in r.summary() and r._repr_html_()


def test_icc_to_frame_follows_the_column_vocabulary():
    res = s.icc(_wine(), targets="Wine", raters="Judge", ratings="Scores")
    t = check_frame(res.to_frame())
    assert t.loc["ICC2", "icc"] == res["ICC2"]
    assert (t.loc["ICC2", "icc_ci_low"], t.loc["ICC2", "icc_ci_high"]) == tuple(res.table.loc["ICC2", "CI95"])
    assert (
        t.loc["ICC2", "statistic"] == res.table.loc["ICC2", "F"]
        and t.loc["ICC2", "p"] == res.table.loc["ICC2", "pval"]
    )
    assert "<table" in res._repr_html_()


# --- deprecated spellings (until psychometry 1.1) -------------------------------------------------------
