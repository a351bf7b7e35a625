"""Specification of psychometry.stats robustness functions on the long results table.

Reference numbers come from tests/reference/robustness.json, written by tests/reference/robustness.R (R 4.2.2,
psych 2.2.9: friedman.test, aov(... + Error()), pairwise.t.test(paired = TRUE, p.adjust.method = "holm"),
t.test / wilcox.test (paired = TRUE), cor.test, chisq.test, prop.test(correct = FALSE), psych::ICC) on
tests/data/robustness_long.csv, the table make_reference_long() below writes (seeded). R recomputes scale
scores, reverse keying, pairing and response styles itself from the CSV. Tests marked ``r`` re-run the
script live when Rscript is available. Tolerance: 3 decimals (the printed precision), tighter where exact.

Regenerate the data:  python3 tests/test_stats_robustness.py --write-data   (then Rscript tests/reference/robustness.R)
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from vocabulary import check_frame

import psychometry.stats as s
from psychometry.errors import PsychometryError, StatsInputError
from psychometry.stats.robustness import (
    LongTableError,
    OrderSensitivityResult,
    PositionBiasResult,
    RefusalRatesResult,
    ResponseStylesResult,
    TemplateSensitivityResult,
    order_sensitivity,
    position_bias,
    refusal_rates,
    response_styles,
    template_sensitivity,
)

ROOT = Path(__file__).resolve().parents[1]
DATA_PATH = ROOT / "tests" / "data" / "robustness_long.csv"
REF_PATH = ROOT / "tests" / "reference" / "robustness.json"
R_SCRIPT = ROOT / "tests" / "reference" / "robustness.R"
REF = json.loads(REF_PATH.read_text())
TOL = 1e-3  # 3 decimals, as printed


def make_reference_long(seed: int = 20240601) -> pd.DataFrame:
    """The small deterministic long table of tests/data/robustness_long.csv (576 rows).

    One model x 4 personas x 3 templates x 3 option orders x 2 repeats = 72 respondents, each answering
    the 8 items of a 1-5 instrument "mini" (scale E: e1, e2 forward, e3, e4 reverse; scale A: a1, a3, a4
    forward, a2 reverse). Template t3 raises every E answer towards agreement with E (+0.8 on the trait);
    the template does not touch A. Under the reversed order the model drifts towards the first shown
    option (value 5). About 4% refused and 3% unparsed answers; logprob mode with option probabilities.
    """
    rng = np.random.default_rng(seed)
    personas = {"p1": (1.6, 4.2), "p2": (2.4, 3.4), "p3": (3.4, 2.6), "p4": (4.3, 1.8)}  # (E, A) traits
    templates = {"t1": 0.0, "t2": 0.1, "t3": 0.8}  # shift of the E trait
    orders = {"original": [1, 2, 3, 4, 5], "reversed": [5, 4, 3, 2, 1], "rotate1": [2, 3, 4, 5, 1]}
    items = [
        ("e1", "E", 1),
        ("a1", "A", 1),
        ("e2", "E", 1),
        ("a2", "A", -1),
        ("e3", "E", -1),
        ("a3", "A", 1),
        ("e4", "E", -1),
        ("a4", "A", 1),
    ]
    rows = []
    for persona, (te, ta) in personas.items():
        for template, shift in templates.items():
            for order, shown in orders.items():
                for repeat in range(2):
                    resp = f"gemma/{persona}/{template}/{order}/{repeat}"
                    for item, scale, keyed in items:
                        trait = te + shift if scale == "E" else ta
                        target = trait if keyed > 0 else 6 - trait
                        if order == "reversed":
                            target += 0.5
                        latent = target + rng.normal(0, 0.7)
                        logits = -((np.arange(1, 6) - latent) ** 2) / 1.2
                        p_value = np.exp(logits - logits.max())
                        p_value /= p_value.sum()
                        value = float(np.argmax(p_value) + 1)
                        u = rng.uniform()
                        status = "refused" if u < 0.04 else ("unparsed" if u < 0.07 else "ok")
                        ok = status == "ok"
                        rows.append(
                            {
                                "model": "gemma",
                                "persona": persona,
                                "template": template,
                                "order": order,
                                "repeat": repeat,
                                "respondent": resp,
                                "instrument": "mini",
                                "item": item,
                                "scale": scale,
                                "keyed": keyed,
                                "shown_values": ",".join(map(str, shown)),
                                "mode": "logprob",
                                "status": status,
                                "value": value if ok else np.nan,
                                "position": float(shown.index(int(value)) + 1) if ok else np.nan,
                                "expected": round(float(np.dot(np.arange(1, 6), p_value)), 6),
                                "entropy": round(float(-(p_value * np.log(p_value)).sum()), 6),
                                "probs": json.dumps(
                                    {str(v): round(float(p_value[v - 1]), 6) for v in range(1, 6)}
                                ),
                            }
                        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return pd.read_csv(DATA_PATH)


def design(
    score,
    *,
    personas=5,
    templates=("t1", "t2", "t3"),
    orders=("original", "reversed"),
    repeats=2,
    items=(("e1", 1), ("e2", 1), ("e3", -1), ("e4", -1)),
    lo=1,
    hi=7,
) -> pd.DataFrame:
    """A long table of one model and one scale "E" whose keyed item answers are score(persona, template,
    order, repeat, item index) (reverse-keyed items are stored raw: lo + hi - keyed answer)."""
    rows = []
    shown_by_order = {
        "original": list(range(lo, hi + 1)),
        "reversed": list(range(hi, lo - 1, -1)),
        "rotate1": list(range(lo + 1, hi + 1)) + [lo],
    }
    for p in range(personas):
        for template in templates:
            for order in orders:
                shown = shown_by_order[order]
                for r in range(repeats):
                    for j, (item, keyed) in enumerate(items):
                        keyed_value = float(score(p, template, order, r, j))
                        value = keyed_value if keyed > 0 else lo + hi - keyed_value
                        rows.append(
                            {
                                "model": "m",
                                "persona": f"p{p}",
                                "template": template,
                                "order": order,
                                "repeat": r,
                                "respondent": f"m/p{p}/{template}/{order}/{r}",
                                "instrument": "mini",
                                "item": item,
                                "scale": "E",
                                "keyed": keyed,
                                "shown_values": ",".join(map(str, shown)),
                                "mode": "generate",
                                "status": "ok",
                                "value": value,
                                "position": float(shown.index(value) + 1),
                            }
                        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------------
# the committed data


def test_committed_csv_is_what_the_seeded_generator_writes(long):
    pd.testing.assert_frame_equal(long, make_reference_long(), check_dtype=False, atol=1e-9)


def test_functions_are_exported_from_psychometry_stats():
    for name in (
        "item_matrix",
        "refusal_rates",
        "template_sensitivity",
        "order_sensitivity",
        "position_bias",
        "response_styles",
    ):
        assert callable(getattr(s, name))


# ------------------------------------------------------------------------------------------------------
# specifications


def test_a_template_that_does_not_matter_gives_a_non_significant_test_and_icc_near_1():
    # template means are equal by construction (a +-1 wobble on one item rotates over the templates);
    # personas differ by 1 point, so almost all variance is between targets
    def score(p, template, order, r, j):
        wobble = ((["t1", "t2", "t3"].index(template) + p + r) % 3 - 1) if j == 0 else 0
        return 2 + p + wobble

    ts = template_sensitivity(design(score))
    row = ts.table.iloc[0]
    assert row["friedman_p"] > 0.05 and row["anova_p"] > 0.05
    assert not row["significant"]
    assert row["ICC2"] > 0.95 and row["ICC3"] > 0.95
    assert row["pairs_significant"] == 0
    assert ts.significant == {"mini/E": False}


def test_a_template_that_shifts_all_answers_is_flagged():
    def score(p, template, order, r, j):
        return 2 + p + (1 if template == "t3" else 0)  # t3: every answer one point up

    ts = template_sensitivity(design(score))
    row = ts.table.iloc[0]
    assert bool(row["significant"]) and row["friedman_p"] < 0.05
    assert row["pairs_significant"] == 2  # t1-t3 and t2-t3, not t1-t2
    # a shift lowers absolute agreement (ICC2) but not consistency (ICC3 = 1: the ranking is untouched)
    assert row["ICC3"] == pytest.approx(1.0) and row["ICC2"] < row["ICC3"]
    assert "yes" in ts.summary()


def test_a_respondent_answering_all_5s_on_a_1_to_5_scale_is_acquiescent_extreme_and_straightlining():
    t = design(lambda *a: 5, personas=1, templates=("t1",), orders=("original",), repeats=1, lo=1, hi=5)
    t["value"] = 5.0  # raw 5 everywhere, forward and reverse keyed alike
    st = response_styles(t).table.iloc[0]
    assert st["acquiescence"] == 5.0
    assert st["extreme"] == 1.0
    assert st["straightlining"] == 1.0 and st["longest_run"] == 4
    assert st["midpoint"] == 0.0
    assert st["agree_both"] == 1.0 and st["n_pairs"] == 4  # 2 forward x 2 reverse items, all agreed with


def test_a_consistent_respondent_agrees_with_no_reverse_forward_pair():
    t = design(lambda *a: 5, personas=1, templates=("t1",), orders=("original",), repeats=1, lo=1, hi=5)
    st = response_styles(t).table.iloc[0]  # keyed 5 = raw 5 on forward, raw 1 on reverse items
    assert st["agree_both"] == 0.0 and st["acquiescence"] == 3.0 and st["extreme"] == 1.0


def test_midpoint_responding_is_undefined_without_a_middle_option():
    t = design(lambda *a: 2, personas=1, templates=("t1",), orders=("original",), repeats=1, lo=1, hi=4)
    assert np.isnan(response_styles(t).table.iloc[0]["midpoint"])


def test_a_model_always_choosing_the_first_shown_position_has_proportion_1_there_under_every_order():
    t = design(lambda *a: 4, orders=("original", "reversed", "rotate1"))
    first = t["shown_values"].str.split(",").str[0].astype(float)
    t["value"] = first  # whatever is shown first
    t["position"] = 1.0
    pb = position_bias(t)
    prop = pb.proportions()
    assert list(prop.index.get_level_values("order")) == ["original", "reversed", "rotate1"]
    assert (prop[1] == 1.0).all() and (prop.drop(columns=1) == 0.0).all().all()
    assert (pb.tests["p"] < 1e-10).all()


def test_a_model_without_position_bias_mirrors_its_positions_across_original_and_reversed():
    t = design(lambda p, *a: 1 + p, personas=5, lo=1, hi=5)
    prop = position_bias(t).proportions()
    np.testing.assert_allclose(
        prop.loc[("original", 5)].to_numpy(), prop.loc[("reversed", 5)].to_numpy()[::-1]
    )


def test_order_sensitivity_is_zero_when_the_order_changes_nothing():
    o = order_sensitivity(design(lambda p, *a: 2 + p))
    row = o.table.iloc[0]
    assert row["mean_abs_diff"] == 0.0 and not row["significant"]
    assert np.isnan(row["t_p"]) and np.isnan(
        row["wilcoxon_p"]
    )  # no differences: nothing to test (R: error / NaN)


def test_order_sensitivity_flags_a_reversal_that_moves_every_score():
    o = order_sensitivity(design(lambda p, t, order, r, j: 1 + p + (order == "reversed") * (1 + (p + r) % 2)))
    row = o.table.iloc[0]
    assert row["mean_diff"] == pytest.approx(-1.5) and row["significant"]


# ------------------------------------------------------------------------------------------------------
# against R (tests/reference/robustness.json)


def test_refusal_rates_match_r_prop_test_wilson_intervals(long):
    rr = refusal_rates(long)
    t = rr.table
    assert len(t) == len(REF["rates"])
    for ref, (_, row) in zip(REF["rates"], t.iterrows()):
        assert (row["factor"], row["level"], row["n"]) == (ref["factor"], ref["level"], ref["n"])
        for what in ("refused", "unparsed"):
            # R: prop.test(x, n, correct = FALSE)$conf.int (Wilson score interval)
            assert row[what] == ref[what]["x"]
            assert row[f"{what}_rate"] == pytest.approx(ref[what]["rate"], abs=1e-12)
            assert row[f"{what}_lower"] == pytest.approx(ref[what]["lower"], abs=1e-9)
            assert row[f"{what}_upper"] == pytest.approx(ref[what]["upper"], abs=1e-9)
    assert rr.refused == pytest.approx(30 / 576)  # 30 refused of 576 rows (the generator's statuses)


def test_refusal_rates_by_a_crossed_factor_and_on_another_status_column(long):
    rr = refusal_rates(
        long.rename(columns={"status": "outcome"}), by=["template", ("model", "order")], status="outcome"
    )
    assert list(rr.table["factor"].unique()) == ["all", "template", "modelxorder"]
    assert rr.table.loc[rr.table["level"] == "gemma/reversed", "n"].item() == 192


@pytest.mark.parametrize("scale", ["E", "A"])
def test_template_sensitivity_matches_r(long, scale):
    ref = REF["template"][scale]
    ts = template_sensitivity(long)
    row = ts.table.set_index("scale").loc[scale]
    assert row["n_targets"] == ref["n_targets"] and row["n_templates"] == len(ref["templates"])
    # R: var(colMeans(wide)), mean(apply(wide, 1, var))
    assert row["var_means"] == pytest.approx(ref["var_means"], abs=1e-9)
    assert row["var_within"] == pytest.approx(ref["var_within"], abs=1e-9)
    # R: friedman.test(wide)
    assert row["friedman_Q"] == pytest.approx(ref["friedman"]["Q"], abs=TOL)
    assert row["friedman_df"] == ref["friedman"]["df"]
    assert row["friedman_p"] == pytest.approx(ref["friedman"]["p"], abs=TOL)
    # R: summary(aov(score ~ template + Error(target / template)))
    assert row["anova_F"] == pytest.approx(ref["anova"]["F"], abs=TOL)
    assert (row["anova_df1"], row["anova_df2"]) == (ref["anova"]["df1"], ref["anova"]["df2"])
    assert row["anova_p"] == pytest.approx(ref["anova"]["p"], abs=TOL)
    # R: psych::ICC(wide, lmer = FALSE): ICC2 = Single_random_raters, ICC3 = Single_fixed_raters
    assert row["ICC2"] == pytest.approx(ref["icc2"]["ICC"], abs=TOL)
    assert row["ICC3"] == pytest.approx(ref["icc3"]["ICC"], abs=TOL)
    # pingouin rounds its CI95 to 2 decimals
    assert row["ICC2_lower"] == pytest.approx(ref["icc2"]["lower"], abs=0.005 + 1e-9)
    assert row["ICC2_upper"] == pytest.approx(ref["icc2"]["upper"], abs=0.005 + 1e-9)
    assert row["ICC3_lower"] == pytest.approx(ref["icc3"]["lower"], abs=0.005 + 1e-9)
    # R: pairwise.t.test(score, template, paired = TRUE, p.adjust.method = "holm" / "none")
    pw = ts.pairwise[ts.pairwise["scale"] == scale]
    for _, p in pw.iterrows():
        col, rowname = p["A"], p["B"]
        i = ref["pairwise_rows"].index(rowname)
        assert p["p_holm"] == pytest.approx(ref["pairwise_holm"][col][i], abs=TOL)
        assert p["p_unc"] == pytest.approx(ref["pairwise_none"][col][i], abs=TOL)
    means = ts.means[ts.means["scale"] == scale].set_index("template")["mean"]
    for tmpl, m in ref["means"].items():
        assert means[tmpl] == pytest.approx(m, abs=1e-9)


def test_template_sensitivity_on_the_reference_table_flags_e_and_not_a(long):
    # the generator shifts scale E under template t3 and leaves A alone
    assert template_sensitivity(long).significant == {"mini/E": True, "mini/A": False}


@pytest.mark.parametrize("scale", ["E", "A"])
def test_order_sensitivity_matches_r(long, scale):
    ref = REF["order"][scale]
    row = order_sensitivity(long).table.set_index("scale").loc[scale]
    for key in ("n_pairs", "mean_a", "mean_b", "mean_diff", "mean_abs_diff", "t_df", "n_complete"):
        assert row[key] == pytest.approx(ref[key], abs=1e-9), key
    # R: t.test(x, y, paired = TRUE); wilcox.test(x, y, paired = TRUE) (ties: normal approximation with
    # continuity correction); cor.test(x, y); friedman.test over original / reversed / rotate1
    for key in ("t", "t_p", "V", "wilcoxon_p", "r", "r_p"):
        assert row[key] == pytest.approx(ref[key], abs=TOL), key
    assert row["friedman_Q"] == pytest.approx(ref["friedman"]["Q"], abs=TOL)
    assert row["friedman_p"] == pytest.approx(ref["friedman"]["p"], abs=TOL)


def test_wilcoxon_uses_the_exact_test_like_r_for_small_untied_samples():
    # R: wilcox.test(x, y, paired = TRUE) on the depression data of ?wilcox.test (Hollander & Wolfe 1973,
    # p. 29): V = 40, p = 0.03906 (exact)
    ref = REF["wilcoxon_exact"]
    x, y = np.array(ref["x"]), np.array(ref["y"])
    t = pd.DataFrame(
        {
            "respondent": [f"r{i}/{o}" for o in ("a", "b") for i in range(9)],
            "persona": [f"r{i}" for _ in range(2) for i in range(9)],
            "order": ["a"] * 9 + ["b"] * 9,
            "scale": "S",
            "keyed": 1,
            "value": np.r_[x, y],
        }
    )
    row = order_sensitivity(t, a="a", b="b", scale_min=0, scale_max=4).table.iloc[0]
    assert row["V"] == ref["V"] == 40
    assert row["wilcoxon_p"] == pytest.approx(ref["p"], abs=1e-9)


@pytest.mark.parametrize("order", ["original", "reversed", "rotate1"])
def test_position_bias_matches_r_chisq_test(long, order):
    ref = REF["position"][order]
    pb = position_bias(long)
    c = pb.counts[pb.counts["order"] == order]
    assert c["n"].tolist() == ref["counts"]
    np.testing.assert_allclose(c["proportion"], ref["proportion"], atol=1e-12)
    # mean probability of the option shown at each position (R: jsonlite::fromJSON on the probs column)
    np.testing.assert_allclose(c["mean_prob"], ref["mean_prob"], atol=1e-9)
    test = pb.tests.set_index("order").loc[order]
    # R: chisq.test(counts) (uniform expected counts)
    assert test["chi2"] == pytest.approx(ref["chi2"], abs=TOL)
    assert test["df"] == ref["df"] and test["p"] == pytest.approx(ref["p"], abs=TOL)


def test_position_probabilities_do_not_depend_on_the_key_order_of_the_probs_json(long):
    shuffled = long.copy()
    rows = shuffled.index[::7]
    shuffled.loc[rows, "probs"] = [
        json.dumps(dict(reversed(list(json.loads(t).items())))) for t in shuffled.loc[rows, "probs"]
    ]
    np.testing.assert_allclose(
        position_bias(shuffled).counts["mean_prob"], position_bias(long).counts["mean_prob"], atol=1e-12
    )


def test_position_bias_names_a_malformed_probs_value(long):
    bad = long.copy()
    bad.loc[3, "probs"] = "not json"
    with pytest.raises(LongTableError, match="'probs' must hold JSON"):
        position_bias(bad)


def test_position_bias_accepts_decoded_probs(long):
    # load_results may decode the JSON fields once: dicts {scale value: p} (numeric or text keys)
    decoded = long.copy()
    decoded["probs"] = [
        {float(k): v for k, v in json.loads(t).items()} if isinstance(t, str) and t.strip() else None
        for t in long["probs"]
    ]
    np.testing.assert_allclose(
        position_bias(decoded).counts["mean_prob"], position_bias(long).counts["mean_prob"], atol=1e-12
    )
    bad = decoded.copy()
    bad.loc[3, "probs"] = 0.5  # neither a dict nor JSON text
    with pytest.raises(StatsInputError, match="'probs' must hold JSON"):
        position_bias(bad)


def test_position_bias_accepts_decoded_position_probs():
    t = _choice_rows(position_probs=True)
    t["position_probs"] = [json.loads(x) for x in t["position_probs"]]
    t["probs"] = [json.loads(x) for x in t["probs"]]
    pb = position_bias(t, by=None)
    np.testing.assert_allclose(pb.counts["mean_prob"], [0.4, 0.3, 0.2, 0.1])
    t.at[0, "position_probs"] = [0.5, 0.5]
    with pytest.raises(StatsInputError, match="'position_probs' must hold a JSON list of 4"):
        position_bias(t)


def _choice_rows(position_probs: bool) -> pd.DataFrame:
    """Two answers to a TRAIT-style choice item whose four options are scored 1, 0, 1, 0: the model
    gives the shown positions probabilities .4 .3 .2 .1 and picks position 1."""
    rows = []
    for order, shown in (("original", "1,0,1,0"), ("reversed", "0,1,0,1")):
        p = [0.4, 0.3, 0.2, 0.1]
        by_value = {}
        for v, pi in zip(shown.split(","), p):
            by_value[v] = by_value.get(v, 0.0) + pi
        rows.append(
            {
                "order": order,
                "status": "ok",
                "position": 1.0,
                "shown_values": shown,
                "probs": json.dumps(by_value),
                "position_probs": json.dumps(p) if position_probs else None,
            }
        )
    return pd.DataFrame(rows)


def test_position_bias_reads_per_position_probabilities_when_options_share_a_value():
    # keyed by value, positions 1 and 3 (both value 1 under original) would both get .4 + .2 = .6
    pb = position_bias(_choice_rows(position_probs=True), by=None)
    np.testing.assert_allclose(pb.counts["mean_prob"], [0.4, 0.3, 0.2, 0.1])
    assert pb.counts["mean_prob"].sum() == pytest.approx(1.0)


def test_position_bias_falls_back_to_value_keyed_probs_for_rows_without_position_probs():
    # older files (and tables from elsewhere) have only the value-keyed JSON: shared values share it
    pb = position_bias(_choice_rows(position_probs=False), by=None)
    np.testing.assert_allclose(pb.counts["mean_prob"], [0.6, 0.4, 0.6, 0.4])
    t = _choice_rows(position_probs=False).drop(columns="position_probs")
    np.testing.assert_allclose(position_bias(t, by=None).counts["mean_prob"], [0.6, 0.4, 0.6, 0.4])


def test_position_bias_names_a_malformed_position_probs_value():
    t = _choice_rows(position_probs=True)
    t.loc[0, "position_probs"] = "[0.5, 0.5]"  # two numbers for four shown options
    with pytest.raises(LongTableError, match="'position_probs' must hold a JSON list of 4"):
        position_bias(t)


def test_response_styles_match_an_independent_r_computation(long):
    st = response_styles(long).table.set_index("respondent")
    assert len(st) == len(REF["styles"])
    for resp, ref in REF["styles"].items():
        row = st.loc[resp]
        for key in (
            "n_items",
            "acquiescence",
            "extreme",
            "midpoint",
            "straightlining",
            "longest_run",
            "n_pairs",
            "agree_both",
            "entropy",
        ):
            want = np.nan if ref[key] is None else ref[key]
            np.testing.assert_allclose(row[key], want, atol=1e-9, err_msg=f"{resp} {key}")


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_icc_on_pingouins_wine_data_matches_pingouin_docs_and_psych():
    # pingouin docs (intraclass_corr example, its `icc` data set: 8 wines x 4 judges): ICC(1,1) = .728
    wine = pg.read_dataset("icc")
    assert pg.intraclass_corr(wine, "Wine", "Judge", "Scores").set_index("Type").loc[
        "ICC(1,1)", "ICC"
    ] == pytest.approx(0.728, abs=5e-4)
    ref = REF["icc_wine"]
    wide = wine.pivot(index="Wine", columns="Judge", values="Scores")
    assert {k: [float(v) for v in vals] for k, vals in ref["data"].items()} == {
        k: wide[k].astype(float).tolist() for k in "ABCD"
    }  # the data R used is pingouin's
    # as a long table: wines are the targets (personas), judges the templates, one item
    t = wine.rename(columns={"Wine": "persona", "Judge": "template", "Scores": "value"}).assign(
        respondent=lambda d: d["persona"].astype(str) + "/" + d["template"], scale="taste", keyed=1
    )
    row = template_sensitivity(t, scale_min=0, scale_max=9).table.iloc[0]
    icc = dict(zip(ref["type"], ref["ICC"]))  # R: psych::ICC(wine, lmer = FALSE)
    assert row["ICC2"] == pytest.approx(icc["ICC2"], abs=1e-6)  # .728
    assert row["ICC3"] == pytest.approx(icc["ICC3"], abs=1e-6)  # .729
    assert row["friedman_Q"] == pytest.approx(ref["friedman"]["Q"], abs=1e-6)  # R: friedman.test(wine)


@pytest.mark.r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
def test_r_reference_script_reproduces_the_committed_json(tmp_path):
    out = tmp_path / "robustness.json"
    subprocess.run(
        ["Rscript", str(R_SCRIPT), str(out)], cwd=ROOT, check=True, capture_output=True, timeout=300
    )
    live = json.loads(out.read_text())
    for section in ("rates", "template", "order", "wilcoxon_exact", "position", "styles", "icc_wine"):
        assert json.dumps(live[section], sort_keys=True) == json.dumps(
            REF[section], sort_keys=True
        ) or _close(live[section], REF[section]), section


def _close(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) < 1e-9
    return a == b


# ------------------------------------------------------------------------------------------------------
# results objects and errors


def test_results_are_frozen_with_to_frame_and_an_r_style_summary(long):
    for res in (
        refusal_rates(long),
        template_sensitivity(long),
        order_sensitivity(long),
        position_bias(long),
        response_styles(long),
    ):
        with pytest.raises(dataclasses.FrozenInstanceError):
            res.conf_level = 0.9
        assert isinstance(res.to_frame(), pd.DataFrame) and not res.to_frame().empty
        assert res.summary().splitlines()[0] and str(res) == res.summary()


def test_template_summary_states_the_headline_icc_and_our_significance_rule(long):
    text = template_sensitivity(long).summary()
    assert "ICC2 = ICC(A,1)" in text and "(headline)" in text
    assert "Friedman" in text and "our definition" in text


def test_bad_input_raises_a_psychometry_error_naming_the_problem(long):
    with pytest.raises(PsychometryError, match="no column.*'template'"):
        template_sensitivity(long.drop(columns="template"))
    with pytest.raises(LongTableError, match="only one template"):
        template_sensitivity(long[long["template"] == "t1"])
    with pytest.raises(
        LongTableError, match=r"order b='shuffled' is not in column 'order' \(orders: original"
    ):
        order_sensitivity(long, b="shuffled")
    bad = long.copy()
    bad.loc[0, "position"] = 9.0
    with pytest.raises(LongTableError, match="1-based position among the 5 shown options, got 9.0"):
        position_bias(bad)
    with pytest.raises(LongTableError, match="do not identify a respondent"):
        template_sensitivity(long, pair_on=["persona"])
    with pytest.raises(LongTableError, match="expected the long results table as a pandas DataFrame"):
        refusal_rates([1, 2, 3])


# ------------------------------------------------------------------------------------------------------
# docs/api.md: result classes, to_frame() vocabulary


def test_result_classes_and_to_frame_follow_the_vocabulary(long):
    for res, cls in (
        (refusal_rates(long), RefusalRatesResult),
        (template_sensitivity(long), TemplateSensitivityResult),
        (order_sensitivity(long), OrderSensitivityResult),
        (position_bias(long), PositionBiasResult),
        (response_styles(long), ResponseStylesResult),
    ):
        assert isinstance(res, cls) and isinstance(res, s._api.Result)
        check_frame(res.to_frame())
        assert "<table" in res._repr_html_()


def test_to_frame_holds_the_numbers_of_the_r_named_tables(long):
    rr = refusal_rates(long)
    f = rr.to_frame()
    np.testing.assert_array_equal(f["n_refused"], rr.table["refused"])
    np.testing.assert_array_equal(f["refused_rate_ci_low"], rr.table["refused_lower"])
    np.testing.assert_array_equal(f["unparsed_rate_ci_high"], rr.table["unparsed_upper"])
    ts = template_sensitivity(long)
    f = ts.to_frame()
    for old, new in (("friedman_p", "p_friedman"), ("ICC2_lower", "icc2_ci_low"), ("anova_p", "p_anova")):
        np.testing.assert_array_equal(f[new], ts.table[old])
    os_ = order_sensitivity(long)
    f = os_.to_frame()
    for old, new in (("n_pairs", "n"), ("wilcoxon_p", "p_wilcoxon"), ("t_p", "p_t"), ("V", "v")):
        np.testing.assert_array_equal(f[new], os_.table[old])


@pytest.mark.parametrize("fn", [template_sensitivity, order_sensitivity])
def test_significant_is_p_below_one_minus_conf_level(long, fn):
    new = fn(long, conf_level=0.999)
    assert new.conf_level == pytest.approx(0.999)
    # significant means p < 1 - conf_level
    p = new.to_frame()["p_friedman" if fn is template_sensitivity else "p_wilcoxon"]
    if fn is template_sensitivity:
        np.testing.assert_array_equal(new.to_frame()["significant"], p < 1 - 0.999)


def test_new_spellings_raise_no_deprecation_warning(long):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        refusal_rates(long, by="template").to_frame()
        template_sensitivity(long, pair_on=["model", "persona", "order", "repeat"], conf_level=0.9).summary()
        order_sensitivity(long, a="original", b="reversed", conf_level=0.9).summary()
        position_bias(long).summary()
        response_styles(long).summary()


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-data"]:
        make_reference_long().to_csv(DATA_PATH, index=False)
        print(f"wrote {DATA_PATH}")
    else:
        print(__doc__)
