"""The content-signal verdict (``psychometry.report.verdicts.content_signal``) on the report's first
screen: does item content move the answers beyond position?

Planted data as in test_stats_content_signal.py: a fake model with a first-option habit (weight .7)
plus a planted content answer with weight c. What the tests pin down:

* a pure position habit (c = 0): "fails", "No content signal", and the headline says so under the
  position habit;
* a planted content effect is found: c = 0.1 separates forward and reversed items by 3% of the
  range (significant, below ``content_share_ok``): "caution"; c = 0.25 by 8%, lowering the cut-off
  to .05 makes it "ok"; the headline says content still moves the answers;
* with all cyclic rotations the debiased answers (permutation averaging) are tested too, beside the
  raw ones; with ``--answers debiased`` the verdict rests on the debiased answers;
* with the content-free companion in the design, the calibrated answers are tested too, and the
  companion itself gets no verdict; an instrument without reverse-keyed items is not checked (n/a);
* the threshold has a source.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_stats_content_signal import planted_run
from test_stats_debias import _habit_times_content

import psychometry
from psychometry import Design
from psychometry.backends.fake import FakeBackend
from psychometry.instrument import load_instrument
from psychometry.instrument.content_free import CONTENT_FREE_SUFFIX as FREE_SUFFIX
from psychometry.instrument.content_free import content_free_instrument
from psychometry.report import VerdictThresholds, build_report, compute_verdicts
from psychometry.report.verdicts import THRESHOLD_SOURCES
from psychometry.report.verdicts.registry import CHECKS
from psychometry.stats.robustness.debias import CONTENT_FREE_SUFFIX


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("verdict")
    return {c: planted_run(tmp, c) for c in (0.0, 0.1, 0.25)}


def test_a_pure_position_habit_gets_no_content_signal(runs):
    [mv] = compute_verdicts(runs[0.0])
    v = mv.get("content", "bfi44")
    assert v.level == "fails" and v.sentence.startswith("No content signal")
    assert "raw: forward- and reverse-keyed items 0 points apart (0% of the range" in v.figure
    assert "permutation p = 1" in v.figure
    assert mv.headline[:2] == [mv.headline[0], "The scale scores are not interpretable."]
    assert mv.headline[0].startswith("The answers are a position habit")
    assert mv.headline[2].startswith("No item content signal under the habit (Content signal (bfi44): raw:")
    # on the first screen: right after the position habit
    checks = [x.check for x in mv.verdicts]
    assert checks.index("content") == checks.index("positions") + 1


def test_a_planted_content_effect_is_found(runs):
    [weak] = compute_verdicts(runs[0.1])
    v = weak.get("content", "bfi44")
    assert v.level == "caution" and v.sentence.startswith("Weak content signal")
    assert "(3% of the range" in v.figure and "p = 1e-04" in v.figure
    assert weak.headline[2].startswith(
        "Under the habit, a weak item-content signal remains (Content signal (bfi44)"
    )
    [strong] = compute_verdicts(runs[0.25], thresholds=replace(VerdictThresholds(), content_share_ok=0.05))
    v = strong.get("content", "bfi44")
    assert v.level == "ok" and v.sentence.startswith("Item content moves the answers")
    assert "(8% of the range" in v.figure
    assert strong.headline[2].startswith("Under the habit, item content still moves the answers")
    assert [d.split(":")[0] for d in v.details] == ["E", "A", "C", "N", "O"]
    # the same data at the default cut-off (.10): weak
    [default] = compute_verdicts(runs[0.25])
    assert default.get("content", "bfi44").level == "caution"


def test_with_every_rotation_the_debiased_answers_are_tested_too(tmp_path):
    long = planted_run(tmp_path, 0.1, orders="rotate", name="rot")
    [mv] = compute_verdicts(long)
    v = mv.get("content", "bfi44")
    assert "; debiased (permutation): forward- and reverse-keyed items" in v.figure
    rep = build_report(
        psychometry.load_results(tmp_path / "rot-0.1.sqlite", answers="debiased"),
        answers="expected",
        plots=False,
    )
    [mvd] = rep.verdicts
    vd = mvd.get("content", "bfi44")
    assert vd.figure.startswith("debiased (permutation): ") and "raw" not in vd.figure
    assert mvd.get("positions").level == "n/a"  # averaged over every position: no chosen position


def test_the_content_check_is_registered_with_a_sourced_threshold():
    assert "content" in [c.name for c in CHECKS]
    assert "Good 2005" in THRESHOLD_SOURCES["content_share_ok"]
    assert VerdictThresholds().content_share_ok == 0.10


def test_with_content_free_items_the_calibrated_answers_are_tested_and_the_companion_gets_no_verdict(
    tmp_path,
):
    inst = load_instrument("bfi44")
    out = tmp_path / "cf.sqlite"
    psychometry.administer(
        Design([inst, content_free_instrument(inst)], templates="likert-plain", orders="original,reversed"),
        model=FakeBackend(_habit_times_content, name="habit"),
        out=out,
        progress=False,
    )
    [mv] = compute_verdicts(psychometry.load_results(out))
    v = mv.get("content", "bfi44")
    assert "; debiased (calibration): forward- and reverse-keyed items" in v.figure
    assert [x.instrument for x in mv.verdicts if x.check == "content"] == ["bfi44"]
    assert CONTENT_FREE_SUFFIX == FREE_SUFFIX  # the instrument layer and the statistics agree


def test_an_instrument_without_reverse_keyed_items_is_not_checked(runs):
    long = runs[0.1]
    forward = long[long["keyed"] > 0]
    [mv] = compute_verdicts(forward)
    v = mv.get("content", "bfi44")
    assert (
        v.level == "n/a"
        and v.sentence == "Not checked: no scale has both forward- and reverse-keyed items to compare."
    )
