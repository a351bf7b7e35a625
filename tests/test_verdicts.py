"""The findings a report leads with (``psychometry.report.verdicts``).

Results files come from fake backends (no model): a model that always takes the first shown option
(the default model's habit, issue 10), a "trait" fake whose answers follow a latent level per persona
and the item's keying, and one that refuses. What the tests pin down:

* a first-option model gets "position habit" and "not interpretable" as its first lines; a
  content-following model does not;
* verdicts are per model: two models in one table give two sets of verdicts, each equal to the
  verdicts of that model alone;
* the cut-offs are a user-settable dataclass (and YAML file) whose change moves the levels;
* every verdict has a level, a figure and one sentence.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from test_report import personas_file, trait_backend

import psychometry
from psychometry import AnswerConfig, Design
from psychometry.backends.fake import FakeBackend
from psychometry.report import ReportError, VerdictThresholds, compute_verdicts, load_thresholds
from psychometry.report.verdicts import LEVELS, THRESHOLD_SOURCES, model_verdicts, verdicts_text


@pytest.fixture(scope="module")
def first_long(tmp_path_factory) -> pd.DataFrame:
    """BFI-44, 3 templates x 2 orders, every answer the first shown option (as the default model)."""
    out = tmp_path_factory.mktemp("first") / "run.sqlite"
    psychometry.administer(
        Design(["bfi44"], orders="original,reversed"),
        model=FakeBackend(0, confidence=0.6, name="first-option"),
        out=out,
        progress=False,
    )
    return psychometry.load_results(out)


@pytest.fixture(scope="module")
def trait_long(tmp_path_factory) -> pd.DataFrame:
    """BFI-44 answered by 20 personas with a trait each, 1 template x 2 orders (40 respondents)."""
    d = tmp_path_factory.mktemp("trait")
    out = d / "run.sqlite"
    psychometry.administer(
        Design(
            ["bfi44"],
            templates="likert-plain",
            orders="original,reversed",
            personas=str(personas_file(d / "p.yaml", 20)),
        ),
        model=trait_backend(["bfi44"]),
        out=out,
        progress=False,
    )
    return psychometry.load_results(out)


def test_a_first_option_model_is_called_a_position_habit_first(first_long):
    [mv] = compute_verdicts(first_long)
    assert mv.model == "first-option"
    assert mv.headline[0].startswith("The answers are a position habit")
    assert "100% of the answers are the option shown first" in mv.headline[0]
    assert mv.headline[1] == "The scale scores are not interpretable."
    assert not mv.interpretable
    assert mv.get("positions").level == "fails"
    # what rests on the scores is flagged as not interpretable, whatever its numbers
    assert mv.get("reliability", "bfi44").level == "fails"
    assert mv.get("reliability", "bfi44").sentence.startswith("Not interpretable")
    assert mv.get("orders", "bfi44").level == "fails"
    # measurement invariance across both design factors: not interpretable either (and too few respondents)
    inv = [v for v in mv.verdicts if v.check == "invariance"]
    assert [v.title for v in inv] == [
        "Measurement invariance across option orders",
        "Measurement invariance across prompt templates",
    ]
    assert all(v.level == "fails" and v.sentence.startswith("Not interpretable") for v in inv)
    text = mv.text()
    assert text.splitlines()[1].startswith("The answers are a position habit")
    assert "[FAILS]   Position habit" in text


def test_a_content_following_model_passes_the_position_and_reliability_checks(trait_long):
    [mv] = compute_verdicts(trait_long)
    assert mv.interpretable
    assert mv.get("positions").level != "fails"
    assert not mv.headline[0].startswith("The answers are a position habit")
    rel = mv.get("reliability", "bfi44")
    assert rel.level in ("ok", "caution")
    table = rel.data
    assert list(table["scale"]) == ["E", "A", "C", "N", "O"]
    # the figure is psych::alpha's, with its Feldt interval
    long = trait_long[(trait_long.scale == "E")]
    keys = sorted(set(long.loc[long.keyed < 0, "item"]))
    a = psychometry.stats.alpha(psychometry.stats.item_matrix(long), keys=keys)
    assert table.set_index("scale").loc["E", "alpha"] == pytest.approx(a.raw_alpha)
    assert table.set_index("scale").loc["E", "alpha_low"] == pytest.approx(a.feldt[0])
    # omega total without an interval: psych::omega gives none, and nothing unverified is printed
    assert "omega_low" not in table.columns


def test_every_verdict_has_a_level_a_figure_and_one_sentence(first_long, trait_long):
    for long in (first_long, trait_long):
        for mv in compute_verdicts(long):
            checks = {v.check for v in mv.verdicts}
            assert {"answers", "positions", "orders", "templates", "reliability", "norms"} <= checks
            for v in mv.verdicts:
                assert v.level in LEVELS
                assert v.figure and "\n" not in v.figure
                assert v.sentence.endswith(".") and "\n" not in v.sentence


def test_verdicts_are_per_model_never_pooled(first_long, trait_long):
    both = pd.concat([first_long, trait_long], ignore_index=True)
    out = compute_verdicts(both)
    assert [mv.model for mv in out] == ["first-option", "trait-fake"]
    alone = {mv.model: mv for mv in compute_verdicts(first_long) + compute_verdicts(trait_long)}
    for mv in out:
        assert mv.to_frame().equals(alone[mv.model].to_frame())
    with pytest.raises(ReportError, match="per model"):
        model_verdicts(both, {"bfi44": psychometry.load_instrument("bfi44")})


def test_thresholds_are_settable_and_move_the_levels(trait_long, tmp_path):
    strict = replace(VerdictThresholds(), reliability_ok=0.999, reliability_fails=0.99)
    [mv] = compute_verdicts(trait_long, thresholds=strict)
    assert mv.get("reliability", "bfi44").level == "fails"
    f = tmp_path / "t.yaml"
    f.write_text("reliability_ok: 0.999\nreliability_fails: 0.99\n", encoding="utf-8")
    assert load_thresholds(f) == strict
    f.write_text("alpha_good: 0.8\n", encoding="utf-8")
    with pytest.raises(ReportError, match="unknown threshold"):
        load_thresholds(f)
    with pytest.raises(ReportError, match=">= 0"):
        VerdictThresholds(reliability_ok=-1)
    # every threshold has its documented source
    assert set(THRESHOLD_SOURCES) == {f.name for f in __import__("dataclasses").fields(VerdictThresholds)}
    assert "Nunnally 1978" in THRESHOLD_SOURCES["reliability_ok"]
    assert "Chen 2007" in THRESHOLD_SOURCES["invariance_delta_cfi"]
    assert "Campbell & Fiske 1959" in THRESHOLD_SOURCES["convergent_ok"]


def test_a_model_that_refuses_does_not_answer(tmp_path):
    out = tmp_path / "run.sqlite"
    psychometry.administer(
        Design(["bfi44"], templates="likert-plain", orders="original"),
        model=FakeBackend(0, reply="I cannot answer that."),
        answers=AnswerConfig(mode="generate"),
        out=out,
        progress=False,
    )
    [mv] = compute_verdicts(psychometry.load_results(out))
    assert mv.get("answers").level == "fails"
    assert mv.headline[0].startswith("The model does not answer")
    assert mv.headline[1] == "The scale scores are not interpretable."


def test_verdicts_text_is_what_administer_prints(first_long):
    text = verdicts_text(first_long)
    assert text.startswith("Findings")
    assert "The answers are a position habit" in text and "not interpretable" in text


def test_administer_ends_with_the_findings(tmp_path, capsys, monkeypatch):
    """`psychometry administer bfi44` (the engine given a first-option fake instead of the model)
    prints the run summary, then the findings: position habit, not interpretable."""
    import psychometry.engine
    from psychometry.cli import main

    real = psychometry.engine.administer

    def fake(design, **kw):  # the CLI's design, answered by a fake that always picks the first option
        return real(
            design, model=FakeBackend(0, confidence=0.6, name="first-option"), out=kw["out"], progress=False
        )

    monkeypatch.setattr(psychometry.engine, "administer", fake)
    rc = main(["administer", "bfi44", "--out", str(tmp_path / "run.sqlite")])
    out = capsys.readouterr().out
    assert rc == 0
    summary, findings = out.split("\nFindings", 1)
    assert "264 responses planned" in summary and "bfi44" in summary
    lines = findings.splitlines()
    assert lines[2].startswith("Model first-option: 264 responses, 6 respondents")
    assert lines[3].startswith("The answers are a position habit")
    assert lines[4] == "The scale scores are not interpretable."
