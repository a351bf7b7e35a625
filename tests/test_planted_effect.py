"""The planted-effect check (issue 18, item 7): the whole pipeline recovers a known slope.

A fake backend with a rule (:class:`psychometry.backends.planted.PlantedRule`) gives 60 personas a
latent agreeableness level and plants a slope of dictator-game generosity on it (10 percentage
points per point of the BFI-44 A score, a standardised slope of 0.63) and none of risk taking.
The design is administered as a user would (``psychometry.administer`` with a personas YAML, two
likert and two choice templates, original and reversed option orders), read back with
``load_results``, scored with ``stats.trait_behaviour_scores`` (``value="expected"``) and
analysed with ``stats.behaviour_regression`` (one row per persona) and ``stats.mixed_model``
(one row per persona and prompt condition, a random intercept per persona).

Seeds: the rule's ``seed=1`` (persona levels, persona deviations, answer errors); the design's
default seed 0. With them, the generosity slope is estimated at 12.06 (95% CI 9.01 to 15.10,
p = 8e-11) by both models, and the risk-taking slope at 0.009 (CI -0.144 to 0.162, p = 0.91).
docs/statistics/behaviour.md ("Does the design have power?") gives the sample size needed for
other slopes, simulated through this pipeline (analysis/planted-effect/power.py).
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import psychometry
import psychometry.backends.planted as planted_module
from psychometry import AnswerConfig, Design
from psychometry.backends.fake import FakeBackend
from psychometry.backends.planted import PlantedEffect, PlantedItem, PlantedRule
from psychometry.instrument import load_instrument
from psychometry.results import load_results
from psychometry.stats import behaviour_regression, mixed_model, trait_behaviour_scores
from psychometry.stats.prediction import respondent_scores
from psychometry.templates import item_options

N_PERSONAS = 60
SEED = 1
SLOPE = 10.0  # generosity (percent given) per point of the A score (item mean, 1-5)
TEMPLATES = "likert-plain,likert-survey,choice-plain,choice-survey"
ORDERS = "original,reversed"
CONDITIONS = 4  # 2 templates x 2 orders per instrument
EFFECTS = [
    PlantedEffect("generosity", trait="A", slope=SLOPE, persona_sd=8.0, noise_sd=8.0),
    PlantedEffect("risk_taking", trait="A", slope=0.0, persona_sd=0.4, noise_sd=0.4),
]
INSTRUMENTS = ("bfi44", "dictator", "risk")


def planted_items(*instrument_ids: str) -> dict[str, PlantedItem]:
    """What the rule must recognise: every item's text, scale, keying and options."""
    out = {}
    for iid in instrument_ids:
        inst = load_instrument(iid)
        for it in inst.items:
            texts, values = item_options(inst, it)
            out[it.text.strip()] = PlantedItem(it.scale, it.keyed, tuple(zip(texts, values)))
    return out


def write_personas(path: Path, n: int) -> list[str]:
    texts = [f"You are respondent {i:03d}." for i in range(n)]
    personas = [{"id": f"p{i:03d}", "text": t} for i, t in enumerate(texts)]
    path.write_text(yaml.safe_dump({"personas": personas}), encoding="utf-8")
    return texts


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("planted")
    texts = write_personas(tmp / "personas.yaml", N_PERSONAS)
    rule = PlantedRule(planted_items(*INSTRUMENTS), texts, EFFECTS, seed=SEED)
    out = tmp / "run.sqlite"
    res = psychometry.administer(
        Design(list(INSTRUMENTS), templates=TEMPLATES, orders=ORDERS, personas=str(tmp / "personas.yaml")),
        model=FakeBackend(choice=rule, name="planted"),
        out=out,
        progress=False,
    )
    assert res.written == N_PERSONAS * (44 + 4 + 4) * CONDITIONS
    long = load_results(out)
    tb = trait_behaviour_scores(
        long, trait_instruments="bfi44", behaviour_instruments=["dictator", "risk"], value="expected"
    )
    return rule, texts, long, tb


# --------------------------------------------------------------------------------- the rule
def test_the_module_examples_run():
    assert doctest.testmod(planted_module).failed == 0


def test_the_trait_scores_are_the_planted_levels_in_every_template_and_option_order(run):
    rule, texts, long, tb = run
    levels = pd.Series({f"p{i:03d}": rule.level(t, "A") for i, t in enumerate(texts)})
    got = tb.traits["A"].droplevel(["model", "repeat"])
    np.testing.assert_allclose(got.reindex(levels.index), levels, atol=1e-12)
    # ... in each condition too: reverse keying and the shown option order are respected
    per_condition = respondent_scores(
        long, instruments="bfi44", key=("persona", "template", "order"), value="expected"
    )["A"]
    assert len(per_condition) == N_PERSONAS * CONDITIONS
    np.testing.assert_allclose(
        per_condition.to_numpy(), levels.reindex(per_condition.index.get_level_values("persona")), atol=1e-12
    )
    # the levels spread as documented: midpoint 3, SD 4/6
    assert abs(levels.mean() - 3) < 0.2 and abs(levels.std() - 4 / 6) < 0.15


def test_the_rule_reads_the_labels_of_any_order_and_label_style():
    items = planted_items("bfi44", "dictator")
    rule = PlantedRule(items, ["You are Ann."], [PlantedEffect("generosity", trait="A", slope=SLOPE)])
    inst = load_instrument("bfi44")
    reverse_item = inst.item("bfi2")  # A, reverse keyed
    assert reverse_item.keyed == -1 and reverse_item.scale == "A"
    level = rule.level("You are Ann.", "A")
    anchors = inst.response_format.anchors
    for shown in ([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [3, 1, 5, 2, 4]):
        lines = "\n".join(f"{chr(65 + k)}. {anchors[v - 1]}" for k, v in enumerate(shown))
        prompt = f"You are Ann.\n\nOptions:\n{lines}\n\nStatement: {reverse_item.text}\nAnswer:"
        w = rule(prompt, [chr(65 + k) for k in range(5)])
        assert sum(w) == pytest.approx(1) and min(w) >= 0
        expected = sum(wk * v for wk, v in zip(w, shown))
        assert 6 - expected == pytest.approx(level)  # reverse keyed: min + max - answer = level
    # the option texts as labels (label style "anchors"); the inline form of the survey template
    dg1 = load_instrument("dictator").item("dg1")
    opts = [o.text for o in dg1.options][::-1]
    w = rule(f"You are Ann.\n\nSituation: {dg1.text}\n" + "\n".join(f"- {o}" for o in opts), opts)
    target = 40 + SLOPE * (level - 3)
    assert sum(wk * v for wk, v in zip(w, [80, 50, 20, 0])) == pytest.approx(target)
    inline = "; ".join(f"{k + 1} = {o}" for k, o in enumerate(opts))
    w2 = rule(f"You are Ann.\n\nScenario: {dg1.text}\nChoices: {inline}\nYour choice:", ["1", "2", "3", "4"])
    assert w2 == pytest.approx(w)


def test_the_rule_says_what_it_cannot_find():
    rule = PlantedRule(planted_items("dictator", "bfi44"), ["You are Ann."], EFFECTS[:1])
    with pytest.raises(ValueError, match="none of the known persona texts"):
        rule("You are Bob.\n\nIs talkative.\n1. Disagree strongly\nAnswer:", ["1"])
    with pytest.raises(ValueError, match="none of the known item texts"):
        rule("You are Ann.\n\nLikes tea.\n1. Yes\nAnswer:", ["1"])
    with pytest.raises(ValueError, match="no trait items of scale 'X'"):
        PlantedRule(planted_items("dictator"), ["You are Ann."], [PlantedEffect("generosity", "X", 1.0)])


def test_beta_is_the_correlation_the_rule_plants():
    rule = PlantedRule(planted_items("bfi44", "dictator", "risk"), ["You are Ann."], EFFECTS)
    # 10 x 4/6 / sqrt((10 x 4/6)^2 + 8^2 + 8^2/16)
    assert rule.beta("generosity", 16) == pytest.approx(6.6667 / np.sqrt(6.6667**2 + 64 + 4), rel=1e-4)
    assert rule.beta("risk_taking", 16) == 0


# --------------------------------------------------------------------------------- the pipeline
def test_the_regression_recovers_the_planted_slope(run):
    rule, _, _, tb = run
    fit = behaviour_regression(tb.traits[["A"]], behaviour=tb.behaviour["generosity"])["generosity"]
    a = fit.coefficients.loc["A"]
    assert fit.n == N_PERSONAS
    assert a["ci_low"] < SLOPE < a["ci_high"]  # 9.01 < 10 < 15.10
    assert a["p"] < 0.001  # 8.3e-11
    assert a["estimate"] == pytest.approx(12.0577, abs=1e-4)
    # the standardised slope is near the planted correlation (0.63)
    assert abs(a["beta"] - rule.beta("generosity", 4 * CONDITIONS)) < 0.15


def test_the_regression_does_not_reject_the_null_when_no_slope_was_planted(run):
    _, _, _, tb = run
    fit = behaviour_regression(tb.traits[["A"]], behaviour=tb.behaviour["risk_taking"])["risk_taking"]
    a = fit.coefficients.loc["A"]
    assert a["p"] > 0.05  # 0.91
    assert a["ci_low"] < 0 < a["ci_high"]


def test_with_all_five_traits_the_planted_slope_is_still_in_the_interval(run):
    _, _, _, tb = run
    fits = behaviour_regression(tb.traits, behaviour=tb.behaviour, cluster="persona")
    a = fits["generosity"].coefficients.loc["A"]
    assert a["ci_low"] < SLOPE < a["ci_high"] and a["p"] < 0.001
    assert fits["risk_taking"].coefficients.loc["A", "p"] > 0.05


def condition_data(long: pd.DataFrame, traits: pd.DataFrame) -> pd.DataFrame:
    """One row per persona and prompt condition (template x order) of the tasks, with the persona's
    trait scores."""
    cond = respondent_scores(
        long,
        instruments=["dictator", "risk"],
        key=("model", "persona", "repeat", "template", "order"),
        value="expected",
    ).reset_index()
    return cond.merge(traits.reset_index(), on=["model", "persona", "repeat"])


def test_the_mixed_model_with_a_random_intercept_per_persona_recovers_the_slope(run):
    _, _, long, tb = run
    data = condition_data(long, tb.traits)
    assert len(data) == N_PERSONAS * CONDITIONS
    fit = mixed_model(data, formula="generosity ~ A", groups="persona")
    a = fit.to_frame().set_index("term").loc["A"]
    assert a["ci_low"] < SLOPE < a["ci_high"] and a["p"] < 0.001
    vc = fit.variance_components.set_index("grp")["variance"]
    # planted: persona deviation SD 8 (variance 64), answer error SD 8 over 4 items (variance 16)
    assert 30 < vc["persona"] < 110 and 10 < vc["Residual"] < 25
    null = mixed_model(data, formula="risk_taking ~ A", groups="persona").to_frame().set_index("term")
    assert null.loc["A", "p"] > 0.05
    assert null.loc["A", "ci_low"] < 0 < null.loc["A", "ci_high"]


def test_the_chosen_options_alone_find_the_slope_too(run):
    """``value="value"`` (the option with the larger weight): answers rounded to an option, so the
    slope holds only approximately (docs), but the effect is found and the null is kept."""
    _, _, long, _ = run
    tb = trait_behaviour_scores(long, trait_instruments="bfi44", behaviour_instruments=["dictator", "risk"])
    fits = behaviour_regression(tb.traits[["A"]], behaviour=tb.behaviour)
    assert fits["generosity"].coefficients.loc["A", "p"] < 0.001
    assert fits["risk_taking"].coefficients.loc["A", "p"] > 0.05


def test_generate_mode_answers_with_the_rules_choice(tmp_path):
    texts = write_personas(tmp_path / "personas.yaml", 3)
    rule = PlantedRule(planted_items("dictator", "bfi44"), texts, EFFECTS[:1], seed=SEED)
    out = tmp_path / "gen.sqlite"
    psychometry.administer(
        Design(
            ["dictator"], templates="choice-plain", orders=ORDERS, personas=str(tmp_path / "personas.yaml")
        ),
        model=FakeBackend(choice=rule),
        answers=AnswerConfig(mode="generate"),
        out=out,
        progress=False,
    )
    long = load_results(out)
    assert (long["status"] == "ok").all() and set(long["value"]) <= {0.0, 20.0, 50.0, 80.0}
