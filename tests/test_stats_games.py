"""``game_profile`` on worked move sequences whose rates are counted by hand here (definitions:
docs/statistics/games.md; Axelrod 1984, Akata et al. 2025), and on the same games played through the
whole pipeline by a fake model that follows a strategy."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

import psychometry
from psychometry.backends import FakeBackend
from psychometry.config import Design
from psychometry.errors import StatsInputError
from psychometry.stats import game_profile

PAY = {("C", "C"): 8, ("C", "D"): 0, ("D", "C"): 10, ("D", "D"): 5}  # Akata et al.'s prisoner's dilemma


def _game(me: str, opp: str, opponent: str, respondent: str = "m") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": "m",
            "persona": "none",
            "respondent": respondent,
            "opponent": opponent,
            "round": range(1, len(me) + 1),
            "action": list(me),
            "opponent_action": list(opp),
            "payoff": [PAY[a, b] for a, b in zip(me, opp)],
        }
    )


# The model plays tit-for-tat against the alternator (C, D, C, D, ...):
#   alternator  C D C D C D C D C D
#   model (TFT) C C D C D C D C D C      (C, then the alternator's previous move)
# cooperation 6/10; niceness 1; retaliation: the alternator defected in rounds 2, 4, 6, 8, so rounds
# 3, 5, 7, 9 count, and the model plays D in all four: 4/4; forgiveness: the alternator went D -> C
# in rounds 2-3, 4-5, 6-7, 8-9, so rounds 4, 6, 8, 10 count, all C: 4/4; payoffs 8 0 10 0 10 0 10 0 10 0 = 48.
TFT_VS_ALTERNATOR = _game("CCDCDCDCDC", "CDCDCDCDCD", "alternator")

# The model plays grudger against random(0.5), whose moves with run seed 0 are those of
# psychometry.instrument.opponents.draw(0, "ipd", "random(0.5)", 0, k) (also the engine's):
#   random(0.5)   C D C D C C D D C C
#   model (grudger) C C D D D D D D D D   (C until the first defection, in round 2; D from round 3 on)
# cooperation 2/10; niceness 1; retaliation: the opponent defected in rounds 2, 4, 7, 8, so rounds 3, 5,
# 8, 9 count, all D: 4/4; forgiveness: D -> C in rounds 2-3, 4-5, 8-9, so rounds 4, 6, 10 count, all D:
# 0/3; payoffs 8 0 10 5 10 10 5 5 10 10 = 73.
GRUDGER_VS_RANDOM = _game("CCDDDDDDDD", "CDCDCCDDCC", "random(0.5)")


def test_tit_for_tat_against_the_alternator_counted_by_hand():
    row = game_profile(TFT_VS_ALTERNATOR).to_frame().iloc[0]
    assert (row["games"], row["rounds"]) == (1, 10)
    assert row["cooperation"] == pytest.approx(6 / 10)
    assert row["niceness"] == 1.0
    assert (row["retaliation"], row["n_retaliation"]) == (1.0, 4)
    assert (row["forgiveness"], row["n_forgiveness"]) == (1.0, 4)
    assert row["payoff"] == pytest.approx(48 / 10) and row["total_payoff"] == 48


def test_grudger_against_random_half_with_seed_0_counted_by_hand():
    row = game_profile(GRUDGER_VS_RANDOM).to_frame().iloc[0]
    assert row["cooperation"] == pytest.approx(2 / 10)
    assert row["niceness"] == 1.0
    assert (row["retaliation"], row["n_retaliation"]) == (1.0, 4)
    assert (row["forgiveness"], row["n_forgiveness"]) == (0.0, 3)
    assert row["payoff"] == pytest.approx(7.3) and row["total_payoff"] == 73


def test_rates_pool_the_games_of_a_group_and_by_round_counts_games_reaching_the_round():
    two = pd.concat([_game("CD", "CC", "tft", "a"), _game("DDD", "CDD", "tft", "b")])
    res = game_profile(two)
    row = res.to_frame().iloc[0]
    assert (row["games"], row["rounds"], row["cooperation"]) == (2, 5, pytest.approx(1 / 5))
    assert row["niceness"] == 0.5
    assert (row["retaliation"], row["n_retaliation"]) == (1.0, 1)  # only b's round 3 follows a D
    assert math.isnan(row["forgiveness"]) and row["n_forgiveness"] == 0  # no D -> C of the opponent
    assert res.by_round[["round", "n", "cooperation"]].values.tolist() == [
        [1, 2, 0.5],
        [2, 2, 0.0],
        [3, 1, 0.0],
    ]


def test_a_round_whose_answer_was_not_read_ends_the_game_and_counts_in_no_rate():
    g = _game("CCD", "CCC", "cooperator")
    g.loc[2, ["action", "payoff"]] = [None, float("nan")]  # round 3 unparsed
    row = game_profile(g).to_frame().iloc[0]
    assert (row["rounds"], row["cooperation"], row["payoff"]) == (2, 1.0, 8.0)


def test_the_summary_prints_the_table_and_cooperation_by_round():
    text = game_profile(pd.concat([TFT_VS_ALTERNATOR, GRUDGER_VS_RANDOM])).summary()
    assert "Game profile per model x persona x opponent" in text and "Cooperation by round" in text


@pytest.mark.parametrize(
    "table, message",
    [
        (TFT_VS_ALTERNATOR.drop(columns="payoff"), "no column 'payoff'"),
        (TFT_VS_ALTERNATOR.assign(round=None), "no game rounds"),
        (TFT_VS_ALTERNATOR.assign(opponent_action="X"), "must be C (cooperate) and D (defect)"),
    ],
)
def test_bad_input_is_one_line(table, message):
    with pytest.raises(StatsInputError, match=re.escape(message)):
        game_profile(table)


# ------------------------------------------------------------------ the same games, played through the pipeline
_OPTION = re.compile(r"^(\d)\. (Option [JF])$", re.M)
_OTHER = re.compile(r"the other player chose (Option [JF])")


def _strategy(rule):
    """A fake model that plays ``rule(opponent's shown moves) -> "Option J" | "Option F"``."""

    def choose(prompt: str, labels):
        want = rule(_OTHER.findall(prompt))
        shown = dict((text, label) for label, text in _OPTION.findall(prompt))
        return list(labels).index(shown[want])

    return choose


def test_the_profile_of_a_run_equals_the_hand_count_of_its_strategies(tmp_path):
    def tft(theirs):
        return theirs[-1] if theirs else "Option J"

    def grudger(theirs):
        return "Option F" if "Option F" in theirs else "Option J"

    rows = []
    for name, rule, opponent in (("tft", tft, "alternator"), ("grudger", grudger, "random(0.5)")):
        out = tmp_path / f"{name}.sqlite"
        psychometry.administer(
            Design("ipd", templates="choice-plain", opponents=opponent),
            model=FakeBackend(choice=_strategy(rule), confidence=0.9),
            out=out,
            progress=False,
        )
        rows.append(game_profile(psychometry.load_results(out), by=["opponent", "order"]).to_frame())
    got = pd.concat(rows).set_index(["opponent", "order"])
    for order in ("original", "reversed"):  # the option order changes nothing for a strategy
        for opponent, want in (("alternator", TFT_VS_ALTERNATOR), ("random(0.5)", GRUDGER_VS_RANDOM)):
            hand = game_profile(want).to_frame().iloc[0]
            cols = ["cooperation", "niceness", "retaliation", "forgiveness", "payoff"]
            assert got.loc[(opponent, order), cols].tolist() == hand[cols].tolist()
