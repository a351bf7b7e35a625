"""The content-signal test (``psychometry.stats.content_signal``): does item content move the answers
beyond position?

Planted data: a fake model answers the BFI-44 with a position habit (weight ``HABIT`` on the first
shown option) plus, with weight ``c``, a planted content answer (``PlantedRule``: each persona has a
latent level per scale; an item is answered at the level, reverse-keyed items at 6 - level), the rest
spread evenly. The raw probability-weighted answer of an item is then
``HABIT x first shown value + c x target + (1 - HABIT - c) x 3``, so a respondent's forward - reversed
difference on scale s is exactly ``c (L_s - (6 - L_s)) = 2 c (L_s - 3)``: the planted separation the
statistic must find. What the tests pin down:

* the statistic, the exact permutation p and the item-bootstrap interval, against a brute-force
  enumeration written out in the test;
* a pure position habit gives separation 0 and p = 1 (no content signal);
* with content planted (c = 0.1), the separation is exactly mean |2 c (L - 3)| and p is tiny;
* the Monte Carlo p is (1 + #{T* >= T}) / (B + 1) (Phipson & Smyth 2010) and reproducible by seed;
* the acquiescence index is the mean of forward and reversed answers minus the midpoint;
* bad input is one line.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import yaml

import psychometry
from psychometry import Design
from psychometry.backends.fake import FakeBackend
from psychometry.backends.planted import PlantedItem, PlantedRule
from psychometry.errors import StatsInputError
from psychometry.instrument import load_instrument
from psychometry.stats import content_signal
from psychometry.templates import item_options

HABIT = 0.7
N_PERSONAS = 8


def planted_rule(personas: list[str]) -> PlantedRule:
    inst = load_instrument("bfi44")
    items = {}
    for it in inst.items:
        texts, values = item_options(inst, it)
        items[it.text.strip()] = PlantedItem(it.scale, it.keyed, tuple(zip(texts, values)))
    return PlantedRule(items, personas, [], seed=1)


def habit_with_content(rule: PlantedRule, c: float):
    """Weights: HABIT on the first shown option, c x the planted content answer, the rest even."""

    def choice(prompt: str, labels) -> list[float]:
        k = len(labels)
        content = rule(prompt, labels)
        return [HABIT * (j == 0) + c * w + (1 - HABIT - c) / k for j, w in enumerate(content)]

    return choice


def planted_run(tmp, c: float, *, orders: str = "original,reversed", name: str = "planted") -> pd.DataFrame:
    texts = [f"You are respondent {i:03d}." for i in range(N_PERSONAS)]
    pfile = tmp / "personas.yaml"
    pfile.write_text(
        yaml.safe_dump({"personas": [{"id": f"p{i:03d}", "text": t} for i, t in enumerate(texts)]}),
        encoding="utf-8",
    )
    out = tmp / f"{name}-{c}.sqlite"
    psychometry.administer(
        Design(["bfi44"], templates="likert-plain", orders=orders, personas=str(pfile)),
        model=FakeBackend(choice=habit_with_content(planted_rule(texts), c), name=name),
        out=out,
        progress=False,
    )
    return psychometry.load_results(out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("content")
    return {c: planted_run(tmp, c) for c in (0.0, 0.1)}


# --------------------------------------------------------------------------------------------------
# the statistic by brute force


def _brute(x: np.ndarray, rev: np.ndarray) -> float:
    f = np.nanmean(x[:, ~rev], axis=1)
    r = np.nanmean(x[:, rev], axis=1)
    return float(np.mean(np.abs(f - r)))


def test_separation_and_exact_p_equal_a_brute_force_enumeration():
    rng = np.random.default_rng(7)
    keyed = np.array([1, 1, 1, 1, -1, -1, -1])
    x = rng.integers(1, 6, size=(5, 7)).astype(float)
    x[:, keyed < 0] -= 1.0  # some content: reversed items answered lower
    x = np.clip(x, 1, 5)
    long = pd.DataFrame(
        [
            {"respondent": f"r{i}", "instrument": "i", "scale": "S", "item": f"s{j}", "keyed": int(keyed[j]),
             "status": "ok", "shown_values": "1,2,3,4,5", "expected": x[i, j]}
            for i in range(5)
            for j in range(7)
        ]
    )  # fmt: skip
    res = content_signal(long, n_boot=500, seed=1)
    row = res.table[res.table["scale"] == "S"].iloc[0]
    rev = keyed < 0
    t = _brute(x, rev)
    null = []
    for combo in itertools.combinations(range(7), 3):  # every relabelling: C(7, 3) = 35
        m = np.zeros(7, bool)
        m[list(combo)] = True
        null.append(_brute(x, m))
    null = np.array(null)
    assert row["separation"] == pytest.approx(t)
    assert row["p"] == pytest.approx(np.mean(null >= t - 1e-12)) and row["exact"]
    assert row["n_permutations"] == 35 and row["null_mean"] == pytest.approx(null.mean())
    assert row["diff"] == pytest.approx(np.mean(x[:, ~rev].mean(axis=1) - x[:, rev].mean(axis=1)))
    assert row["share"] == pytest.approx(t / 4)
    assert row["separation_ci_low"] <= row["separation"] <= row["separation_ci_high"]
    # one scale: the pooled row is the scale's
    allrow = res.table[res.table["scale"] == "(all)"].iloc[0]
    assert allrow["separation"] == pytest.approx(t) and allrow["p"] == pytest.approx(row["p"])
    assert list(res.to_frame()["estimate"]) == list(res.table["separation"])
    assert "Content signal" in res.summary()


def test_the_monte_carlo_p_is_phipson_and_smyth_and_reproducible(runs):
    long = runs[0.1]
    a = content_signal(long, n_permutations=199, n_boot=0, seed=5)
    b = content_signal(long, n_permutations=199, n_boot=0, seed=5)
    pd.testing.assert_frame_equal(a.table, b.table)
    allrow = a.overall.iloc[0]
    assert not allrow["exact"] and allrow["n_permutations"] == 199
    # every relabelling separates less than the planted keying: p = (1 + 0) / (199 + 1)
    assert allrow["p"] == pytest.approx(1 / 200)


# --------------------------------------------------------------------------------------------------
# planted data


def test_a_pure_position_habit_has_no_content_signal(runs):
    res = content_signal(runs[0.0])
    allrow = res.overall.iloc[0]
    assert allrow["separation"] == pytest.approx(0.0, abs=1e-9)
    assert allrow["p"] == 1.0 and not allrow["significant"]
    assert (res.table["diff"].abs() < 1e-9).all()


def test_the_planted_content_effect_is_found_with_its_size(runs):
    long = runs[0.1]
    res = content_signal(long)
    texts = [f"You are respondent {i:03d}." for i in range(N_PERSONAS)]
    rule = planted_rule(texts)
    table = res.table.set_index("scale")
    for s in ("E", "A", "C", "N", "O"):
        levels = np.array([rule.level(t, s) for t in texts])
        # forward - reversed = 2 c (L - 3) in every option order (2 orders per persona)
        assert table.loc[s, "separation"] == pytest.approx(np.mean(np.abs(2 * 0.1 * (levels - 3))), abs=1e-9)
        assert table.loc[s, "diff"] == pytest.approx(np.mean(2 * 0.1 * (levels - 3)), abs=1e-9)
        assert table.loc[s, "p"] < 0.05
    allrow = res.overall.iloc[0]
    assert allrow["p"] == pytest.approx(1 / 10000) and allrow["significant"]
    assert allrow["separation"] > allrow["null_mean"]


def test_acquiescence_is_the_mean_of_forward_and_reversed_minus_the_midpoint():
    rows = [
        {"respondent": r, "instrument": "i", "scale": "E", "item": f"e{j}", "keyed": k, "status": "ok",
         "shown_values": "1,2,3,4,5", "expected": (4.5 if k > 0 else 3.5) + shift}
        for r, shift in (("a", 0.0), ("b", 0.5))
        for j, k in enumerate([1, 1, -1, -1])
    ]  # fmt: skip
    res = content_signal(pd.DataFrame(rows), n_boot=0)
    # respondent a: (4.5 + 3.5) / 2 - 3 = 1; b: 1.5
    assert res.overall.iloc[0]["acquiescence"] == pytest.approx(1.25)


def test_bad_input_is_one_line():
    rows = pd.DataFrame(
        [{"respondent": "a", "instrument": "i", "scale": "E", "item": "e1", "keyed": 1, "status": "ok",
          "shown_values": "1,2,3", "expected": 2.0}]
    )  # fmt: skip
    with pytest.raises(StatsInputError, match="no scale has both forward- and reverse-keyed items"):
        content_signal(rows)
    with pytest.raises(StatsInputError, match="no column"):
        content_signal(rows.drop(columns="keyed"))
    with pytest.raises(StatsInputError, match="n_permutations must be"):
        content_signal(rows, n_permutations=0)
