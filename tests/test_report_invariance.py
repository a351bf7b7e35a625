"""Measurement invariance in the report: the ``invariance`` verdict and the ``<id>/invariance/<factor>`` sections.

Results files come from fake backends (no model), as in tests/test_verdicts.py: 30 personas with a trait
level each answer BFI-44 under one template, options in the original and the reversed order (60
respondents). What the tests pin down:

* a model whose answers follow the trait alike under both orders gets scalar invariance: ok, "Scores
  may be compared across option orders";
* a model that adds half a scale point to every raw answer under the reversed order (an acquiescence
  shift, which moves forward- and reverse-keyed items in opposite directions of the trait, so no
  latent-mean difference can absorb it) keeps its loadings (metric holds) and loses scalar invariance:
  caution, "Scale means may not be compared across option orders";
* a position habit is "not interpretable", even where the fits can be computed (probability-weighted
  answers);
* the numbers are psychometry.stats.invariance's (checked against lavaan), printed through _rprint and
  shown as HTML tables; a design too small to fit says "not computed" and never crashes the report.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from test_report import _unit, personas_file

import psychometry
import psychometry.stats as st
from psychometry import Design
from psychometry.backends.fake import FakeBackend
from psychometry.report import VerdictThresholds, build_report, compute_verdicts
from psychometry.report.verdicts import invariance_analysis, invariance_holds
from psychometry.report.verdicts.invariance import invariance_verdict
from psychometry.stats.reliability import reverse_items

N_PERSONAS = 30
THETA, NOISE = (
    2.2,
    0.8,
)  # 3 +- 1.1 +- 0.4 (+ 1 shifted) stays within 1.5-5.5: values 2-5 after rounding, no clipping


def _backend(name: str, *, shift: float = 0.0, habit: bool = False) -> FakeBackend:
    """A fake with a trait level per persona and scale; ``shift`` is added to every raw answer under
    the reversed option order; ``habit``: the first shown option always wins (weight .6), the rest of
    the probability follows the trait (so the expected answers still vary)."""
    items = {it.text: (it.scale, it.keyed) for it in psychometry.load_instrument("bfi44").items}
    texts = sorted(items, key=len, reverse=True)

    def choose(prompt: str, labels):
        text = next(t for t in texts if f'"{t}"' in prompt or t in prompt)
        scale, keyed = items[text]
        persona = prompt.split("\n\n", 1)[0]
        theta = THETA * (_unit(persona + scale) - 0.5)  # latent level in [-1.1, 1.1)
        noise = NOISE * (_unit(prompt) - 0.5)  # item x respondent noise
        rev = prompt.find("Agree strongly") < prompt.find("Disagree strongly")
        value = min(5, max(1, round(3 + keyed * theta + noise + (shift if rev else 0.0))))
        index = (5 - value) if rev else (value - 1)
        if not habit:
            return index
        w = [0.0] * len(labels)
        w[0] += 0.6
        w[index] += 0.4
        return w

    return FakeBackend(choose, confidence=0.7, name=name)


@pytest.fixture(scope="module")
def long(tmp_path_factory) -> pd.DataFrame:
    """Three models in one table (never pooled): invariant, shifted under the reversed order, habit."""
    d = tmp_path_factory.mktemp("invariance")
    personas = str(personas_file(d / "p.yaml", N_PERSONAS))
    frames = []
    for name, kw in (("invariant", {}), ("shifted", {"shift": 1.0}), ("habit", {"habit": True})):
        out = d / f"{name}.sqlite"
        psychometry.administer(
            Design(["bfi44"], templates="likert-plain", orders="original,reversed", personas=personas),
            model=_backend(name, **kw),
            out=out,
            progress=False,
        )
        frames.append(psychometry.load_results(out))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def verdicts(long):
    return {mv.model: mv for mv in compute_verdicts(long, answers="expected")}


def _lavaan_style(long: pd.DataFrame, model: str, scale: str, answers: str = "value"):
    """stats.invariance called by hand, as a psychometrician would: cases = respondents, group = order."""
    rows = long[(long["model"] == model) & (long["scale"] == scale)]
    wide = st.item_matrix(rows, value=answers)
    keys = sorted(set(rows.loc[rows["keyed"] < 0, "item"]))
    wide = reverse_items(wide, keys)
    wide["order"] = (
        rows.drop_duplicates("respondent").set_index("respondent")["order"].reindex(wide.index).to_numpy()
    )
    items = [c for c in wide.columns if c != "order"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return st.invariance(
            wide, model={scale: items}, group="order", levels=["configural", "metric", "scalar"]
        )


def test_invariant_answers_may_be_compared_across_option_orders(verdicts):
    v = verdicts["invariant"].get("invariance", "bfi44")
    assert v.title == "Measurement invariance across option orders"
    assert v.level == "ok", v.details
    assert v.sentence.startswith("Scores may be compared across option orders")
    assert v.figure.startswith("scalar invariance holds on 5 of 5 scales, metric on 5 of 5")
    assert [s.scale for s in v.data.scales] == ["E", "A", "C", "N", "O"]
    # one prompt template: no template factor to test
    assert all(
        x.title != "Measurement invariance across prompt templates" for x in verdicts["invariant"].verdicts
    )


def test_an_intercept_shift_under_one_order_fails_scalar_invariance(verdicts):
    v = verdicts["shifted"].get("invariance", "bfi44")
    assert v.level == "caution", v.details
    assert v.sentence.startswith(
        "Scale means may not be compared across option orders (scalar invariance fails on"
    )
    assert "metric on 5 of 5" in v.figure
    th = VerdictThresholds()
    for s in v.data.scales:
        t = s.result.table
        assert invariance_holds(t.loc["metric"], th)
    assert sum(not invariance_holds(s.result.table.loc["scalar"], th) for s in v.data.scales) >= 3


def test_the_numbers_are_stats_invariance(long, verdicts):
    v = verdicts["shifted"].get("invariance", "bfi44")
    got = {s.scale: s.result.table for s in v.data.scales}
    for scale in ("E", "O"):
        ref = _lavaan_style(long, "shifted", scale, answers="expected").table
        for col in ("chisq", "df", "cfi", "rmsea", "chisq_diff", "delta_cfi", "delta_rmsea"):
            assert got[scale][col].to_numpy() == pytest.approx(
                ref[col].to_numpy(), rel=1e-6, abs=1e-8, nan_ok=True
            )
    # the cut-offs are Chen's (2007) by default, and settable: lax ones let the same fits pass
    assert (VerdictThresholds().invariance_delta_cfi, VerdictThresholds().invariance_delta_rmsea) == (
        0.010,
        0.015,
    )
    lax = VerdictThresholds(invariance_delta_cfi=1.0, invariance_delta_rmsea=1.0)
    assert invariance_verdict("bfi44", v.data, lax, habit=False).level == "ok"


def test_a_position_habit_is_not_interpretable(verdicts):
    mv = verdicts["habit"]
    assert not mv.interpretable
    v = mv.get("invariance", "bfi44")
    assert v.level == "fails"
    assert v.sentence.startswith("Not interpretable")
    # the expected answers vary, so the fits were computed: the numbers are shown, the verdict overrides them
    assert any(s.result is not None for s in v.data.scales)


def test_the_report_prints_the_invariance_table(long):
    one = long[long["model"] == "shifted"]
    rep = build_report(one, plots=False)
    sec = rep.section("bfi44/invariance/order")
    assert sec.computed
    assert "Scale E (Extraversion), 8 items; n = 30 original, 30 reversed" in sec.body
    for col in (
        "chisq",
        "pvalue",
        "cfi",
        "rmsea",
        "chisq.diff",
        "df.diff",
        "p.diff",
        "cfi.delta",
        "rmsea.delta",
        "holds",
    ):
        assert col in sec.body
    ref = _lavaan_style(long, "shifted", "E").table  # answers = chosen, the report's default
    line = next(ln for ln in sec.body.splitlines() if ln.startswith("scalar"))
    assert f"{ref.loc['scalar', 'chisq']:.3f}" in line
    assert f"{ref.loc['scalar', 'cfi']:.3f}" in line
    assert sec.html is not None and sec.html.count("<table") == 5
    # the verdict and the section rest on the same fits
    v = rep.verdicts[0].get("invariance", "bfi44")
    assert v.data.scales[0].result.table.loc["scalar", "chisq"] == pytest.approx(ref.loc["scalar", "chisq"])
    text = rep.text()
    assert text.index("Measurement invariance across option orders") < text.index(
        "bfi44: measurement invariance"
    )


def test_too_few_respondents_is_not_computed_never_a_crash(long):
    few = long[(long["model"] == "invariant") & long["persona"].isin(["p00", "p01", "p02", "p03"])]
    rep = build_report(few, plots=False)
    sec = rep.section("bfi44/invariance/order")
    assert (
        "not computed: too few respondents answering every item per option order (4 original, 4 reversed"
        in sec.body
    )
    v = rep.verdicts[0].get("invariance", "bfi44")
    assert v.level == "n/a" and v.figure.startswith("not computed on 5 of 5 scales")
    ana = invariance_analysis(few[few["instrument"] == "bfi44"], "order")
    assert all(s.result is None and s.reason for s in ana.scales)
