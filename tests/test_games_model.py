"""Repeated games on the real default model: ``psychometry administer ipd --opponents ...`` stores a
row per round with the opponent's real replies, and a game killed with SIGKILL between rounds resumes
at the next round and ends bit-identical to an uninterrupted run (the prompts of later rounds are
built from the rounds as they were stored)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_resume_bitwise import _count, _rows

import psychometry

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
GAME = ["ipd", "--templates", "choice-plain", "--threads", "1", "--quiet"]
NUMBERS = [
    "response_id",
    "round",
    "opponent",
    "action",
    "opponent_action",
    "payoff",
    "status",
    "value",
    "position",
    "expected",
    "probs",
    "position_probs",
]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "psychometry", "administer", *GAME, *args]


def test_administer_ipd_against_tft_and_defector_stores_each_round_and_tft_copies_the_model(tmp_path):
    out = tmp_path / "ipd.sqlite"
    subprocess.run(
        _cli("--opponents", "tft,defector", "--out", str(out)), cwd=REPO, env=ENV, check=True, timeout=900
    )
    df = psychometry.load_results(out)
    assert len(df) == 2 * 2 * 10  # opponents x orders x rounds: every game ran its 10 rounds
    assert (df["status"] == "ok").all() and df["action"].notna().all()
    for (_, opponent), game in df.groupby(["respondent", "opponent"]):
        game = game.sort_values("round")
        assert list(game["round"]) == list(range(1, 11))
        if opponent == "tft":  # round k: the model's move of round k - 1 (round 1: C)
            assert list(game["opponent_action"]) == ["C", *game["action"].iloc[:-1]]
        else:
            assert set(game["opponent_action"]) == {"D"}


def test_a_game_killed_between_rounds_resumes_at_the_next_round_bit_for_bit(tmp_path):
    args = ["--opponents", "tft,grudger,random(0.5)", "--batch-size", "4"]
    games = 3 * 2  # opponents x orders; a round is one step of 6 requests, in chunks of 4 and 2
    whole = tmp_path / "whole.sqlite"
    subprocess.run(_cli(*args, "--out", str(whole)), cwd=REPO, env=ENV, check=True, timeout=900)

    killed = tmp_path / "killed.sqlite"
    proc = subprocess.Popen(
        _cli(*args, "--out", str(killed)),
        cwd=REPO,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        n = _count(killed)
        if n > 2 * games and n % games not in (0, 4):  # in round 3 or later, inside a chunk
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    proc.wait(timeout=60)
    proc.stderr.close()
    killed_at = _count(killed)
    assert 2 * games < killed_at < 10 * games and killed_at % games not in (0, 4), killed_at

    subprocess.run(_cli(*args, "--out", str(killed)), cwd=REPO, env=ENV, check=True, timeout=900)
    a, b = _rows(whole, NUMBERS), _rows(killed, NUMBERS)
    assert len(a) == len(b) == 10 * games
    assert a == b  # every round, action, payoff and probability, bit for bit
