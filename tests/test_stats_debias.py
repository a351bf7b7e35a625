"""Position debiasing (``psychometry.stats.robustness.debias``), checked against the papers' formulas.

The model of an answer both papers share (Zheng et al. 2024, ICLR, "Large Language Models Are Not
Robust Multiple Choice Selectors", section 4, the decomposition of the observed prediction): the
probability of the option shown at position j under option order I is a prior over positions times
the probability of the option's content, renormalised::

    P_obs(j | q, x^I) = P_prior(j) P_content(o_I(j) | q) / Z

What the tests pin down:

* **permutation averaging** (the paper's cyclic-permutation baseline) is the mean over the k cyclic
  rotations of each scale value's observed probability, by hand on a 3-option item;
* **PriDe**: the per-item prior is softmax(mean over the rotations of log(P_obs + 1e-10)) and the
  prior the mean of the per-item priors, computed here as the authors' ``debias_utils.simple`` and
  ``debias_pride.py`` do; on answers made by the model above the prior is recovered exactly and the
  debiased distribution is the content distribution; ``share`` draws that share of the items and the
  cost is s k + (1 - s) prompts per item against k;
* **contextual calibration** (Zhao et al. 2021, ICML, "Calibrate Before Use", section 5: W =
  diag(p_cf)^-1, b = 0) is normalise(W p); with the content-free answer showing the prior, it
  recovers the content;
* ``load_results(path, answers="debiased")`` on a fake run: the method follows the design
  (``--orders rotate``: permutation; with the content-free companion: calibration), the stored file
  stays raw; ``psychometry report --answers debiased`` on a run without the orders or content-free
  items it needs is one line saying what to administer.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
import pytest

import psychometry
from psychometry import Design
from psychometry.backends.fake import FakeBackend
from psychometry.cli import main
from psychometry.errors import StatsInputError
from psychometry.instrument import load_instrument
from psychometry.instrument.content_free import content_free_instrument
from psychometry.stats import calibrate_content_free, permutation_debias, pride_debias
from psychometry.stats.robustness.debias import EPS, debias_answers, debias_available

PRIOR = np.array([0.5, 0.2, 0.15, 0.1, 0.05])  # a strong habit for the first shown position


def _rotations(k: int) -> list[tuple[int, ...]]:
    return [tuple((i + s) % k for i in range(k)) for s in range(k)]


def _content(item: str, k: int) -> np.ndarray:
    """A reproducible content distribution over an item's k values (drawn from its name)."""
    seed = int.from_bytes(hashlib.sha256(item.encode()).digest()[:4], "big")
    c = np.random.default_rng(seed).dirichlet(np.ones(k))
    return c


def _planted_rows(items: list[str], orders: list[tuple[int, ...]], prior: np.ndarray) -> pd.DataFrame:
    """Rows answered by the decomposition: P_obs(j) ∝ prior(j) content(value shown at j)."""
    k = len(prior)
    rows = []
    for it in items:
        c = _content(it, k)
        for s, perm in enumerate(orders):
            shown = [v + 1 for v in perm]
            p = prior * c[list(perm)]
            p = p / p.sum()
            rows.append(
                {
                    "respondent": f"m/none/t/rotate{s}/0/abcd",
                    "model": "m",
                    "template": "t",
                    "order": f"rotate{s}",
                    "instrument": "x",
                    "item": it,
                    "status": "ok",
                    "shown_values": ",".join(map(str, shown)),
                    "position_probs": list(p),
                    "probs": {float(v): float(p[shown.index(v)]) for v in sorted(shown)},
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# (a) permutation averaging


def test_permutation_averaging_is_the_mean_over_the_cyclic_rotations_by_hand():
    rows = [
        {"respondent": f"m/none/t/{o}/0", "order": o, "instrument": "i", "item": "a", "status": "ok",
         "shown_values": sv, "position_probs": pp}
        for o, sv, pp in [
            ("rotate0", "1,2,3", [0.7, 0.2, 0.1]),
            ("rotate1", "2,3,1", [0.6, 0.3, 0.1]),
            ("rotate2", "3,1,2", [0.5, 0.3, 0.2]),
        ]
    ]  # fmt: skip
    res = permutation_debias(pd.DataFrame(rows))
    row = res.table.iloc[0]
    # value 1 is shown at position 1, 3, 2 of the three rotations: (.7 + .1 + .3) / 3
    assert row["probs"] == pytest.approx({1.0: 1.1 / 3, 2.0: 1.0 / 3, 3.0: 0.9 / 3})
    assert row["expected"] == pytest.approx((1 * 1.1 + 2 * 1.0 + 3 * 0.9) / 3)
    assert row["value"] == 1.0 and math.isnan(row["position"])
    assert row["order"] == "(permutation)" and row["respondent"] == "m/none/t/(permutation)/0"
    assert row["debias"] == "permutation"
    assert (res.n_units, res.n_prompts) == (1, 3)
    # a persona or template named like an order: the order is the segment after them
    odd = pd.DataFrame(rows).assign(respondent=lambda d: "m/rotate1/t/" + d["order"] + "/0")
    assert permutation_debias(odd).table.loc[0, "respondent"] == "m/rotate1/t/(permutation)/0"


def test_permutation_averaging_of_a_pure_position_habit_is_flat():
    # every answer is the prior over positions whatever the content: averaged over the rotations, every
    # value gets the mean of the prior, 1/k, and the expected value is the midpoint
    rows = _planted_rows(["a", "b"], _rotations(5), PRIOR)
    flat = [list(PRIOR)] * len(rows)
    rows = rows.assign(position_probs=flat).drop(columns="probs")
    res = permutation_debias(rows)
    for _, r in res.table.iterrows():
        assert list(r["probs"].values()) == pytest.approx([0.2] * 5)
        assert r["expected"] == pytest.approx(3.0)
        assert math.isnan(r["value"])  # five options tie: none is chosen


def test_permutation_averaging_needs_every_rotation():
    long = _planted_rows(["a"], _rotations(5)[:4], PRIOR)
    with pytest.raises(StatsInputError, match=r"1 of 1 items .* --orders rotate"):
        permutation_debias(long)


# --------------------------------------------------------------------------------------------------
# (b) PriDe


def _authors_prior(observed: np.ndarray) -> np.ndarray:
    """Zheng et al.'s code (debias_utils.simple): softmax(np.log(observed + 1e-10).mean(axis=0))."""
    observed = observed / observed.sum(axis=1, keepdims=True)
    x = np.log(observed + 1e-10).mean(axis=0)
    x = np.exp(x - x.max())
    return x / x.sum()


def test_pride_prior_is_the_papers_estimate_and_recovers_a_planted_prior():
    items = [f"i{j}" for j in range(6)]
    long = _planted_rows(items, _rotations(5), PRIOR)
    res = pride_debias(long, by=None)
    # the paper's estimate, item by item (observed: rotations x positions), then the mean over items
    per_item = [_authors_prior(np.array(long[long["item"] == it]["position_probs"].tolist())) for it in items]
    np.testing.assert_allclose(res.prior["prior"], np.mean(per_item, axis=0), atol=1e-12)
    # under the decomposition the content terms cancel over the rotations: the prior comes back
    np.testing.assert_allclose(res.prior["prior"], PRIOR, atol=1e-8)
    assert res.n_estimation == 6 and res.n_units == 6
    # P_debiased(j) ∝ P_obs(j) / P_prior(j): the content distribution, whatever the order
    for _, r in res.table.iterrows():
        c = _content(r["item"], 5)
        assert [r["probs"][float(v)] for v in range(1, 6)] == pytest.approx(list(c), abs=1e-8)
        assert r["expected"] == pytest.approx(float(np.dot(c, np.arange(1, 6))), abs=1e-8)
        assert r["value"] == float(np.argmax(c) + 1)
    assert set(res.table["debias"]) == {"pride"}


def test_pride_on_a_share_of_the_items_debiases_the_rest_and_costs_less():
    items = [f"i{j}" for j in range(20)]
    rot = _planted_rows(items[:10], _rotations(5), PRIOR)  # a share answered under every rotation
    one = _planted_rows(items[10:], _rotations(5)[:1], PRIOR)  # the rest in one order only
    long = pd.concat([rot, one], ignore_index=True)
    res = pride_debias(long, by=None)
    np.testing.assert_allclose(res.prior["prior"], PRIOR, atol=1e-8)
    assert (res.n_estimation, res.n_units) == (10, 20)
    assert res.cost == pytest.approx((10 * 5 + 10 * 1) / 20) and res.cost_permutation == 5
    for _, r in res.table[res.table["item"].isin(items[10:])].iterrows():
        assert [r["probs"][float(v)] for v in range(1, 6)] == pytest.approx(
            list(_content(r["item"], 5)), abs=1e-8
        )
    # a drawn share: 20% of the 10 complete items estimate the prior (seeded), the same prior here
    part = pride_debias(long, by=None, share=0.2, seed=3)
    assert part.n_estimation == 2 and part.share == 0.2
    assert part.cost == pytest.approx((2 * 5 + 18) / 20)
    np.testing.assert_allclose(part.prior["prior"], PRIOR, atol=1e-8)
    assert "PriDe" in part.summary() and "1.4 prompts per item against 5" in part.summary()
    assert debias_available(long) == "pride" and debias_available(rot) == "permutation"


def test_pride_without_any_item_under_every_rotation_says_to_add_them():
    long = _planted_rows(["a", "b"], _rotations(5)[:1], PRIOR)
    with pytest.raises(
        StatsInputError, match=r"no item answered under every cyclic rotation.*--orders rotate"
    ):
        pride_debias(long)
    with pytest.raises(StatsInputError, match="share must be"):
        pride_debias(long, share=1.5)


# --------------------------------------------------------------------------------------------------
# (c) contextual calibration


def test_calibration_is_normalise_W_p_with_W_the_inverse_content_free_diagonal():
    p, p_cf = np.array([0.6, 0.3, 0.1]), np.array([0.7, 0.2, 0.1])
    rows = [
        {"respondent": "r", "instrument": i, "item": it, "status": "ok", "shown_values": "3,2,1",
         "position_probs": list(pp)}
        for i, it, pp in [("x", "a", p), ("x~content-free", "cf1", p_cf)]
    ]  # fmt: skip
    res = calibrate_content_free(pd.DataFrame(rows))
    w = np.linalg.inv(np.diag(p_cf + EPS))  # Zhao et al.: W = diag(p_cf)^-1, b = 0
    q = w @ p / (w @ p).sum()
    row = res.table.iloc[0]
    assert row["position_probs"] == pytest.approx(list(q))
    assert row["probs"] == pytest.approx({1.0: q[2], 2.0: q[1], 3.0: q[0]})
    assert row["value"] == 2.0 and row["position"] == 2.0  # argmax of W p: the second shown option
    assert len(res.table) == 1 and res.n_calibrated == 1  # the content-free answer is not an item


def test_calibration_recovers_the_content_when_the_content_free_answer_shows_the_prior():
    long = _planted_rows(["a", "b"], _rotations(5), PRIOR)
    cf = long.drop_duplicates("order").assign(
        instrument="x~content-free", item="cf1", position_probs=[list(PRIOR)] * 5
    )
    res = calibrate_content_free(pd.concat([long, cf], ignore_index=True))
    for _, r in res.table.iterrows():
        assert [r["probs"][float(v)] for v in range(1, 6)] == pytest.approx(
            list(_content(r["item"], 5)), abs=1e-8
        )


def test_calibration_without_content_free_answers_says_what_to_add():
    long = _planted_rows(["a"], _rotations(5)[:1], PRIOR)
    with pytest.raises(StatsInputError, match=r"no content-free answers .*content-free companion"):
        calibrate_content_free(long)
    cf = long.assign(instrument="x~content-free", item="cf1", respondent="someone else")
    with pytest.raises(StatsInputError, match=r"1 answers have no content-free answer .* x~content-free"):
        calibrate_content_free(pd.concat([long, cf], ignore_index=True))


# --------------------------------------------------------------------------------------------------
# load_results(answers="debiased") and the report's flag, on fake runs


def _habit_times_content(prompt: str, labels) -> list[float]:
    """A fake model answering by the decomposition: the prior over shown positions times a content
    distribution drawn from the prompt's item text (the shown labels are 1..5 in shown order, so the
    content of position j is read from the option text, not the label)."""
    k = len(labels)
    marks = {f"{i}." for i in range(1, k + 1)}
    opts = [ln.split(". ", 1)[1] for ln in prompt.splitlines() if ln[:2] in marks]
    rest = "\n".join(ln for ln in prompt.splitlines() if ln[:2] not in marks)  # the same in every order
    c = {o: w for o, w in zip(sorted(opts), _content(rest, k))}
    return list(PRIOR[:k] * np.array([c[o] for o in opts]))


@pytest.fixture(scope="module")
def rotate_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rot") / "run.sqlite"
    inst = load_instrument("bfi44")
    psychometry.administer(
        Design([inst, content_free_instrument(inst)], templates="likert-plain", orders="rotate"),
        model=FakeBackend(_habit_times_content, name="habit"),
        out=out,
        progress=False,
    )
    return out


def test_load_results_debiased_follows_the_design_and_keeps_the_file_raw(rotate_run):
    raw = psychometry.load_results(rotate_run)
    assert "debias" not in raw.columns and len(raw) == 45 * 5
    deb = psychometry.load_results(rotate_run, answers="debiased")  # auto: every rotation present
    assert set(deb["debias"]) == {"permutation"} and len(deb) == 44  # one row per item, content-free out
    assert set(deb["order"]) == {"(permutation)"}
    expect = permutation_debias(raw[raw["instrument"] == "bfi44"]).table
    assert deb["expected"].tolist() == pytest.approx(expect["expected"].tolist())
    pride = psychometry.load_results(rotate_run, answers="debiased", debias="pride")
    cal = psychometry.load_results(rotate_run, answers="debiased", debias="calibration")
    assert len(pride) == len(cal) == 44 * 5 and set(cal["instrument"]) == {"bfi44"}
    # the prior is the planted one: PriDe and calibration (the content-free answer carries the same
    # prior times a content distribution) both take the first-position habit out
    pb = pride_debias(raw[raw["instrument"] == "bfi44"], by=None)
    np.testing.assert_allclose(pb.prior["prior"], PRIOR, atol=1e-8)
    assert (pride["position"] == 1).mean() < 0.5 < (raw["position"] == 1).mean()
    assert psychometry.load_results(rotate_run)["expected"].tolist() == raw["expected"].tolist()
    assert deb["expected"].nunique() > 10  # items differ in content
    with pytest.raises(psychometry.errors.PsychometryError, match="answers must be 'raw' or 'debiased'"):
        psychometry.load_results(rotate_run, answers="unbiased")
    with pytest.raises(StatsInputError, match="unknown method 'prior'"):
        debias_answers(raw, method="prior")


def test_report_answers_debiased_without_the_orders_it_needs_is_one_line(tmp_path, capsys, rotate_run):
    out = tmp_path / "orig.sqlite"
    psychometry.administer(
        Design(["bfi44"], templates="likert-plain", orders="original,reversed"),
        model=FakeBackend(0, confidence=0.6),
        out=out,
        progress=False,
    )
    assert main(["report", str(out), "--answers", "debiased"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--orders rotate" in err and "content-free" in err
    assert main(["report", str(out), "--answers", "debiased", "--debias", "permutation"]) == 1
    assert "administer with --orders rotate" in capsys.readouterr().err
    assert main(["report", str(out), "--debias", "pride", "--quiet"]) == 0
    assert "--debias and --share apply with --answers debiased only; ignored" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:  # argparse: the usage line and one error line
        main(["report", str(out), "--answers", "debiased", "--share", "2"])
    assert exit_.value.code == 2
    assert "argument --share: must be a finite number > 0 and <= 1, not '2'" in capsys.readouterr().err
    assert main(["report", str(rotate_run), "--answers", "debiased", "--debias", "pride", "--quiet"]) == 0


def test_design_content_free_administers_each_instruments_companion_for_calibration(tmp_path):
    out = tmp_path / "cf.sqlite"
    psychometry.administer(
        Design("bfi44", templates="likert-plain", orders="original", content_free=True),
        model=FakeBackend(choice=0, confidence=0.6),
        out=out,
        progress=False,
    )
    raw = psychometry.load_results(out)
    assert sorted(raw["instrument"].unique()) == ["bfi44", "bfi44~content-free"]
    assert raw.loc[raw["instrument"] == "bfi44~content-free", "item"].tolist() == ["cf1"]
    cal = psychometry.load_results(out, answers="debiased", debias="calibration")
    # the fake model answers every item as it answers "N/A": calibration leaves no preference
    assert cal.loc[cal["instrument"] == "bfi44", "expected"].tolist() == pytest.approx([3.0] * 44)
