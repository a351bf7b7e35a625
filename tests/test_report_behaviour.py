"""The report's answer to "Do self-reports predict behaviour?" (issue 18, item 6).

Fake backends only. What the tests pin down:

* a run with an inventory (BFI-44), two tasks (dictator, risk), personas and two option orders gets
  a ``behaviour/direction`` section: one association table per behaviour (lmer with a random
  intercept per persona, the conditions being several), the direction-share table with its binomial
  test, as text and as HTML tables;
* the verdict "Do self-reports predict behaviour?" is in the findings with a level and a figure;
* a planted model whose dictator giving follows its agreeableness and whose risk taking follows the
  human pattern of E, O, N, A and C: the direction share equals a hand count of the signs against
  the priors, all six in the human direction, and the verdict is ok;
* one condition per person: the OLS slope, equal to numpy's least squares;
* a self-rating scale named like a behaviour gets behaviour_consistency (Pearson r by hand);
* a model answering the first option (a position habit) fails, one against the human direction too;
* two models side by side: one direction-share row per model;
* too few persons, traits without a prior, a constant behaviour give sentences, not tracebacks.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report import personas_file, trait_backend

import psychometry
import psychometry.stats as st
from psychometry import Design
from psychometry.backends.fake import FakeBackend
from psychometry.report import build_report
from psychometry.report.analyses import ModelAnalysis
from psychometry.report.outcome import attempt
from psychometry.report.sections.direction import direction_section
from psychometry.report.thresholds import THRESHOLD_SOURCES, VerdictThresholds
from psychometry.report.verdicts.direction import direction_verdict

TASKS = ("dictator", "risk")
#: The human priors of these pairs, by hand (psychometry/stats/human_priors.yaml).
PRIORS = {
    ("bfi44_A", "generosity"): 1,
    ("bfi44_E", "risk_taking"): 1,
    ("bfi44_O", "risk_taking"): 1,
    ("bfi44_N", "risk_taking"): -1,
    ("bfi44_A", "risk_taking"): -1,
    ("bfi44_C", "risk_taking"): -1,
}


def _unit(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2.0**64


def planted_backend(name: str = "planted") -> FakeBackend:
    """BFI-44 answers from a latent level per persona and scale (test_report's trait fake); in the
    tasks, the option chosen (by value, whatever the shown order) rises with the persona's latent
    agreeableness (dictator) or with E + O - N - A - C (risk), plus noise per prompt."""
    trait = trait_backend(["bfi44"])
    options: dict[str, list[str]] = {}  # item text -> option texts, lowest value first
    task_of: dict[str, str] = {}
    for tid in TASKS:
        for it in psychometry.load_instrument(tid).items:
            options[it.text] = [o.text for o in sorted(it.options, key=lambda o: o.value)]
            task_of[it.text] = tid

    def choose(prompt: str, labels) -> int:
        item = next((t for t in options if t in prompt), None)
        if item is None:
            return trait.choice(prompt, labels)
        persona = prompt.split("\n\n", 1)[0]
        u = {s: _unit(persona + s) for s in "EACNO"}
        if task_of[item] == "dictator":
            level = u["A"]
        else:
            level = 0.5 + 1.5 * ((u["E"] + u["O"] - u["N"] - u["A"] - u["C"]) / 5 + 0.1)
        level += 0.2 * (_unit(prompt) - 0.5)
        opts = options[item]
        rank = min(len(opts) - 1, max(0, int(level * len(opts))))
        shown = sorted(opts, key=prompt.find)  # the options in the order shown
        return shown.index(opts[rank])

    return FakeBackend(choose, confidence=0.7, name=name)


def _run(tmp: Path, backend: FakeBackend, n: int, orders: str = "original,reversed") -> pd.DataFrame:
    out = tmp / f"{backend.info.name}-{n}-{orders.count(',')}.sqlite"
    psychometry.administer(
        Design(
            ["bfi44", *TASKS],
            templates="likert-plain,choice-plain",
            orders=orders,
            personas=str(personas_file(tmp / f"p{n}.yaml", n)),
        ),
        model=backend,
        out=out,
        progress=False,
    )
    return psychometry.load_results(out)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> pd.DataFrame:
    return _run(tmp_path_factory.mktemp("planted"), planted_backend(), 20)


@pytest.fixture(scope="module")
def planted_report(planted):
    return build_report(planted, plots=False)


def _instruments() -> dict:
    return {i: psychometry.load_instrument(i) for i in ("bfi44", *TASKS)}


def test_section_has_the_tables(planted_report):
    sec = planted_report.section("behaviour/direction")
    assert sec.computed
    body = sec.body
    assert "lmer(generosity ~ trait + (1 | persona))" in body
    assert "lmer(risk_taking ~ trait + (1 | persona))" in body
    assert "Why this model:" in body and "prompt conditions" in body
    assert "Share of trait-behaviour associations in the human direction" in body
    assert "binom.test" in body and "The associations with a prior:" in body
    for scale in "EACNO":
        assert f"bfi44 {scale}" in body
    assert "<table" in sec.html and "Pr(&gt;|t|)</th>" in sec.html and "share_ci_low</th>" in sec.html
    print(body)


def test_verdict_in_the_findings(planted_report):
    mv = planted_report.verdicts[0]
    v = mv.get("direction")
    assert v is not None and v.title == "Do self-reports predict behaviour?"
    assert v.level in ("ok", "caution", "fails")
    assert "associations in the human direction" in v.figure and "binomial test of 50%" in v.figure
    assert mv.get("behaviour") is not None  # the behaviour-prediction verdict stays
    text = mv.text()
    assert "Do self-reports predict behaviour?: " in text
    print(text)


def test_direction_share_equals_a_hand_count(planted):
    d = ModelAnalysis(planted, _instruments()).direction
    assert d is not None and d.method == "mixed" and d.group == "persona" and d.n_persons == 20
    a = d.associations
    assert len(a) == 10 and (a["n_groups"] == 20).all() and (a["n"] == 40).all()  # 2 orders per persona
    k = n = 0
    for _, r in a.iterrows():
        direction = PRIORS.get((r["trait"], r["behaviour"]))
        if direction is not None and r["estimate"] != 0:
            n += 1
            k += int(np.sign(r["estimate"]) == direction)
    row = d.share_row
    assert row is not None
    assert (int(row["n"]), int(row["n_human"])) == (n, k) == (6, 6)  # planted: all six the human way
    assert row["share_ci_low"] > 0.5 and row["p"] < 0.05  # binom.test(6, 6): p = 0.03125, CI [0.54, 1]
    assert row["p"] == pytest.approx(0.03125)
    assert row["share_ci_low"] == pytest.approx(0.5407419, abs=1e-6)
    v = direction_verdict(d, VerdictThresholds(), habit=False)
    assert v is not None and v.level == "ok" and v.figure.startswith("6 of 6 associations")
    # the planted slopes themselves: agreeableness -> giving clearly positive
    ag = a[(a["trait"] == "bfi44_A") & (a["behaviour"] == "generosity")].iloc[0]
    assert ag["ci_low"] > 0


def test_thresholds_have_sources():
    th = VerdictThresholds()
    assert th.direction_share_ok == th.direction_share_fails == 0.5
    assert "Han et al. 2025" in THRESHOLD_SOURCES["direction_share_ok"]
    assert "Clopper" in THRESHOLD_SOURCES["direction_share_fails"]


def test_position_habit_fails(tmp_path):
    long = _run(tmp_path, FakeBackend(0, confidence=0.6, name="first-option"), 8)
    rep = build_report(long, plots=False)
    v = rep.verdicts[0].get("direction")
    assert v is not None and v.level == "fails"
    assert v.sentence.startswith("Not")


def test_against_the_human_direction_fails(planted):
    d = ModelAnalysis(planted, _instruments()).direction
    assert d is not None
    flipped = d.associations.assign(estimate=-d.associations["estimate"])
    d2 = replace(d, associations=flipped, share=attempt(st.direction_share, flipped))
    v = direction_verdict(d2, VerdictThresholds(), habit=False)
    assert v is not None and v.level == "fails" and v.figure.startswith("0 of 6")


def test_two_models_side_by_side(tmp_path, planted):
    other = _run(tmp_path, planted_backend("planted-2"), 12)
    both = pd.concat([planted, other], ignore_index=True)
    rep = build_report(both, plots=False)
    sec = rep.section("compare/direction")
    assert "planted" in sec.body and "planted-2" in sec.body
    assert "share [95% CI]" in sec.body and "<table" in sec.html
    names = [mv.model for mv in rep.verdicts]
    assert {"planted", "planted-2"} <= set(names)
    assert rep.section("planted-2/behaviour/direction").computed
    print(sec.body)


# ----------------------------------------------------------------------------------------- bad input


def test_too_few_persons_is_a_sentence(tmp_path):
    long = _run(tmp_path, planted_backend(), 3)
    rep = build_report(long, plots=False)
    sec = rep.section("behaviour/direction")
    assert not sec.computed
    assert (
        sec.body == "not computed: 3 persons with trait and behaviour scores; an association needs at least 5"
    )
    v = rep.verdicts[0].get("direction")
    assert v is not None and v.level == "n/a" and v.sentence.startswith("Not computed: 3 persons")


def test_no_prior_matches_is_a_sentence(planted):
    long = planted.assign(instrument=planted["instrument"].replace({"bfi44": "myinventory"}))
    inst = {"myinventory": None, **{t: psychometry.load_instrument(t) for t in TASKS}}
    d = ModelAnalysis(long, inst).direction
    assert d is not None and len(d.associations) == 10 and d.share_row is None
    assert d.share_reason.startswith("none of the 10 trait-behaviour associations has a human prior")
    v = direction_verdict(d, VerdictThresholds(), habit=False)
    assert v is not None and v.level == "n/a" and "has a human prior" in v.sentence
    sec = direction_section(d)
    assert sec is not None and "Direction share: not computed: none of the 10" in sec.body


def test_constant_behaviour_is_a_sentence(planted):
    dictator = planted["instrument"] == "dictator"
    long = planted.assign(value=planted["value"].where(~dictator, 50.0))
    d = ModelAnalysis(long, _instruments()).direction
    assert d is not None
    assert "bfi44 A -> generosity: the behaviour score is the same for every person" in d.skipped
    assert set(d.associations["behaviour"]) == {"risk_taking"}
    sec = direction_section(d)
    assert sec is not None and "Not estimated:" in sec.body
    assert d.share_row is not None and int(d.share_row["n"]) == 5


def test_no_tasks_no_section(tmp_path):
    long = _run(tmp_path, planted_backend(), 6)
    long = long[long["instrument"] == "bfi44"]
    rep = build_report(long, plots=False)
    assert all("direction" not in s.key for s in rep.sections)
    assert rep.verdicts[0].get("direction") is None


def test_self_rating_against_behaviour(planted):
    """A self-rating scale named like a behaviour (here: the BFI agreeableness answers relabelled as a
    self_behaviour 'generosity' scale) gets behaviour_consistency, equal to a hand Pearson r."""
    a = planted[(planted["instrument"] == "bfi44") & (planted["scale"] == "A")]
    selfr = a.assign(instrument="self_behaviour", scale="generosity", item="self_" + a["item"].astype(str))
    long = pd.concat([planted, selfr], ignore_index=True)
    inst = {**_instruments(), "self_behaviour": None}
    d = ModelAnalysis(long, inst).direction
    assert d is not None and [(t, b) for t, b, _ in d.consistency] == [
        ("self_behaviour_generosity", "generosity")
    ]
    out = d.consistency[0][2]
    assert out.value is not None
    tb = st.trait_behaviour_scores(
        long, trait_instruments=["bfi44", "self_behaviour"], behaviour_instruments=list(TASKS)
    )
    x = tb.traits["self_behaviour_generosity"]
    y = tb.behaviour["dictator_generosity"]
    r = float(out.value.to_frame()["r"].iloc[-1])
    assert r == pytest.approx(float(np.corrcoef(x, y)[0, 1]), abs=1e-12) and r > 0.9
    sec = direction_section(d)
    assert (
        sec is not None and "Self-rating self_behaviour_generosity against behaviour generosity" in sec.body
    )


def test_one_condition_per_person_uses_ols(tmp_path):
    long = _run(tmp_path, planted_backend(), 12, orders="original")
    d = ModelAnalysis(long, _instruments()).direction
    assert d is not None and d.method == "ols" and "one behaviour score" in d.method_why
    a = d.associations
    assert (a["n"] == 12).all() and (a["df"] == 10).all()
    # the slope equals numpy's least squares on the persons' scores
    tb = st.trait_behaviour_scores(long, trait_instruments="bfi44", behaviour_instruments=list(TASKS))
    x, y = tb.traits["A"], tb.behaviour["generosity"]
    slope = float(np.polyfit(x, y, 1)[0])
    got = a[(a["trait"] == "bfi44_A") & (a["behaviour"] == "generosity")]["estimate"].iloc[0]
    assert got == pytest.approx(slope, rel=1e-9)
    rep = build_report(long, plots=False)
    sec = rep.section("behaviour/direction")
    assert "lm(generosity ~ trait), one fit per trait; 12 persons:" in sec.body
    assert rep.verdicts[0].get("direction").level in ("ok", "caution")
