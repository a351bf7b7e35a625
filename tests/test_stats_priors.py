"""psychometry.stats.human_priors (the shipped, cited table) and direction_share (binom.test).

What equals R (1e-12): the two-sided p and the Clopper-Pearson interval of ``binom.test(k, n)``
(tests/reference/consistency.R), and so every share interval and p of ``direction_share``.
The table is checked against the shipped instruments: every behaviour is a shipped task scale and
every scale a shipped inventory scale; every entry has a source, a direction of +-1 and a note.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from vocabulary import check_frame

import psychometry.stats as s
from psychometry.errors import StatsInputError
from psychometry.stats.prediction import behaviour_regression
from psychometry.stats.priors import ALL, binom_test, direction_share, human_priors

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = json.loads((ROOT / "tests" / "reference" / "consistency.json").read_text())


def shipped_scales(folder: Path) -> set[str]:
    out = set()
    for f in folder.glob("*.yaml"):
        d = yaml.safe_load(f.read_text())
        if not isinstance(d, dict) or "scales" not in d:
            continue
        sc = d["scales"]
        ids = list(sc) if isinstance(sc, dict) else [x["id"] for x in sc]
        out |= {f"{d['id']}/{i}" for i in ids}
    return out


def check_binom(ref: dict) -> None:
    for case in ref["binom"].values():
        pv, lo, hi = binom_test(case["x"], case["n"], case["conf_level"])
        assert pv == pytest.approx(case["p"], rel=1e-12, abs=1e-15)
        assert lo == pytest.approx(case["ci_low"], rel=1e-10, abs=1e-15)
        assert hi == pytest.approx(case["ci_high"], rel=1e-10, abs=1e-15)


def test_binom_test_equals_r():
    check_binom(COMMITTED)


def test_the_priors_name_shipped_scales_and_cite_a_source():
    table = human_priors().to_frame()
    inventories = shipped_scales(ROOT / "instruments")
    tasks = shipped_scales(ROOT / "instruments" / "tasks")
    for _, r in table.iterrows():
        assert f"{r['task']}/{r['behaviour']}" in tasks, r["behaviour"]
        if isinstance(r["instrument"], str):
            assert f"{r['instrument']}/{r['scale']}" in inventories, (r["instrument"], r["scale"])
        assert r["direction"] in (-1, 1) and r["source"] and r["note"]
    # every shipped behaviour of the one-shot tasks has at least one prior measured by a shipped
    # inventory; the tasks of issue 17 (cct, lottery, sycophancy) have none in the table yet
    without = {"honesty", "cct_risk", "risk_seeking", "accuracy"}
    assert {t.split("/")[1] for t in tasks} <= set(
        table.loc[table["instrument"].notna(), "behaviour"]
    ) | without
    # the checked figures
    hh = table[(table["trait"] == "honesty_humility") & (table["behaviour"] == "honesty")].iloc[0]
    assert (hh["effect_metric"], hh["estimate"], hh["n"]) == ("odds_ratio", 0.53, 5002)
    ss = table[table["trait"] == "sensation_seeking"].iloc[0]
    assert (ss["effect_metric"], ss["estimate"], ss["n_studies"]) == ("r", 0.14, 22)


def test_direction_share_counts_and_tests_per_model():
    est = pd.DataFrame(
        {
            "model": ["m1"] * 4 + ["m2"] * 4,
            "trait": ["A", "E", "sd3_N", "psychopathy"] * 2,
            "behaviour": ["generosity", "risk_taking", "generosity", "cooperation"] * 2,
            "estimate": [0.3, 0.2, -0.1, -0.4, -0.3, 0.1, 0.2, 0.5],
            "p": [0.01, 0.2, 0.04, 0.001, 0.03, 0.6, 0.01, 0.02],
        }
    )
    res = direction_share(est, by="model")
    t = res.table
    assert list(t.index) == ["m1", "m2", ALL]
    assert (t.loc["m1", "n"], t.loc["m1", "n_human"]) == (4, 4)
    assert (t.loc["m2", "n"], t.loc["m2", "n_human"]) == (4, 1)
    assert (t.loc[ALL, "n_significant"], t.loc[ALL, "n_significant_human"]) == (6, 3)
    for g in t.index:
        pv, lo, hi = binom_test(int(t.loc[g, "n_human"]), int(t.loc[g, "n"]))
        assert (t.loc[g, "p"], t.loc[g, "share_ci_low"], t.loc[g, "share_ci_high"]) == (pv, lo, hi)
    check_frame(res.to_frame())
    assert "<table" in res._repr_html_() and s.direction_share is direction_share
    assert "<table" in human_priors()._repr_html_() and s.human_priors is human_priors


def test_direction_share_reads_behaviour_regression_output():
    rng = np.random.default_rng(3)
    traits = pd.DataFrame(rng.normal(size=(40, 3)), columns=["A", "E", "C"])
    beh = pd.DataFrame(
        {
            "generosity": 2 * traits["A"] + rng.normal(size=40),
            "risk_taking": traits["E"] - traits["C"] + rng.normal(size=40),
        }
    )
    res = direction_share(behaviour_regression(traits, behaviour=beh).to_frame())
    row = res.table.loc[ALL]
    # A-generosity, A-risk, E-risk, C-risk have priors; E and C with generosity do not
    assert row["n"] == 4 and len(res.unmatched) == 2
    assert row["n_significant_human"] == 3  # A+ generosity, E+ risk, C- risk


def test_bad_input_is_one_line_naming_the_argument():
    est = pd.DataFrame({"trait": ["N"], "behaviour": ["risk_taking"], "estimate": [0.2], "p": [0.1]})
    with pytest.raises(StatsInputError, match=r"trait N \(risk_taking\) names scales of two inventories"):
        direction_share(est)
    with pytest.raises(StatsInputError, match=r"p column 'pval' is not in data"):
        direction_share(est, p="pval")
    with pytest.raises(StatsInputError, match=r"priors must be a DataFrame"):
        direction_share(est.assign(trait="bfi44_N"), priors=pd.DataFrame({"x": [1]}))
    with pytest.raises(StatsInputError, match="estimate column 'estimate' must be numeric"):
        direction_share(est.assign(estimate="up"))


@pytest.mark.r
def test_binom_test_equals_r_live(r_reference):
    check_binom(r_reference("consistency"))
