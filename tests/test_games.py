"""Repeated games against scripted opponents (``kind: game``): the opponents, the rounds as stored
responses, the history each round shows, the end of a game at an unread answer, batching across
games, resume, and bad input. The model here is the fake backend (plumbing); the real model plays
in ``tests/test_games_model.py``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import psychometry
from psychometry.backends import FakeBackend
from psychometry.backends.base import ScoreRequest
from psychometry.cli import main
from psychometry.config import AnswerConfig, Design
from psychometry.errors import InstrumentError, PsychometryError
from psychometry.instrument import load_instrument
from psychometry.instrument.opponents import draw, parse_opponent
from psychometry.results import load_prompts

IPD = load_instrument("ipd")


def _play(spec: str, model_moves: list[str], seed: int = 0) -> list[str]:
    """The opponent's moves against a fixed sequence of the model's moves."""
    opp = parse_opponent(spec)
    return [
        opp.move(model_moves[: k - 1], round=k, u=draw(seed, spec, k)) for k in range(1, len(model_moves) + 1)
    ]


# ------------------------------------------------------------------ the opponents (Axelrod's definitions)
def test_the_classic_opponents_move_as_the_axelrod_library_defines_them():
    me = list("CDDCCDCD")
    assert _play("cooperator", me) == list("CCCCCCCC")
    assert _play("defector", me) == list("DDDDDDDD")
    assert _play("tft", me) == list("CCDDCCDC")  # C, then the model's last move
    assert _play("stft", me) == list("DCDDCCDC")  # D, then the model's last move
    assert _play("tf2t", me) == list("CCCDCCCC")  # D only after two defections in a row (rounds 2, 3)
    assert _play("grudger", me) == list("CCDDDDDD")  # D for ever after the first defection (round 2)
    assert _play("alternator", me) == list("CDCDCDCD")


def test_random_p_cooperates_with_probability_p_reproducibly_from_the_seed():
    moves = [parse_opponent("random(0.3)").move([], round=k, u=draw(7, "g", k)) for k in range(1, 4001)]
    assert abs(moves.count("C") / 4000 - 0.3) < 0.03  # binomial SD 0.007
    again = [parse_opponent("random(0.3)").move([], round=k, u=draw(7, "g", k)) for k in range(1, 4001)]
    assert moves == again
    assert parse_opponent("random(1)").move([], round=1, u=0.999) == "C"
    assert parse_opponent("random(0)").move([], round=1, u=0.0) == "D"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("titfortat", "unknown opponent 'titfortat' (known: cooperator, defector, tft"),
        ("random(1.5)", "from 0 to 1"),
    ],
)
def test_an_unknown_or_malformed_opponent_is_one_line_naming_the_known_ones(spec, message):
    with pytest.raises(PsychometryError, match=re.escape(message)):
        parse_opponent(spec)


# ------------------------------------------------------------------ rounds as stored responses
def _run(tmp_path: Path, name: str = "g.sqlite", backend=None, **design) -> tuple[object, object]:
    out = tmp_path / name
    design = {"templates": "choice-plain", "opponents": "tft,grudger,alternator,random(0.5)", **design}
    res = psychometry.administer(
        Design("ipd", **design), model=backend or FakeBackend(choice="hash"), out=out, progress=False
    )
    return res, psychometry.load_results(out)


def test_each_round_is_one_stored_response_with_the_game_columns(tmp_path):
    res, df = _run(tmp_path)
    assert len(df) == res.planned == 4 * 2 * 10  # opponents x orders x rounds
    assert df.groupby(["respondent", "opponent"]).size().eq(10).all()
    assert sorted(df["round"].unique()) == list(range(1, 11))
    assert set(df["action"]) == set(df["opponent_action"]) == {"C", "D"}
    # the payoff is Akata et al.'s: 8/8, 0/10, 10/0, 5/5
    table = {("C", "C"): 8.0, ("C", "D"): 0.0, ("D", "C"): 10.0, ("D", "D"): 5.0}
    assert (df["payoff"] == [table[a, b] for a, b in zip(df["action"], df["opponent_action"])]).all()
    # the action is the chosen option: its stored value (C = 1) and its shown position under the order
    assert (df["value"] == (df["action"] == "C").astype(float)).all()


def test_tit_for_tat_plays_in_round_k_the_models_move_of_round_k_minus_1(tmp_path):
    _, df = _run(tmp_path)
    for _, game in df[df["opponent"] == "tft"].groupby("respondent"):
        game = game.sort_values("round")
        assert game["opponent_action"].iloc[0] == "C"
        assert list(game["opponent_action"].iloc[1:]) == list(game["action"].iloc[:-1])


def test_each_round_shows_the_players_own_moves_and_the_other_players_real_moves(tmp_path):
    out = tmp_path / "g.sqlite"
    _, df = _run(tmp_path)
    prompts = load_prompts(out)
    text = {"C": "Option J", "D": "Option F"}
    line = re.compile(r"In round (\d+), you chose (Option [JF]) and the other player chose (Option [JF])")
    for _, game in df.groupby(["respondent", "opponent"]):
        game = game.sort_values("round")
        for k, row in enumerate(game.itertuples(), start=1):
            shown = line.findall(prompts[row.prompt_hash])
            want = [(str(r.round), text[r.action], text[r.opponent_action]) for r in game.itertuples()][
                : k - 1
            ]
            assert shown == want
            assert f"This is round {k} of 10." in prompts[row.prompt_hash]


def test_the_option_order_permutes_the_shown_actions(tmp_path):
    _, df = _run(tmp_path, opponents="cooperator")
    first = df[df["round"] == 1].set_index("order")
    assert first.loc["original", "shown_values"] == "1,0" and first.loc["reversed", "shown_values"] == "0,1"


def test_random_opponents_meet_every_condition_with_the_same_draws(tmp_path):
    _, df = _run(tmp_path, opponents="random(0.5)", templates="all")
    seqs = {tuple(g.sort_values("round")["opponent_action"]) for _, g in df.groupby("respondent")}
    assert len(seqs) == 1 and len(df["respondent"].unique()) == 6  # 3 templates x 2 orders, one sequence


def test_an_unparsed_reply_ends_that_game_and_is_stored_missing_never_replaced(tmp_path):
    def reply(prompt: str) -> str:
        return "I would rather not say." if "round 3 of 10" in prompt and "Option F\n2." in prompt else "1"

    out = tmp_path / "g.sqlite"
    psychometry.administer(
        Design("ipd", templates="choice-plain", opponents="tft,defector"),
        model=FakeBackend(reply=reply),
        answers=AnswerConfig(mode="generate"),
        out=out,
        progress=False,
    )
    df = psychometry.load_results(out)
    ended = df[df["order"] == "reversed"]  # "Option F" shown first: round 3's reply is not an answer
    assert ended.groupby("opponent")["round"].max().eq(3).all()
    last = ended[ended["round"] == 3]
    assert (
        (last["status"] == "unparsed").all() and last["action"].isna().all() and last["payoff"].isna().all()
    )
    assert (last["raw_text"] == "I would rather not say.").all()
    assert df[df["order"] == "original"].groupby("opponent")["round"].max().eq(10).all()


class _Recording(FakeBackend):
    """The fake backend with a batch method that records each batch's prompts."""

    batch_size = 64

    def __init__(self, **kw):
        super().__init__(**kw)
        self.batches: list[list[str]] = []

    def score_many(self, requests: list[ScoreRequest]):
        self.batches.append([r.prompt for r in requests])
        for i, r in enumerate(requests):
            yield i, self.option_logprobs(r.prompt, list(r.labels))


def test_rounds_of_different_games_are_decoded_together_round_by_round(tmp_path):
    be = _Recording(choice="hash")
    _run(tmp_path, backend=be, templates="all")
    assert len(be.batches) == 10  # one batch per round: 4 opponents x 3 templates x 2 orders = 24 games
    for k, batch in enumerate(be.batches, start=1):
        assert len(batch) == 24 and all(f"round {k} of 10" in p for p in batch)


class _Failing(FakeBackend):
    """Stops answering after ``limit`` answers (as a crash would stop a run)."""

    def __init__(self, limit: int, **kw):
        super().__init__(**kw)
        self.limit = limit

    def option_logprobs(self, prompt, labels):
        self.limit -= 1
        if self.limit < 0:
            raise PsychometryError("the model stopped")
        return super().option_logprobs(prompt, labels)


def test_an_interrupted_game_resumes_at_the_next_round_and_ends_as_an_uninterrupted_run(tmp_path):
    numbers = ["response_id", "round", "opponent", "action", "opponent_action", "payoff", "probs", "position"]
    _, whole = _run(tmp_path, "whole.sqlite")
    with pytest.raises(PsychometryError, match=r"37 of \d+ responses are stored .* re-run the same command"):
        _run(tmp_path, "cut.sqlite", backend=_Failing(37, choice="hash"))
    asked = []
    resumed_backend = _Failing(10_000, choice="hash")
    resumed_backend.option_logprobs = lambda p, labels, _f=resumed_backend.option_logprobs: (
        asked.append(p) or _f(p, labels)
    )
    res, cut = _run(tmp_path, "cut.sqlite", backend=resumed_backend)
    assert len(asked) == 80 - 37 and res.skipped == 37
    key = ["response_id"]
    a = whole[numbers].sort_values(key).reset_index(drop=True)
    b = cut[numbers].sort_values(key).reset_index(drop=True)
    assert a.astype(str).equals(b.astype(str))


# ------------------------------------------------------------------ bad input: one line
def _game_yaml(tmp_path: Path, **change) -> Path:
    doc = yaml.safe_load(Path(IPD.path).read_text(encoding="utf-8"))
    doc["id"] = "mygame"
    for key, value in change.items():
        doc["game"][key] = value
    path = tmp_path / "mygame.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"opponents": ["tft", "nice"]},
            "field 'game.opponents': unknown opponent 'nice' (known: cooperator",
        ),
        ({"payoffs": [[[8, 8], [0, 10]]]}, "field 'game.payoffs': must be 2 rows (your action) of 2 cells"),
        (
            {"payoffs": [[[8, 8], [0]], [[10, 0], [5, 5]]]},
            "cell [C][D] must be [your points, the opponent's points]",
        ),
        ({"rounds": 0}, "field 'game.rounds': must be at least 1, not 0"),
        ({"history": "Round {turn}"}, "field 'game.history': unknown placeholder {turn}"),
    ],
)
def test_a_malformed_game_is_one_line_naming_file_and_field(tmp_path, change, message):
    path = _game_yaml(tmp_path, **change)
    with pytest.raises(InstrumentError) as err:
        load_instrument(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


def test_opponents_on_an_instrument_that_is_not_a_game_is_one_line_naming_the_flag(tmp_path, capsys):
    assert main(["administer", "bfi44", "--opponents", "tft", "--out", str(tmp_path / "x.sqlite")]) == 1
    err = capsys.readouterr().err.strip()
    assert (
        err
        == "psychometry: error: --opponents applies to games only; bfi44 is not a game (shipped games: ipd)"
    )
    assert not (tmp_path / "x.sqlite").exists()


def test_a_game_exports_as_yaml_or_json_only(tmp_path, capsys):
    assert main(["instruments", "export", "ipd", "--format", "csv"]) == 1
    assert "ipd is a game (kind: game)" in capsys.readouterr().err
    assert (
        main(["instruments", "export", "ipd", "--format", "yaml", "--out", str(tmp_path / "ipd.yaml")]) == 0
    )
    assert load_instrument(tmp_path / "ipd.yaml").game == IPD.game


# ------------------------------------------------------------------ the report
def test_the_report_shows_a_game_profile_per_opponent_and_order_and_no_scale_statistics(tmp_path):
    from psychometry.report import build_report

    _, df = _run(tmp_path, opponents="tft,defector")
    rep = build_report(df, plots=True)
    text = rep.text()
    assert "Game profile: cooperation, retaliation, forgiveness, payoff" in text
    assert "Game profile per opponent x order" in text and "Cooperation by round" in text
    assert "10 rounds against 2 opponents; 2 simulated respondents, 4 games" in text
    assert "Reliability (ipd)" not in text and "invariance across option orders (ipd)" not in text
    html = rep.to_html(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "ipd: cooperation by round" in html and "<img" in html
