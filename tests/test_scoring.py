"""psychometry.score: reverse keying (min + max - x), mean and sum scales with offsets, pro-rating of
missing items with a minimum count, type letters from dichotomies, z-scores against norms, and clear
errors for values outside the response scale. Every expected number is computed by hand in the
comment next to it (fixtures: tests/fixtures/mini*.yaml; OEJTS: the published OEJTS 1.2 formulas,
https://openpsychometrics.org/tests/OEJTS/)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import psychometry
from psychometry.errors import PsychometryError
from psychometry.instrument import load_instrument
from psychometry.scoring import ScoringError, score

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def mini():
    return load_instrument(FIXTURES / "mini.yaml")


@pytest.fixture(scope="module")
def types():
    return load_instrument(FIXTURES / "mini_types.yaml")


def test_psychometry_score_is_the_scoring_function():
    assert psychometry.score is score


def test_all_fives_score_reverse_keyed_items_as_one(mini):
    out = score(mini, {"e1": 5, "e2": 5, "e3": 5, "e4": 5, "c1": 5, "c2": 5})
    # E (mean): e1, e3, e4 = 5; e2 reverse keyed: 1 + 5 - 5 = 1 -> (5 + 1 + 5 + 5) / 4 = 4.0
    assert out.loc[0, "E"] == 4.0
    # C (sum): c1 = 5; c2 reverse keyed: 1 -> 5 + 1 = 6
    assert out.loc[0, "C"] == 6.0


def test_z_scores_use_the_instruments_norms(mini):
    out = score(mini, {"e1": 5, "e2": 5, "e3": 5, "e4": 5, "c1": 5, "c2": 5})
    assert out.loc[0, "z_E"] == pytest.approx(2.0)  # (4.0 - 3.0) / 0.5
    assert out.loc[0, "z_C"] == pytest.approx(0.0)  # (6.0 - 6.0) / 2.0
    assert list(out.columns) == ["E", "C", "z_E", "z_C"]


def test_a_missing_item_prorates_the_mean_of_the_answered_items(mini):
    out = score(mini, {"e1": 4, "e2": 2, "e3": 3})  # e4 missing
    # e2 reversed: 6 - 2 = 4 -> (4 + 4 + 3) / 3 = 11 / 3
    assert out.loc[0, "E"] == pytest.approx(11 / 3)


def test_a_missing_item_prorates_a_sum_as_mean_times_the_number_of_items(mini):
    out = score(mini, {"c1": 4, "c2": np.nan})
    assert out.loc[0, "C"] == 8.0  # mean 4 x 2 items


def test_too_many_missing_items_give_nan_default_at_least_half(mini):
    # E has 4 items: at least ceil(4 / 2) = 2 answered are needed
    assert math.isnan(score(mini, {"e1": 4}).loc[0, "E"])
    assert score(mini, {"e1": 4, "e3": 2}).loc[0, "E"] == 3.0  # (4 + 2) / 2
    # no C item answered: NaN, and its z-score too
    out = score(mini, {"e1": 4, "e3": 2})
    assert math.isnan(out.loc[0, "C"]) and math.isnan(out.loc[0, "z_C"])


def test_min_items_argument_overrides_the_default_for_all_or_named_scales(mini):
    answers = {"e1": 4, "e2": 2, "e3": 3, "c1": 4}
    assert math.isnan(score(mini, answers, min_items=4).loc[0, "E"])
    out = score(mini, answers, min_items={"C": 2})
    assert math.isnan(out.loc[0, "C"]) and out.loc[0, "E"] == pytest.approx(11 / 3)
    assert score(mini, {"e1": 5}, min_items=1).loc[0, "E"] == 5.0


def test_the_scales_min_items_field_sets_the_threshold(types):
    # IE requires all 4 items (min_items: 4); JP requires 3 of 4 (min_items: 3)
    answers = {"q1": 5, "q2": 1, "q3": 4, "q5": 5, "q6": 1, "q7": 5}
    out = score(types, answers)
    assert math.isnan(out.loc[0, "IE"])
    # JP: q5 = 5, q6 reversed 6 - 1 = 5, q7 = 5 -> mean 5 x 4 items = 20, offset -12 -> 8
    assert out.loc[0, "JP"] == 8.0


def test_a_dataframe_scores_one_row_per_respondent_and_keeps_the_index(mini):
    frame = pd.DataFrame(
        {
            "e1": [5, 1],
            "e2": [5, 1],
            "e3": [5, 1],
            "e4": [5, 1],
            "c1": [5, 1],
            "c2": [5, 1],
            "country": ["NZ", "FR"],
        },
        index=["ann", "bob"],
    )
    out = score(mini, frame)
    assert list(out.index) == ["ann", "bob"]
    assert out.loc["ann", "E"] == 4.0
    assert out.loc["bob", "E"] == 2.0  # (1 + 5 + 1 + 1) / 4, e2 reversed 6 - 1 = 5
    assert out.loc["bob", "C"] == 6.0  # 1 + 5


def test_a_series_is_one_respondent(mini):
    out = score(mini, pd.Series({"e1": 2, "e2": 4, "e3": 2, "e4": 2, "c1": 3, "c2": 3}))
    assert out.shape[0] == 1 and out.loc[0, "E"] == 2.0  # (2 + 2 + 2 + 2) / 4, e2: 6 - 4 = 2


def test_fractional_values_within_the_scale_are_accepted(mini):
    # logprob mode's expected values are fractional: e1 = 4.5, e2 = 1.5 (reversed 4.5)
    assert score(mini, {"e1": 4.5, "e2": 1.5}).loc[0, "E"] == 4.5


@pytest.mark.parametrize("bad", [6, 0, -1, 5.5])
def test_a_value_outside_the_response_scale_is_an_error_naming_the_item(mini, bad):
    with pytest.raises(
        ScoringError, match=r"item e3: value .* \(respondent 'r2'\) is outside the response scale 1\.\.5"
    ):
        score(mini, pd.DataFrame({"e1": [3, 3], "e3": [3, bad]}, index=["r1", "r2"]))


def test_text_where_a_number_belongs_is_an_error_naming_the_item(mini):
    with pytest.raises(ScoringError, match="item c1: value 'often'.*not a number"):
        score(mini, {"c1": "often"})


def test_responses_with_no_item_of_the_instrument_are_an_error(mini):
    with pytest.raises(ScoringError, match="none of the responses' keys are item ids"):
        score(mini, {"E1": 3, "E2": 4})


def test_scoring_errors_are_psychometry_errors():
    assert issubclass(ScoringError, PsychometryError)


def test_choice_items_reverse_within_their_own_option_values():
    inst = load_instrument(FIXTURES / "mini_choice.yaml")
    # s1 values 0..2 as given; s2 reverse keyed: 0 + 2 - x
    out = score(inst, {"s1": 2, "s2": 0})
    assert out.loc[0, "Openness"] == 2.0  # (2 + (2 - 0)) / 2
    with pytest.raises(ScoringError, match="item s1: value 3 .* outside the response scale 0..2"):
        score(inst, {"s1": 3})


# -------------------------------------------------------------------------------- type letters
def test_type_letters_on_a_worked_example(types):
    answers = {"q1": 5, "q2": 1, "q3": 4, "q4": 2, "q5": 1, "q6": 5, "q7": 2, "q8": 1}
    out = score(types, answers)
    # IE = 5 + (6 - 1) + 4 + (6 - 2) = 18 > 12 -> E; JP = 1 + (6 - 5) + 2 + 1 - 12 = -7 < 0 -> J
    assert (out.loc[0, "IE"], out.loc[0, "JP"]) == (18.0, -7.0)
    assert (out.loc[0, "IE_letter"], out.loc[0, "JP_letter"], out.loc[0, "type"]) == ("E", "J", "EJ")
    assert out.loc[0, "z_IE"] == pytest.approx(1.5)  # (18 - 12) / 4
    assert list(out.columns) == ["IE", "JP", "IE_letter", "JP_letter", "type", "z_IE"]


def test_a_score_at_the_cutoff_follows_the_tie_rule(types):
    out = score(types, {f"q{i}": 3 for i in range(1, 9)})
    # all 3s: IE = 12 = cutoff, tie: low -> I; JP = 12 - 12 = 0 = cutoff, tie: x -> X
    assert (out.loc[0, "IE"], out.loc[0, "JP"], out.loc[0, "type"]) == (12.0, 0.0, "IX")


def test_a_missing_scale_score_gives_no_letter_and_no_type(types):
    out = score(types, {"q1": 5, "q5": 1, "q6": 5, "q7": 2, "q8": 1})
    assert out.loc[0, "IE_letter"] is None and out.loc[0, "type"] is None
    assert out.loc[0, "JP_letter"] == "J"


def test_oejts_all_fives_is_infp_and_all_ones_estj_by_the_published_formulas():
    oejts = load_instrument("oejts")
    out = score(oejts, pd.DataFrame([{f"Q{i}": v for i in range(1, 33)} for v in (5, 1, 3)]))
    # OEJTS 1.2 formulas with every Q = 5:
    #   IE = 30 - 5*5 + 3*5 = 20 (I); SN = 12 + 6*5 - 2*5 = 32 (N); FT = 30 + 3*5 - 5*5 = 20 (F);
    #   JP = 18 + 5*5 - 3*5 = 28 (P). Every Q = 1: IE 28 (E), SN 16 (S), FT 28 (T), JP 20 (J).
    #   Every Q = 3: 24 on every axis, and '> 24' makes each the low letter: ISFJ.
    assert out[["IE", "SN", "FT", "JP"]].values.tolist() == [
        [20, 32, 20, 28],
        [28, 16, 28, 20],
        [24, 24, 24, 24],
    ]
    assert out["type"].tolist() == ["INFP", "ESTJ", "ISFJ"]


def test_oejts_worked_example_equals_the_formula_term_by_term():
    oejts = load_instrument("oejts")
    q = {i: (i * 7) % 5 + 1 for i in range(1, 33)}  # 3, 5, 2, 4, 1, 3, ... (a spread of answers)
    ie = 30 - q[3] - q[7] - q[11] + q[15] - q[19] + q[23] + q[27] - q[31]
    sn = 12 + q[4] + q[8] + q[12] + q[16] + q[20] - q[24] - q[28] + q[32]
    ft = 30 - q[2] + q[6] + q[10] - q[14] - q[18] + q[22] - q[26] - q[30]
    jp = 18 + q[1] + q[5] - q[9] + q[13] - q[17] + q[21] - q[25] + q[29]
    out = score(oejts, {f"Q{i}": v for i, v in q.items()})
    assert [out.loc[0, s] for s in ("IE", "SN", "FT", "JP")] == [ie, sn, ft, jp]
    letters = (
        ("E" if ie > 24 else "I")
        + ("N" if sn > 24 else "S")
        + ("T" if ft > 24 else "F")
        + ("P" if jp > 24 else "J")
    )
    assert out.loc[0, "type"] == letters


def test_bfi44_all_fives_on_the_shipped_key():
    bfi = load_instrument("bfi44")
    out = score(bfi, {it.id: 5 for it in bfi.items})
    # John & Srivastava (1999) key: E has 8 items, 3 reversed (6R 21R 31R): (5*5 + 3*1) / 8 = 3.5
    # O has 10 items, 2 reversed (35R 41R): (8*5 + 2*1) / 10 = 4.2
    assert out.loc[0, "E"] == 3.5 and out.loc[0, "O"] == pytest.approx(4.2)
    # z against the PsychoBench crowd norm E: mean 3.25, sd 0.90 -> (3.5 - 3.25) / 0.9
    assert out.loc[0, "z_E"] == pytest.approx(0.25 / 0.9)


def test_an_instrument_id_is_loaded_for_scoring():
    assert score("sd3", {"M1": 5, "M2": 5, "M3": 5, "M4": 5, "M5": 5}).loc[0, "M"] == 5.0


def test_score_long_pivots_the_results_table_and_counts_refusals_as_missing(mini):
    from psychometry.scoring import score_long

    rows = []
    for resp, answers in {"m/a": {"e1": 5, "e2": 5, "e3": 5, "e4": 5}, "m/b": {"e1": 4, "e2": None}}.items():
        for item, v in answers.items():
            rows.append(
                {
                    "instrument": "mini",
                    "respondent": resp,
                    "item": item,
                    "status": "ok" if v is not None else "refused",
                    "value": v if v is not None else np.nan,
                }
            )
    rows.append({"instrument": "other", "respondent": "m/a", "item": "x1", "status": "ok", "value": 1.0})
    out = score_long(pd.DataFrame(rows), mini)
    assert list(out.index) == ["m/a", "m/b"]
    assert out.loc["m/a", "E"] == 4.0  # (5 + 1 + 5 + 5) / 4
    assert math.isnan(out.loc["m/b", "E"])  # 1 of 4 answered (e2 refused) < 2


def test_score_long_refuses_two_rows_for_one_respondent_and_item_instead_of_keeping_one(mini):
    # e.g. two runs of a file whose respondent ids coincide: keeping the first row (or averaging)
    # would silently score half of the data
    from psychometry.scoring import score_long

    rows = [
        {"instrument": "mini", "respondent": "m/a", "item": it, "status": "ok", "value": 5.0, "run_id": "r1"}
        for it in ("e1", "e2", "e3", "e4")
    ]
    rows.append(
        {
            "instrument": "mini",
            "respondent": "m/a",
            "item": "e1",
            "status": "ok",
            "value": 1.0,
            "run_id": "r2",
        }
    )
    with pytest.raises(
        ScoringError, match=r"respondent 'm/a' has 2 rows for item e1 \(runs r1, r2\).*run_id="
    ):
        score_long(pd.DataFrame(rows), mini)
    # a refused duplicate counts too: the table is ambiguous either way
    rows[-1].update(status="refused", value=np.nan)
    with pytest.raises(ScoringError, match="2 rows for item e1"):
        score_long(pd.DataFrame(rows), mini)


# --- one scale scorer: score / score_long go through psychometry.stats.tidy.scale_scores -------------------


def _score_before(instrument, wide: pd.DataFrame, min_items=None) -> pd.DataFrame:
    """The scale scores as psychometry.scoring.score computed them before it called stats.scale_scores
    (reverse keying min + max - x, mean / pro-rated sum, offset, min_items): the reference for the
    one implementation."""
    from psychometry.scoring import _threshold, item_range

    out = {}
    cols = {}
    for item_id in instrument.item_ids:
        col = wide[item_id].astype(float) if item_id in wide.columns else pd.Series(np.nan, index=wide.index)
        lo, hi = item_range(instrument, item_id)
        cols[item_id] = lo + hi - col if instrument.item(item_id).keyed < 0 else col
    values = pd.DataFrame(cols, index=wide.index)
    for sc in instrument.scales:
        sub = values[list(sc.items)]
        n = len(sc.items)
        answered = sub.notna().sum(axis=1)
        mean = sub.mean(axis=1, skipna=True)
        combined = (
            sub.sum(axis=1, skipna=True).where(answered == n, mean * n) if sc.scoring == "sum" else mean
        )
        need = _threshold(n, sc.min_items, min_items, sc.id)
        out[sc.id] = (combined + sc.offset).where(answered >= need, np.nan).astype(float)
    return pd.DataFrame(out, index=wide.index)


def _random_answers(instrument, n: int, seed: int, fractional: bool) -> pd.DataFrame:
    from psychometry.scoring import item_range

    rng = np.random.default_rng(seed)
    data = {}
    for item_id in instrument.item_ids:
        lo, hi = item_range(instrument, item_id)
        x = rng.uniform(lo, hi, n) if fractional else rng.integers(int(lo), int(hi) + 1, n).astype(float)
        x[rng.random(n) < 0.25] = np.nan  # a quarter missing: pro-rating and min_items at work
        data[item_id] = x
    return pd.DataFrame(data, index=[f"r{i}" for i in range(n)])


@pytest.mark.parametrize("fractional", [False, True])
def test_score_gives_the_scores_of_the_former_implementation(mini, types, fractional):
    from psychometry.instrument import list_instruments

    instruments = [mini, types, load_instrument(FIXTURES / "mini_choice.yaml"), *list_instruments()]
    for seed, inst in enumerate(instruments):
        wide = _random_answers(inst, 40, seed, fractional)
        for min_items in (None, 1, 2):
            got = score(inst, wide, min_items=min_items)[[sc.id for sc in inst.scales]]
            want = _score_before(inst, wide, min_items)
            if fractional:  # two summation orders: equal to the last bits
                pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=1e-12)
            else:
                pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_score_long_gives_the_scores_of_the_former_implementation(mini):
    wide = _random_answers(mini, 12, 7, fractional=False)
    rows = []
    for resp, row in wide.iterrows():
        for item_id, v in row.items():
            rows.append(
                {
                    "instrument": mini.id,
                    "respondent": resp,
                    "item": item_id,
                    "status": "ok" if math.isfinite(v) else "refused",
                    "value": v,
                }
            )
    got = psychometry.scoring.score_long(pd.DataFrame(rows), mini)[[sc.id for sc in mini.scales]]
    want = _score_before(mini, wide)
    want.index.name = "respondent"
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_score_uses_the_stats_scale_scorer(mini, monkeypatch):
    import psychometry.scoring as scoring

    calls = []
    real = scoring.scale_scores

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "scale_scores", spy)
    score(mini, {"e1": 5, "e2": 5, "e3": 5, "e4": 5, "c1": 5, "c2": 5})
    assert len(calls) == 1
    assert calls[0]["method"] == {sc.id: sc.scoring for sc in mini.scales}
