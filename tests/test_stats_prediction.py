"""Specification of psychometry.stats.prediction: regressions of behaviour on traits, checked against R.

Reference numbers come from tests/reference/prediction.json, written by tests/reference/prediction.R
(base R: ``lm()``, ``summary.lm``, ``confint``, standardised betas from ``lm(scale(y) ~ scale(x))``, and
the HC3 / CR1 sandwich formulas coded in R) on tests/data/attitude.csv (R's ``attitude``) and
tests/data/psych_bfi.csv (psych's ``bfi``: missing values, p < 2.2e-16). Tests marked ``r`` re-run the
script live when Rscript is on the PATH.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vocabulary import check_frame

import psychometry.stats as s
from psychometry.errors import StatsInputError
from psychometry.stats.prediction import (
    RESPONDENT_KEY,
    BehaviourRegressionResult,
    TraitBehaviourScoresResult,
    behaviour_regression,
    format_pval,
    respondent_scores,
    trait_behaviour_scores,
)
from psychometry.stats.tidy import LongTableError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
REF = json.loads((ROOT / "tests" / "reference" / "prediction.json").read_text())
CASES = REF["cases"]
# lm() is closed-form: statsmodels agrees with R to ~1e-12 here; 1e-6 is far finer than the printed
# three or four decimals and leaves room for BLAS differences. p-values are compared relatively.
TOL = 1e-6
ATTITUDE_CLUSTERS = np.repeat(np.arange(1, 11), 3)  # as in prediction.R: rep(1:10, each = 3)


def data_for(case: dict) -> pd.DataFrame:
    return pd.read_csv(
        DATA / ("attitude.csv" if case["y"] in ("rating", "critical", "advance") else "psych_bfi.csv")
    )


def fit_case(case: dict, **kw):
    d = data_for(case)
    return behaviour_regression(d[case["x"]], behaviour=d[case["y"]], **kw)[case["y"]]


def assert_table_matches(fit, ref: dict, columns=("estimate", "se", "t", "p", "ci_low", "ci_high")) -> None:
    coef = fit.coefficients
    assert list(coef.index) == list(ref["estimate"])
    for col in columns:
        ours = coef[col].to_numpy()
        theirs = np.array([ref[col][k] for k in coef.index], dtype=float)
        if col == "p":
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-300)
        else:
            np.testing.assert_allclose(ours, theirs, atol=TOL, rtol=1e-9)


def from_residuals(text: str | list[str]) -> list[str]:
    """Printed lines from 'Residuals:' on (the Call line differs by design: R shows the call)."""
    lines = text.split("\n") if isinstance(text, str) else list(text)
    start = lines.index("Residuals:")
    out = lines[start:]
    while out and out[-1] == "":
        out.pop()
    return out


# --- numbers against R's lm() ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_coefficients_se_t_p_and_confidence_intervals_equal_lm(name):
    case = CASES[name]
    assert_table_matches(fit_case(case), case)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fit_statistics_equal_summary_lm(name):
    case = CASES[name]
    fit = fit_case(case)
    assert fit.n == case["n"] and fit.n_missing == case["n_missing"]
    assert fit.df_resid == case["df_resid"] and fit.df_model == len(case["x"])
    assert fit.sigma == pytest.approx(case["sigma"], abs=TOL)
    assert fit.r_squared == pytest.approx(case["r_squared"], abs=TOL)
    assert fit.adj_r_squared == pytest.approx(case["adj_r_squared"], abs=TOL)
    assert fit.f_statistic == pytest.approx(case["F"], abs=TOL)
    assert fit.f_df == (case["df1"], case["df2"])
    assert fit.f_p == pytest.approx(case["F_p"], rel=1e-6, abs=1e-300)
    q = np.quantile(fit.residuals, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(q, case["residual_quantiles"], atol=TOL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_standardised_betas_equal_the_slopes_of_lm_on_scaled_variables(name):
    case = CASES[name]
    fit = fit_case(case)
    assert math.isnan(fit.coefficients.loc["(Intercept)", "beta"])
    np.testing.assert_allclose(
        fit.coefficients["beta"].drop("(Intercept)").to_numpy(),
        [case["beta"][x] for x in case["x"]],
        atol=TOL,
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_hc3_standard_errors_equal_the_sandwich_formula_in_r(name):
    case = CASES[name]
    fit = fit_case(case, robust="HC3")
    assert fit.se_type == "HC3" and fit.df_inference == case["df_resid"]
    assert_table_matches(fit, case["hc3"])
    assert fit.f_statistic == pytest.approx(case["hc3"]["F"], rel=1e-9)
    assert fit.f_df == (case["hc3"]["df1"], case["hc3"]["df2"])
    assert fit.f_p == pytest.approx(case["hc3"]["F_p"], rel=1e-6, abs=1e-300)
    # the point estimates and R² do not depend on the standard errors
    assert fit.r_squared == pytest.approx(case["r_squared"], abs=TOL)


@pytest.mark.parametrize("name", sorted(n for n in CASES if "cr1" in CASES[n]))
def test_cluster_robust_cr1_errors_use_g_minus_1_degrees_of_freedom(name):
    case = CASES[name]
    fit = fit_case(case, cluster=ATTITUDE_CLUSTERS)
    assert fit.se_type == "cluster" and fit.n_clusters == 10 and fit.df_inference == 9
    assert_table_matches(fit, case["cr1"])
    assert fit.f_statistic == pytest.approx(case["cr1"]["F"], rel=1e-9)
    assert fit.f_df == (case["cr1"]["df1"], case["cr1"]["df2"])
    assert fit.f_p == pytest.approx(case["cr1"]["F_p"], rel=1e-6)


def test_several_behaviours_are_one_model_each_on_the_same_traits():
    d = pd.read_csv(DATA / "attitude.csv")
    traits = ["complaints", "privileges", "learning", "raises"]
    res = behaviour_regression(d[traits], behaviour=d[["rating", "critical", "advance"]])
    assert isinstance(res, BehaviourRegressionResult) and res.behaviours == ("rating", "critical", "advance")
    for b in res.behaviours:
        assert_table_matches(res[b], CASES[f"attitude_{b}"])
    frame = check_frame(res.to_frame())
    assert frame.index.names == ["behaviour", "term"]
    assert list(frame.columns) == ["estimate", "se", "statistic", "p", "ci_low", "ci_high", "beta"]
    assert (
        frame["statistic"].tolist() == pd.concat([res[b].coefficients["t"] for b in res.behaviours]).tolist()
    )
    assert frame.loc[("critical", "learning"), "estimate"] == pytest.approx(
        CASES["attitude_critical"]["estimate"]["learning"]
    )
    fs = res.fit_statistics
    assert list(fs.index) == ["rating", "critical", "advance"]
    assert fs.loc["advance", "r_squared"] == pytest.approx(CASES["attitude_advance"]["r_squared"])
    assert res.betas.shape == (3, 4) and list(res.betas.columns) == traits


# --- printed like R ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_summary_prints_exactly_what_r_prints_for_summary_lm(name):
    case = CASES[name]
    ours = fit_case(case).summary()
    assert from_residuals(ours) == from_residuals(case["printed"])
    assert f"lm(formula = {case['y']} ~ {' + '.join(case['x'])})" in ours


def test_the_overview_lists_betas_with_stars_and_r2_per_behaviour():
    d = pd.read_csv(DATA / "attitude.csv")
    text = behaviour_regression(d[["complaints", "learning"]], behaviour=d[["rating", "advance"]]).summary()
    assert text.startswith("Behaviour regressed on traits: OLS, classical standard errors, 2 behaviours")
    header = next(line for line in text.splitlines() if "complaints" in line and "R2" in line)
    assert header.split() == ["complaints", "learning", "R2", "adj.R2", "n"]
    assert "== rating" in text and "== advance" in text and "Signif. codes:" in text


def test_robust_summaries_name_the_estimator():
    d = pd.read_csv(DATA / "attitude.csv")
    text = behaviour_regression(d[["complaints"]], behaviour=d["rating"], robust="HC3")["rating"].summary()
    assert "Coefficients (HC3 standard errors):" in text and "Wald F-statistic (HC3):" in text
    text = behaviour_regression(d[["complaints"]], behaviour=d["rating"], cluster=ATTITUDE_CLUSTERS)[
        "rating"
    ].summary()
    assert "cluster-robust CR1 standard errors, 10 clusters" in text


@pytest.mark.parametrize(
    "pv, digits, expected",
    [
        ([0.361634, 0.000903, 0.069925], 3, ["0.361634", "0.000903", "0.069925"]),  # -4 exponent is fixed
        ([1e-20, 0.0265, 0.7435], 3, ["<2e-16", "0.0265", "0.7435"]),
        ([1e-20, 2.65e-15, 0.00265], 3, ["< 2e-16", "2.65e-15", "0.00265"]),
        ([1e-20], 4, ["< 2.2e-16"]),
        ([1.2397e-05], 4, ["1.24e-05"]),
        ([float("nan"), 0.5], 3, ["NA", "0.5"]),
    ],
)
def test_format_pval_follows_r(pv, digits, expected):
    assert format_pval(pv, digits) == expected


# --- input handling ------------------------------------------------------------------------------------


def test_rows_are_matched_by_index_and_missing_values_dropped_per_behaviour():
    d = pd.read_csv(DATA / "attitude.csv")
    traits = d[["complaints", "learning"]]
    beh = d[["rating", "advance"]].copy()
    beh.loc[[0, 1], "rating"] = np.nan
    shuffled = beh.sample(frac=1.0, random_state=1)  # order does not matter, labels do
    res = behaviour_regression(traits, behaviour=shuffled)
    assert (res["rating"].n, res["rating"].n_missing) == (28, 2)
    assert (res["advance"].n, res["advance"].n_missing) == (30, 0)
    ref = behaviour_regression(traits.iloc[2:], behaviour=beh["rating"].iloc[2:])["rating"]
    np.testing.assert_allclose(res["rating"].coefficients["estimate"], ref.coefficients["estimate"])


def test_cluster_may_name_an_index_level_or_a_column():
    d = pd.read_csv(DATA / "attitude.csv")
    d["team"] = ATTITUDE_CLUSTERS
    by_col = behaviour_regression(
        d[["complaints", "learning", "team"]], behaviour=d["rating"], cluster="team"
    )["rating"]
    assert by_col.predictors == ("complaints", "learning")  # the cluster column is not a predictor
    idx = d.set_index(["team", d.index])
    idx.index.names = ["persona", "row"]
    by_level = behaviour_regression(
        idx[["complaints", "learning"]], behaviour=idx["rating"], cluster="persona"
    )["rating"]
    np.testing.assert_allclose(by_col.coefficients["se"], by_level.coefficients["se"])


@pytest.mark.parametrize(
    "mutate, kwargs, words",
    [
        (lambda t, b: (t, b * 0 + 1), {}, "does not vary"),
        (lambda t, b: (t.assign(complaints=3.0), b), {}, "complaints do not vary"),
        (lambda t, b: (t.assign(copy=t["complaints"] * 2), b), {}, "collinear"),
        (lambda t, b: (t.iloc[:3], b), {}, "need at least 4"),
        (lambda t, b: (t.assign(complaints="x"), b), {}, "not numeric"),
        (lambda t, b: (t.set_axis(range(100, 130)), b), {}, "share no row labels"),
        (lambda t, b: (t.set_axis([0] * 30), b), {}, "more than once"),
        (lambda t, b: (t, b), {"robust": "HC9"}, "robust must be one of"),
        (lambda t, b: (t, b), {"robust": "HC3", "cluster": ATTITUDE_CLUSTERS}, "not both"),
        (lambda t, b: (t, b), {"cluster": "nowhere"}, "neither a column nor an index level"),
        (lambda t, b: (t, b), {"predictors": ["missing"]}, "not columns of data"),
        (lambda t, b: (t.to_numpy(), b), {}, "must be a pandas DataFrame"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(mutate, kwargs, words):
    d = pd.read_csv(DATA / "attitude.csv")
    traits, beh = mutate(d[["complaints", "learning"]], d["rating"])
    with pytest.raises(StatsInputError, match=words):
        behaviour_regression(traits, behaviour=beh, **kwargs)


# --- from the long results table to respondent scores --------------------------------------------------


def long_table() -> pd.DataFrame:
    """Two personas x two templates x two orders; a 2-item trait scale (one item reverse keyed, 1-5)
    and a 1-item behaviour (options 0, 20, 50, 80); persona p2 is 'generous' and 'extraverted'."""
    rows = []
    for persona, (e1, e2, give) in {"p1": (2, 4, 0), "p2": (5, 1, 80)}.items():
        for template_i, t_shift in ((1, 0), (2, 1)):
            for order in ("original", "reversed"):
                for inst, item, scale, keyed, value, shown, tmpl in (
                    ("bfi", "e1", "E", 1, e1, "1,2,3,4,5", f"likert-{template_i}"),
                    ("bfi", "e2", "E", -1, e2, "1,2,3,4,5", f"likert-{template_i}"),
                    (
                        "dictator",
                        "dg1",
                        "generosity",
                        1,
                        give if t_shift == 0 else give / 4 if give else 20,
                        "0,20,50,80",
                        f"choice-{template_i}",
                    ),
                ):
                    rows.append(
                        {
                            "model": "m",
                            "persona": persona,
                            "template": tmpl,
                            "order": order,
                            "repeat": 0,
                            "respondent": f"m/{persona}/{tmpl}/{order}/0",
                            "instrument": inst,
                            "item": item,
                            "scale": scale,
                            "keyed": keyed,
                            "shown_values": shown,
                            "status": "ok",
                            "value": float(value),
                            "expected": float(value) + 0.5,
                        }
                    )
    return pd.DataFrame(rows)


def test_respondent_scores_average_each_persona_over_templates_and_orders():
    scores = respondent_scores(long_table())
    assert scores.index.names == list(RESPONDENT_KEY)
    assert list(scores.columns) == ["E", "generosity"]
    # E: e1 and reverse-keyed e2 (6 - x): p1 = mean(2, 2) = 2, p2 = mean(5, 5) = 5, in every condition
    assert scores.loc[("m", "p1", 0), "E"] == 2.0 and scores.loc[("m", "p2", 0), "E"] == 5.0
    # generosity: template 1 gives (0 | 80), template 2 gives (20 | 20): the mean over 4 conditions
    assert scores.loc[("m", "p1", 0), "generosity"] == pytest.approx((0 + 0 + 20 + 20) / 4)
    assert scores.loc[("m", "p2", 0), "generosity"] == pytest.approx((80 + 80 + 20 + 20) / 4)
    assert scores.attrs["instruments"] == {"E": "bfi", "generosity": "dictator"}
    assert (scores.attrs["conditions"] == 4).all().all()


def test_expected_values_and_other_keys_can_be_chosen():
    scores = respondent_scores(long_table(), instruments="dictator", value="expected", key=("persona",))
    assert list(scores.index) == ["p1", "p2"] and list(scores.columns) == ["generosity"]
    assert scores.loc["p1", "generosity"] == pytest.approx(10.5)


def test_trait_behaviour_scores_split_the_columns_on_one_index():
    tb = trait_behaviour_scores(long_table(), trait_instruments="bfi", behaviour_instruments="dictator")
    traits, behaviour = tb.traits, tb.behaviour
    assert list(traits.columns) == ["E"] and list(behaviour.columns) == ["generosity"]
    assert traits.index.equals(behaviour.index)


def test_shared_scale_ids_are_prefixed_with_the_instrument():
    long = long_table()
    twin = long[long["instrument"] == "bfi"].assign(instrument="bfi_copy")
    scores = respondent_scores(pd.concat([long, twin]), instruments=["bfi", "bfi_copy"])
    assert list(scores.columns) == ["bfi_E", "bfi_copy_E"]


def test_unknown_instruments_and_missing_columns_are_named():
    with pytest.raises(LongTableError, match="no rows of instrument.*'risk'.*instruments: bfi, dictator"):
        respondent_scores(long_table(), instruments=["bfi", "risk"])
    with pytest.raises(LongTableError, match="no column"):
        respondent_scores(long_table().drop(columns="persona"))
    with pytest.raises(LongTableError, match="given as both trait and behaviour"):
        trait_behaviour_scores(long_table(), trait_instruments="bfi", behaviour_instruments=["bfi"])


def test_the_exports_are_registered_in_psychometry_stats():
    assert s.behaviour_regression is behaviour_regression
    assert s.respondent_scores is respondent_scores
    assert s.trait_behaviour_scores is trait_behaviour_scores


# --- live R ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_reference(r_reference):
    return r_reference("prediction")


@pytest.mark.r
@pytest.mark.parametrize("name", sorted(CASES))
def test_lm_run_live_agrees(live_reference, name):
    case = live_reference["cases"][name]
    fit = fit_case(case)
    assert_table_matches(fit, case)
    assert fit.r_squared == pytest.approx(case["r_squared"], abs=TOL)
    assert_table_matches(fit_case(case, robust="HC3"), case["hc3"])
    if "cr1" in case:
        assert_table_matches(fit_case(case, cluster=ATTITUDE_CLUSTERS), case["cr1"])
    assert from_residuals(fit.summary()) == from_residuals(case["printed"])


@pytest.mark.r
def test_committed_reference_is_what_the_r_script_writes(live_reference):
    for name, case in CASES.items():
        live = live_reference["cases"][name]
        assert live["printed"] == case["printed"]
        for key in ("estimate", "se", "beta"):
            np.testing.assert_allclose(list(live[key].values()), list(case[key].values()), atol=1e-12)


def test_respondent_scores_have_one_row_per_existing_unit_not_every_combination():
    # two models with different personas: 2 units each, not the 2 x 4 model-persona combinations
    long = pd.DataFrame(
        {
            "model": ["m1", "m1", "m2", "m2"],
            "persona": ["p1", "p2", "p3", "p4"],
            "repeat": 0,
            "respondent": ["m1/p1", "m1/p2", "m2/p3", "m2/p4"],
            "instrument": "dictator",
            "item": "dg1",
            "scale": "generosity",
            "keyed": 1,
            "value": [0.0, 20.0, 50.0, 80.0],
            "status": "ok",
            "shown_values": "0,20,50,80",
        }
    )
    scores = respondent_scores(long)
    assert len(scores) == 4 and scores["generosity"].notna().all()


# --- docs/api.md: result classes, vocabulary, deprecated spellings --------------------------------------


def _attitude():
    return pd.read_csv(DATA / "attitude.csv")


def test_result_classes_follow_the_convention():
    d = _attitude()
    res = behaviour_regression(d[["complaints", "learning"]], behaviour=d[["rating", "advance"]])
    assert isinstance(res, s._api.Result) and isinstance(res["rating"], s._api.Result)
    check_frame(res.to_frame())
    check_frame(res["rating"].to_frame())
    assert "<table" in res._repr_html_() or "<pre" in res._repr_html_()
    tb = trait_behaviour_scores(long_table(), trait_instruments="bfi", behaviour_instruments="dictator")
    assert isinstance(tb, TraitBehaviourScoresResult) and isinstance(tb, s._api.Result)
    f = check_frame(tb.to_frame())
    assert list(f.columns) == [*RESPONDENT_KEY, "role", "instrument", "scale", "score", "n_conditions"]
    assert f.loc[f["scale"] == "E", "score"].tolist() == tb.traits["E"].tolist()
    assert (f["n_conditions"] == 4).all()
    assert "generosity" in tb.summary() and tb._repr_html_()
