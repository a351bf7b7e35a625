"""Specification of psychometry.stats.polychoric / polyserial, checked against R's psych and lavaan.

Reference numbers: tests/reference/polychoric.json, written by tests/reference/polychoric.R (psych 2.2.9,
lavaan 0.6-14) on real human data: psych's bfi (2,800 SAPA respondents; complete rows and
pairwise-complete) and the SD-3 openpsychometrics release (17,740 complete rows of 18,192; 0 = not
answered). With Rscript on the PATH the same comparisons also run against a fresh R run (marker ``r``).
psych's rho comes from ``optimize()`` with its default tolerance (about 1e-4), so psych agrees to
1e-4 and lavaan (nlminb to convergence) to 1e-6.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from vocabulary import check_frame

from psychometry.errors import StatsInputError
from psychometry.stats._api import Result
from psychometry.stats.polycor import PolychoricResult, PolyserialResult, bvn_cdf, polychoric, polyserial

ROOT = Path(__file__).resolve().parents[1]
TOL_PSYCH = 1e-4
TOL_LAVAAN = 1e-6


@pytest.fixture(scope="module", params=["committed", pytest.param("live", marks=pytest.mark.r)])
def ref(request, r_reference) -> dict:
    if request.param == "committed":
        return json.loads((ROOT / "tests" / "reference" / "polychoric.json").read_text())
    return r_reference("polychoric")


def frame(m: dict) -> pd.DataFrame:
    return pd.DataFrame(m["values"], index=m["rows"], columns=m["cols"])


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "data" / "psych_bfi.csv")


@pytest.fixture(scope="module")
def bfi_cc(bfi) -> pd.DataFrame:
    return bfi.iloc[:, :25].dropna()


@pytest.fixture(scope="module")
def sd3_cc() -> pd.DataFrame:
    sd3 = pd.read_csv(ROOT / "tests" / "data" / "sd3_openpsychometrics.csv").iloc[:, :27]
    return sd3.replace(0, np.nan).dropna()


def empty_sets(bfi_cc: pd.DataFrame) -> dict[str, pd.DataFrame]:
    emp = bfi_cc[["A1", "A2", "A3", "C1", "C2", "C3"]].copy()
    emp.loc[emp.A1 == 6, "A1"] = 5
    emp.loc[emp.A2 == 3, "A2"] = 2
    emp2 = bfi_cc[["A1", "A2", "A3", "C1", "C2", "C3"]].copy()
    emp2.loc[emp2.A2 == 3, "A2"] = 2
    return {"empty": emp, "empty_middle": emp2}


def run(data: pd.DataFrame, method: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return polychoric(data, method=method)


def assert_psych(res, r: dict, tol: float = TOL_PSYCH) -> None:
    exp_rho = frame(r["rho"])
    assert list(res.rho.index) == list(exp_rho.index)
    np.testing.assert_allclose(res.rho.to_numpy(), exp_rho.to_numpy(), atol=tol, rtol=0)
    exp_tau = frame(r["tau"]).to_numpy(dtype=float)  # JSON null = R's +-Inf
    got = res.tau.to_numpy()
    fin = ~np.isnan(exp_tau)
    np.testing.assert_allclose(got[fin], exp_tau[fin], atol=1e-10, rtol=0)
    assert np.all(np.isinf(got[~fin]))


def assert_lavaan(res, r: dict, tol: float = TOL_LAVAAN) -> None:
    np.testing.assert_allclose(res.rho.to_numpy(), frame(r["rho"]).to_numpy(), atol=tol, rtol=0)
    th = res.tau.to_numpy().ravel()
    np.testing.assert_allclose(th[~np.isnan(th)], r["th"], atol=1e-10, rtol=0)


def test_bivariate_normal_cdf_equals_scipy_to_machine_precision():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=300) * 2, rng.normal(size=300) * 2
    r = np.concatenate(
        [rng.uniform(-0.999, 0.999, 290), [0.93, -0.93, 0.9999, -0.9999, 0, 0.5, -0.5, 0.925, -0.925, 0.3]]
    )
    expected = [
        sps.multivariate_normal([0, 0], [[1, ri], [ri, 1]]).cdf([ai, bi]) for ai, bi, ri in zip(a, b, r)
    ]
    np.testing.assert_allclose(bvn_cdf(a, b, r), expected, atol=1e-12)
    assert bvn_cdf(np.inf, 0.3, 0.5) == pytest.approx(sps.norm.cdf(0.3))
    assert bvn_cdf(-np.inf, 0.3, 0.5) == 0.0


def test_bfi_complete_rows_equal_psych_and_lavaan(bfi_cc, ref):
    assert_psych(run(bfi_cc, "psych"), ref["bfi_complete_psych"])
    assert_lavaan(run(bfi_cc, "lavaan"), ref["bfi_complete_lavaan"])


def test_bfi_pairwise_missing_equals_psych(bfi, ref):
    # psych's default: thresholds from each item's own answers, each pair's table from the rows where both are answered
    assert_psych(run(bfi.iloc[:, :25], "psych"), ref["bfi_pairwise_psych"])


def test_sd3_human_data_equals_psych_and_lavaan_in_seconds(sd3_cc, ref):
    # 27 items x 17,740 respondents: 351 tables, all pairs fitted at once
    t0 = time.perf_counter()
    res = run(sd3_cc, "lavaan")
    elapsed = time.perf_counter() - t0
    assert_lavaan(res, ref["sd3_complete_lavaan"])
    assert_psych(run(sd3_cc, "psych"), ref["sd3_complete_psych"])
    assert elapsed < 20, elapsed


def test_empty_top_category_switches_psych_to_pairwise_thresholds_with_continuity_correction(bfi_cc, ref):
    emp = empty_sets(bfi_cc)["empty"]
    with pytest.warns(RuntimeWarning, match="global set to FALSE"):
        res = polychoric(emp)
    assert not res.global_thresholds
    assert_psych(res, ref["empty_psych"])
    assert np.isinf(res.tau.loc["A1", "5"])  # nobody answered 6 on A1: +inf
    lav = run(emp, "lavaan")  # lavaan: A1 has 5 categories, A2 5
    assert lav.tau.loc["A1"].notna().sum() == 4 and lav.tau.loc["A2"].notna().sum() == 4
    assert_lavaan(lav, ref["empty_lavaan"])


def test_zero_cells_get_psychs_continuity_correction(bfi_cc, ref):
    small = bfi_cc.iloc[:150][["A1", "A2", "C1", "C2", "E1"]].copy()
    small["A1"] = small["A1"].clip(upper=5)
    with pytest.warns(RuntimeWarning) as record:
        res = polychoric(small)
    messages = [str(w.message) for w in record]
    assert any("global set to FALSE" in m for m in messages)
    assert any("10 cells were adjusted" in m for m in messages)  # psych's count (pairs with zero cells)
    assert not res.global_thresholds and res.n_corrected == 10
    assert_psych(res, ref["zero_cells_psych"])


def test_empty_middle_category_keeps_global_thresholds_and_equals_lavaan(bfi_cc, ref):
    emp2 = empty_sets(bfi_cc)["empty_middle"]
    res = run(emp2, "psych")
    assert res.global_thresholds
    assert res.tau.loc["A2", "2"] == res.tau.loc["A2", "3"]  # psych: a repeated threshold
    assert_psych(res, ref["empty_middle_psych"])
    assert_lavaan(run(emp2, "lavaan"), ref["empty_middle_lavaan"])
    # without an empty end category both conventions solve the same likelihood
    np.testing.assert_allclose(run(emp2, "psych").rho, run(emp2, "lavaan").rho, atol=TOL_PSYCH)


def test_polyserial_equals_psych_and_lavaan(bfi, bfi_cc, ref):
    age = bfi.loc[bfi_cc.index, "age"]
    items = bfi_cc[["A1", "A2", "A3", "A4", "A5"]]
    np.testing.assert_allclose(polyserial(items, x=age).rho, ref["polyserial_psych"]["rho"], atol=1e-10)
    ml = polyserial(items, x=age, method="lavaan").rho.to_numpy()
    # the exact two-step ML (R's optimize on the same likelihood); lavaan 0.6-14's nlminb stops short of
    # the maximum by up to .005 on A2..A5 (its log-likelihood is lower there), and agrees on A1
    np.testing.assert_allclose(ml, ref["polyserial_ml_optimize"]["rho"], atol=1e-6)
    np.testing.assert_allclose(ml, ref["polyserial_lavaan"]["rho"], atol=0.006)
    assert ml[0] == pytest.approx(ref["polyserial_lavaan"]["rho"][0], abs=1e-6)


def test_bad_input_is_a_stats_input_error():
    with pytest.raises(StatsInputError, match="integer"):
        polychoric(pd.DataFrame({"a": [1.5, 2, 3], "b": [1, 2, 3]}))
    with pytest.raises(StatsInputError, match="no variance"):
        polychoric(pd.DataFrame({"a": [1, 1, 1], "b": [1, 2, 3]}))
    with pytest.raises(StatsInputError, match="method"):
        polychoric(pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 3]}), method="polycor")


def test_summary_prints_lower_triangle_and_thresholds(bfi_cc):
    text = run(bfi_cc[["A1", "A2", "A3"]], "psych").summary()
    assert "with tau of" in text and "A3" in text


# ---------------------------------------------------------------- docs/api.md: one vocabulary, old spellings deprecated


def test_polychoric_result_follows_the_api_convention(bfi):
    data = bfi[["A1", "A2", "A3"]]
    res = run(data, "psych")
    assert isinstance(res, PolychoricResult) and isinstance(res, Result)
    table = check_frame(res.to_frame())
    assert list(table.columns) == ["item1", "item2", "rho", "n"]
    assert list(zip(table["item1"], table["item2"])) == [("A1", "A2"), ("A1", "A3"), ("A2", "A3")]
    assert table["rho"].tolist() == [res.rho.loc[a, b] for a, b in zip(table["item1"], table["item2"])]
    # psych: pairwise-complete tables; lavaan: the complete rows
    assert table["n"].tolist() == [
        int(data[[a, b]].notna().all(axis=1).sum()) for a, b in zip(table["item1"], table["item2"])
    ]
    assert res.n == len(data) and isinstance(res.n, int)  # psych's n.obs: all rows
    assert res.n_pairwise.loc["A1", "A2"] == table["n"].iloc[0]
    lav = run(data, "lavaan")
    assert set(lav.to_frame()["n"]) == {len(data.dropna())} and lav.n == len(data.dropna())
    assert f"n = {res.n})" in res.summary()
    assert "with tau of" in res._repr_html_()


def test_polyserial_result_and_x_as_a_column_name(bfi, bfi_cc):
    items = bfi_cc[["A1", "A2", "A3"]]
    age = bfi.loc[bfi_cc.index, "age"]
    res = polyserial(items, x=age)
    assert isinstance(res, PolyserialResult) and isinstance(res, Result)
    table = check_frame(res.to_frame())
    assert list(table.columns) == ["item", "rho", "n"] and table["n"].tolist() == [len(items)] * 3
    assert res.n == len(items) and res.n_pairwise.tolist() == [len(items)] * 3
    with_missing = items.astype(float).copy()
    with_missing.iloc[:5, 0] = np.nan
    for method in ("psych", "lavaan"):
        part = polyserial(with_missing, x=age, method=method)
        assert part.n_pairwise["A1"] == len(items) - 5 and part.n_pairwise["A2"] == (
            len(items) if method == "psych" else len(items) - 5
        )
        assert part.n == (len(items) if method == "psych" else len(items) - 5)
        assert check_frame(part.to_frame())["n"].tolist() == part.n_pairwise.tolist()
    assert res and bool(res) is True  # truth does not go through the deprecated __len__
    np.testing.assert_array_equal(table["rho"], res.rho.to_numpy())
    by_name = polyserial(items.assign(age=age), x="age")
    pd.testing.assert_series_equal(by_name.rho, res.rho)
    assert "Polyserial correlations (psych)" in res.summary() and "A3" in res._repr_html_()
