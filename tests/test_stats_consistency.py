"""psychometry.stats.behaviour_consistency against R's cor.test (tests/reference/consistency.R).

What equals R (1e-10): r, t, df, p and the Fisher-z interval, per group and pooled, at 95% and 90%;
no interval for n = 3 (as cor.test); the pooled ``print(cor.test())`` block line for line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vocabulary import check_frame

import psychometry.stats as s
from psychometry.errors import StatsInputError
from psychometry.stats.consistency import POOLED, behaviour_consistency

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
COMMITTED = json.loads((ROOT / "tests" / "reference" / "consistency.json").read_text())
ROUNDS = pd.read_csv(DATA / "behaviour_rounds.csv")
PERSONA = ROUNDS.groupby(["model", "persona"], as_index=False)[["trait", "giving", "cooperate"]].mean()
DOC = pd.DataFrame(
    {"rating": [10, 20, 35, 40, 60, 65, 80, 90], "giving": [5.0, 30.0, 20.0, 50.0, 45.0, 70.0, 60.0, 85.0]}
)


def assert_row(row: pd.Series, case: dict) -> None:
    assert int(row["n"]) == case["n"] and int(row["df"]) == case["df"]
    for key in ("r", "statistic", "p", "r_ci_low", "r_ci_high"):
        want = case[key]
        if want is None:
            assert np.isnan(row[key]), key
        else:
            assert row[key] == pytest.approx(want, rel=1e-10, abs=1e-13), key


def check(ref: dict) -> None:
    cor = ref["cor"]
    res = behaviour_consistency(DOC, self_report="rating", behaviour="giving")
    assert_row(res.pooled, cor["doc"])
    assert res.summary().split("\n")[5:] == cor["doc"]["printed"] + [""]
    res = behaviour_consistency(PERSONA, self_report="trait", behaviour="giving", by="model")
    assert list(res.table.index) == ["m1", "m2", POOLED]
    assert_row(res.table.loc["m1"], cor["persona_m1"])
    assert_row(res.table.loc["m2"], cor["persona_m2"])
    assert_row(res.pooled, cor["persona_pooled"])
    res = behaviour_consistency(PERSONA, self_report="trait", behaviour="cooperate", conf_level=0.9)
    assert_row(res.pooled, cor["persona_cooperate_90"])
    att = pd.read_csv(DATA / "attitude.csv")
    assert_row(
        behaviour_consistency(att, self_report="rating", behaviour="complaints").pooled, cor["attitude"]
    )
    three = pd.DataFrame({"a": [1.0, 2, 3], "b": [2.0, 1, 4]})
    assert_row(behaviour_consistency(three, self_report="a", behaviour="b").pooled, cor["three"])


def test_behaviour_consistency_equals_cor_test():
    check(COMMITTED)


def test_result_follows_the_api_convention():
    res = behaviour_consistency(PERSONA, self_report="trait", behaviour="giving", by="model")
    f = check_frame(res.to_frame())
    assert list(f.columns) == [
        "model",
        "n",
        "r",
        "r_ci_low",
        "r_ci_high",
        "statistic",
        "df",
        "p",
        "significant",
    ]
    assert "<table" in res._repr_html_()
    assert s.behaviour_consistency is behaviour_consistency


def test_plot_returns_a_figure_with_one_series_per_group():
    from matplotlib.figure import Figure

    res = behaviour_consistency(PERSONA, self_report="trait", behaviour="giving", by="model")
    fig = res.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.collections) == 2 and ax.get_xlabel() == "self-report: trait"
    assert [t.get_text().split(":")[0] for t in ax.get_legend().get_texts()] == ["m1", "m2"]


def test_bad_input_is_one_line_naming_the_argument():
    with pytest.raises(StatsInputError, match=r"self_report 'nope' is not a column"):
        behaviour_consistency(DOC, self_report="nope", behaviour="giving")
    with pytest.raises(StatsInputError, match=r"by 'model' is not a column"):
        behaviour_consistency(DOC, self_report="rating", behaviour="giving", by="model")
    with pytest.raises(StatsInputError, match=r"at least 3"):
        behaviour_consistency(DOC.head(2), self_report="rating", behaviour="giving")
    with pytest.raises(StatsInputError, match=r"behaviour does not vary"):
        behaviour_consistency(DOC.assign(giving=1.0), self_report="rating", behaviour="giving")
    with pytest.raises(StatsInputError, match=r"self_report 'm' must be numeric"):
        behaviour_consistency(DOC.assign(m="x"), self_report="m", behaviour="giving")


@pytest.mark.r
def test_behaviour_consistency_equals_cor_test_live(r_reference):
    check(r_reference("consistency"))
